"""The sweep at organization scale, as Lambda runs it, in-process against the emulator over HTTP: the sweep
function fans out one job per (account, region) of the hub and the member stacks' OUs through the queue,
workers run them with the hub's role, and a failed account is retried on its own. The queue's visibility
timeout is the template's; a failed job's coming round again is made to happen (its visibility set to 0), not
waited for, so a busy machine cannot make a pass see it twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from org_support import ACTOR, ROLES, Hub

from vpce_guard import lambda_app
from vpce_guard.cli import main
from vpce_guard.state import StateStore
from vpce_guard.sweep import SweepLedger
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.sam.queues import QueueDelivery, deliver_queue
from vpce_guard_local.samples import SAMPLE_ACCOUNT, load_event, retarget

pytestmark = pytest.mark.server

REGIONS = (REGION, "eu-west-1")
VISIBILITY_TIMEOUT_SECONDS = 720  # the template's: no job comes round again within a pass, however slow


@pytest.fixture
def queue(aws_env: Emulator) -> tuple[str, str]:
    sqs = aws_env.client("sqs", REGION)
    url = sqs.create_queue(QueueName="sweep-jobs", Attributes={"VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS)})
    arn = sqs.get_queue_attributes(QueueUrl=url["QueueUrl"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url["QueueUrl"], arn


@pytest.fixture
def hub_functions(
    hub_handler_of: Any, hub: Hub, queue: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, Any]:
    """The sweep and its worker, with the hub's environment and a session of the hub function role."""
    for name, value in {
        "SWEEP_QUEUE_URL": queue[0],
        "SWEEP_REGIONS": ",".join(REGIONS),
        "SWEEP_ORGANIZATIONAL_UNITS": hub.organization.ou_id,
    }.items():
        monkeypatch.setenv(name, value)
    return hub_handler_of("sweep"), hub_handler_of("sweep_worker")


def work_off(aws_env: Emulator, queue: tuple[str, str], worker: Any) -> tuple[QueueDelivery, list[str]]:
    """One pass of the queue's event source, and the receipt handles of the jobs that failed; a batch whose
    every job failed fails the invocation, as Lambda sees it (Powertools raises, so the whole batch is retried)."""
    receipts: dict[str, str] = {}

    def invoke(event: dict[str, Any]) -> Any:
        receipts.update((record["messageId"], record["receiptHandle"]) for record in event["Records"])
        try:
            return worker(event)
        except BatchProcessingError:
            return None

    delivery = deliver_queue(aws_env.client("sqs", REGION), *queue, invoke)
    return delivery, [receipts[message_id] for message_id in delivery.failed]


def visibility_timeout_passes(
    aws_env: Emulator, queue: tuple[str, str], receipts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failed jobs come round again, as when their visibility timeout ends, and the warm worker's clock has
    moved on by as much (it remembers a refusing account for less than that)."""
    entries = [{"Id": str(n), "ReceiptHandle": receipt, "VisibilityTimeout": 0} for n, receipt in enumerate(receipts)]
    aws_env.client("sqs", REGION).change_message_visibility_batch(QueueUrl=queue[0], Entries=entries)
    later = timedelta(seconds=VISIBILITY_TIMEOUT_SECONDS)
    monkeypatch.setattr(lambda_app.accounts(), "clock", lambda: datetime.now(UTC) + later)


def break_trust(hub: Hub, account_id: str) -> dict[str, Any]:
    """The member's read role made to trust no one; its trust policy as it was."""
    iam = hub.member_client("iam", account_id)
    trust: dict[str, Any] = iam.get_role(RoleName=ROLES.read)["Role"]["AssumeRolePolicyDocument"]
    nobody = {"Version": "2012-10-17", "Statement": [{**trust["Statement"][0], "Effect": "Deny"}]}
    iam.update_assume_role_policy(RoleName=ROLES.read, PolicyDocument=json.dumps(nobody))
    return trust


def test_the_sweep_covers_every_account_and_region_and_retries_a_failed_account_alone(
    aws_env: Emulator,
    hub: Hub,
    queue: tuple[str, str],
    hub_functions: tuple[Any, Any],
    state_table: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sweep, worker = hub_functions
    broken = hub.organization.member_account_ids[0]
    planted = {account: hub.plant(account).endpoint_id for account in hub.organization.account_ids}
    trust = break_trust(hub, broken)
    store = StateStore(hub.session_of(ACTOR, REGION).client("dynamodb"), state_table)
    ledger = SweepLedger(hub.session_of(ACTOR, REGION).client("dynamodb"), state_table)

    outside_the_units = aws_env.client("organizations").create_account(AccountName="sandbox", Email="s@example.org")

    fanned_out = sweep(retarget(load_event("schedule-sweep"), {SAMPLE_ACCOUNT: hub.account_id}))
    first, unfinished = work_off(aws_env, queue, worker)
    after_first = {(r.account_id, r.region): r for r in ledger.results()}
    reported = main(["sweeps", "--table", state_table, "--region", REGION, "--endpoint-url", aws_env.url])
    report = capsys.readouterr().out
    hub.member_client("iam", broken).update_assume_role_policy(RoleName=ROLES.read, PolicyDocument=json.dumps(trust))
    visibility_timeout_passes(aws_env, queue, unfinished, monkeypatch)
    second, _ = work_off(aws_env, queue, worker)
    after_second = {(r.account_id, r.region): r for r in ledger.results()}

    every = {(account, region) for account in hub.organization.account_ids for region in REGIONS}
    assert outside_the_units["CreateAccountStatus"]["AccountId"] not in {account for account, _ in after_first}
    assert (fanned_out["accounts"], fanned_out["regions"], fanned_out["jobs"]) == (4, list(REGIONS), 8)
    assert len(first.delivered) == 8
    assert {(r.account_id, r.region) for r in after_first.values() if r.failed} == {(broken, r) for r in REGIONS}
    assert "out of reach" in (after_first[(broken, REGION)].error or "")
    assert reported == 1
    assert f"  {broken} {REGION:<15} FAILED  attempt 1  account {broken} is out of reach" in report
    assert report.rstrip().endswith("8 account-region(s): 6 done, 2 failed, 0 pending")
    assert len(second.delivered) == 2
    assert second.failed == []
    assert set(after_second) == every
    assert all(result.status == "DONE" for result in after_second.values())
    assert {key: after_second[key].attempt for key in every} == {key: 2 if key[0] == broken else 1 for key in every}
    for account, endpoint in planted.items():
        assert endpoint in {record.resource_id for record in store.records(account, REGION)}


def test_a_malformed_job_is_dropped_and_logged_not_retried(
    aws_env: Emulator, queue: tuple[str, str], hub_functions: tuple[Any, Any]
) -> None:
    _, worker = hub_functions
    aws_env.client("sqs", REGION).send_message(QueueUrl=queue[0], MessageBody='{"account_id": "1"}')

    delivered, _ = work_off(aws_env, queue, worker)

    assert (len(delivered.delivered), delivered.failed) == (1, [])
