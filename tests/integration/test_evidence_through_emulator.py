"""CloudTrail evidence read through the emulator over HTTP: one endpoint's calls among others', every page read,
2 requests per second kept, throttling retried, and a read cut by its page cap said to be partial; and who last
set a tag on a resource."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from cloudtrail_support import (
    ACCOUNT,
    ENDPOINT,
    NOW,
    OTHER_ENDPOINT,
    REGION,
    ROLE_ARN,
    FakeTime,
    assumed_role,
    create_tags,
    record,
)

from vpce_guard.aws import AwsSession
from vpce_guard.evidence import (
    BACKOFF_SECONDS,
    CANNOT_SEE,
    THROTTLE_RETRIES,
    Caller,
    EndpointActivity,
    EvidenceUnavailable,
    RequestPacer,
    endpoint_activity,
    tag_setter,
)
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

ROLE = Caller("AssumedRole", ROLE_ARN, ACCOUNT)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def session(aws_env: Emulator) -> AwsSession:
    return AwsSession(REGION, endpoint_url=aws_env.url)


def read(session: AwsSession, fake_time: FakeTime, **options: Any) -> EndpointActivity:
    pacer = RequestPacer(monotonic=fake_time.monotonic, sleep=fake_time.sleep)
    return endpoint_activity(session, ENDPOINT, "sts", now=lambda: NOW, pacer=pacer, **options)


def calls_through_endpoint(count: int) -> list[dict[str, Any]]:
    return [record("AssumeRole", at=NOW - timedelta(minutes=n)) for n in range(count)]


def test_only_the_endpoints_calls_are_gathered(aws_env: Emulator, session: AwsSession, fake_time: FakeTime) -> None:
    web_identity = {"type": "WebIdentityUser", "identityProvider": "token.actions.githubusercontent.com"}
    aws_env.record_cloudtrail_events(
        [
            record("AssumeRole", at=NOW - timedelta(days=2)),
            record("AssumeRole", at=NOW - timedelta(days=1), identity=assumed_role(session="another")),
            record("AssumeRoleWithWebIdentity", identity=web_identity),
            record("AssumeRole", endpoint=OTHER_ENDPOINT),
            record("AssumeRole", endpoint=None),
            record("GetBucketPolicy", source="s3.amazonaws.com"),
        ]
    )

    activity = read(session, fake_time)

    assert [(use.caller, use.action, use.calls, use.last_seen) for use in activity.uses] == [
        (ROLE, "sts:AssumeRole", 2, NOW - timedelta(days=1)),
        (
            Caller("WebIdentityUser", "token.actions.githubusercontent.com", None),
            "sts:AssumeRoleWithWebIdentity",
            1,
            NOW - timedelta(days=1),
        ),
    ]
    assert (activity.event_source, activity.events_read, activity.partial) == ("sts.amazonaws.com", 5, False)


def test_calls_before_the_window_are_not_evidence(aws_env: Emulator, session: AwsSession, fake_time: FakeTime) -> None:
    aws_env.record_cloudtrail_events(
        [record("AssumeRole", at=NOW - timedelta(days=31)), record("GetCallerIdentity", at=NOW - timedelta(days=29))]
    )

    activity = read(session, fake_time)

    assert [use.action for use in activity.uses] == ["sts:GetCallerIdentity"]
    assert (activity.start, activity.end) == (NOW - timedelta(days=30), NOW)


def test_data_events_are_not_seen_and_the_result_says_so(
    aws_env: Emulator, session: AwsSession, fake_time: FakeTime
) -> None:
    aws_env.record_cloudtrail_events([record("GetObject", source="s3.amazonaws.com", eventCategory="Data")])

    activity = endpoint_activity(
        session,
        ENDPOINT,
        "s3",
        now=lambda: NOW,
        pacer=RequestPacer(monotonic=fake_time.monotonic, sleep=fake_time.sleep),
    )

    assert activity.uses == ()
    assert activity.cannot_see == CANNOT_SEE
    assert "data events" in activity.cannot_see


def test_every_page_is_read_one_call_each(aws_env: Emulator, session: AwsSession, fake_time: FakeTime) -> None:
    aws_env.record_cloudtrail_events(calls_through_endpoint(120))

    activity = read(session, fake_time)

    assert [(use.action, use.calls) for use in activity.uses] == [("sts:AssumeRole", 120)]
    assert (activity.pages_read, activity.events_read, activity.partial) == (3, 120, False)
    assert session.counter.calls == Counter({"LookupEvents": 3})


def test_no_more_than_two_requests_start_in_any_second(
    aws_env: Emulator, session: AwsSession, fake_time: FakeTime
) -> None:
    aws_env.record_cloudtrail_events(calls_through_endpoint(300))
    starts: list[float] = []
    session.client("cloudtrail").meta.events.register("before-call", lambda **_: starts.append(fake_time.now))

    read(session, fake_time)

    assert len(starts) == 6
    assert max(Counter(math.floor(start) for start in starts).values()) == 2
    assert all(later - earlier >= 1.0 for earlier, later in zip(starts, starts[2:], strict=False))


def test_throttling_is_retried_with_growing_backoff(
    aws_env: Emulator, session: AwsSession, fake_time: FakeTime
) -> None:
    aws_env.record_cloudtrail_events(calls_through_endpoint(3))
    aws_env.throttle_lookup_events(3)

    activity = read(session, fake_time)

    assert [use.calls for use in activity.uses] == [3]
    assert fake_time.slept[-3:] == [BACKOFF_SECONDS, 2 * BACKOFF_SECONDS, 4 * BACKOFF_SECONDS]
    assert session.counter.calls == Counter({"LookupEvents": 4})


def test_throttling_that_outlasts_the_retries_fails_the_read(
    aws_env: Emulator, session: AwsSession, fake_time: FakeTime
) -> None:
    aws_env.throttle_lookup_events(THROTTLE_RETRIES + 1)

    with pytest.raises(
        EvidenceUnavailable, match=r"LookupEvents failed in us-east-1: ThrottlingException: Rate exceeded"
    ):
        read(session, fake_time)

    assert session.counter.calls == Counter({"LookupEvents": THROTTLE_RETRIES + 1})


def test_a_read_stopped_by_its_page_cap_is_partial(aws_env: Emulator, session: AwsSession, fake_time: FakeTime) -> None:
    aws_env.record_cloudtrail_events(calls_through_endpoint(120))

    activity = read(session, fake_time, max_pages=2)

    assert (activity.pages_read, activity.events_read, activity.partial) == (2, 100, True)
    assert [use.calls for use in activity.uses] == [100]


def test_a_read_that_ends_on_the_cap_exactly_is_whole(
    aws_env: Emulator, session: AwsSession, fake_time: FakeTime
) -> None:
    aws_env.record_cloudtrail_events(calls_through_endpoint(100))

    activity = read(session, fake_time, max_pages=2)

    assert (activity.pages_read, activity.partial) == (2, False)


def test_who_set_a_tag_is_the_latest_successful_create_tags_of_that_key_on_the_resource(
    aws_env: Emulator, session: AwsSession, fake_time: FakeTime
) -> None:
    owner, intruder = f"arn:aws:iam::{ACCOUNT}:role/owner", f"arn:aws:iam::{ACCOUNT}:role/intruder"
    other_key = create_tags(ENDPOINT, "x", intruder, at=NOW - timedelta(hours=1))
    other_key["requestParameters"]["tagSet"]["items"][0]["key"] = "team"
    aws_env.record_cloudtrail_events(
        [
            create_tags(ENDPOINT, "all until=2026-03-30", ROLE_ARN, at=NOW - timedelta(days=3)),
            create_tags(ENDPOINT, "all until=2026-03-31", owner, at=NOW - timedelta(days=2)),
            create_tags(
                ENDPOINT, "all until=2026-04-30", intruder, at=NOW - timedelta(days=1), errorCode="Client.Unauthorized"
            ),
            create_tags(OTHER_ENDPOINT, "all until=2026-04-30", intruder, at=NOW - timedelta(hours=2)),
            other_key,
        ]
    )
    pacer = RequestPacer(monotonic=fake_time.monotonic, sleep=fake_time.sleep)

    setter = tag_setter(session, ENDPOINT, "vpce-guard:exempt", now=lambda: NOW, pacer=pacer)

    assert setter is not None
    assert (setter.principal, setter.value, setter.event_time) == (
        owner,
        "all until=2026-03-31",
        NOW - timedelta(days=2),
    )


def test_a_tag_set_outside_event_history_has_no_setter(aws_env: Emulator, session: AwsSession) -> None:
    aws_env.record_cloudtrail_events([create_tags(ENDPOINT, "all until=2026-03-31", at=NOW - timedelta(days=91))])

    assert tag_setter(session, ENDPOINT, "vpce-guard:exempt", now=lambda: NOW) is None


def test_a_create_tags_record_not_in_ec2s_shape_is_an_error_naming_the_event(
    aws_env: Emulator, session: AwsSession
) -> None:
    broken = create_tags(ENDPOINT, "all until=2026-03-31")
    broken["requestParameters"] = {"tagSet": {"items": [{"value": "no key"}]}}
    (event_id,) = aws_env.record_cloudtrail_events([broken])

    with pytest.raises(EvidenceUnavailable, match=f"CreateTags event {event_id} whose requestParameters") as failed:
        tag_setter(session, ENDPOINT, "vpce-guard:exempt", now=lambda: NOW)
    assert "tagSet.items[0]: Object missing required field `key`" in str(failed.value)
