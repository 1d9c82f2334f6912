"""A state change read as an ASFF finding (vpce_guard.notify.security_hub), checked against botocore's model of
BatchImportFindings' input: one finding per (account, region, resource, check), active while the finding needs
someone, archived once it needs nobody. No AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from misbehaving import serving
from msgspec.structs import replace
from notify_support import ACCOUNT, ENDPOINT, REGION, VPC, ticketed_change

from vpce_guard.aws import AwsSession
from vpce_guard.checks import CHECKS
from vpce_guard.notify.events import StateChange
from vpce_guard.notify.security_hub import (
    BATCH_LIMIT,
    DESCRIPTION_LIMIT,
    FindingsNotImported,
    SecurityHubFindings,
    asff_finding,
    import_findings,
)
from vpce_guard_local.emulator import FAKE_CREDENTIALS

HUB_ACCOUNT = "999988887777"
README = "https://github.com/example/vpce-guard/blob/main/README.md"
FIRST_SEEN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CHANGED_AT = datetime(2026, 3, 1, 9, 5, 30, 250000, tzinfo=UTC)
RECEIVED_AT = datetime(2026, 3, 1, 9, 6, tzinfo=UTC)
TICKETED = replace(ticketed_change("7e6d5c4b"), first_seen=FIRST_SEEN, changed_at=CHANGED_AT)


def asff(change: StateChange = TICKETED, readme_url: str | None = None) -> dict[str, Any]:
    return asff_finding(change, HUB_ACCOUNT, RECEIVED_AT, readme_url)


def problems_with(findings: list[dict[str, Any]]) -> str:
    """What botocore's model of BatchImportFindings says is wrong with ``findings`` ('' when nothing)."""
    model = botocore.session.get_session().get_service_model("securityhub")
    report = ParamValidator().validate({"Findings": findings}, model.operation_model("BatchImportFindings").input_shape)
    return str(report.generate_report())


def test_a_finding_is_valid_input_of_batch_import_findings() -> None:
    assert problems_with([asff()]) == ""


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_the_finding_of_every_check_is_valid_input(check_id: str) -> None:
    check = CHECKS[check_id]
    finding = {**TICKETED.finding, "check_id": check_id, "severity": check.severity.value, "title": check.title}

    assert problems_with([asff(replace(TICKETED, check_id=check_id, finding=finding), README)]) == ""


def test_one_finding_per_account_region_resource_and_check() -> None:
    later = replace(TICKETED, event_id="8f7e", old_status="TICKETED", new_status="RESOLVED")
    other_check = replace(TICKETED, check_id="endpoint-policy-full-access")

    assert asff()["Id"] == asff(later)["Id"] == f"vpce-guard/{ACCOUNT}/{REGION}/{ENDPOINT}/private-dns-disabled"
    assert asff(other_check)["Id"] != asff()["Id"]


def test_the_finding_is_the_importing_accounts_default_product_about_the_resources_account() -> None:
    finding = asff()

    assert finding["ProductArn"] == f"arn:aws:securityhub:{REGION}:{HUB_ACCOUNT}:product/{HUB_ACCOUNT}/default"
    assert (finding["AwsAccountId"], finding["Region"], finding["GeneratorId"]) == (
        ACCOUNT,
        REGION,
        "private-dns-disabled",
    )
    assert finding["Types"] == ["Software and Configuration Checks/AWS Security Best Practices"]


def test_the_product_arn_is_in_the_regions_partition() -> None:
    change = replace(TICKETED, region="cn-north-1")

    assert asff(change)["ProductArn"].startswith("arn:aws-cn:securityhub:cn-north-1:")
    assert asff(change)["Resources"][0]["Partition"] == "aws-cn"


def test_created_when_first_seen_and_updated_when_the_stream_recorded_the_change() -> None:
    finding = asff()

    assert (finding["CreatedAt"], finding["UpdatedAt"]) == ("2026-03-01T09:00:00.000Z", "2026-03-01T09:05:30.250Z")


def test_a_record_without_times_is_dated_when_received() -> None:
    finding = asff(replace(TICKETED, first_seen=None, changed_at=None))

    assert finding["CreatedAt"] == finding["UpdatedAt"] == "2026-03-01T09:06:00.000Z"


def test_never_created_after_it_was_updated() -> None:
    finding = asff(replace(TICKETED, first_seen=CHANGED_AT + timedelta(minutes=1)))

    assert finding["CreatedAt"] == finding["UpdatedAt"]


def test_severity_title_and_description_are_the_findings() -> None:
    finding = asff()

    assert finding["Severity"] == {"Label": "HIGH"}
    assert finding["Title"] == "Interface endpoint has private DNS disabled"
    assert finding["Description"].startswith("Interface endpoint has private DNS disabled. Private DNS is off on ")


def test_a_long_description_is_cut_to_asffs_limit() -> None:
    change = replace(TICKETED, finding={**TICKETED.finding, "detail": "x" * 5000})

    description = asff(change)["Description"]
    assert len(description) == DESCRIPTION_LIMIT
    assert description.endswith("…")
    assert problems_with([asff(change)]) == ""


def test_an_endpoint_is_an_other_resource_with_its_vpc_and_service() -> None:
    (resource,) = asff()["Resources"]

    assert resource == {
        "Type": "Other",
        "Id": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-endpoint/{ENDPOINT}",
        "Partition": "aws",
        "Region": REGION,
        "Details": {"Other": {"VpcEndpointId": ENDPOINT, "VpcId": VPC, "ServiceName": f"com.amazonaws.{REGION}.ssm"}},
    }


def test_a_vpc_finding_is_about_an_aws_ec2_vpc() -> None:
    finding = {**TICKETED.finding, "resource_type": "AWS::EC2::VPC", "check_id": "missing-baseline-endpoint"}
    change = replace(TICKETED, resource_id=VPC, check_id="missing-baseline-endpoint", finding=finding)

    (resource,) = asff(change)["Resources"]

    assert (resource["Type"], resource["Id"]) == ("AwsEc2Vpc", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{VPC}")


def test_the_recommendation_links_the_readme_when_its_address_is_given() -> None:
    assert asff()["Remediation"]["Recommendation"] == {"Text": "Remediation: enable-private-dns."}
    assert asff(readme_url=README)["Remediation"]["Recommendation"]["Url"] == f"{README}#what-it-finds-and-why"


def test_the_recommendation_says_why_no_change_was_made() -> None:
    change = replace(TICKETED, note="Not changed: a resolver rule forwards the zone.")

    assert asff(change)["Remediation"]["Recommendation"]["Text"] == (
        "Remediation: enable-private-dns. Not changed: a resolver rule forwards the zone."
    )


@pytest.mark.parametrize(
    ("status", "compliance", "record_state"),
    [
        ("OPEN", "FAILED", "ACTIVE"),
        ("TICKETED", "FAILED", "ACTIVE"),
        ("FAILED", "FAILED", "ACTIVE"),
        ("RESOLVED", "PASSED", "ARCHIVED"),
        ("REMEDIATED", "PASSED", "ARCHIVED"),
        ("EXEMPT", "FAILED", "ARCHIVED"),
    ],
)
def test_a_finding_needing_someone_is_active_and_one_needing_nobody_archived(
    status: str, compliance: str, record_state: str
) -> None:
    finding = asff(replace(TICKETED, event_id="8f7e", old_status="TICKETED", new_status=status))

    assert (finding["Compliance"]["Status"], finding["RecordState"]) == (compliance, record_state)
    assert finding["ProductFields"]["vpce-guard/Status"] == status
    assert "Workflow" not in finding  # the security team's, once the finding exists


@pytest.mark.parametrize(
    ("status", "workflow"),
    [("TICKETED", "NEW"), ("OPEN", "NEW"), ("EXEMPT", "SUPPRESSED"), ("REMEDIATED", "RESOLVED")],
)
def test_a_findings_first_change_sets_its_workflow_status(status: str, workflow: str) -> None:
    assert asff(replace(TICKETED, new_status=status))["Workflow"] == {"Status": workflow}


def test_severity_and_types_are_also_the_finding_providers_fields() -> None:
    assert asff()["FindingProviderFields"] == {
        "Severity": {"Label": "HIGH", "Original": "HIGH"},
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
    }


def test_product_fields_name_the_finding_the_change_and_its_rollback() -> None:
    fields = asff(replace(TICKETED, change_id="chg-1"))["ProductFields"]

    assert fields == {
        "vpce-guard/Status": "TICKETED",
        "vpce-guard/FindingKey": TICKETED.finding_key,
        "vpce-guard/StateChange": "7e6d5c4b",
        "vpce-guard/ChangeId": "chg-1",
    }


def test_the_channel_covers_the_findings_of_its_own_account_only() -> None:
    channel = SecurityHubFindings(RecordingHub(), ACCOUNT)

    assert channel.covers(TICKETED)
    assert not channel.covers(replace(TICKETED, account_id=HUB_ACCOUNT))


def test_the_channel_imports_the_change_dated_by_its_clock_when_the_record_has_no_time() -> None:
    hub = RecordingHub()

    SecurityHubFindings(hub, ACCOUNT, README, clock=lambda: RECEIVED_AT).publish(replace(TICKETED, changed_at=None))

    ((finding,),) = hub.calls
    assert finding["UpdatedAt"] == "2026-03-01T09:06:00.000Z"
    assert finding["ProductArn"] == f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"
    assert finding["Remediation"]["Recommendation"]["Url"] == f"{README}#what-it-finds-and-why"


class RecordingHub:
    """A Security Hub client that records each BatchImportFindings call and refuses the findings named."""

    def __init__(self, refused: frozenset[str] = frozenset()) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self._refused = refused

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Findings)
        failed = [
            {"Id": finding["Id"], "ErrorCode": "InvalidInput", "ErrorMessage": "refused"}
            for finding in Findings
            if finding["Id"] in self._refused
        ]
        return {"FailedCount": len(failed), "SuccessCount": len(Findings) - len(failed), "FailedFindings": failed}


def many(count: int) -> list[dict[str, Any]]:
    return [asff(replace(TICKETED, resource_id=f"vpce-{index:017x}")) for index in range(count)]


def test_a_throttled_import_is_retried_by_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """The notifier's clients retry throttling (botocore's standard mode) before a delivery fails."""
    for name in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with serving("throttle_once") as hub:
        securityhub = AwsSession(REGION, endpoint_url=hub.url).client("securityhub")

        SecurityHubFindings(securityhub, ACCOUNT).publish(TICKETED)

    assert [path for _, path, _ in hub.requests] == ["/findings/import", "/findings/import"]


def test_findings_are_imported_in_calls_of_at_most_a_hundred() -> None:
    hub = RecordingHub()

    import_findings(hub, many(2 * BATCH_LIMIT + 1))

    assert [len(call) for call in hub.calls] == [BATCH_LIMIT, BATCH_LIMIT, 1]


def test_refused_findings_are_named_after_every_batch_was_tried() -> None:
    findings = many(BATCH_LIMIT + 1)
    refused = frozenset({findings[0]["Id"], findings[-1]["Id"]})
    hub = RecordingHub(refused)

    with pytest.raises(FindingsNotImported) as raised:
        import_findings(hub, findings)

    assert len(hub.calls) == 2
    assert {failed["Id"] for failed in raised.value.failed} == refused
    assert "did not import 2 finding(s)" in str(raised.value)
    assert "InvalidInput refused" in str(raised.value)
