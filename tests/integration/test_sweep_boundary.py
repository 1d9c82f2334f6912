"""The sweep's boundary, as Lambda runs it against the emulator: the sweep sweeps the account it runs in, and
the worker drops a job that is no job, with no AWS call."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vpce_guard.sweep import SweepJob
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.samples import SAMPLE_ACCOUNT, load_event

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"  # the emulator's default account, the one the functions run in


@pytest.fixture
def queue_url(aws_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> str:
    url: str = aws_env.client("sqs", REGION).create_queue(QueueName="sweep-jobs")["QueueUrl"]
    monkeypatch.setenv("SWEEP_QUEUE_URL", url)
    return url


def job_record(body: str) -> dict[str, Any]:
    """One SQS record, as the worker's event source hands it over."""
    return {
        "messageId": "9f0b3c1e-0000-4000-8000-000000000001",
        "receiptHandle": "handle",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:sweep-jobs",
        "awsRegion": REGION,
    }


def test_the_sample_schedule_sweeps_the_functions_own_account_not_the_one_the_event_names(
    handler_of: Any, aws_env: Emulator, queue_url: str
) -> None:
    event = load_event("schedule-sweep")

    fanned_out = handler_of("sweep")(event)

    messages = aws_env.client("sqs", REGION).receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert event["account"] == SAMPLE_ACCOUNT
    assert (fanned_out["accounts"], fanned_out["jobs"]) == (1, 1)
    assert [SweepJob.from_message(message["Body"]).account_id for message in messages] == [ACCOUNT]


@pytest.mark.parametrize(
    "fields",
    [
        {"sweep_id": "s1", "account_id": "999", "region": REGION},
        {"sweep_id": "s1", "account_id": ACCOUNT, "region": "not a region!"},
        {"sweep_id": "s1", "account_id": ACCOUNT},
    ],
)
def test_a_job_that_is_no_job_is_dropped_with_no_aws_call(
    handler_of: Any, aws_env: Emulator, queue_url: str, fields: dict[str, str]
) -> None:
    worker = handler_of("sweep_worker")
    aws_env.clear_recorded_calls()

    reply = worker({"Records": [job_record(json.dumps(fields))]})

    assert reply == {"batchItemFailures": []}
    assert aws_env.recorded_calls() == []
