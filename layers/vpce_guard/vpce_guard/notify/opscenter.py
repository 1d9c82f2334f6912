"""AWS Systems Manager OpsCenter: one OpsItem per open finding, updated with each change, Resolved when the
finding is resolved or remediated.

Every call here is safe to repeat, which is what makes a retried delivery harmless: CreateOpsItem carries the
finding's key as the OpsItem's deduplication string (``/aws/dedup``), so OpsCenter creates no second OpsItem
while the first is open and answers OpsItemAlreadyExistsException naming it; UpdateOpsItem sets values.
The finding key is also searchable operational data, for people and for DescribeOpsItems filters.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from vpce_guard.findings import VPC_RESOURCE
from vpce_guard.identifiers import partition_of
from vpce_guard.notify.events import StateChange
from vpce_guard.notify.messages import message, plain_text, shorten

SOURCE = "vpce-guard"
FINDING_KEY = "vpce-guard:finding-key"
FINDING = "vpce-guard:finding"
LAST_CHANGE = "vpce-guard:last-change"
# OpsCenter severities run from 1 (most severe) to 4.
SEVERITIES = {"CRITICAL": "1", "HIGH": "2", "MEDIUM": "3", "LOW": "4"}
TITLE_LIMIT = 1024
DESCRIPTION_LIMIT = 2048


class OpsCenterTickets:
    name = "opscenter"

    def __init__(self, ssm: Any) -> None:
        self._ssm = ssm

    def open(self, change: StateChange, *, retry: bool) -> str:
        data = {
            "/aws/dedup": _searchable(json.dumps({"dedupString": change.finding_key})),
            "/aws/resources": _searchable(json.dumps([{"arn": resource_arn(change)}])),
            FINDING_KEY: _searchable(change.finding_key),
            **_latest(change),
        }
        try:
            created = self._ssm.create_ops_item(
                Title=shorten(message(change).headline, TITLE_LIMIT),
                Description=shorten(plain_text(change), DESCRIPTION_LIMIT),
                Source=SOURCE,
                Category="Security",
                Severity=SEVERITIES.get(change.severity, "3"),
                OperationalData=data,
            )
        except ClientError as error:
            existing = error.response.get("OpsItemId")
            if error.response.get("Error", {}).get("Code") == "OpsItemAlreadyExistsException" and existing:
                return str(existing)
            raise
        return str(created["OpsItemId"])

    def comment(self, ticket: str, change: StateChange, *, retry: bool) -> None:
        self._ssm.update_ops_item(OpsItemId=ticket, OperationalData=_latest(change))

    def close(self, ticket: str, change: StateChange, *, retry: bool) -> None:
        self._ssm.update_ops_item(OpsItemId=ticket, Status="Resolved", OperationalData=_latest(change))


def resource_arn(change: StateChange) -> str:
    """The ARN of the finding's resource: an endpoint, or a VPC (missing-baseline-endpoint)."""
    kind = "vpc" if change.finding.get("resource_type") == VPC_RESOURCE else "vpc-endpoint"
    return f"arn:{partition_of(change.region)}:ec2:{change.region}:{change.account_id}:{kind}/{change.resource_id}"


def _latest(change: StateChange) -> dict[str, dict[str, str]]:
    """The finding as last seen and the latest change, for whoever opens the OpsItem."""
    return {
        FINDING: {"Value": json.dumps(dict(change.finding), sort_keys=True), "Type": "String"},
        LAST_CHANGE: {"Value": plain_text(change), "Type": "String"},
    }


def _searchable(value: str) -> dict[str, str]:
    return {"Value": value, "Type": "SearchableString"}
