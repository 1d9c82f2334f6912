"""Bounds that hold under a flood, kept in the state table: the organization-wide rate of automatic changes, and
per-account windows of change events.

**The rate of changes.** Every acting function (on-change and sweep workers, for every account) takes one change
from the clock hour's allowance, ``max_changes_per_hour``, just before it makes a change. The allowance is one
counter item per window, taken with an atomic conditional UpdateItem, so functions running at once never
overspend it. A counter that cannot be read or written (throttling, access denied) is doubt: no change is made.

**Event windows.** Evaluations are per VPC and read fresh facts, so many events of one account and Region need
not each be evaluated: one evaluation after the last of them sees what they all did. In each clock minute an
(account, Region) gets at most ``EVALUATIONS_PER_WINDOW`` evaluations at once; the first event beyond that
queues one follow-up, an evaluation of the whole account and Region once the minute has ended, and every other
event of the minute is coalesced into it (dropped, counted). So a flood from one account costs at most
``EVALUATIONS_PER_WINDOW + 1`` evaluations a minute, whatever its rate, and every event is still judged by an
evaluation that reads the facts after it: its own, or the follow-up, which starts after the minute in which
the event was taken.

Windows are clock windows (an hour starts on the hour, a minute on the minute, UTC), the same for every
function, so no function needs to agree with another on when one began: at most ``max_changes_per_hour``
changes in each clock hour, and so at most twice that in any sixty minutes that straddle two hours.

Items (no ``gsi1pk``: they are no findings to any reader, nor to the notifier's stream filter); a window's item
expires a day after the window (``expires_at``, the table's TTL):

- change rate: ``pk`` = ``rate#changes``, ``sk`` = the hour's start (ISO 8601, UTC), ``changes`` (N);
- event window: ``pk`` = ``events#<account>#<region>``, ``sk`` = the minute's start, ``evaluations`` (N), and
  ``follow_up`` (S: the id of the event that queued the minute's follow-up).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from vpce_guard import identifiers, schemas
from vpce_guard.aws import CALL_ERRORS
from vpce_guard.vocabulary import scope_key

RATE_KEY = "rate#changes"
EVENTS_PREFIX = "events#"
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
EVALUATIONS_PER_WINDOW = 10  # evaluations at once per (account, Region) and minute: a person's edits, not a loop's
# The follow-up is delivered this long after its minute ends: more than the clocks of two Lambda hosts differ.
FOLLOW_UP_MARGIN = timedelta(seconds=2)
KEPT_AFTER_WINDOW = timedelta(days=1)  # an expired window's item stays a day, for people to read
MAX_DELAY_SECONDS = 900  # SQS's longest delay


class RateUnknown(RuntimeError):
    """The counter of changes could not be read or written: doubt, so no change is made."""


class Window(msgspec.Struct, frozen=True):
    """A clock window: it starts on a multiple of its length since the epoch, so every function computes the
    same window for the same moment."""

    start: datetime
    length: timedelta

    @classmethod
    def of(cls, moment: datetime, length: timedelta) -> Window:
        seconds = int(length.total_seconds())
        epoch = int(moment.timestamp())
        return cls(datetime.fromtimestamp(epoch - epoch % seconds, UTC), length)

    @property
    def end(self) -> datetime:
        return self.start + self.length

    @property
    def key(self) -> str:
        return self.start.isoformat()

    @property
    def expires_at(self) -> int:
        return int((self.end + KEPT_AFTER_WINDOW).timestamp())


class ChangeRate:
    """The organization-wide allowance of automatic changes: ``limit`` per clock hour, for every function that
    shares the state table."""

    def __init__(
        self, dynamodb: Any, table_name: str, limit: int, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.dynamodb = dynamodb
        self.table_name = table_name
        self.limit = limit
        self.clock = clock

    def take(self) -> bool:
        """Take one change from this hour's allowance: False when it is spent. Raises ``RateUnknown`` when the
        counter cannot be written, so that the caller changes nothing."""
        if self.limit <= 0:
            return False
        window = Window.of(self.clock(), HOUR)
        try:
            self.dynamodb.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": RATE_KEY}, "sk": {"S": window.key}},
                UpdateExpression="ADD changes :one SET expires_at = :expires_at",
                ConditionExpression="attribute_not_exists(changes) OR changes < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(self.limit)},
                    ":expires_at": {"N": str(window.expires_at)},
                },
            )
        except CALL_ERRORS as error:
            if _condition_failed(error):
                return False
            raise RateUnknown(f"the count of this hour's automatic changes could not be written: {error}") from error
        return True


class Admission(msgspec.Struct, frozen=True):
    """What an event's window says to do: evaluate it now, or not (coalesced); and, for the first event beyond the
    window's evaluations, queue the window's follow-up, delivered ``follow_up_in`` from now."""

    evaluate: bool
    window: Window
    follow_up_in: timedelta | None = None


class EventWindows:
    """Per (account, Region) and clock minute: ``per_window`` evaluations at once, then one follow-up."""

    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        per_window: int = EVALUATIONS_PER_WINDOW,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.dynamodb = dynamodb
        self.table_name = table_name
        self.per_window = per_window
        self.clock = clock

    def admit(self, account_id: str, region: str, event_id: str) -> Admission:
        """Count the event in its window: at most two conditional writes, no other call. A retried delivery of
        the event that queued the follow-up (its queueing failed) is told to queue it again."""
        now = self.clock()
        window = Window.of(now, MINUTE)
        key = {"pk": {"S": f"{EVENTS_PREFIX}{scope_key(account_id, region)}"}, "sk": {"S": window.key}}
        expires_at = {":expires_at": {"N": str(window.expires_at)}}
        if self._updated(
            key,
            "ADD evaluations :one SET expires_at = :expires_at",
            "attribute_not_exists(evaluations) OR evaluations < :limit",
            {":one": {"N": "1"}, ":limit": {"N": str(self.per_window)}, **expires_at},
        ):
            return Admission(True, window)
        if self._updated(
            key,
            "SET follow_up = :event, expires_at = :expires_at",
            "attribute_not_exists(follow_up) OR follow_up = :event",
            {":event": {"S": event_id}, **expires_at},
        ):
            return Admission(False, window, window.end + FOLLOW_UP_MARGIN - now)
        return Admission(False, window)

    def _updated(self, key: dict[str, Any], update: str, condition: str, values: dict[str, Any]) -> bool:
        """Whether the conditional update was made; an error other than the condition's is raised."""
        try:
            self.dynamodb.update_item(
                TableName=self.table_name,
                Key=key,
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except CALL_ERRORS as error:
            if _condition_failed(error):
                return False
            raise
        return True


class FollowUpError(ValueError):
    """A queue message that is no follow-up; retrying cannot mend it."""


class FollowUp(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The evaluation of a whole account and Region that the events coalesced in one window wait for; validated
    where it is read, so that a message never steers a role assumption or a call anywhere else."""

    account_id: str
    region: str
    window: str  # the window's start: which events it follows up, for people reading the logs

    def __post_init__(self) -> None:
        schemas.check_fields(self, account_id=identifiers.account_id, region=identifiers.region)

    def to_message(self) -> str:
        """The follow-up's fields as a JSON object, keys sorted as every version wrote them: a follow-up queued
        before a deployment reads after it."""
        return msgspec.json.encode(self, order="sorted").decode()

    @classmethod
    def from_message(cls, body: str) -> FollowUp:
        try:
            return msgspec.json.decode(body, type=cls)
        except msgspec.DecodeError as error:
            problem = schemas.problem(error, "the message")
        raise FollowUpError(f"not a follow-up ({problem}): {body[:200]!r}")


def queue_follow_up(sqs: Any, queue_url: str, follow_up: FollowUp, delay: timedelta) -> None:
    """The follow-up onto its queue, delivered after ``delay`` (whole seconds, rounded up: never early)."""
    sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=follow_up.to_message(),
        DelaySeconds=min(max(math.ceil(delay.total_seconds()), 0), MAX_DELAY_SECONDS),
    )


def _condition_failed(error: Exception) -> bool:
    return bool(getattr(error, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException")
