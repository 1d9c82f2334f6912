"""CloudTrail evidence: which callers made which calls through one VPC endpoint, read from event history.

An endpoint policy may be narrowed only as far as its callers' use allows, and the record of that use is
CloudTrail: an event of a call made through an endpoint carries the endpoint's id in ``vpcEndpointId``.
``endpoint_activity`` reads the management events of the last 30 days in the endpoint's region with
LookupEvents and sums, per caller and action, the calls that came through the endpoint and the last one's time.

What it cannot see, so that few or no calls is never proof that nothing else is used (``cannot_see`` in
every result says so):

- data events: event history holds management events only, so S3 object calls (GetObject, PutObject, ...),
  Lambda Invoke, DynamoDB item calls (GetItem, PutItem, Query, ...) and the other data events are missing,
  although they are most of what an S3 or DynamoDB endpoint carries;
- the latest calls: CloudTrail delivers an event to event history about five minutes after the call;
- calls older than the window (30 days unless told; event history keeps 90);
- calls whose event has no ``vpcEndpointId`` (not every service writes it);
- events beyond the page cap: the read stops after ``max_pages`` pages and the result is ``partial``.

How it reads:

- LookupEvents takes one lookup attribute at most and cannot filter on ``vpcEndpointId``, so records are
  kept client-side. The attribute is ``EventSource``, the endpoint's service: an endpoint serves one
  service's API, so every call through it has that event source, and the filter leaves every other service's
  events (most of an account's history) on the server while losing none of the endpoint's. EventName would
  take one read per action and ResourceName the resources, neither known before the read.
- AWS allows 2 LookupEvents requests per second per account and region. ``RequestPacer`` keeps to that with
  an injected clock and sleep; a ``ThrottlingException`` (another reader in the account shares the limit; the
  SDK's own retries have run by then) is retried with exponential backoff, ``THROTTLE_RETRIES`` times, and
  then fails with ``EvidenceUnavailable``. Share one pacer between reads of one account and region.
- Each page is one LookupEvents call, counted by the ``AwsSession``'s counter (retries included).
- A record that is not CloudTrail's shape fails the read (``EvidenceUnavailable`` naming the event and the
  field): it is never skipped, which would silently shrink the evidence.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from botocore.exceptions import ClientError

from vpce_guard import identifiers, schemas
from vpce_guard.aws import AwsSession
from vpce_guard.judge import Activity, SeenCall

WINDOW_DAYS = 30
# Event history keeps 90 days: a longer window would read nothing more.
MAX_WINDOW_DAYS = 90
# 20 pages of 50 are 1,000 events and at least 10 seconds at 2 requests per second: enough for most
# endpoints, and short of what a function invocation can spend on one endpoint.
MAX_PAGES = 20
PAGE_SIZE = 50
REQUESTS_PER_SECOND = 2
THROTTLE_RETRIES = 4
BACKOFF_SECONDS = 1.0
THROTTLING_CODE = "ThrottlingException"
ANONYMOUS = "Anonymous"
# How CloudTrail names an anonymous caller (an unsigned S3 request): an AWSAccount identity of this account id.
ANONYMOUS_ACCOUNT_ID = "ANONYMOUS_PRINCIPAL"
CANNOT_SEE = (
    "data events (S3 object calls, Lambda Invoke, DynamoDB item calls and the like: LookupEvents returns "
    "management events only), calls of the last minutes not yet delivered, calls outside the window, and "
    "calls whose events carry no vpcEndpointId"
)
# Event sources (``<name>.amazonaws.com``) whose name is not the service's IAM action prefix.
_IAM_PREFIX_OF_SOURCE = {"monitoring": "cloudwatch"}
_SOURCE_OF_IAM_PREFIX = {prefix: source for source, prefix in _IAM_PREFIX_OF_SOURCE.items()}
_EVENT_SOURCE_SUFFIX = ".amazonaws.com"
# What to do when LookupEvents fails with a code.
_NEXT_STEPS = {
    THROTTLING_CODE: (
        f"Still throttled after {THROTTLE_RETRIES} retries: other readers share the account's 2 requests per "
        "second in the region; read again later."
    ),
    "AccessDeniedException": "Grant cloudtrail:LookupEvents to the identity reading the evidence.",
}


class EvidenceUnavailable(Exception):
    """The evidence could not be read; the message names the call, the region, the cause and the next step."""


# --- What a record says --------------------------------------------------------------------------------------


class SessionIssuer(msgspec.Struct, frozen=True, rename="camel"):
    arn: str | None = None


class SessionContext(msgspec.Struct, frozen=True, rename="camel"):
    session_issuer: SessionIssuer | None = None


class UserIdentity(msgspec.Struct, frozen=True, rename="camel"):
    type: Annotated[str, msgspec.Meta(min_length=1)]
    arn: str | None = None
    account_id: str | None = None
    principal_id: str | None = None
    invoked_by: str | None = None
    identity_provider: str | None = None
    session_context: SessionContext | None = None


class CloudTrailRecord(msgspec.Struct, frozen=True, rename="camel"):
    """A CloudTrail record's fields this module reads, by their camelCase keys; the many others are ignored."""

    event_id: str = msgspec.field(name="eventID")
    event_name: Annotated[str, msgspec.Meta(min_length=1)]
    # \Z, not $: msgspec searches with Python's re, whose $ also matches before a final newline.
    event_source: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com\Z")]
    event_time: Annotated[datetime, msgspec.Meta(tz=True)]
    user_identity: UserIdentity
    request_parameters: dict[str, Any] | None = None
    vpc_endpoint_id: str | None = None
    error_code: str | None = None


class Caller(msgspec.Struct, frozen=True):
    """Who made a call, as an endpoint policy sees the principal.

    ``identity_type`` is CloudTrail's ``userIdentity.type`` (``AssumedRole``, ``IAMUser``, ``Root``,
    ``AWSService``, ``WebIdentityUser``, ``SAMLUser``, ``AWSAccount``, ...), or ``Anonymous``.
    ``principal`` is the role's ARN for an assumed role (``aws:PrincipalArn``, whatever the session), the
    ARN of a user or root, the service (``invokedBy``) for an AWS service, the identity provider for a
    web-identity or SAML user, the account id for another account's caller, ``anonymous`` for an unsigned
    request.
    """

    identity_type: str
    principal: str
    account_id: str | None


class ActionUse(msgspec.Struct, frozen=True):
    """How often one caller called one action (``<iam prefix>:<eventName>``) through the endpoint, and when
    last; ``failed_calls`` of them carried an ``errorCode``."""

    caller: Caller
    action: str
    calls: int
    failed_calls: int
    last_seen: datetime


class EndpointActivity(msgspec.Struct, frozen=True):
    """What event history says about one endpoint over ``start`` to ``end``.

    ``events_read`` counts every event of ``event_source`` read, through any endpoint or none; ``uses`` holds
    those through this one. ``partial`` is true when the page cap stopped the read before the window's oldest
    event: older calls may be missing. ``cannot_see`` names what event history never holds.
    """

    endpoint_id: str
    region: str
    event_source: str
    start: datetime
    end: datetime
    uses: tuple[ActionUse, ...]
    pages_read: int
    events_read: int
    partial: bool
    cannot_see: str = CANNOT_SEE


@dataclass
class RequestPacer:
    """At most ``per_second`` requests start in any one second: a request waits until a second has passed
    since the start of the one ``per_second`` before it. ``monotonic`` and ``sleep`` are injected so tests
    run on a clock of their own."""

    per_second: int = REQUESTS_PER_SECOND
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _starts: deque[float] = field(default_factory=deque, init=False, repr=False)

    def wait_turn(self) -> None:
        if len(self._starts) == self.per_second:
            wait = self._starts.popleft() + 1.0 - self.monotonic()
            if wait > 0:
                self.sleep(wait)
        self._starts.append(self.monotonic())


# --- Pure parts ---------------------------------------------------------------------------------------------


def caller_of(identity: UserIdentity) -> Caller:
    """The principal behind a record's ``userIdentity`` (see ``Caller``)."""
    kind, account = identity.type, identity.account_id
    if kind == "AWSAccount" and account == ANONYMOUS_ACCOUNT_ID:
        return Caller(ANONYMOUS, "anonymous", None)
    if kind == "AssumedRole":
        issuer = identity.session_context.session_issuer if identity.session_context else None
        role_arn = issuer.arn if issuer is not None else None
        return Caller(kind, role_arn or identity.arn or identity.principal_id or "", account)
    if kind == "AWSService":
        return Caller(kind, identity.invoked_by or identity.principal_id or "", account)
    if kind in ("WebIdentityUser", "SAMLUser"):
        return Caller(kind, identity.identity_provider or identity.principal_id or "", account)
    if kind == "AWSAccount":
        return Caller(kind, account or identity.principal_id or "", account)
    return Caller(kind, identity.arn or identity.principal_id or account or "", account)


def action_of(record: CloudTrailRecord) -> str:
    """The IAM action a record is a call of: ``sts.amazonaws.com`` and ``AssumeRole`` -> ``sts:AssumeRole``.

    Management events' names are their actions' names; some data events differ (S3's ``ListObjects`` is
    ``s3:ListBucket``), and event history never returns those.
    """
    source = record.event_source.removesuffix(_EVENT_SOURCE_SUFFIX)
    return f"{_IAM_PREFIX_OF_SOURCE.get(source, source)}:{record.event_name}"


def event_source_of(iam_prefix: str) -> str:
    """The CloudTrail event source of the service whose actions have ``iam_prefix``: ``sts`` ->
    ``sts.amazonaws.com``, ``cloudwatch`` -> ``monitoring.amazonaws.com``."""
    return f"{_SOURCE_OF_IAM_PREFIX.get(iam_prefix, iam_prefix)}{_EVENT_SOURCE_SUFFIX}"


def summarize(records: Iterable[CloudTrailRecord], endpoint_id: str) -> tuple[ActionUse, ...]:
    """The calls of ``records`` made through ``endpoint_id``, per (caller, action): count, failures and the
    latest time; ordered by caller, then action."""
    tally: dict[tuple[Caller, str], tuple[int, int, datetime]] = {}
    for record in records:
        if record.vpc_endpoint_id != endpoint_id:
            continue
        key = (caller_of(record.user_identity), action_of(record))
        calls, failed, last = tally.get(key, (0, 0, record.event_time))
        tally[key] = (calls + 1, failed + (record.error_code is not None), max(last, record.event_time))
    return tuple(
        ActionUse(caller, action, calls, failed, last.astimezone(UTC))
        for (caller, action), (calls, failed, last) in sorted(tally.items(), key=_use_order)
    )


def _use_order(item: tuple[tuple[Caller, str], Any]) -> tuple[str, str, str, str]:
    (caller, action), _ = item
    return caller.identity_type, caller.principal, caller.account_id or "", action


def record_of(event: Mapping[str, Any], region: str) -> CloudTrailRecord:
    """The record inside one item of LookupEvents' ``Events`` (its ``CloudTrailEvent``, a JSON string)."""
    try:
        return msgspec.json.decode(event.get("CloudTrailEvent") or "", type=CloudTrailRecord)
    except (msgspec.DecodeError, RecursionError) as error:
        wrong = schemas.problem(error, "CloudTrailEvent")
    raise EvidenceUnavailable(
        f"LookupEvents in {region} returned event {event.get('EventId', '?')} whose record is not "
        f"CloudTrail's shape ({wrong}); the evidence is not judged without it."
    )


# --- The read ------------------------------------------------------------------------------------------------


def endpoint_activity(
    session: AwsSession,
    endpoint_id: str,
    iam_prefix: str,
    *,
    days: int = WINDOW_DAYS,
    max_pages: int = MAX_PAGES,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    pacer: RequestPacer | None = None,
) -> EndpointActivity:
    """The calls made through ``endpoint_id`` (in ``session``'s account and region) to the service whose IAM
    prefix is ``iam_prefix``, over the last ``days`` days, as event history holds them (see the module's
    limits). Raises ValueError for a wrong argument and ``EvidenceUnavailable`` when the read fails."""
    try:
        identifiers.endpoint_id(endpoint_id)
    except ValueError as error:
        raise ValueError(f"endpoint_id: {error}") from None
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise ValueError(f"days: {days} is outside 1-{MAX_WINDOW_DAYS} (event history keeps {MAX_WINDOW_DAYS} days)")
    if max_pages < 1:
        raise ValueError(f"max_pages: {max_pages} reads nothing; give 1 or more")
    pacer = pacer or RequestPacer()
    end = now()
    start = end - timedelta(days=days)
    source = event_source_of(iam_prefix)
    request: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "EventSource", "AttributeValue": source}],
        "StartTime": start,
        "EndTime": end,
        "MaxResults": PAGE_SIZE,
    }
    client = session.client("cloudtrail")
    records: list[CloudTrailRecord] = []
    pages = 0
    next_token: str | None = None
    while pages < max_pages:
        page = _lookup_page(client, request | ({"NextToken": next_token} if next_token else {}), pacer, session)
        pages += 1
        records += [record_of(event, session.region) for event in page.get("Events", [])]
        next_token = page.get("NextToken")
        if not next_token:
            break
    return EndpointActivity(
        endpoint_id=endpoint_id,
        region=session.region,
        event_source=source,
        start=start,
        end=end,
        uses=summarize(records, endpoint_id),
        pages_read=pages,
        events_read=len(records),
        partial=next_token is not None,
    )


def _lookup_page(client: Any, request: dict[str, Any], pacer: RequestPacer, session: AwsSession) -> Any:
    """One page, paced; throttling retried with exponential backoff, ``THROTTLE_RETRIES`` times."""
    retries = 0
    while True:
        pacer.wait_turn()
        try:
            return client.lookup_events(**request)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code != THROTTLING_CODE or retries == THROTTLE_RETRIES:
                raise EvidenceUnavailable(_failure_message(error, code, session.region)) from None
        pacer.sleep(BACKOFF_SECONDS * 2**retries)
        retries += 1


def _failure_message(error: ClientError, code: str, region: str) -> str:
    message = error.response.get("Error", {}).get("Message", "")
    next_step = _NEXT_STEPS.get(code, "")
    return f"LookupEvents failed in {region}: {code}: {message}.{' ' + next_step if next_step else ''}"


# --- Who set a tag ---------------------------------------------------------------------------------------------


class _Tag(msgspec.Struct, frozen=True, rename="camel"):
    key: str
    value: str | None = None


class _TagSet(msgspec.Struct, frozen=True, rename="camel"):
    items: tuple[_Tag, ...] = ()


class _CreateTagsParameters(msgspec.Struct, frozen=True, rename="camel"):
    tag_set: _TagSet


class TagSetter(msgspec.Struct, frozen=True):
    """Who last set a tag on a resource, as CloudTrail recorded the CreateTags call (see ``Caller``)."""

    principal: str
    identity_type: str
    value: str | None
    event_time: datetime
    event_id: str

    def to_evidence(self) -> dict[str, str]:
        return {
            "set_by": self.principal,
            "set_at": self.event_time.isoformat(),
            "set_in_event": self.event_id,
        }


def tag_setter(
    session: AwsSession,
    resource_id: str,
    tag_key: str,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    pacer: RequestPacer | None = None,
) -> TagSetter | None:
    """The latest successful CreateTags in event history (90 days, management events) that set ``tag_key`` on
    ``resource_id``, found by the resource's name (one lookup attribute, newest first, ``MAX_PAGES`` at most);
    None when event history holds none (set longer ago, or when the resource was created with the tag, which
    the creating call records). Raises ``EvidenceUnavailable`` when the read fails."""
    pacer = pacer or RequestPacer()
    end = now()
    request: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": resource_id}],
        "StartTime": end - timedelta(days=MAX_WINDOW_DAYS),
        "EndTime": end,
        "MaxResults": PAGE_SIZE,
    }
    client = session.client("cloudtrail")
    next_token: str | None = None
    for _ in range(MAX_PAGES):
        page = _lookup_page(client, request | ({"NextToken": next_token} if next_token else {}), pacer, session)
        for event in page.get("Events", []):
            setter = _setter_in(record_of(event, session.region), tag_key, session.region)
            if setter is not None:
                return setter
        next_token = page.get("NextToken")
        if not next_token:
            break
    return None


def _setter_in(record: CloudTrailRecord, tag_key: str, region: str) -> TagSetter | None:
    if record.event_name != "CreateTags" or record.error_code is not None:
        return None
    try:
        parameters = msgspec.convert(record.request_parameters or {}, _CreateTagsParameters)
    except msgspec.ValidationError as error:
        raise EvidenceUnavailable(
            f"LookupEvents in {region} returned CreateTags event {record.event_id} whose requestParameters are "
            f"not EC2's shape ({schemas.problem(error, 'requestParameters')}); who set the tag is not guessed."
        ) from None
    for tag in parameters.tag_set.items:
        if tag.key == tag_key:
            caller = caller_of(record.user_identity)
            return TagSetter(caller.principal, caller.identity_type, tag.value, record.event_time, record.event_id)
    return None


def seen_calls(activity: EndpointActivity) -> Activity:
    """The activity as the policy judge takes it: every caller and action seen, and what could not be."""
    return Activity(
        calls=tuple(
            SeenCall(
                identity_type=use.caller.identity_type,
                principal=None if use.caller.identity_type == ANONYMOUS else use.caller.principal,
                account=use.caller.account_id,
                action=use.action,
            )
            for use in activity.uses
        ),
        days=(activity.end - activity.start).days,
        partial=activity.partial,
        cannot_see=activity.cannot_see,
    )
