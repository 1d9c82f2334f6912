"""The act step in dry-run for every automatic check (plans recorded, nothing that mutates called), and a
change AWS refuses for want of permission (a FAILED ticket, not a crash)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from remediation_estates import Estate

from vpce_guard.accounts import Accounts
from vpce_guard.aws import AwsSession
from vpce_guard.checks import CHECKS
from vpce_guard.decisions import GuardConfig
from vpce_guard.pipeline import Pipeline
from vpce_guard.snapshot import Scope
from vpce_guard.state import StateStore
from vpce_guard.vocabulary import Status
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

AUTOMATIC = tuple(check_id for check_id, check in CHECKS.items() if check.automatic)
MUTATING = ("Modify", "Authorize", "Revoke", "Create", "Delete", "Associate", "Disassociate", "Replace")


@pytest.mark.parametrize("check_id", AUTOMATIC)
def test_dry_run_records_a_plan_and_calls_nothing_that_mutates(
    check_id: str, aws_env: Emulator, ec2: Any, state_table: str
) -> None:
    estate = Estate(ec2)
    planted = estate.plant(check_id)
    session = AwsSession(REGION, endpoint_url=aws_env.url)
    store = StateStore(session.client("dynamodb"), state_table)
    config = GuardConfig.from_toml(f'dry_run = true\norg_id = "o-a1b2c3d4e5"\n[modes]\n{check_id} = "enforce"\n')

    Pipeline(Accounts(lambda region: session), store, config).evaluate(estate.account, Scope(REGION, (planted.vpc_id,)))

    ec2_calls = [operation for operation in session.counter.calls if not operation.startswith("Describe")]
    assert [op for op in ec2_calls if op.startswith(MUTATING)] == []
    assert [(c.check_id, c.status) for c in store.changes() if c.check_id == check_id] == [(check_id, "PLANNED")]


class _Refused(AwsSession):
    """A session whose ModifyVpcEndpoint AWS refuses, as for a role lacking the permission."""

    def client(self, service: str) -> Any:
        client = super().client(service)
        client.meta.events.register("before-call.ec2.ModifyVpcEndpoint", _refuse, unique_id="refuse-modify")
        return client


def _refuse(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
    error = {"Code": "UnauthorizedOperation", "Message": "You are not authorized to perform this operation."}
    return AWSResponse("https://ec2", 403, {}, None), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 403}}


def test_a_change_refused_for_want_of_permission_is_a_failed_ticket_with_the_error(
    aws_env: Emulator, ec2: Any, state_table: str
) -> None:
    estate = Estate(ec2)
    planted = estate.plant("private-dns-disabled")
    session = _Refused(REGION, endpoint_url=aws_env.url)
    store = StateStore(session.client("dynamodb"), state_table)
    config = GuardConfig.from_toml('[modes]\nprivate-dns-disabled = "enforce"\n')

    Pipeline(Accounts(lambda region: session), store, config).evaluate(estate.account, Scope(REGION, (planted.vpc_id,)))

    (record,) = [r for r in store.records(estate.account, REGION) if r.key == (planted.resource_id, planted.check_id)]
    (change,) = store.changes()
    assert record.status is Status.FAILED
    assert "UnauthorizedOperation" in (change.error or "")
