"""Bounds that hold under a flood, kept in the state table: the organization-wide rate of automatic changes.

Every acting function (on-change and sweep workers, for every account) takes one change from the clock hour's
allowance, ``max_changes_per_hour``, just before it makes a change. The allowance is one counter item per
window, taken with an atomic conditional UpdateItem, so functions running at once never overspend it; an
hour's item expires a day after the hour (``expires_at``, the table's TTL). A counter that cannot be read or
written (throttling, access denied) is doubt: no change is made.

Windows are clock windows (an hour starts on the hour, UTC), the same for every function, so no function needs
to agree with another on when one began: at most ``max_changes_per_hour`` changes in each clock hour, and so
at most twice that in any sixty minutes that straddle two hours.

Items (no ``gsi1pk``: they are no findings to any reader, nor to the notifier's stream filter):

- change rate: ``pk`` = ``rate#changes``, ``sk`` = the hour's start (ISO 8601, UTC), ``changes`` (N), ``expires_at``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vpce_guard.collect import CALL_ERRORS

RATE_KEY = "rate#changes"
HOUR = timedelta(hours=1)
KEPT_AFTER_WINDOW = timedelta(days=1)  # an expired window's item stays a day, for people to read


class RateUnknown(RuntimeError):
    """The counter of changes could not be read or written: doubt, so no change is made."""


@dataclass(frozen=True)
class Window:
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
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code == "ConditionalCheckFailedException":
                return False
            raise RateUnknown(f"the count of this hour's automatic changes could not be written: {error}") from error
        return True
