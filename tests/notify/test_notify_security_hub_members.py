"""Security Hub in an organization, through the emulator over HTTP: the hub's notifier imports a member's finding
into the member's own Security Hub, through the findings role the member StackSet created, as the function wires
it; never into the hub's, nor another member's. A member whose role is missing fails the delivery (retried as any
channel's failure is); an account outside the organization is left out without asking STS."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from integration.org_support import NOTIFIER, OUTSIDER, ROLES, Hub, org_with_members
from msgspec.structs import replace
from notify_support import ENDPOINT, REGION, T0, deliver_like_lambda, dns_finding

from vpce_guard.findings import Finding
from vpce_guard.notify.function import NotifierEnvironment, build_notifier, deliver_batch
from vpce_guard.notify.function import logger as function_logger
from vpce_guard.notify.notifier import Notifier
from vpce_guard.state import Judged, StateStore
from vpce_guard.vocabulary import Status
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

Reader = Callable[[], list[dict[str, Any]]]
WIDER = ("ssm.us-east-1.amazonaws.com", "*.ssm.us-east-1.amazonaws.com")


@pytest.fixture
def hub(aws_env: Emulator) -> Hub:
    """An organization of three members with the member stack (its findings role included) in each."""
    return org_with_members(aws_env)


@pytest.fixture
def hub_notifier(hub: Hub, state_table: str) -> Notifier:
    """The hub's notifier as its function builds it, with Security Hub its one channel, in the notifier's role."""
    environment = NotifierEnvironment(
        region=REGION,
        state_table=state_table,
        topic_arn="",
        slack_secret_id="",
        jira_secret_id="",
        opscenter=False,
        security_hub=True,
        account_id=hub.account_id,
        member_findings_role=str(ROLES.findings),
        function_name="vpce-guard-hub-NotifierFunction",
    )
    return build_notifier(
        environment, hub.session_of(NOTIFIER, REGION), regions=lambda region: hub.session_of(NOTIFIER, region)
    )


def record_of(store: StateStore, account: str, findings: list[Finding], minutes: int) -> None:
    """``account``'s Region judged at ``T0 + minutes`` with these findings, each TICKETED."""
    judged = Judged(account, REGION, None, T0 + timedelta(minutes=minutes))
    statuses = {(finding.resource_id, finding.check_id): Status.TICKETED for finding in findings}
    store.record(judged, [replace(finding, account_id=account) for finding in findings], statuses=statuses)


def security_hub_findings(hub: Hub, account: str) -> list[dict[str, Any]]:
    return list(hub.member_client("securityhub", account).get_findings()["Findings"])


def finding_id(account: str) -> str:
    return f"vpce-guard/{account}/{REGION}/{ENDPOINT}/private-dns-disabled"


def calls_of(aws: Emulator, action: str) -> list[Any]:
    return [call for call in aws.recorded_calls() if call.iam_action == action]


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """What the notifier function logs."""
    written = io.StringIO()
    previous = function_logger.registered_handler.setStream(written)
    yield written
    function_logger.registered_handler.setStream(previous)


def test_a_members_finding_reaches_the_members_own_security_hub(
    hub: Hub, store: StateStore, read_stream: Reader, hub_notifier: Notifier
) -> None:
    member, other = hub.organization.member_account_ids[:2]
    record_of(store, member, [dns_finding()], minutes=0)

    assert deliver_like_lambda(read_stream(), hub_notifier) == [{"batchItemFailures": []}]

    (finding,) = security_hub_findings(hub, member)
    assert (finding["Id"], finding["AwsAccountId"]) == (finding_id(member), member)
    assert finding["ProductArn"] == f"arn:aws:securityhub:{REGION}:{member}:product/{member}/default"
    assert (finding["RecordState"], finding["Workflow"]) == ("ACTIVE", {"Status": "NEW"})
    assert security_hub_findings(hub, hub.account_id) == []
    assert security_hub_findings(hub, other) == []


def test_a_members_finding_is_updated_then_archived_when_resolved(
    hub: Hub, store: StateStore, read_stream: Reader, hub_notifier: Notifier
) -> None:
    member = hub.organization.member_account_ids[0]
    record_of(store, member, [dns_finding()], minutes=0)
    deliver_like_lambda(read_stream(), hub_notifier)
    first = security_hub_findings(hub, member)[0]

    record_of(store, member, [dns_finding(names=WIDER)], minutes=5)
    deliver_like_lambda(read_stream(), hub_notifier)
    (updated,) = security_hub_findings(hub, member)
    record_of(store, member, [], minutes=20)
    deliver_like_lambda(read_stream(), hub_notifier)
    (resolved,) = security_hub_findings(hub, member)

    assert updated["ProductFields"]["vpce-guard/StateChange"] != first["ProductFields"]["vpce-guard/StateChange"]
    assert updated["CreatedAt"] == first["CreatedAt"]
    assert (resolved["RecordState"], resolved["Compliance"]["Status"]) == ("ARCHIVED", "PASSED")
    assert resolved["ProductFields"]["vpce-guard/Status"] == "RESOLVED"


def test_ten_deliveries_give_one_finding_and_one_assume_role_per_member(
    hub: Hub, aws_env: Emulator, store: StateStore, read_stream: Reader, hub_notifier: Notifier
) -> None:
    members = hub.organization.member_account_ids[:2]
    for member in members:
        record_of(store, member, [dns_finding()], minutes=0)
        record_of(store, member, [dns_finding(names=WIDER)], minutes=5)
    records = read_stream()
    aws_env.clear_recorded_calls()

    for _ in range(10):
        assert deliver_like_lambda(records, hub_notifier)[-1] == {"batchItemFailures": []}

    assert len(calls_of(aws_env, "securityhub:BatchImportFindings")) == 4  # once per change
    assert len(calls_of(aws_env, "sts:AssumeRole")) == 2  # once per member, for every delivery after
    for member in members:
        (finding,) = security_hub_findings(hub, member)
        assert finding["Id"] == finding_id(member)


def test_a_member_whose_findings_role_is_missing_fails_its_delivery_and_imports_nothing_anywhere(
    hub: Hub, aws_env: Emulator, store: StateStore, read_stream: Reader, hub_notifier: Notifier, logs: io.StringIO
) -> None:
    without, member = hub.organization.member_account_ids[:2]
    iam = hub.member_client("iam", without)
    iam.delete_role_policy(RoleName=ROLES.findings, PolicyName="ImportFindings")
    iam.delete_role(RoleName=ROLES.findings)
    record_of(store, without, [dns_finding()], minutes=0)
    record_of(store, member, [dns_finding(endpoint="vpce-0fedcba9876543210")], minutes=0)
    records = read_stream()
    aws_env.clear_recorded_calls()

    first = deliver_batch({"Records": records}, hub_notifier)
    again = deliver_batch({"Records": records}, hub_notifier)

    failed = {failure["itemIdentifier"] for failure in first["batchItemFailures"]}
    assert len(failed) == 1  # the member's record alone: Lambda retries it
    assert failed == {failure["itemIdentifier"] for failure in again["batchItemFailures"]}
    assert f"securityhub: AccountAccessError: account {without} is out of reach" in logs.getvalue()
    assert f"arn:aws:iam::{without}:role/{ROLES.findings}" in logs.getvalue()
    assert len(calls_of(aws_env, "sts:AssumeRole")) == 2  # the refusal is remembered: no AssumeRole on the retry
    assert security_hub_findings(hub, without) == []
    assert security_hub_findings(hub, hub.account_id) == []
    assert [f["AwsAccountId"] for f in security_hub_findings(hub, member)] == [member]


def test_a_finding_of_an_account_outside_the_organization_is_left_out_without_asking_sts(
    hub: Hub, aws_env: Emulator, store: StateStore, read_stream: Reader, hub_notifier: Notifier, logs: io.StringIO
) -> None:
    record_of(store, OUTSIDER, [dns_finding()], minutes=0)
    aws_env.clear_recorded_calls()

    assert deliver_like_lambda(read_stream(), hub_notifier) == [{"batchItemFailures": []}]

    assert calls_of(aws_env, "sts:AssumeRole") == []
    assert "Security Hub finding of an account out of reach left out" in logs.getvalue()
    assert f"account {OUTSIDER} is out of reach: it is not an active account of the organization" in logs.getvalue()
    assert security_hub_findings(hub, hub.account_id) == []
