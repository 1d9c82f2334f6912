"""State changes read from the state table's stream: the outbox every notification comes from.

A stream record (NEW_AND_OLD_IMAGES, as Lambda delivers it) becomes a ``StateChange`` when it changes what a
person should hear about a finding; every other record is ``None``. Scenarios (the test plan):

- INSERT of a finding record: the finding appeared, with the status its decision gave it (OPEN, TICKETED,
  EXEMPT) or any status a later writer records first;
- MODIFY with another status: a transition (TICKETED -> RESOLVED, OPEN -> REMEDIATING -> REMEDIATED or FAILED,
  RESOLVED -> TICKETED: it appeared again, ...);
- MODIFY of a finding that is not closed, same status, new content (new evidence, severity): an update;
- MODIFY changing neither status nor content (a newer ``last_seen``, a rewrite of the same finding), or the
  content of a closed one: nothing;
- REMOVE: nothing. Records leave the table through TTL (resolved history) or by hand; neither changes what
  the finding is, and a removed record's last state was already announced when it was written;
- items that are not findings (the ``#evaluated`` VPC markers, leases, change records, the notifier's own
  ``delivery#`` and ``ticket#`` items): nothing, whatever happens to them. Finding records are the items of
  the ``by-scope`` index, the ones with ``gsi1pk`` (as ``StateStore`` reads them);
- a finding record without its status, keys or a JSON finding: ``MalformedRecord`` (a poison record: retried,
  then sent to the dead-letter destination, never silently dropped).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from vpce_guard.state import Status

# The by-scope index's partition key: finding records have it, no other item of the table does (state.py).
FINDING_ATTRIBUTE = "gsi1pk"
# Statuses of a finding that needs nobody any more (fixed by us, or gone).
CLOSED_STATUSES = frozenset(status.value for status in Status if status.is_closed)
_IDENTITY = ("account_id", "region", "resource_id", "check_id", "vpc_id")


class MalformedRecord(ValueError):
    """A stream record of a finding that cannot be read; the message names the record and what is wrong."""


class ChangeKind(StrEnum):
    APPEARED = "appeared"  # a new finding, or one back after it was closed
    TRANSITION = "transition"  # another status
    UPDATED = "updated"  # same status, new content


@dataclass(frozen=True)
class StateChange:
    """One change of one finding's state, as the stream recorded it once (``event_id`` is the stream
    record's id: redeliveries of the record carry the same id, so it identifies the change)."""

    event_id: str
    account_id: str
    region: str
    resource_id: str
    check_id: str
    vpc_id: str
    old_status: str | None
    new_status: str
    finding: Mapping[str, Any]
    change_id: str | None = None

    @property
    def kind(self) -> ChangeKind:
        if self.old_status is None or (self.old_status in CLOSED_STATUSES and self.new_status not in CLOSED_STATUSES):
            return ChangeKind.APPEARED
        return ChangeKind.TRANSITION if self.old_status != self.new_status else ChangeKind.UPDATED

    @property
    def partition_key(self) -> str:
        """The state table partition of the finding's record (``state.py``)."""
        return f"{self.account_id}#{self.region}#{self.resource_id}"

    @property
    def finding_key(self) -> str:
        """What names the finding everywhere outside the table: tickets and messages carry it."""
        return f"{self.account_id}/{self.region}/{self.resource_id}/{self.check_id}"

    @property
    def title(self) -> str:
        return str(self.finding.get("title") or self.check_id)

    @property
    def severity(self) -> str:
        return str(self.finding.get("severity") or "UNKNOWN")


def state_change(record: DynamoDBRecord) -> StateChange | None:
    """The state change a stream record carries, or None (see the module docstring for which records)."""
    stream = record.dynamodb
    if stream is None:
        raise MalformedRecord(f"stream record {record.event_id}: no dynamodb section")
    new, old = stream.new_image, stream.old_image
    if record.event_name is DynamoDBRecordEventName.REMOVE or FINDING_ATTRIBUTE not in new:
        return None
    where = f"stream record {record.event_id} ({stream.keys.get('pk')}/{stream.keys.get('sk')})"
    new_status = _status(new, where)
    old_status = _status(old, where) if old else None
    finding = _finding(new, where)
    if old_status == new_status and (new_status in CLOSED_STATUSES or _finding(old, where) == finding):
        return None
    missing = [name for name in _IDENTITY if not isinstance(new.get(name), str)]
    if missing or record.event_id is None:
        raise MalformedRecord(f"{where}: missing {', '.join(missing) or 'eventID'}")
    change_id = new.get("change_id") or finding.get("change_id")
    return StateChange(
        event_id=record.event_id,
        account_id=new["account_id"],
        region=new["region"],
        resource_id=new["resource_id"],
        check_id=new["check_id"],
        vpc_id=new["vpc_id"],
        old_status=old_status,
        new_status=new_status,
        finding=finding,
        change_id=str(change_id) if change_id else None,
    )


def _status(image: Mapping[str, Any], where: str) -> str:
    status = image.get("status")
    if not isinstance(status, str) or not status:
        raise MalformedRecord(f"{where}: the image has no status")
    return status


def _finding(image: Mapping[str, Any], where: str) -> dict[str, Any]:
    try:
        finding = json.loads(image["finding"])
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedRecord(f"{where}: the finding attribute is not a JSON string ({error})") from None
    if not isinstance(finding, dict):
        raise MalformedRecord(f"{where}: the finding attribute is not a JSON object")
    return finding
