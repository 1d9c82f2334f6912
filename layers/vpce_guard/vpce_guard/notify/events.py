"""State changes read from the state table's stream: the outbox every notification comes from.

A stream record (NEW_AND_OLD_IMAGES, as Lambda delivers it) becomes a ``StateChange`` when it changes what a
person should hear about a finding; every other record is ``None``. Scenarios (the test plan):

- INSERT of a finding record: the finding appeared, with the status its decision gave it (OPEN, TICKETED,
  EXEMPT) or any status a later writer records first;
- MODIFY with another status: a transition (TICKETED -> RESOLVED, OPEN -> REMEDIATED or FAILED,
  RESOLVED -> TICKETED: it appeared again, ...);
- MODIFY of a finding that is not closed, same status, new content (new evidence, severity): an update;
- MODIFY changing neither status nor content (a newer ``last_seen``, a rewrite of the same finding), or the
  content of a closed one: nothing;
- REMOVE: nothing. Records leave the table through TTL (resolved history) or by hand; neither changes what
  the finding is, and a removed record's last state was already announced when it was written;
- items that are not findings (the ``#evaluated`` VPC markers, leases, change records, the notifier's own
  ``delivery#`` and ``ticket#`` items): nothing, whatever happens to them. Finding records are the items of
  the ``by-scope`` index, the ones with ``gsi1pk`` (as ``StateStore`` reads them);
- a finding record without its status, keys or a JSON finding, a record of an unknown event, of a stream that
  is not NEW_AND_OLD_IMAGES, or a MODIFY without its old image: ``MalformedRecord`` (a poison record: retried,
  then sent to the dead-letter destination, never silently dropped).

Each record is read into declared msgspec types in DynamoDB's attribute-value form, as Lambda delivers it:
``StateTableRecord`` (an id, INSERT, MODIFY or REMOVE, a NEW_AND_OLD_IMAGES stream, the images the event
carries), then a finding record's new image as ``FindingRecord`` and its old one as ``FindingState``, each with
its ``finding`` read as a JSON object. Any attribute read that is missing or of the wrong type, such as a status no
``Status`` names, an account id that is not 12 digits, a ``change_id`` that is not a string, is a
``MalformedRecord`` naming the record and the first wrong field's path (``dynamodb.NewImage.status.S``), never
another exception and never a field read as absent. The images are not deserialized first (a deserializer raises
TypeError on an unknown type tag and decimal errors on a bad number), and attributes not declared are not read.
The optional ``remediation_note`` (what an automatic change would do, or why it was not made) becomes the
change's ``note``; the optional ``first_seen`` and the record's ``ApproximateCreationDateTime`` date the finding
and the change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

import msgspec
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from vpce_guard import identifiers
from vpce_guard.schemas import problem
from vpce_guard.vocabulary import FINDING_ATTRIBUTE, Status, record_key

# Statuses of a finding that needs nobody any more (fixed by us, or gone).
CLOSED_STATUSES = frozenset(status.value for status in Status if status.is_closed)
# The images each event carries on a NEW_AND_OLD_IMAGES stream.
_IMAGES = {"INSERT": ("NewImage",), "MODIFY": ("NewImage", "OldImage"), "REMOVE": ("OldImage",)}

Text = TypeVar("Text")
Schema = TypeVar("Schema", bound=msgspec.Struct)
Image = TypeVar("Image", bound="FindingState")


class MalformedRecord(ValueError):
    """A stream record of a finding that cannot be read; the message names the record and what is wrong."""


class StringAttribute(msgspec.Struct, Generic[Text], frozen=True, forbid_unknown_fields=True):
    """A DynamoDB string attribute as the stream carries it, ``{"S": ...}``, its text read as ``Text``."""

    S: Text


class AccountIdAttribute(StringAttribute[str], frozen=True, forbid_unknown_fields=True):
    """A string attribute holding an AWS account id."""

    def __post_init__(self) -> None:
        identifiers.account_id(self.S)


class RegionAttribute(StringAttribute[str], frozen=True, forbid_unknown_fields=True):
    """A string attribute holding a region of the partitions served."""

    def __post_init__(self) -> None:
        identifiers.region(self.S)


class TableKeys(msgspec.Struct):
    """The state table's key: partition and sort key, both strings."""

    pk: StringAttribute[str]
    sk: StringAttribute[str]


class StreamImages(msgspec.Struct):
    """A stream record's ``dynamodb`` section; the images stay unread until the item is known to be a finding."""

    StreamViewType: Literal["NEW_AND_OLD_IMAGES"]
    Keys: TableKeys
    NewImage: dict[str, Any] | None = None
    OldImage: dict[str, Any] | None = None
    # When the change was written, in seconds since the epoch (Lambda's records carry it).
    ApproximateCreationDateTime: float | None = None


class StateTableRecord(msgspec.Struct):
    """A record of the state table's stream, as Lambda delivers it; only what is read here is declared."""

    eventID: Annotated[str, msgspec.Meta(min_length=1)]
    eventName: Literal["INSERT", "MODIFY", "REMOVE"]
    dynamodb: StreamImages

    def __post_init__(self) -> None:
        """A record carries the images of its event."""
        missing = [f"dynamodb.{name}" for name in _IMAGES[self.eventName] if getattr(self.dynamodb, name) is None]
        if missing:
            raise ValueError(f"no {' or '.join(missing)}, which a {self.eventName} record of the stream carries")


class FindingState(msgspec.Struct):
    """What an image of a finding record says of the finding: its status, and the finding as a JSON object (its
    text here, read by ``_image``)."""

    status: StringAttribute[Status]
    finding: StringAttribute[str]


class FindingRecord(FindingState):
    """A finding record's new image: also whose finding it is, the change that gave it its status, and the
    note of what an automatic change would do or why it was not made."""

    account_id: AccountIdAttribute
    region: RegionAttribute
    resource_id: StringAttribute[str]
    check_id: StringAttribute[str]
    vpc_id: StringAttribute[str]
    change_id: StringAttribute[str] | None = None
    remediation_note: StringAttribute[str] | None = None
    first_seen: StringAttribute[datetime] | None = None


class ChangeKind(StrEnum):
    APPEARED = "appeared"  # a new finding, or one back after it was closed
    TRANSITION = "transition"  # another status
    UPDATED = "updated"  # same status, new content


class StateChange(msgspec.Struct, frozen=True):
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
    note: str | None = None  # what an automatic change would do, or why it was not made
    first_seen: datetime | None = None  # when the finding was first found (this time it was open)
    changed_at: datetime | None = None  # when the stream recorded the change

    @property
    def kind(self) -> ChangeKind:
        if self.old_status is None or (self.old_status in CLOSED_STATUSES and self.new_status not in CLOSED_STATUSES):
            return ChangeKind.APPEARED
        return ChangeKind.TRANSITION if self.old_status != self.new_status else ChangeKind.UPDATED

    @property
    def partition_key(self) -> str:
        """The state table partition of the finding's record (``state.py``)."""
        return record_key(self.account_id, self.region, self.resource_id)

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
    raw = record.raw_event
    event_id = raw.get("eventID") if isinstance(raw, Mapping) else None
    named = f"stream record {event_id}" if isinstance(event_id, str) else "a stream record without an eventID"
    parsed = _validated(StateTableRecord, raw, named, "")
    stream = parsed.dynamodb
    if parsed.eventName == "REMOVE" or stream.NewImage is None or FINDING_ATTRIBUTE not in stream.NewImage:
        return None
    where = f"stream record {parsed.eventID} ({stream.Keys.pk.S}/{stream.Keys.sk.S})"
    new, finding = _image(FindingRecord, stream.NewImage, where, "dynamodb.NewImage")
    old, old_finding = (
        _image(FindingState, stream.OldImage, where, "dynamodb.OldImage")
        if stream.OldImage is not None
        else (None, None)
    )
    new_status = new.status.S
    if old is not None and old.status.S is new_status and (new_status.is_closed or finding == old_finding):
        return None
    change_id = (new.change_id.S if new.change_id else None) or finding.get("change_id")
    return StateChange(
        event_id=parsed.eventID,
        account_id=new.account_id.S,
        region=new.region.S,
        resource_id=new.resource_id.S,
        check_id=new.check_id.S,
        vpc_id=new.vpc_id.S,
        old_status=old.status.S.value if old else None,
        new_status=new_status.value,
        finding=finding,
        change_id=str(change_id) if change_id else None,
        note=new.remediation_note.S if new.remediation_note else None,
        first_seen=new.first_seen.S if new.first_seen else None,
        changed_at=_instant(stream.ApproximateCreationDateTime),
    )


def _instant(seconds: float | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def _image(schema: type[Image], value: object, where: str, path: str) -> tuple[Image, dict[str, Any]]:
    """An image of a finding record as ``schema``, and the finding it holds (its ``finding`` attribute's text, a
    JSON object); or MalformedRecord naming ``where`` and the path of the first wrong field."""
    image = _validated(schema, value, where, path)
    at = f"{path}.finding.S"
    try:
        return image, msgspec.json.decode(image.finding.S, type=dict[str, Any])
    except (msgspec.DecodeError, RecursionError) as error:
        raise MalformedRecord(f"{where}: {problem(error, at, at)}") from None


def _validated(schema: type[Schema], value: object, where: str, path: str) -> Schema:
    """``value`` as ``schema``, or MalformedRecord naming ``where`` and the path of the first wrong field."""
    try:
        return msgspec.convert(value, schema)
    except msgspec.ValidationError as error:
        raise MalformedRecord(f"{where}: {problem(error, 'the record', path)}") from None
