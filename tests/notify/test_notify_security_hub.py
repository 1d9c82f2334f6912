"""Security Hub through the emulator over HTTP: each state change of a finding, written by the real StateStore
and read back from the state table's stream, is imported as the one ASFF finding of that finding; it is updated
with each change and archived once the finding needs nobody, however often a change is delivered."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from msgspec.structs import replace
from notify_support import ACCOUNT, ENDPOINT, REGION, T0, deliver_like_lambda, dns_finding, record

from vpce_guard.notify.function import deliver_batch
from vpce_guard.notify.function import logger as function_logger
from vpce_guard.notify.ledger import DeliveryLedger
from vpce_guard.notify.notifier import Notifier
from vpce_guard.notify.security_hub import SecurityHubFindings
from vpce_guard.state import Judged, StateStore
from vpce_guard.vocabulary import Status
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

Reader = Callable[[], list[dict[str, Any]]]
FINDING_ID = f"vpce-guard/{ACCOUNT}/{REGION}/{ENDPOINT}/private-dns-disabled"
WIDER = ("ssm.us-east-1.amazonaws.com", "*.ssm.us-east-1.amazonaws.com")


def hub_findings(aws: Emulator) -> list[dict[str, Any]]:
    return list(aws.client("securityhub", REGION).get_findings()["Findings"])


def the_finding(aws: Emulator) -> dict[str, Any]:
    (finding,) = hub_findings(aws)
    return finding


def changes_of_the_finding(records: list[dict[str, Any]]) -> list[str]:
    """The ids of the stream records that changed the finding's own record (not markers or the ledger's)."""
    return [r["eventID"] for r in records if r["dynamodb"]["Keys"]["sk"]["S"] == "private-dns-disabled"]


def test_a_ticketed_finding_appears_active_and_failed(
    store: StateStore, read_stream: Reader, notifier: Notifier, aws_env: Emulator
) -> None:
    record(store, [dns_finding()], minutes=0)

    assert deliver_like_lambda(read_stream(), notifier) == [{"batchItemFailures": []}]

    finding = the_finding(aws_env)
    assert finding["Id"] == FINDING_ID
    assert (finding["AwsAccountId"], finding["GeneratorId"]) == (ACCOUNT, "private-dns-disabled")
    assert (finding["RecordState"], finding["Compliance"], finding["Workflow"]) == (
        "ACTIVE",
        {"Status": "FAILED"},
        {"Status": "NEW"},
    )
    assert finding["ProductFields"]["vpce-guard/Status"] == "TICKETED"


def test_new_evidence_updates_the_same_finding(
    store: StateStore, read_stream: Reader, notifier: Notifier, aws_env: Emulator
) -> None:
    record(store, [dns_finding()], minutes=0)
    records = read_stream()
    deliver_like_lambda(records, notifier)
    first = the_finding(aws_env)

    record(store, [dns_finding(names=WIDER)], minutes=5)
    records += read_stream()
    deliver_like_lambda(records, notifier)

    updated = the_finding(aws_env)
    appeared, update = changes_of_the_finding(records)
    assert updated["Id"] == first["Id"]
    assert first["ProductFields"]["vpce-guard/StateChange"] == appeared
    assert updated["ProductFields"]["vpce-guard/StateChange"] == update
    assert updated["UpdatedAt"] >= first["UpdatedAt"]
    assert updated["CreatedAt"] == first["CreatedAt"]


def test_a_resolved_finding_is_archived_and_passed(
    store: StateStore, read_stream: Reader, notifier: Notifier, aws_env: Emulator
) -> None:
    record(store, [dns_finding()], minutes=0)
    record(store, [], minutes=20)

    deliver_like_lambda(read_stream(), notifier)

    finding = the_finding(aws_env)
    assert (finding["RecordState"], finding["Compliance"]["Status"]) == ("ARCHIVED", "PASSED")
    assert finding["ProductFields"]["vpce-guard/Status"] == "RESOLVED"


def test_an_exempt_finding_is_archived_and_suppressed(
    store: StateStore, read_stream: Reader, notifier: Notifier, aws_env: Emulator
) -> None:
    record(store, [dns_finding()], minutes=0, status=Status.EXEMPT)

    deliver_like_lambda(read_stream(), notifier)

    finding = the_finding(aws_env)
    assert (finding["RecordState"], finding["Workflow"]["Status"]) == ("ARCHIVED", "SUPPRESSED")


def test_ten_deliveries_of_the_same_changes_give_one_finding_in_its_last_state(
    store: StateStore, read_stream: Reader, notifier: Notifier, aws_env: Emulator
) -> None:
    record(store, [dns_finding()], minutes=0)
    record(store, [dns_finding(names=WIDER)], minutes=5)
    record(store, [], minutes=20)
    records = read_stream()
    aws_env.clear_recorded_calls()

    for _ in range(10):
        assert deliver_like_lambda(records, notifier) == [{"batchItemFailures": []}]

    imports = [call for call in aws_env.recorded_calls() if call.iam_action == "securityhub:BatchImportFindings"]
    assert len(imports) == len(changes_of_the_finding(records)) == 3  # once per change

    finding = the_finding(aws_env)
    assert (finding["RecordState"], finding["ProductFields"]["vpce-guard/StateChange"]) == (
        "ARCHIVED",
        changes_of_the_finding(records)[-1],
    )


def test_a_finding_of_another_account_is_left_to_that_accounts_security_hub(
    store: StateStore, read_stream: Reader, notifier: Notifier, aws_env: Emulator
) -> None:
    """Security Hub takes a finding under the default product only from the finding's own account."""
    member = "210987654321"
    judged = Judged(member, REGION, None, T0)
    store.record(
        judged,
        [replace(dns_finding(), account_id=member)],
        statuses={(ENDPOINT, "private-dns-disabled"): Status.TICKETED},
    )

    assert deliver_like_lambda(read_stream(), notifier) == [{"batchItemFailures": []}]

    assert hub_findings(aws_env) == []


class RefusingOnce:
    """A Security Hub client whose first import comes back in FailedFindings, as Security Hub reports a finding
    it did not take; later imports are taken."""

    def __init__(self) -> None:
        self.imports: list[str] = []

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:
        self.imports += [finding["Id"] for finding in Findings]
        if len(self.imports) > 1:
            return {"FailedCount": 0, "SuccessCount": len(Findings), "FailedFindings": []}
        failed = [{"Id": f["Id"], "ErrorCode": "InvalidInput", "ErrorMessage": "refused"} for f in Findings]
        return {"FailedCount": len(Findings), "SuccessCount": 0, "FailedFindings": failed}


def test_a_finding_security_hub_refuses_fails_the_delivery_by_name_and_is_sent_again(
    store: StateStore, read_stream: Reader, aws_env: Emulator, state_table: str
) -> None:
    hub = RefusingOnce()
    ledger = DeliveryLedger(aws_env.client("dynamodb", REGION), state_table)
    notifier = Notifier(ledger, [], [], [SecurityHubFindings(hub, ACCOUNT)])
    record(store, [dns_finding()], minutes=0)
    records = read_stream()
    logs = io.StringIO()
    previous = function_logger.registered_handler.setStream(logs)
    try:
        first = deliver_batch({"Records": records}, notifier)
    finally:
        function_logger.registered_handler.setStream(previous)

    assert len(first["batchItemFailures"]) == 1
    assert (
        f"securityhub: FindingsNotImported: Security Hub did not import 1 finding(s): {FINDING_ID}" in logs.getvalue()
    )
    assert deliver_like_lambda(records, notifier)[-1] == {"batchItemFailures": []}
    assert hub.imports == [FINDING_ID, FINDING_ID]
