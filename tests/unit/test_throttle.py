"""The organization-wide rate of changes: clock windows every function computes alike, and a counter per window
whose refusal, or failure, means no change. The follow-ups of busy event windows: validated messages, never
delivered before their window has ended."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from vpce_guard.throttle import (
    HOUR,
    RATE_KEY,
    ChangeRate,
    FollowUp,
    FollowUpError,
    RateUnknown,
    Window,
    queue_follow_up,
)

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "start"),
    [
        (NOON, NOON),
        (NOON + timedelta(minutes=59, seconds=59, microseconds=999_999), NOON),
        (NOON + timedelta(hours=1), NOON + timedelta(hours=1)),
        (NOON - timedelta(microseconds=1), NOON - timedelta(hours=1)),
    ],
    ids=["on-the-hour", "last-instant", "next-hour", "instant-before"],
)
def test_an_hour_window_starts_on_the_hour(moment: datetime, start: datetime) -> None:
    window = Window.of(moment, HOUR)

    assert (window.start, window.end, window.key) == (start, start + HOUR, start.isoformat())


def test_a_window_is_the_same_whatever_the_time_zone_of_the_moment() -> None:
    elsewhere = NOON.astimezone(datetime.now(UTC).astimezone().tzinfo) + timedelta(minutes=30)

    assert Window.of(elsewhere, HOUR).start == NOON


def test_a_minute_window_starts_on_the_minute() -> None:
    window = Window.of(NOON + timedelta(seconds=61), timedelta(minutes=1))

    assert (window.start, window.end) == (NOON + timedelta(minutes=1), NOON + timedelta(minutes=2))


def test_a_windows_item_expires_a_day_after_the_window() -> None:
    assert Window.of(NOON, HOUR).expires_at == int((NOON + HOUR + timedelta(days=1)).timestamp())


class Counter:
    """DynamoDB's UpdateItem as the counter uses it: the condition checked against the counts so far, or an
    error in place of an answer."""

    def __init__(self, error: Exception | None = None) -> None:
        self.counts: dict[str, int] = {}
        self.calls: list[dict[str, Any]] = []
        self.error = error

    def update_item(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        if self.error is not None:
            raise self.error
        window = request["Key"]["sk"]["S"]
        if self.counts.get(window, 0) >= int(request["ExpressionAttributeValues"][":limit"]["N"]):
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "UpdateItem")
        self.counts[window] = self.counts.get(window, 0) + 1
        return {}


def test_the_limit_is_given_per_clock_hour_and_a_new_hour_has_its_own() -> None:
    moments = iter([NOON, NOON + timedelta(minutes=20), NOON + timedelta(minutes=40), NOON + HOUR])
    counter = Counter()
    rate = ChangeRate(counter, "state", limit=2, clock=lambda: next(moments))

    assert [rate.take() for _ in range(4)] == [True, True, False, True]
    assert counter.counts == {NOON.isoformat(): 2, (NOON + HOUR).isoformat(): 1}


def test_the_counter_is_one_item_per_hour_taken_atomically_with_its_expiry() -> None:
    counter = Counter()

    ChangeRate(counter, "state", limit=30, clock=lambda: NOON + timedelta(minutes=5)).take()

    (call,) = counter.calls
    assert call["Key"] == {"pk": {"S": RATE_KEY}, "sk": {"S": NOON.isoformat()}}
    assert call["ConditionExpression"] == "attribute_not_exists(changes) OR changes < :limit"
    assert call["ExpressionAttributeValues"][":expires_at"] == {"N": str(Window.of(NOON, HOUR).expires_at)}


def test_a_limit_of_zero_allows_no_change_and_asks_nothing() -> None:
    counter = Counter()

    assert ChangeRate(counter, "state", limit=0, clock=lambda: NOON).take() is False
    assert counter.calls == []


@pytest.mark.parametrize(
    "error",
    [
        ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "UpdateItem"),
        ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "UpdateItem"),
        EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
    ],
    ids=["throttled", "denied", "unreachable"],
)
def test_a_counter_that_cannot_be_written_is_doubt_not_a_yes(error: Exception) -> None:
    rate = ChangeRate(Counter(error), "state", limit=30, clock=lambda: NOON)

    with pytest.raises(RateUnknown, match="could not be written"):
        rate.take()


class Queue:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, **request: Any) -> dict[str, Any]:
        self.sent.append(request)
        return {"MessageId": "m"}


@pytest.mark.parametrize(
    ("delay", "seconds"),
    [(timedelta(seconds=52), 52), (timedelta(seconds=1, microseconds=1), 2), (timedelta(hours=1), 900)],
    ids=["whole-seconds", "rounded-up", "at-most-sqs-longest"],
)
def test_a_follow_up_is_never_delivered_before_its_delay(delay: timedelta, seconds: int) -> None:
    queue = Queue()

    queue_follow_up(queue, "https://sqs/follow-ups", FollowUp("111122223333", "us-east-1", NOON.isoformat()), delay)

    (sent,) = queue.sent
    assert sent["DelaySeconds"] == seconds
    assert FollowUp.from_message(sent["MessageBody"]) == FollowUp("111122223333", "us-east-1", NOON.isoformat())


def test_a_follow_up_queued_by_the_version_before_reads_after_a_deployment() -> None:
    """Those messages were the follow-up's fields through json.dumps, keys sorted."""
    body = json.dumps({"account_id": "111122223333", "region": "us-east-1", "window": NOON.isoformat()}, sort_keys=True)

    assert FollowUp.from_message(body) == FollowUp("111122223333", "us-east-1", NOON.isoformat())


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            '{"account_id": "1111", "region": "us-east-1", "window": "w"}',
            "the message: account_id '1111' is not an AWS account id",
        ),
        (
            '{"account_id": "111122223333", "region": "not a region!", "window": "w"}',
            "the message: region 'not a region!' is not a known AWS region",
        ),
        (
            '{"account_id": "111122223333", "region": "us-east-1"}',
            "the message: Object missing required field `window`",
        ),
        (
            '{"account_id": "111122223333", "region": "us-east-1", "window": "w", "vpc": "vpc-1"}',
            "the message: Object contains unknown field `vpc`",
        ),
        ("not json", "the message: JSON is malformed"),
    ],
    ids=["short-account", "bad-region", "no-window", "unknown-field", "not-json"],
)
def test_a_message_that_is_no_follow_up_is_refused_naming_what_is_wrong(body: str, said: str) -> None:
    with pytest.raises(FollowUpError, match=re.escape(f"not a follow-up ({said}")):
        FollowUp.from_message(body)
