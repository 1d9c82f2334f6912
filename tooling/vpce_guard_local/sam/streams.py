"""``vpce-guard local drain``: DynamoDB stream records delivered to their function the way Lambda's event
source mapping delivers them, from the emulator's stream (DynamoDB Streams GetShardIterator and GetRecords).

For each stream event source of the local stack (``LocalStreamSource``, from the template):

- the records after the last one delivered (the first drain starts at the trim horizon, as the template's
  StartingPosition says) are read, given the shape Lambda gives them (``eventSourceARN``, the creation time
  in epoch seconds, the table's region) and delivered in order, ``BatchSize`` at a time, to the function,
  run locally as ``local send`` runs functions;
- a reply with ``batchItemFailures`` (ReportBatchItemFailures) moves the position to the first failed record,
  and the next batch starts there; a function error retries the batch, first split in halves when
  BisectBatchOnFunctionError is on;
- after MaximumRetryAttempts retries of one batch (10 when the template sets no limit), the batch is given up:
  a description of it (shard, first and last sequence numbers), in Lambda's on-failure record shape, goes to
  the mapping's OnFailure queue, and delivery goes on after it;
- records written while draining (the function's own writes) are read in a next round, until a round finds
  none.

Positions are kept beside the stack file (``<stack file>-streams.json``), so each drain delivers only what is
new. Lambda's FilterCriteria are not applied here: the functions ignore what the filters would spare them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vpce_guard.aws import CALL_ERRORS
from vpce_guard_local.sam.deploy import EmulatorClients, require_loopback
from vpce_guard_local.sam.runtime import Container, Invocation
from vpce_guard_local.sam.stack import LocalRunError, LocalStack, LocalStreamSource

UNLIMITED_RETRIES_LOCALLY = 10
MAX_ROUNDS = 10


@dataclass
class DrainReport:
    """What a drain did: every invocation, the records read, and the batches given up."""

    invocations: list[Invocation] = field(default_factory=list)
    records: int = 0
    given_up: list[dict[str, Any]] = field(default_factory=list)


def positions_file(stack_file: Path) -> Path:
    return stack_file.with_name(f"{stack_file.stem}-streams.json")


def drain(stack: LocalStack, positions: Path) -> DrainReport:
    """Deliver every new record of the stack's streams to their functions (see the module docstring)."""
    require_loopback(stack.endpoint_url)
    if not stack.stream_sources:
        raise LocalRunError("the local stack has no DynamoDB stream event source: run `vpce-guard local up` again")
    clients = EmulatorClients(stack.endpoint_url, stack.region)
    kept = _read_positions(positions)
    report = DrainReport()
    try:
        for source in stack.stream_sources.values():
            function = stack.functions.get(source.function)
            if function is None:
                raise LocalRunError(f"the local stack has no function {source.function}: run `vpce-guard local up`")
            with Container(stack, function) as container:
                for _ in range(MAX_ROUNDS):
                    after = {
                        key.rpartition("|")[2]: value
                        for key, value in kept.items()
                        if key.startswith(f"{source.stream_arn}|")
                    }
                    shards = stream_records(clients("dynamodbstreams"), source.stream_arn, stack.region, after)
                    if not shards:
                        break
                    for shard_id, records in shards.items():
                        report.records += len(records)
                        _Delivery(clients, source, shard_id, container, report).run(records)
                        kept[_position_key(source, shard_id)] = str(records[-1]["dynamodb"]["SequenceNumber"])
                        _write_positions(positions, kept)
    except CALL_ERRORS as error:
        raise LocalRunError(
            f"the emulator at {stack.endpoint_url} failed to serve the stream ({error}): is it still the one "
            "`vpce-guard local up` deployed to?"
        ) from error
    return report


def lambda_record(record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A GetRecords record as Lambda hands it to a function: with the stream's ARN, the table's region and
    the creation time in epoch seconds."""
    delivered: dict[str, Any] = json.loads(json.dumps(record, default=_timestamp))
    delivered["eventSourceARN"] = stream_arn
    delivered["awsRegion"] = region
    return delivered


@dataclass
class _Delivery:
    clients: EmulatorClients
    source: LocalStreamSource
    shard_id: str
    container: Container
    report: DrainReport

    def run(self, records: list[dict[str, Any]]) -> None:
        start = 0
        while start < len(records):
            batch = records[start : start + self.source.batch_size]
            start += self._deliver(batch)

    def _deliver(self, batch: list[dict[str, Any]], attempt: int = 0) -> int:
        """Deliver ``batch`` until it succeeds or is given up; how many of its records are done."""
        invocation = self.container.invoke({"Records": batch}, self.source.logical_id)
        self.report.invocations.append(invocation)
        if invocation.ok:
            failed = _failed_sequence_numbers(invocation.result) if self.source.report_batch_item_failures else []
            first_failed = next((i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed), None)
            if first_failed is None:
                return len(batch)
            if first_failed > 0:
                return first_failed  # the records before the failure are done; the next batch starts there
        elif self.source.bisect_on_error and len(batch) > 1:
            half = len(batch) // 2
            done = self._deliver(batch[:half], attempt)
            return done if done < half else half + self._deliver(batch[half:], attempt)
        if attempt >= self._retry_limit:
            self._give_up(batch, attempt + 1, invocation)
            return len(batch)
        return self._deliver(batch, attempt + 1)

    @property
    def _retry_limit(self) -> int:
        limit = self.source.maximum_retry_attempts
        return UNLIMITED_RETRIES_LOCALLY if limit < 0 else limit

    def _give_up(self, batch: list[dict[str, Any]], invocations: int, last: Invocation) -> None:
        """Lambda's on-failure record for a stream batch: what to replay, not the records themselves."""
        description = {
            "requestContext": {
                "requestId": last.request_id,
                "functionArn": self.container.function.arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled" if last.error is not None else "",
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": self.shard_id,
                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _arrival(batch[0]),
                "approximateArrivalOfLastRecord": _arrival(batch[-1]),
                "batchSize": len(batch),
                "streamArn": self.source.stream_arn,
            },
        }
        self.report.given_up.append(description)
        if self.source.on_failure_queue_url:
            self.clients("sqs").send_message(
                QueueUrl=self.source.on_failure_queue_url, MessageBody=json.dumps(description)
            )


def stream_records(
    streams: Any, stream_arn: str, region: str, after: Mapping[str, str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The records of each shard of a stream as Lambda would hand them over (``lambda_record``), after the
    sequence number ``after`` gives for the shard (from the trim horizon without one); shards with no new
    record are left out. ``streams`` is a DynamoDB Streams client."""
    description = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]
    found: dict[str, list[dict[str, Any]]] = {}
    for shard in description.get("Shards", []):
        last = (after or {}).get(shard["ShardId"])
        position = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
            if last
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"], **position)
        next_iterator = iterator.get("ShardIterator")
        records: list[dict[str, Any]] = []
        while next_iterator:
            page = streams.get_records(ShardIterator=next_iterator, Limit=1000)
            if not page["Records"]:
                break
            records += [lambda_record(record, stream_arn, region) for record in page["Records"]]
            next_iterator = page.get("NextShardIterator")
        if records:
            found[shard["ShardId"]] = records
    return found


def _position_key(source: LocalStreamSource, shard_id: str) -> str:
    return f"{source.stream_arn}|{shard_id}"


def _failed_sequence_numbers(result: Any) -> list[str]:
    failures = result.get("batchItemFailures", []) if isinstance(result, Mapping) else []
    return [str(failure.get("itemIdentifier")) for failure in failures if isinstance(failure, Mapping)]


def _arrival(record: Mapping[str, Any]) -> str:
    seconds = record["dynamodb"].get("ApproximateCreationDateTime", 0)
    return datetime.fromtimestamp(float(seconds), UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _timestamp(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    raise TypeError(f"{type(value).__name__} is not JSON")


def _read_positions(path: Path) -> dict[str, str]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise LocalRunError(f"cannot read the stream positions {path}: {error}; delete it to start over") from error
    return {str(key): str(value) for key, value in raw.items()} if isinstance(raw, dict) else {}


def _write_positions(path: Path, positions: Mapping[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(positions), indent=2) + "\n", encoding="utf-8")
