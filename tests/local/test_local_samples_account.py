"""The samples run as they are: ``local send`` sends a sample of the samples' account as the stack's own
account's, and the sweep sweeps the account it runs in, whatever account its schedule's event names."""

from __future__ import annotations

import pytest
from local_story import build_story, story_event

from vpce_guard.state import StateStore
from vpce_guard.sweep import SweepLedger
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.sam.queues import drain_queues
from vpce_guard_local.sam.router import route, send
from vpce_guard_local.sam.stack import LocalStack
from vpce_guard_local.samples import SAMPLE_ACCOUNT, load_event

pytestmark = pytest.mark.server


def test_a_sample_of_the_samples_account_is_delivered_as_the_stacks_own(local_stack: LocalStack) -> None:
    (delivery,) = route(local_stack, load_event("cloudtrail-modify-vpc-endpoint"))

    assert delivery.event["account"] == delivery.event["detail"]["recipientAccountId"] == local_stack.account_id
    assert SAMPLE_ACCOUNT not in str(delivery.event)


def test_a_sample_event_as_it_is_is_evaluated_in_the_stacks_own_account(
    local_stack: LocalStack, aws_env: Emulator
) -> None:
    story = build_story(aws_env.client("ec2"), local_stack.region, local_stack.account_id)
    resources = {sample: built for sample, built in story.items() if sample != SAMPLE_ACCOUNT}

    (invocation,) = send(local_stack, story_event("cloudtrail-create-vpc-endpoint-interface", resources))

    assert invocation.ok, invocation.error
    assert invocation.result["account_id"] == local_stack.account_id
    assert invocation.result["changes"]["opened"]


def test_the_sample_schedule_sweeps_the_stacks_own_account_and_no_other(
    local_stack: LocalStack, aws_env: Emulator
) -> None:
    (sweep,) = send(local_stack, load_event("schedule-sweep"))
    jobs = drain_queues(local_stack)

    table = local_stack.physical_id("StateTable")
    results = SweepLedger(aws_env.client("dynamodb"), table).results()
    assert (sweep.result["accounts"], sweep.result["jobs"]) == (1, 1)
    assert [job.result for job in jobs] == [{"batchItemFailures": []}]
    assert [(result.account_id, result.status) for result in results] == [(local_stack.account_id, "DONE")]
    assert StateStore(aws_env.client("dynamodb"), table).records(SAMPLE_ACCOUNT, local_stack.region) == []
