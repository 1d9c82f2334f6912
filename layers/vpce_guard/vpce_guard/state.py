"""The state table: one record per (account, region, resource, check), written only when something changed.

Keys (``vpce_guard.vocabulary``): ``pk`` = ``<account>#<region>#<resource>``, ``sk`` = the check id; the
``by-scope`` index (``gsi1pk`` = ``<account>#<region>``, ``gsi1sk`` = ``<vpc>#<resource>#<check>``) finds every
record of a region or of a VPC, so an evaluation can tell which open findings stopped firing.

Rules:
- a run that changes nothing writes nothing (a record is rewritten only when its finding's content or its
  status changes);
- every write is conditional on the record not having been written from newer facts (``observed_at`` is
  when the facts were read) and on its content or status really changing, so a read of the index that lags
  behind a write (the index is eventually consistent) cannot write, or announce, a change twice;
- an evaluation triggered by a change first claims its VPCs (a marker item per VPC, ``sk`` = ``#evaluated``,
  holding the newest facts' time), and every record write checks the marker in the same transaction: an
  evaluation whose facts are older than one already done for that VPC writes nothing there, even where the
  newer one had nothing to write;
- a finding that stops firing becomes RESOLVED, with ``expires_at`` set for the table's TTL. DynamoDB
  deletes expired items late (up to days), so readers ignore them themselves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from vpce_guard.checks import CHECKS
from vpce_guard.findings import Finding
from vpce_guard.remediation.integrity import ChangeSeal
from vpce_guard.sweep import until_taken
from vpce_guard.vocabulary import (
    FINDING_ATTRIBUTE,
    SCOPE_INDEX,
    ChangeStatus,
    Status,
    record_key,
    scope_key,
    scope_sort_key,
)

VPC_MARKER = "#evaluated"
CHANGE_PREFIX = "change#"
LEASE = "#lease"
LEASE_SECONDS = 300
RESOLVED_HISTORY = timedelta(days=90)
KEYS_PER_READ = 100  # BatchGetItem's limit
READ_WORKERS = 8

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class StateReadError(RuntimeError):
    """Records the state table would not return, even when asked again: nothing is resolved on a partial read."""


class Record(msgspec.Struct, frozen=True):
    """A stored finding state; ``finding`` is the finding as last seen (kept when RESOLVED, as history)."""

    account_id: str
    region: str
    resource_id: str
    check_id: str
    vpc_id: str
    status: Status
    severity: str
    first_seen: str
    last_seen: str
    observed_at: int
    digest: str
    finding: Mapping[str, Any]
    expires_at: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.resource_id, self.check_id)

    def stored_finding(self) -> Finding:
        """The finding as the record keeps it; one in another shape (written by hand, or by another tool) is an
        error naming the record, never a finding read half."""
        try:
            return Finding.from_dict(self.finding)
        except (KeyError, TypeError, ValueError) as error:
            cause = f"missing {error}" if isinstance(error, KeyError) else str(error)
            raise StateReadError(
                f"the record of {self.check_id} on {self.resource_id} ({self.account_id} {self.region}) holds a "
                f"finding vpce-guard did not write ({cause}); delete the record, or let the next evaluation "
                "write it again"
            ) from error

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "region": self.region,
            "resource_id": self.resource_id,
            "check_id": self.check_id,
            "vpc_id": self.vpc_id,
            "status": self.status.value,
            "severity": self.severity,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "finding": dict(self.finding),
        }


class Judged(msgspec.Struct, frozen=True):
    """What one evaluation looked at: an account and region, and its VPCs (None: the whole region)."""

    account_id: str
    region: str
    vpc_ids: tuple[str, ...] | None
    observed_at: datetime


class Changes(msgspec.Struct):
    """What one evaluation changed in the state table."""

    opened: list[str] = msgspec.field(default_factory=list)
    updated: list[str] = msgspec.field(default_factory=list)
    resolved: list[str] = msgspec.field(default_factory=list)
    superseded: list[str] = msgspec.field(default_factory=list)
    unchanged: int = 0

    @property
    def writes(self) -> int:
        return len(self.opened) + len(self.updated) + len(self.resolved)

    def to_dict(self) -> dict[str, Any]:
        return {
            "opened": self.opened,
            "updated": self.updated,
            "resolved": self.resolved,
            "superseded": self.superseded,
            "unchanged": self.unchanged,
        }


@dataclass(frozen=True)
class ChangeRecord:
    """One automatic change (or, in dry-run, the change that would have been made): what it called, and the
    resource's configuration before and after, so that it can be rolled back exactly.

    ``planned_calls`` are the plan's calls as boto3 takes them (``ApiCall.to_dict``): with ``before`` they say
    which attributes the change set out to alter, even when it was interrupted (APPLYING, no ``after``).
    ``started_at`` orders the changes of one resource (several may share an evaluation's ``created_at``).
    The last three fields are not part of the record's content: ``document`` is the record as stored and
    ``integrity_tag`` its tag (``remediation.integrity``); ``rolled_back_at`` is set by a rollback, which
    then shows the status as ROLLED_BACK."""

    change_id: str
    account_id: str
    region: str
    resource_id: str
    resource_kind: str
    vpc_id: str
    check_id: str
    status: str  # PLANNED (dry-run), APPLYING, REMEDIATED, FAILED, TICKET_ONLY; ROLLED_BACK once rolled back
    created_at: str
    calls: tuple[str, ...]
    before: Mapping[str, Any]
    after: Mapping[str, Any] | None = None
    error: str | None = None
    planned_calls: tuple[Mapping[str, Any], ...] = ()
    started_at: str | None = None
    preview: Mapping[str, Any] | None = None  # a policy rewrite's proposal, judged (what a person reviews)
    document: str | None = field(default=None, compare=False, repr=False)
    integrity_tag: str | None = field(default=None, compare=False, repr=False)
    rolled_back_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "change_id": self.change_id,
            "account_id": self.account_id,
            "region": self.region,
            "resource_id": self.resource_id,
            "resource_kind": self.resource_kind,
            "vpc_id": self.vpc_id,
            "check_id": self.check_id,
            "status": self.status,
            "created_at": self.created_at,
            "calls": list(self.calls),
            "before": dict(self.before),
            "after": dict(self.after) if self.after is not None else None,
            "error": self.error,
            "planned_calls": [dict(call) for call in self.planned_calls],
            "started_at": self.started_at,
            "preview": dict(self.preview) if self.preview is not None else None,
        }

    @property
    def order(self) -> tuple[str, str]:
        """Sorts the changes of one resource oldest first."""
        return (self.started_at or self.created_at, self.change_id)


class StateStore:
    def __init__(self, dynamodb: Any, table_name: str, seal: ChangeSeal | None = None) -> None:
        """``seal`` tags the change records written (the acting functions'); without it they carry no tag,
        and a rollback refuses them."""
        self.dynamodb = dynamodb
        self.table_name = table_name
        self.seal = seal

    def records(
        self, account_id: str, region: str, vpc_ids: Sequence[str] | None = None, *, unresolved_only: bool = False
    ) -> list[Record]:
        """The live records of a region, or of some of its VPCs (expired history is left out); with
        ``unresolved_only``, the table leaves out resolved and remediated ones before they are read."""
        partition = scope_key(account_id, region)
        if vpc_ids is None:
            return list(self._query_index(partition, None, unresolved_only))
        return [
            record
            for vpc_id in sorted(set(vpc_ids))
            for record in self._query_index(partition, f"{vpc_id}#", unresolved_only)
        ]

    def all_records(self) -> list[Record]:
        """Every live record of the table, every account and region (for people: a scan reads it all)."""
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=self.table_name)
        return sorted(
            (record for page in pages for record in self._live(page["Items"])),
            key=lambda record: (record.account_id, record.region, record.vpc_id, record.resource_id, record.check_id),
        )

    def records_of(self, account_id: str, region: str, resource_ids: Iterable[str]) -> list[Record]:
        """The live records of resources, whatever their VPC (a deleted one's is unknown by then): read by key,
        one per resource and check, ``KEYS_PER_READ`` keys to a BatchGetItem call and ``READ_WORKERS`` calls at
        a time, so that a call naming a thousand endpoints costs a hundred reads, not a thousand queries."""
        keys = [
            {"pk": {"S": record_key(account_id, region, resource_id)}, "sk": {"S": check_id}}
            for resource_id in sorted(set(resource_ids))
            for check_id in CHECKS
        ]

        def read(batch: list[dict[str, Any]]) -> list[Mapping[str, Any]]:
            items: list[Mapping[str, Any]] = []

            def get(pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
                """Read ``pending``; the keys left unprocessed (throughput, or the 16 MB answer limit)."""
                answer = self.dynamodb.batch_get_item(
                    RequestItems={self.table_name: {"Keys": pending, "ConsistentRead": True}}
                )
                items.extend(answer["Responses"].get(self.table_name, []))
                left: dict[str, Any] = answer.get("UnprocessedKeys", {}).get(self.table_name, {})
                return list(left.get("Keys", []))

            unread = until_taken(get, batch)
            if unread:
                raise StateReadError(f"the state table left {len(unread)} record(s) of {account_id} {region} unread")
            return items

        batches = [keys[start : start + KEYS_PER_READ] for start in range(0, len(keys), KEYS_PER_READ)]
        with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
            found = [item for items in pool.map(read, batches) for item in items]
        return sorted(self._live(found), key=lambda record: record.key)

    def record(
        self,
        judged: Judged,
        findings: Iterable[Finding],
        *,
        claim: bool = False,
        statuses: Mapping[tuple[str, str], Status] | None = None,
        change_ids: Mapping[tuple[str, str], str] | None = None,
        notes: Mapping[tuple[str, str], str] | None = None,
        existing: Iterable[Record] | None = None,
    ) -> Changes:
        """Bring the records of what was judged in line with its findings, each with its status (OPEN unless
        ``statuses`` says otherwise, by (resource, check)) and the id of the change made for it, if any
        (``change_ids``: the notifications say how to roll it back) and what the act step made of it
        (``notes``: the change, or why none was made); ``existing`` saves reading the records again. With
        ``claim``, first mark the VPCs as evaluated from these facts, so that older evaluations still running
        write nothing there."""
        changes = Changes()
        stale_vpcs = self._claim(judged) if claim else set()
        if existing is None:
            existing = self.records(judged.account_id, judged.region, judged.vpc_ids)
        # A change this evaluation made is recorded even where newer facts claimed the VPC: the outcome of
        # the change is newer than any facts read before it.
        done = change_ids or {}
        current = [f for f in findings if f.vpc_id not in stale_vpcs or (f.resource_id, f.check_id) in done]
        kept = [r for r in existing if r.vpc_id not in stale_vpcs or r.key in done]
        self._apply(judged, kept, current, statuses or {}, change_ids or {}, changes, notes or {})
        changes.superseded.extend(f"{vpc_id}/*" for vpc_id in sorted(stale_vpcs))
        return changes

    def resolve_resources(self, judged: Judged, resource_ids: Iterable[str]) -> Changes:
        """Resolve every open record of resources that are gone (a deleted endpoint)."""
        existing = self.records_of(judged.account_id, judged.region, resource_ids)
        changes = Changes()
        self._apply(judged, existing, (), {}, {}, changes)
        return changes

    def put_change(self, change: ChangeRecord) -> None:
        """Record a change; called before the change is applied (with no ``after``) and again once it is.
        The record's content is stored as canonical JSON, with its integrity tag when the store has a seal."""
        document = json.dumps(change.to_dict(), sort_keys=True)
        item = {
            "pk": record_key(change.account_id, change.region, change.resource_id),
            "sk": f"{CHANGE_PREFIX}{change.change_id}",
            "document": document,
            "change_id": change.change_id,
        }
        if self.seal is not None:
            item["integrity_tag"] = self.seal.tag(document)
        self.dynamodb.put_item(
            TableName=self.table_name, Item={name: _serializer.serialize(value) for name, value in item.items()}
        )

    def changes(self) -> list[ChangeRecord]:
        """Every recorded change, newest first (for people: a scan reads the whole table)."""
        pages = self.dynamodb.get_paginator("scan").paginate(
            TableName=self.table_name,
            FilterExpression="begins_with(sk, :prefix)",
            ExpressionAttributeValues={":prefix": {"S": CHANGE_PREFIX}},
        )
        found = [_change(item) for page in pages for item in page["Items"]]
        return sorted(found, key=lambda change: change.order, reverse=True)

    def change(self, change_id: str) -> ChangeRecord | None:
        return next((change for change in self.changes() if change.change_id == change_id), None)

    def changes_of(self, account_id: str, region: str, resource_id: str) -> list[ChangeRecord]:
        """The changes recorded about one resource, oldest first (one query)."""
        pages = self.dynamodb.get_paginator("query").paginate(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={
                ":pk": {"S": record_key(account_id, region, resource_id)},
                ":prefix": {"S": CHANGE_PREFIX},
            },
        )
        return sorted((_change(item) for page in pages for item in page["Items"]), key=lambda change: change.order)

    def mark_rolled_back(self, change: ChangeRecord, at: datetime) -> None:
        """Note that ``change`` was rolled back, beside its record (its content and tag stay as written)."""
        self.dynamodb.update_item(
            TableName=self.table_name,
            Key={
                "pk": {"S": record_key(change.account_id, change.region, change.resource_id)},
                "sk": {"S": f"{CHANGE_PREFIX}{change.change_id}"},
            },
            UpdateExpression="SET rolled_back_at = :at",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":at": {"S": at.isoformat()}},
        )

    def acquire_leases(
        self, account_id: str, region: str, resource_ids: Iterable[str], holder: str, now: datetime
    ) -> bool:
        """Lease every resource a change or a rollback touches (in a fixed order), or none."""
        taken: list[str] = []
        for resource_id in sorted(set(resource_ids)):
            if not self.acquire_lease(account_id, region, resource_id, holder, now):
                self.release_leases(account_id, region, taken, holder)
                return False
            taken.append(resource_id)
        return True

    def release_leases(self, account_id: str, region: str, resource_ids: Iterable[str], holder: str) -> None:
        for resource_id in sorted(set(resource_ids)):
            self.release_lease(account_id, region, resource_id, holder)

    def acquire_lease(self, account_id: str, region: str, resource_id: str, holder: str, now: datetime) -> bool:
        """At most one change in flight per resource: a lease that expires on its own if its holder dies."""
        try:
            self.dynamodb.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": record_key(account_id, region, resource_id)},
                    "sk": {"S": LEASE},
                    "holder": {"S": holder},
                    "lease_until": {"N": str(int(now.timestamp()) + LEASE_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(pk) OR lease_until < :now",
                ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def release_lease(self, account_id: str, region: str, resource_id: str, holder: str) -> None:
        try:
            self.dynamodb.delete_item(
                TableName=self.table_name,
                Key={"pk": {"S": record_key(account_id, region, resource_id)}, "sk": {"S": LEASE}},
                ConditionExpression="holder = :holder",
                ExpressionAttributeValues={":holder": {"S": holder}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def _claim(self, judged: Judged) -> set[str]:
        """Mark each judged VPC as evaluated from these facts; the VPCs where newer facts were already judged."""
        stale = set()
        for vpc_id in judged.vpc_ids or ():
            try:
                self.dynamodb.put_item(
                    TableName=self.table_name,
                    Item={
                        "pk": {"S": record_key(judged.account_id, judged.region, vpc_id)},
                        "sk": {"S": VPC_MARKER},
                        "observed_at": {"N": str(_millis(judged.observed_at))},
                    },
                    ConditionExpression="attribute_not_exists(pk) OR observed_at < :observed_at",
                    ExpressionAttributeValues={":observed_at": {"N": str(_millis(judged.observed_at))}},
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                stale.add(vpc_id)
        return stale

    def _apply(
        self,
        judged: Judged,
        existing: Iterable[Record],
        findings: Iterable[Finding],
        statuses: Mapping[tuple[str, str], Status],
        change_ids: Mapping[tuple[str, str], str],
        changes: Changes,
        notes: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        stored = {record.key: record for record in existing}
        current = {(finding.resource_id, finding.check_id): finding for finding in findings}
        for key, finding in sorted(current.items()):
            record = stored.get(key)
            status = statuses.get(key, Status.OPEN)
            item = _record_item(judged, finding, record, status)
            changed_at = None
            if notes and key in notes:
                item["remediation_note"] = notes[key]
            if key in change_ids:
                item["change_id"] = change_ids[key]
                changed_at = datetime.now(UTC)
                item["observed_at"] = max(_millis(changed_at), item["observed_at"] + 1)
            if record is not None and record.status is status and record.digest == item["digest"]:
                changes.unchanged += 1
                continue
            outcome = changes.opened if record is None or record.status.is_closed else changes.updated
            values = {":status": {"S": item["status"]}, ":digest": {"S": item["digest"]}}
            self._write(item, judged, (_CHANGES_CONTENT, values), outcome, changes, own_change=changed_at is not None)
        for key, record in sorted(stored.items()):
            if key not in current and not record.status.is_closed:
                values = {":resolved": {"S": Status.RESOLVED.value}, ":remediated": {"S": Status.REMEDIATED.value}}
                self._write(_resolved_item(record, judged), judged, (_RESOLVES, values), changes.resolved, changes)

    def _write(
        self,
        item: dict[str, Any],
        judged: Judged,
        condition: tuple[str, Mapping[str, Any]],
        outcome: list[str],
        changes: Changes,
        *,
        own_change: bool = False,
    ) -> None:
        """Put the record only if the change is real and newer than what is stored, and no newer evaluation
        has claimed its VPC (unless it records a change this evaluation made); otherwise count it as
        superseded."""
        label = f"{item['resource_id']}/{item['check_id']}"
        observed_at = {":observed_at": {"N": str(item["observed_at"])}}
        marker_key = {
            "pk": {"S": record_key(judged.account_id, judged.region, item["vpc_id"])},
            "sk": {"S": VPC_MARKER},
        }
        put = {
            "Put": {
                "TableName": self.table_name,
                "Item": {name: _serializer.serialize(value) for name, value in item.items()},
                "ConditionExpression": condition[0],
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {**observed_at, **condition[1]},
            }
        }
        marker_check = {
            "ConditionCheck": {
                "TableName": self.table_name,
                "Key": marker_key,
                "ConditionExpression": "attribute_not_exists(pk) OR observed_at <= :observed_at",
                "ExpressionAttributeValues": observed_at,
            }
        }
        try:
            self.dynamodb.transact_write_items(TransactItems=[put] if own_change else [put, marker_check])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            changes.superseded.append(label)
            return
        outcome.append(label)

    def _query_index(self, partition: str, prefix: str | None, unresolved_only: bool) -> Iterator[Record]:
        condition = "gsi1pk = :pk" + (" AND begins_with(gsi1sk, :prefix)" if prefix else "")
        values = {":pk": {"S": partition}} | ({":prefix": {"S": prefix}} if prefix else {})
        filters: dict[str, Any] = {}
        if unresolved_only:
            values[":resolved"] = {"S": Status.RESOLVED.value}
            values[":remediated"] = {"S": Status.REMEDIATED.value}
            filters = {
                "FilterExpression": "#status <> :resolved AND #status <> :remediated",
                "ExpressionAttributeNames": {"#status": "status"},
            }
        pages = self.dynamodb.get_paginator("query").paginate(
            TableName=self.table_name,
            IndexName=SCOPE_INDEX,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            **filters,
        )
        for page in pages:
            yield from self._live(page["Items"])

    @staticmethod
    def _live(items: Iterable[Mapping[str, Any]]) -> Iterator[Record]:
        """The finding records among ``items`` (not VPC markers, leases or changes), less expired history."""
        now = datetime.now(UTC).timestamp()
        for item in items:
            if FINDING_ATTRIBUTE not in item:
                continue
            record = _record(item)
            if record.expires_at is None or record.expires_at > now:
                yield record


# A record is written when it is new, or when its facts are newer and its status or content differs.
_CHANGES_CONTENT = (
    "attribute_not_exists(pk) OR (observed_at < :observed_at AND (#status <> :status OR digest <> :digest))"
)
# A record is resolved when it is still open (neither resolved nor remediated) and its facts are newer.
_RESOLVES = "attribute_exists(pk) AND observed_at < :observed_at AND #status <> :resolved AND #status <> :remediated"


def finding_digest(finding: Finding) -> str:
    """What identifies a finding's content: equal digests mean nothing to write."""
    return hashlib.sha256(json.dumps(finding.to_dict(), sort_keys=True).encode()).hexdigest()


def _record_item(judged: Judged, finding: Finding, record: Record | None, status: Status) -> dict[str, Any]:
    now = judged.observed_at.isoformat()
    still_open = record is not None and not record.status.is_closed
    return {
        **_keys(judged.account_id, judged.region, finding.vpc_id, finding.resource_id, finding.check_id),
        "resource_type": finding.resource_type,
        "status": status.value,
        "severity": finding.severity.value,
        "first_seen": record.first_seen if still_open and record is not None else now,
        "last_seen": now,
        "observed_at": _millis(judged.observed_at),
        "digest": finding_digest(finding),
        "finding": json.dumps(finding.to_dict(), sort_keys=True),
    }


def _resolved_item(record: Record, judged: Judged) -> dict[str, Any]:
    return {
        **_keys(record.account_id, record.region, record.vpc_id, record.resource_id, record.check_id),
        "status": Status.RESOLVED.value,
        "severity": record.severity,
        "first_seen": record.first_seen,
        "last_seen": judged.observed_at.isoformat(),
        "observed_at": _millis(judged.observed_at),
        "digest": record.digest,
        "finding": json.dumps(record.finding, sort_keys=True),
        "expires_at": int((judged.observed_at + RESOLVED_HISTORY).timestamp()),
    }


def _keys(account_id: str, region: str, vpc_id: str, resource_id: str, check_id: str) -> dict[str, Any]:
    return {
        "pk": record_key(account_id, region, resource_id),
        "sk": check_id,
        FINDING_ATTRIBUTE: scope_key(account_id, region),
        "gsi1sk": scope_sort_key(vpc_id, resource_id, check_id),
        "account_id": account_id,
        "region": region,
        "vpc_id": vpc_id,
        "resource_id": resource_id,
        "check_id": check_id,
    }


def _record(item: Mapping[str, Any]) -> Record:
    raw = {name: _deserializer.deserialize(value) for name, value in item.items()}
    return Record(
        account_id=raw["account_id"],
        region=raw["region"],
        resource_id=raw["resource_id"],
        check_id=raw["check_id"],
        vpc_id=raw["vpc_id"],
        status=Status(raw["status"]),
        severity=raw["severity"],
        first_seen=raw["first_seen"],
        last_seen=raw["last_seen"],
        observed_at=int(raw["observed_at"]),
        digest=raw["digest"],
        finding=json.loads(raw["finding"]),
        expires_at=int(raw["expires_at"]) if "expires_at" in raw else None,
    )


def _change(item: Mapping[str, Any]) -> ChangeRecord:
    raw = {name: _deserializer.deserialize(value) for name, value in item.items()}
    content = json.loads(raw["document"])
    rolled_back_at = raw.get("rolled_back_at")
    return ChangeRecord(
        **{
            **content,
            "calls": tuple(content["calls"]),
            "planned_calls": tuple(content.get("planned_calls", ())),
            "status": ChangeStatus.ROLLED_BACK if rolled_back_at else content["status"],
        },
        document=raw["document"],
        integrity_tag=raw.get("integrity_tag"),
        rolled_back_at=rolled_back_at,
    )


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
