"""AWS Security Hub: each state change of a finding imported as one ASFF finding, where security teams triage
the findings of every other tool.

One ASFF finding per (account, region, resource, check): its ``Id`` is the finding's key, so every change of
the finding updates the same Security Hub finding, and importing the same change again (a retried delivery)
sets the same values. A finding that needs nobody any more (RESOLVED, REMEDIATED, EXEMPT) is imported with
``RecordState`` ARCHIVED, and ``Compliance.Status`` PASSED when it was fixed (an exempt endpoint still fails
the check: it stays FAILED).

The workflow status is the security team's: BatchImportFindings sets it only when it creates a finding, and
later values are not applied (AWS's BatchImportFindings reference). So it is sent with a finding's first
change only: NEW, or SUPPRESSED for an endpoint exempt by tag from the start, RESOLVED for one fixed before it
was ever imported. Security Hub itself sets a RESOLVED or NOTIFIED finding back to NEW when it is active again
(ARCHIVED to ACTIVE, or compliance PASSED to FAILED). Severity and types go in ``FindingProviderFields`` too,
the fields AWS asks a provider to update them through.

Security Hub takes a finding under an account's default product (``product/<account>/default``) only from that
account: the caller's account must be the finding's ``AwsAccountId``. So a deployment imports the findings of
its own account with its own credentials, and a hub imports a member account's findings in that account, through
the member's findings role (member/template.yaml, created when the hub's EnableSecurityHub is true), into the
Security Hub of the finding's Region; Security Hub's delegated administrator then sees every member's findings.
Without that role (a single account) other accounts' findings are not imported (``covers``). An account the
organization does not hold is not asked for its role: its finding is left out and reported (``out_of_reach``).
A member whose role refuses fails the delivery, which is retried as any channel's failure is.

A VPC endpoint has no ASFF resource type of its own (``AwsEc2VpcEndpointService`` is the provider's side of
PrivateLink), so an endpoint is an ``Other`` resource with its details under ``Details.Other``; a VPC is
``AwsEc2Vpc``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from vpce_guard.accounts import AccountAccessError, Accounts
from vpce_guard.findings import CHECKS_ANCHOR, VPC_RESOURCE
from vpce_guard.identifiers import partition_of
from vpce_guard.notify.events import StateChange
from vpce_guard.notify.messages import message, shorten
from vpce_guard.notify.opscenter import resource_arn
from vpce_guard.vocabulary import Status

SCHEMA_VERSION = "2018-10-08"
# The ASFF type taxonomy's namespace/category for a configuration check against best practice.
FINDING_TYPES = ("Software and Configuration Checks/AWS Security Best Practices",)
# ASFF limits: Title 256 characters, Description 1,024, Recommendation.Text 512, an Other value under 1,024.
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 1024
RECOMMENDATION_LIMIT = 512
OTHER_VALUE_LIMIT = 1023
# BatchImportFindings takes at most 100 findings a call.
BATCH_LIMIT = 100
SEVERITY_LABELS = frozenset({"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"})
# Statuses whose finding is archived in Security Hub, with the workflow status each gets when first imported.
ARCHIVED_WORKFLOW = {
    Status.RESOLVED.value: "RESOLVED",
    Status.REMEDIATED.value: "RESOLVED",
    Status.EXEMPT.value: "SUPPRESSED",
}
PASSED_STATUSES = frozenset({Status.RESOLVED.value, Status.REMEDIATED.value})


class FindingsNotImported(RuntimeError):
    """Security Hub refused some findings (BatchImportFindings' FailedFindings); each is named with its error."""

    def __init__(self, failed: Sequence[Mapping[str, Any]]) -> None:
        self.failed = [dict(finding) for finding in failed]
        listed = "; ".join(
            f"{finding.get('Id')}: {finding.get('ErrorCode')} {finding.get('ErrorMessage')}" for finding in failed
        )
        super().__init__(f"Security Hub did not import {len(failed)} finding(s): {listed}")


class SecurityHubFindings:
    """Imports each state change into the Security Hub of the finding's account: ``product_account``'s (the
    account it runs in) through ``securityhub``, a member's through ``members`` (the hub's findings role)."""

    name = "securityhub"

    def __init__(
        self,
        securityhub: Any,
        product_account: str,
        readme_url: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        members: Accounts | None = None,
        out_of_reach: Callable[[StateChange, AccountAccessError], None] = lambda change, error: None,
    ) -> None:
        self._securityhub = securityhub
        self._product_account = product_account
        self._readme_url = readme_url
        self._clock = clock
        self._members = members
        self._out_of_reach = out_of_reach

    def covers(self, change: StateChange) -> bool:
        """Whether the finding's own Security Hub is reached: this account's; a member's when the hub has the
        member findings role and the organization holds the account (one it does not is told ``out_of_reach``:
        retrying cannot bring it back)."""
        if change.account_id == self._product_account:
            return True
        if self._members is None:
            return False
        organization = self._members.organization
        if organization is not None and organization.holds(change.account_id) is False:
            self._out_of_reach(change, AccountAccessError.outside_organization(change.account_id))
            return False
        return True

    def publish(self, change: StateChange) -> None:
        finding = asff_finding(change, change.account_id, self._clock(), self._readme_url)
        import_findings(self._securityhub_of(change), [finding])

    def _securityhub_of(self, change: StateChange) -> Any:
        """This account's client, or the member's in the finding's Region (its role assumed once per container)."""
        if change.account_id == self._product_account or self._members is None:
            return self._securityhub
        return self._members.publisher(change.account_id, change.region).client("securityhub")


def import_findings(securityhub: Any, findings: Sequence[Mapping[str, Any]]) -> None:
    """Import ``findings`` in calls of at most 100; FindingsNotImported names every finding refused. Throttling is
    retried by the client (botocore's retries)."""
    failed: list[Mapping[str, Any]] = []
    for batch in _batches(findings):
        reply = securityhub.batch_import_findings(Findings=list(batch))
        failed += reply.get("FailedFindings", [])
    if failed:
        raise FindingsNotImported(failed)


def asff_finding(
    change: StateChange, product_account: str, received_at: datetime, readme_url: str | None = None
) -> dict[str, Any]:
    """The ASFF finding of ``change``, imported by ``product_account``. Its times are the stream record's, and
    ``received_at`` for a record without one. ``readme_url``: where the README is published, for the
    recommendation's link."""
    partition = partition_of(change.region)
    product = f"arn:{partition}:securityhub:{change.region}:{product_account}:product/{product_account}/default"
    updated_at = change.changed_at or received_at
    created_at = change.first_seen or updated_at
    status = change.new_status
    recommendation: dict[str, str] = {"Text": shorten(_recommendation(change), RECOMMENDATION_LIMIT)}
    if readme_url:
        recommendation["Url"] = f"{readme_url}#{CHECKS_ANCHOR}"
    severity = {"Label": change.severity if change.severity in SEVERITY_LABELS else "INFORMATIONAL"}
    asff: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"vpce-guard/{change.finding_key}",
        "ProductArn": product,
        "ProductName": "vpce-guard",
        "CompanyName": "vpce-guard",
        "GeneratorId": change.check_id,
        "AwsAccountId": change.account_id,
        "Region": change.region,
        "Types": list(FINDING_TYPES),
        "CreatedAt": _timestamp(min(created_at, updated_at)),
        "UpdatedAt": _timestamp(updated_at),
        "Severity": severity,
        "FindingProviderFields": {"Severity": {**severity, "Original": change.severity}, "Types": list(FINDING_TYPES)},
        "Title": shorten(change.title, TITLE_LIMIT),
        "Description": shorten(message(change).detail or change.title, DESCRIPTION_LIMIT),
        "Resources": [_resource(change, partition)],
        "Remediation": {"Recommendation": recommendation},
        "Compliance": {"Status": "PASSED" if status in PASSED_STATUSES else "FAILED"},
        "RecordState": "ARCHIVED" if status in ARCHIVED_WORKFLOW else "ACTIVE",
        "ProductFields": {
            "vpce-guard/Status": status,
            "vpce-guard/FindingKey": change.finding_key,
            "vpce-guard/StateChange": change.event_id,
        },
    }
    if change.old_status is None:
        asff["Workflow"] = {"Status": ARCHIVED_WORKFLOW.get(status, "NEW")}
    if change.change_id:
        asff["ProductFields"]["vpce-guard/ChangeId"] = change.change_id
    return asff


def _resource(change: StateChange, partition: str) -> dict[str, Any]:
    if change.finding.get("resource_type") == VPC_RESOURCE:
        return {"Type": "AwsEc2Vpc", "Id": resource_arn(change), "Partition": partition, "Region": change.region}
    details = {"VpcEndpointId": change.resource_id, "VpcId": change.vpc_id}
    if change.finding.get("service_name"):
        details["ServiceName"] = str(change.finding["service_name"])
    return {
        "Type": "Other",
        "Id": resource_arn(change),
        "Partition": partition,
        "Region": change.region,
        "Details": {"Other": {key: shorten(value, OTHER_VALUE_LIMIT) for key, value in details.items()}},
    }


def _recommendation(change: StateChange) -> str:
    remediation = change.finding.get("remediation")
    action = remediation.get("action") if isinstance(remediation, Mapping) else None
    said = f"Remediation: {action}." if action and action != "none" else "Review the finding."
    return f"{said} {change.note}" if change.note else said


def _timestamp(moment: datetime) -> str:
    """ASFF's timestamp: ISO 8601 in UTC with milliseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _batches(findings: Sequence[Mapping[str, Any]]) -> Iterator[Sequence[Mapping[str, Any]]]:
    for start in range(0, len(findings), BATCH_LIMIT):
        yield findings[start : start + BATCH_LIMIT]
