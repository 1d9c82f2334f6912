"""The scheduled sweep at organization scale: one job per (account, region), fanned out through a queue.

The sweep function lists the accounts (a hub: its own, and the active accounts of the organizational units
the member stacks are deployed to; otherwise its own) and the configured regions, and sends one job per pair
to the sweep queue. Workers take one job per invocation, at most as many at once as the queue's event source
allows, so each job is one region-wide evaluation (about a hundred describes even for thousands of
endpoints: seconds, far inside a Lambda's time limit) and a 500-account organization is throttled by the
concurrency limit, not by a single function's clock. A job that fails (throttling that outlasted the SDK's
backoff, a member role that cannot be assumed) goes back to the queue on its own and comes round again after
the visibility timeout, the others untouched; after the queue's receive limit it lands in the dead-letter
queue, which has an alarm.

Each job's outcome is kept in the state table (``SweepLedger``): ``pk`` = ``sweep#<sweep id>``, ``sk`` =
``<account>#<region>``, PENDING from before the job is queued, then DONE or FAILED, overwritten by a retry,
so ``vpce-guard sweeps`` reports every account and region of a sweep as it last stood, those never heard
from included. No ``gsi1pk``: the items are no findings to any reader (``StateStore``, the
stream filter). Kept for 30 days.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import msgspec
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from vpce_guard import identifiers, schemas
from vpce_guard.aws import CALL_ERRORS, AwsSession, CollectionError
from vpce_guard.vocabulary import JobStatus, scope_key

SWEEP_PREFIX = "sweep#"
SWEEP_HISTORY = timedelta(days=30)
MESSAGES_PER_BATCH = 10  # SendMessageBatch's limit
ITEMS_PER_WRITE = 25  # BatchWriteItem's limit
SEND_ATTEMPTS = 4
SEND_BACKOFF_SECONDS = 0.2
SWEEP_ID = re.compile(r"[0-9A-Za-z:.+_-]{1,100}")  # what sweep_id_for makes of a scheduled event's time and id

T = TypeVar("T")
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class SweepJobError(ValueError):
    """A queue message that is not a sweep job; retrying cannot mend it."""


class SweepQueueError(RuntimeError):
    """Jobs the queue did not take; the sweep fails so that its schedule's retry sends them again."""


class SweepJob(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One account and region of a sweep, validated wherever it is made or read: a job names a real account id
    and a Region its partition knows, so a worker never assumes a role or calls an endpoint on a malformed one."""

    sweep_id: str
    account_id: str
    region: str

    def __post_init__(self) -> None:
        if not (isinstance(self.sweep_id, str) and SWEEP_ID.fullmatch(self.sweep_id)):
            raise ValueError("sweep_id is not 1 to 100 letters, digits or ':.+_-'")
        schemas.check_fields(self, account_id=identifiers.account_id, region=identifiers.region)

    def to_message(self) -> str:
        """The job's fields as a JSON object, keys sorted as every version wrote them: a job queued before a
        deployment reads after it."""
        return msgspec.json.encode(self, order="sorted").decode()

    @classmethod
    def from_message(cls, body: str) -> SweepJob:
        try:
            return msgspec.json.decode(body, type=cls)
        except msgspec.DecodeError as error:
            problem = schemas.problem(error, "the message")
        raise SweepJobError(f"not a sweep job ({problem}): {body[:200]!r}")


class JobResult(msgspec.Struct, frozen=True):
    """How one (account, region) of a sweep went: DONE with its figures, or FAILED with the error."""

    sweep_id: str
    account_id: str
    region: str
    status: str  # a JobStatus
    attempt: int
    updated_at: str
    findings: int = 0
    state_writes: int = 0
    api_calls: int = 0
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == JobStatus.FAILED

    @property
    def done(self) -> bool:
        return self.status == JobStatus.DONE


def sweep_id_for(event_time: str, event_id: str) -> str:
    """A sweep's id: sortable by time, shared by duplicate deliveries of one scheduled event."""
    return f"{event_time}-{event_id[:8]}"


def member_accounts(session: AwsSession, unit_ids: Sequence[str]) -> list[str]:
    """The active accounts where the member stacks are: in the organizational units and the units under
    them, less the management account (service-managed StackSets never deploy there)."""
    organizations = session.client("organizations")
    found: set[str] = set()
    pending = list(unit_ids)
    try:
        management = organizations.describe_organization()["Organization"]["MasterAccountId"]
        while pending:
            parent = pending.pop()
            for page in organizations.get_paginator("list_accounts_for_parent").paginate(ParentId=parent):
                found.update(account["Id"] for account in page["Accounts"] if account["Status"] == "ACTIVE")
            for page in organizations.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent):
                pending.extend(unit["Id"] for unit in page["OrganizationalUnits"])
    except CALL_ERRORS as error:
        raise CollectionError("ListAccountsForParent", session.region, error, service="organizations") from error
    return sorted(found - {management})


def jobs_for(sweep_id: str, account_ids: Iterable[str], regions: Sequence[str]) -> list[SweepJob]:
    return [SweepJob(sweep_id, account_id, region) for account_id in account_ids for region in regions]


def send_jobs(session: AwsSession, queue_url: str, jobs: Sequence[SweepJob]) -> None:
    """Every job onto the queue, ten to a call; the entries a call turns away are sent again (with backoff, a
    few times) on their own, and those still refused are named in the error, so that a retry of the sweep
    is the exception, not the rule (it would queue every job again)."""
    sqs = session.client("sqs")
    codes: dict[SweepJob, str] = {}

    def send(entries: list[tuple[int, SweepJob]]) -> list[tuple[int, SweepJob]]:
        """The entries the call turned away, each keeping its id within its batch."""
        batch = dict(entries)
        try:
            answer = sqs.send_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(index), "MessageBody": job.to_message()} for index, job in entries],
            )
        except CALL_ERRORS as error:
            raise CollectionError("SendMessageBatch", session.region, error, service="sqs") from error
        failed = [(int(failure["Id"]), failure.get("Code", "")) for failure in answer.get("Failed", [])]
        codes.update((batch[index], code) for index, code in failed)
        return [(index, batch[index]) for index, _ in failed]

    refused = [
        job
        for start in range(0, len(jobs), MESSAGES_PER_BATCH)
        for _, job in until_taken(send, list(enumerate(jobs[start : start + MESSAGES_PER_BATCH])))
    ]
    if refused:
        named = ", ".join(f"{job.account_id}/{job.region}: {codes[job]}" for job in refused)
        raise SweepQueueError(f"the sweep queue refused {len(refused)} job(s): {named}")


def until_taken(send: Callable[[list[T]], list[T]], items: list[T]) -> list[T]:
    """``send`` the items, then those it turned away again, with backoff, a few times; those still turned away
    (the sweep's queue batches, and the state table's batch reads and writes)."""
    for attempt in range(SEND_ATTEMPTS):
        if attempt:
            time.sleep(SEND_BACKOFF_SECONDS * 2 ** (attempt - 1))
        items = send(items)
        if not items:
            break
    return items


class SweepLedger:
    """The per-account results of sweeps, in the state table (see the module docstring)."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def put(self, result: JobResult) -> None:
        self._dynamodb.put_item(TableName=self._table, Item=_item(result))

    def put_pending(self, jobs: Sequence[SweepJob], queued_at: str) -> None:
        """A PENDING result for every job, before the jobs are queued: a job that never reports (a worker that
        timed out or ran out of memory) still shows in the sweep's results as not done."""
        items = [
            _item(JobResult(job.sweep_id, job.account_id, job.region, JobStatus.PENDING, 0, queued_at)) for job in jobs
        ]

        def write(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
            answer = self._dynamodb.batch_write_item(RequestItems={self._table: requests})
            unprocessed: list[dict[str, Any]] = answer.get("UnprocessedItems", {}).get(self._table, [])
            return unprocessed

        for start in range(0, len(items), ITEMS_PER_WRITE):
            requests = [{"PutRequest": {"Item": item}} for item in items[start : start + ITEMS_PER_WRITE]]
            unwritten = until_taken(write, requests)
            if unwritten:
                raise SweepQueueError(f"the state table took {len(items) - len(unwritten)} of {len(items)} sweep jobs")

    def results(self, sweep_id: str | None = None) -> list[JobResult]:
        """A sweep's results by account and region; without an id, the latest sweep's (a scan: for people)."""
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="begins_with(pk, :prefix)",
            ExpressionAttributeValues={":prefix": {"S": f"{SWEEP_PREFIX}{sweep_id or ''}"}},
        )
        found = list(_results(item for page in pages for item in page["Items"]))
        latest = sweep_id or max((result.sweep_id for result in found), default=None)
        return sorted(
            (result for result in found if result.sweep_id == latest),
            key=lambda result: (result.account_id, result.region),
        )


def _item(result: JobResult) -> dict[str, Any]:
    updated = datetime.fromisoformat(result.updated_at)
    item = {
        "pk": f"{SWEEP_PREFIX}{result.sweep_id}",
        "sk": scope_key(result.account_id, result.region),
        "result": json.dumps(msgspec.structs.asdict(result), sort_keys=True),
        "expires_at": int((updated + SWEEP_HISTORY).timestamp()),
    }
    return {name: _serializer.serialize(value) for name, value in item.items()}


def _results(items: Iterable[dict[str, Any]]) -> Iterator[JobResult]:
    now = datetime.now(UTC).timestamp()
    for item in items:
        raw = {name: _deserializer.deserialize(value) for name, value in item.items()}
        if int(raw["expires_at"]) > now:
            yield JobResult(**json.loads(raw["result"]))
