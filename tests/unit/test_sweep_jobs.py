"""Sweep jobs: their messages, validated by a declared model, and how they are queued when the queue turns some
away."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vpce_guard import identifiers, sweep
from vpce_guard.identifiers import known_regions
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


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("account_id", "999", "the message: account_id '999' is not an AWS account id"),
        ("account_id", " ", "the message: account_id ' ' is not an AWS account id"),
        ("account_id", 111122223333, "account_id: Expected `str`, got `int`"),
        ("region", "not a region!", "the message: region 'not a region!' is not a known AWS region"),
        ("sweep_id", "", "the message: sweep_id is not 1 to 100 letters, digits or ':.+_-'"),
        ("sweep_id", "a#b", "the message: sweep_id is not 1 to 100 letters, digits or ':.+_-'"),
        ("queue", "other", "the message: Object contains unknown field `queue`"),
    ],
)
def test_a_job_with_a_wrong_field_is_refused_naming_the_field(field: str, value: Any, named: str) -> None:
    body = json.loads(JOBS[0].to_message()) | {field: value}

    with pytest.raises(SweepJobError, match=re.escape(named)):
        SweepJob.from_message(json.dumps(body))


def test_a_job_queued_by_the_version_before_reads_after_a_deployment() -> None:
    """Those messages were the job's fields through json.dumps, keys sorted."""
    fields = {"sweep_id": "2026-11-22T03:00:00Z-edc28211", "account_id": "111122223333", "region": "us-east-1"}

    assert SweepJob.from_message(json.dumps(fields, sort_keys=True)) == SweepJob(**fields)


@pytest.mark.parametrize(
    ("sweep_id", "account_id", "said"),
    [
        ("2026-11-22T03:00:00Z-edc28211", "x", "account_id 'x' is not an AWS account id"),
        ("2026-11-22T03:00:00Z#edc28211", "111122223333", "sweep_id is not 1 to 100 letters, digits or ':.+_-'"),
    ],
)
def test_a_job_with_a_wrong_field_cannot_be_made(sweep_id: str, account_id: str, said: str) -> None:
    with pytest.raises(ValueError, match=re.escape(said)):
        SweepJob(sweep_id, account_id, "us-east-1")


SWEEP_IDS = st.from_regex(r"[0-9A-Za-z:.+_-]{1,100}", fullmatch=True)
ACCOUNT_IDS = st.from_regex(r"[0-9]{12}", fullmatch=True)
REGIONS = st.sampled_from(sorted(known_regions()))


@settings(max_examples=100)
@given(sweep_id=SWEEP_IDS, account_id=ACCOUNT_IDS, region=REGIONS)
def test_every_valid_job_reads_back_as_itself(sweep_id: str, account_id: str, region: str) -> None:
    job = SweepJob(sweep_id, account_id, region)

    assert SweepJob.from_message(job.to_message()) == job


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=10,
)


@settings(max_examples=200)
@given(
    body=st.one_of(
        st.text(max_size=60),
        JSON.map(json.dumps),
        st.fixed_dictionaries({"sweep_id": JSON, "account_id": JSON, "region": JSON}).map(json.dumps),
    )
)
def test_any_message_is_a_valid_job_or_refused_as_no_job(body: str) -> None:
    try:
        job: SweepJob | SweepJobError = SweepJob.from_message(body)
    except SweepJobError as error:
        job = error

    if isinstance(job, SweepJob):
        assert identifiers.account_id(job.account_id) == job.account_id
        assert identifiers.region(job.region) == job.region
    else:
        assert str(job).startswith("not a sweep job (")
