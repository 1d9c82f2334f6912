"""The scheduled sweep at organization scale: one job per (account, region), fanned out through a queue.

The sweep function lists the accounts (a hub: the organization's active accounts; otherwise its own) and the
configured regions and sends one job per pair to the sweep queue. Workers take one job per invocation, at
most as many at once as the queue's event source allows, so each job is one region-wide evaluation (about a
hundred describes even for thousands of endpoints: seconds, far inside a Lambda's time limit) and a
500-account organization is throttled by the concurrency limit, not by a single function's clock. A job that
fails (throttling that outlasted the SDK's backoff, a member role that cannot be assumed) goes back to the
queue on its own and comes round again after the visibility timeout, the others untouched; after the queue's
receive limit it lands in the dead-letter queue, which has an alarm.

Each job's outcome is kept in the state table (``SweepLedger``): ``pk`` = ``sweep#<sweep id>``, ``sk`` =
``<account>#<region>``, overwritten by a retry, so ``vpce-guard sweeps`` reports every account and region
of a sweep as it last stood. No ``gsi1pk``: the items are no findings to any reader (``StateStore``, the
stream filter). Kept for 30 days.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from vpce_guard.aws import AwsSession
from vpce_guard.collect import CALL_ERRORS, CollectionError

SWEEP_PREFIX = "sweep#"
SWEEP_HISTORY = timedelta(days=30)
MESSAGES_PER_BATCH = 10  # SendMessageBatch's limit

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class SweepJobError(ValueError):
    """A queue message that is not a sweep job; retrying cannot mend it."""


class SweepQueueError(RuntimeError):
    """Jobs the queue did not take; the sweep fails so that its schedule's retry sends them again."""


@dataclass(frozen=True)
class SweepJob:
    sweep_id: str
    account_id: str
    region: str

    def to_message(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_message(cls, body: str) -> SweepJob:
        try:
            fields = json.loads(body)
            return cls(str(fields["sweep_id"]), str(fields["account_id"]), str(fields["region"]))
        except (ValueError, TypeError, KeyError) as error:
            raise SweepJobError(f"not a sweep job ({type(error).__name__}: {error}): {body[:200]!r}") from None


@dataclass(frozen=True)
class JobResult:
    """How one (account, region) of a sweep went: DONE with its figures, or FAILED with the error."""

    sweep_id: str
    account_id: str
    region: str
    status: str
    attempt: int
    finished_at: str
    findings: int = 0
    state_writes: int = 0
    api_calls: int = 0
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "FAILED"


def sweep_id_for(event_time: str, event_id: str) -> str:
    """A sweep's id: sortable by time, shared by duplicate deliveries of one scheduled event."""
    return f"{event_time}-{event_id[:8]}"


def organization_accounts(session: AwsSession) -> list[str]:
    """The organization's active accounts (suspended and closing ones have nothing left to fix)."""
    try:
        pages = session.client("organizations").get_paginator("list_accounts").paginate()
        return sorted(account["Id"] for page in pages for account in page["Accounts"] if account["Status"] == "ACTIVE")
    except CALL_ERRORS as error:
        raise CollectionError("ListAccounts", session.region, error) from error


def jobs_for(sweep_id: str, account_ids: Iterable[str], regions: Sequence[str]) -> list[SweepJob]:
    return [SweepJob(sweep_id, account_id, region) for account_id in account_ids for region in regions]


def send_jobs(session: AwsSession, queue_url: str, jobs: Sequence[SweepJob]) -> None:
    """Every job onto the queue, ten to a call; the ones the queue turned away are named in the error."""
    sqs = session.client("sqs")
    refused: list[str] = []
    for start in range(0, len(jobs), MESSAGES_PER_BATCH):
        batch = jobs[start : start + MESSAGES_PER_BATCH]
        entries = [{"Id": str(index), "MessageBody": job.to_message()} for index, job in enumerate(batch)]
        try:
            answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        except CALL_ERRORS as error:
            raise CollectionError("SendMessageBatch", session.region, error) from error
        refused += [
            f"{batch[int(failure['Id'])].account_id}/{batch[int(failure['Id'])].region}: {failure.get('Code')}"
            for failure in answer.get("Failed", [])
        ]
    if refused:
        raise SweepQueueError(f"the sweep queue refused {len(refused)} job(s): {', '.join(refused)}")


class SweepLedger:
    """The per-account results of sweeps, in the state table (see the module docstring)."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def put(self, result: JobResult) -> None:
        finished = datetime.fromisoformat(result.finished_at)
        item = {
            "pk": f"{SWEEP_PREFIX}{result.sweep_id}",
            "sk": f"{result.account_id}#{result.region}",
            "result": json.dumps(asdict(result), sort_keys=True),
            "expires_at": int((finished + SWEEP_HISTORY).timestamp()),
        }
        self._dynamodb.put_item(
            TableName=self._table, Item={name: _serializer.serialize(value) for name, value in item.items()}
        )

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


def _results(items: Iterable[dict[str, Any]]) -> Iterator[JobResult]:
    now = datetime.now(UTC).timestamp()
    for item in items:
        raw = {name: _deserializer.deserialize(value) for name, value in item.items()}
        if int(raw["expires_at"]) > now:
            yield JobResult(**json.loads(raw["result"]))
