"""Sweep jobs: their messages, and how they are queued when the queue turns some away."""

from __future__ import annotations

from typing import Any

import pytest

from vpce_guard import sweep
from vpce_guard.sweep import SweepJob, SweepJobError, SweepQueueError, jobs_for, send_jobs, sweep_id_for

JOBS = jobs_for("2026-11-22T03:00:00Z-edc28211", [f"1111222233{n:02d}" for n in range(12)], ["us-east-1"])


class Queue:
    """An SQS client that turns away the entries ``refuse`` picks, call after call."""

    def __init__(self, refuse: Any) -> None:
        self.refuse = refuse
        self.calls: list[list[str]] = []
        self.accepted: list[str] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self.calls.append([entry["Id"] for entry in Entries])
        failed = [entry for entry in Entries if self.refuse(len(self.calls), entry)]
        self.accepted += [entry["MessageBody"] for entry in Entries if entry not in failed]
        return {"Failed": [{"Id": entry["Id"], "Code": "InternalError"} for entry in failed]}


class Session:
    region = "us-east-1"

    def __init__(self, queue: Queue) -> None:
        self.queue = queue

    def client(self, service: str) -> Queue:
        return self.queue


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep, "SEND_BACKOFF_SECONDS", 0)


def test_jobs_go_ten_to_a_call() -> None:
    queue = Queue(lambda call, entry: False)

    send_jobs(Session(queue), "url", JOBS)  # type: ignore[arg-type]

    assert [len(call) for call in queue.calls] == [10, 2]
    assert sorted(queue.accepted) == sorted(job.to_message() for job in JOBS)


def test_entries_turned_away_are_sent_again_on_their_own() -> None:
    queue = Queue(lambda call, entry: call == 1 and entry["Id"] in ("3", "7"))

    send_jobs(Session(queue), "url", JOBS)  # type: ignore[arg-type]

    assert queue.calls[:2] == [[str(n) for n in range(10)], ["3", "7"]]
    assert sorted(queue.accepted) == sorted(job.to_message() for job in JOBS)


def test_entries_still_refused_are_named_and_the_others_queued() -> None:
    queue = Queue(lambda call, entry: entry["Id"] == "0")

    with pytest.raises(SweepQueueError, match=r"refused 2 job\(s\): 111122223300/us-east-1: InternalError"):
        send_jobs(Session(queue), "url", JOBS)  # type: ignore[arg-type]

    assert len(queue.accepted) == len(JOBS) - 2


def test_a_job_names_its_sweep_account_and_region() -> None:
    job = SweepJob(sweep_id_for("2026-11-22T03:00:00Z", "edc28211-6850-460b"), "111122223333", "eu-west-1")

    assert SweepJob.from_message(job.to_message()) == job
    assert job.sweep_id == "2026-11-22T03:00:00Z-edc28211"


@pytest.mark.parametrize("body", ["not json", "[]", '{"account_id": "1"}', '{"sweep_id": 1}'])
def test_a_message_that_is_no_job_is_refused_with_what_it_holds(body: str) -> None:
    with pytest.raises(SweepJobError, match="not a sweep job"):
        SweepJob.from_message(body)
