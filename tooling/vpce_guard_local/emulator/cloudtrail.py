"""CloudTrail event history: LookupEvents over events a test records, with AWS's filters, paging and throttling.

moto 5.2 implements no LookupEvents (it answers 501 through ``unimplemented``), and no call of an emulated
service writes CloudTrail events. Tests and the demo record events instead, in CloudTrail's record format
(``record_events``, reached through the control path), and LookupEvents answers from them as AWS does:

- ``Events`` items with EventId, EventName, ReadOnly, AccessKeyId, EventTime, EventSource, Username,
  Resources and ``CloudTrailEvent``, the record as a JSON string;
- management events only: a record whose ``eventCategory`` is ``Data`` (S3 object calls, Lambda Invoke,
  DynamoDB item calls) is kept but never returned, as event history never holds data events;
- at most one LookupAttribute (EventId, EventName, ReadOnly, Username, ResourceType, ResourceName,
  EventSource, AccessKeyId), matched exactly; StartTime and EndTime inclusive; newest first;
- MaxResults 1-50 (default 50) and an opaque NextToken; the errors AWS names for each wrong input;
- throttling on demand (``throttle``): AWS allows 2 LookupEvents requests per second per account and region
  and answers ``ThrottlingException`` ("Rate exceeded") beyond. The emulator does not time requests; a test
  tells it how many of the next requests to refuse, so a reader's retries are tested without a clock.

Events are kept per account (``recipientAccountId``) and region (``awsRegion``) on moto's CloudTrail backend,
so a moto reset forgets them. Unlike AWS, the emulator keeps them until then, not for 90 days. A NextToken is
an offset into the answer: events recorded between two pages shift it.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from moto.cloudtrail.models import CloudTrailBackend, cloudtrail_backends
from moto.cloudtrail.responses import CloudTrailResponse
from moto.core import errors
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult

from vpce_guard.schemas import problem
from vpce_guard_local.emulator.paging import offset_token, token_offset
from vpce_guard_local.emulator.patching import Patches

DEFAULT_ACCOUNT_ID = "123456789012"
ACCOUNT_ID = re.compile(r"^\d{12}\Z")
MAX_RESULTS = 50
LOOKUP_ATTRIBUTE_KEYS = (
    "EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId",
)  # fmt: skip
MAX_ATTRIBUTE_VALUE_LENGTH = 2000
THROTTLING_CODE = "ThrottlingException"
# Operation names that only read, for records that do not say (CloudTrail always does).
READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup", "BatchGet")

_HISTORY_ATTRIBUTE = "vpce_guard_event_history"
_TOKEN_PREFIX = "vpce-guard-lookup-events:"
_state_lock = threading.Lock()


class InvalidLookupAttributesException(ServiceException):
    code = "InvalidLookupAttributesException"


class InvalidTimeRangeException(ServiceException):
    code = "InvalidTimeRangeException"


class InvalidMaxResultsException(ServiceException):
    code = "InvalidMaxResultsException"


class InvalidNextTokenException(ServiceException):
    code = "InvalidNextTokenException"


class InvalidEventCategoryException(ServiceException):
    code = "InvalidEventCategoryException"


class ThrottlingException(ServiceException):
    code = THROTTLING_CODE


# --- The record format ---------------------------------------------------------------------------------------


class UserIdentity(msgspec.Struct):
    type: Annotated[str, msgspec.Meta(min_length=1)]
    arn: str | None = None
    accountId: str | None = None
    principalId: str | None = None
    userName: str | None = None
    accessKeyId: str | None = None


class RecordResource(msgspec.Struct):
    ARN: Annotated[str, msgspec.Meta(min_length=1)]
    type: str | None = None
    accountId: str | None = None


class EventRecord(msgspec.Struct):
    """One CloudTrail record, as in a trail's log files; the fields LookupEvents answers with are required.

    Records carry many more fields than the emulator reads: they are ignored here, and kept as given.
    """

    eventName: Annotated[str, msgspec.Meta(min_length=1)]
    # \Z, not $: msgspec searches with Python's re, whose $ also matches before a final newline.
    eventSource: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9.-]+\.amazonaws\.com\Z")]
    eventTime: Annotated[datetime, msgspec.Meta(tz=True)]
    userIdentity: UserIdentity
    recipientAccountId: Annotated[str, msgspec.Meta(pattern=ACCOUNT_ID.pattern)]
    awsRegion: Annotated[str, msgspec.Meta(min_length=1)]
    requestParameters: dict[str, Any] | None = None
    vpcEndpointId: str | None = None
    eventID: str | None = None
    readOnly: bool | None = None
    eventCategory: Literal["Management", "Data", "NetworkActivity", "Insight"] = "Management"
    resources: tuple[RecordResource, ...] = ()


class RecordBatch(msgspec.Struct, forbid_unknown_fields=True):
    """What a trail's log file holds, and what ``record_events`` takes: ``{"Records": [record, ...]}``."""

    Records: tuple[EventRecord, ...]


@dataclass(frozen=True)
class StoredEvent:
    """A recorded event as event history keeps it: the record completed as CloudTrail completes it."""

    record: dict[str, Any]
    event_time: datetime
    sequence: int

    @property
    def lookup_values(self) -> dict[str, set[str]]:
        """Each LookupAttribute's values for this event (a resource attribute may have several)."""
        identity = self.record["userIdentity"]
        values: dict[str, set[str]] = {
            "EventId": {self.record["eventID"]},
            "EventName": {self.record["eventName"]},
            "EventSource": {self.record["eventSource"]},
            "ReadOnly": {json.dumps(self.record["readOnly"])},
            "ResourceType": {item["type"] for item in self.record["resources"] if item.get("type")},
            "ResourceName": {item["ARN"] for item in self.record["resources"]},
        }
        username = username_of(identity)
        values["Username"] = {username} if username else set()
        values["AccessKeyId"] = {identity["accessKeyId"]} if identity.get("accessKeyId") else set()
        return values

    def to_api(self) -> dict[str, Any]:
        """One item of LookupEvents' ``Events``."""
        identity = self.record["userIdentity"]
        item: dict[str, Any] = {
            "EventId": self.record["eventID"],
            "EventName": self.record["eventName"],
            "ReadOnly": json.dumps(self.record["readOnly"]),
            "EventTime": self.event_time,
            "EventSource": self.record["eventSource"],
            "Resources": [
                {"ResourceType": item.get("type") or "", "ResourceName": item["ARN"]}
                for item in self.record["resources"]
            ],
            "CloudTrailEvent": json.dumps(self.record),
        }
        if identity.get("accessKeyId"):
            item["AccessKeyId"] = identity["accessKeyId"]
        username = username_of(identity)
        if username:
            item["Username"] = username
        return item


@dataclass
class EventHistory:
    """The events of one account and region, and how many of the next LookupEvents requests to refuse."""

    events: list[StoredEvent] = field(default_factory=list)
    refusals_left: int = 0


# --- The fixes ---------------------------------------------------------------------------------------------


def record_events(body: Any) -> list[str]:
    """Keep the records of ``body`` (``{"Records": [...]}``) in the event history of their account and region;
    returns their event ids in order.

    Each record is completed as CloudTrail completes it: ``eventID`` (a new UUID when absent),
    ``eventVersion``, ``eventType`` ``AwsApiCall``, ``eventCategory`` ``Management`` and ``readOnly`` (from the
    operation's name when absent). Raises ValueError naming the first wrong field by its path, and records
    nothing then.
    """
    try:
        batch = msgspec.convert(body, RecordBatch)
    except msgspec.ValidationError as error:
        raise ValueError(f'expected {{"Records": [CloudTrail record, ...]}}: {problem(error, "body")}') from None
    unknown_regions = sorted({record.awsRegion for record in batch.Records} - set(_regions()))
    if unknown_regions:
        raise ValueError(f"awsRegion: unknown region(s) {', '.join(unknown_regions)}")
    completed = [_completed(record, raw) for record, raw in zip(batch.Records, body["Records"], strict=True)]
    with _state_lock:
        for record, event in zip(batch.Records, completed, strict=True):
            history = _history(cloudtrail_backends[record.recipientAccountId][record.awsRegion])
            history.events.append(StoredEvent(event, record.eventTime.astimezone(UTC), len(history.events)))
    return [event["eventID"] for event in completed]


def throttle(requests: int, account_id: str, region: str) -> None:
    """Refuse the next ``requests`` LookupEvents requests of ``account_id`` in ``region`` with
    ``ThrottlingException``, as AWS refuses those beyond 2 per second; 0 stops refusing."""
    if requests < 0:
        raise ValueError("requests must be 0 or more")
    if not ACCOUNT_ID.fullmatch(account_id):
        raise ValueError(f"an account id is 12 digits, not {account_id!r}")
    if region not in _regions():
        raise ValueError(f"unknown region {region!r}")
    with _state_lock:
        _history(cloudtrail_backends[account_id][region]).refusals_left = requests


def lookup(events: Iterable[StoredEvent], params: Mapping[str, Any]) -> tuple[list[StoredEvent], str | None]:
    """The page of management events LookupEvents answers ``params`` with, newest first, and the next token.

    AWS's errors: more than one attribute, an unknown key or a value outside 1-2000 characters
    (InvalidLookupAttributesException); a StartTime after the EndTime (InvalidTimeRangeException);
    MaxResults outside 1-50 (InvalidMaxResultsException); a token it did not issue
    (InvalidNextTokenException); an EventCategory other than ``insight`` (InvalidEventCategoryException).
    Insights events are never recorded, so ``insight`` finds none.
    """
    category = params.get("EventCategory")
    if category is not None and category != "insight":
        raise InvalidEventCategoryException(f"Event category {category} is not valid. Valid value: insight.")
    matches = _attribute_filter(params.get("LookupAttributes") or [])
    start, end = _time(params.get("StartTime")), _time(params.get("EndTime"))
    if start is not None and end is not None and start > end:
        raise InvalidTimeRangeException("Start time must be before or equal to end time.")
    size = params.get("MaxResults", MAX_RESULTS)
    if not isinstance(size, int) or not 1 <= size <= MAX_RESULTS:
        raise InvalidMaxResultsException(f"MaxResults must be between 1 and {MAX_RESULTS}, not {size}.")
    offset = 0
    if params.get("NextToken") is not None:
        found = token_offset(_TOKEN_PREFIX, str(params["NextToken"]))
        if found is None:
            raise InvalidNextTokenException("Invalid NextToken.")
        offset = found
    chosen = [
        event
        for event in events
        if category is None
        and event.record["eventCategory"] == "Management"
        and (start is None or event.event_time >= start)
        and (end is None or event.event_time <= end)
        and matches(event)
    ]
    chosen.sort(key=lambda event: (event.event_time, event.sequence), reverse=True)
    page = chosen[offset : offset + size]
    more = offset + size < len(chosen)
    return page, offset_token(_TOKEN_PREFIX, offset + size) if more else None


def username_of(identity: Mapping[str, Any]) -> str | None:
    """LookupEvents' ``Username``: the user name an identity carries, ``root`` for a root user, the session
    name of an assumed role (the last part of its ARN); None for others (AWS services, anonymous callers)."""
    if identity.get("userName"):
        return str(identity["userName"])
    if identity.get("type") == "Root":
        return "root"
    if identity.get("type") == "AssumedRole" and identity.get("arn"):
        return str(identity["arn"]).rsplit("/", 1)[-1]
    return None


def _attribute_filter(attributes: list[Any]) -> Callable[[StoredEvent], bool]:
    if len(attributes) > 1:
        raise InvalidLookupAttributesException("You can specify only one lookup attribute.")
    if not attributes:
        return lambda event: True
    key, value = attributes[0].get("AttributeKey"), attributes[0].get("AttributeValue")
    if key not in LOOKUP_ATTRIBUTE_KEYS:
        raise InvalidLookupAttributesException(
            f"Lookup attribute key {key} is not valid. Valid keys: {', '.join(LOOKUP_ATTRIBUTE_KEYS)}."
        )
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_ATTRIBUTE_VALUE_LENGTH:
        raise InvalidLookupAttributesException(
            f"Lookup attribute value must be 1 to {MAX_ATTRIBUTE_VALUE_LENGTH} characters long."
        )
    return lambda event: value in event.lookup_values[key]


def _completed(record: EventRecord, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The record as given, with what CloudTrail always writes added where it is missing."""
    event = dict(raw)
    event["eventID"] = record.eventID or str(uuid.uuid4())
    event.setdefault("eventVersion", "1.09")
    event.setdefault("eventType", "AwsApiCall")
    event["eventCategory"] = record.eventCategory
    event.setdefault("resources", [])
    if record.readOnly is None:
        event["readOnly"] = record.eventName.startswith(READ_ONLY_PREFIXES)
    return event


def _time(value: Any) -> datetime | None:
    """A timestamp as the JSON protocol sends it (epoch seconds), or an ISO 8601 string."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _regions() -> list[str]:
    regions: list[str] = cloudtrail_backends[DEFAULT_ACCOUNT_ID].regions
    return regions


def _history(backend: CloudTrailBackend) -> EventHistory:
    history: EventHistory = backend.__dict__.setdefault(_HISTORY_ATTRIBUTE, EventHistory())
    return history


# --- Wiring into moto -------------------------------------------------------------------------------------


def _lookup_events(self: CloudTrailResponse) -> ActionResult:
    params: dict[str, Any] = json.loads(self.body or "{}")
    with _state_lock:
        history = _history(self.cloudtrail_backend)
        if history.refusals_left:
            history.refusals_left -= 1
            raise ThrottlingException("Rate exceeded")
        page, next_token = lookup(list(history.events), params)
    answer: dict[str, Any] = {"Events": [event.to_api() for event in page]}
    if next_token is not None:
        answer["NextToken"] = next_token
    return ActionResult(answer)


PATCHES = Patches(((CloudTrailResponse, "lookup_events", _lookup_events),))


def install() -> None:
    """Add LookupEvents to moto's CloudTrail in this process; calling it again changes nothing."""
    PATCHES.install()
    # Every AWS service may throttle: moto then serialises the code without warning about a missing shape.
    if THROTTLING_CODE not in errors.COMMON_ERROR_CODES:
        errors.COMMON_ERROR_CODES.append(THROTTLING_CODE)
