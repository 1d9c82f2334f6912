"""Fair under a flood, through the emulator over HTTP: each (account, Region) gets a minute's evaluations at once,
then one follow-up, so that one member looping rule changes cannot put more than that many evaluations ahead of
another member's event, and loses nothing: its follow-up judges the account after its last event.

The event windows' clock is injected (a fixed moment inside one minute); the follow-up, which SQS holds until
the minute has ended, is handed to the on-change function as Lambda's event source would hand it over then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from org_support import Hub

from vpce_guard import lambda_app
from vpce_guard.functions import on_change as on_change_app
from vpce_guard.state import StateStore
from vpce_guard.throttle import EVALUATIONS_PER_WINDOW, FOLLOW_UP_MARGIN, MINUTE, EventWindows, FollowUp, Window
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import PlantedMistake
from vpce_guard_local.sam.queues import lambda_sqs_event
from vpce_guard_local.samples import SAMPLE_ACCOUNT, SAMPLE_GROUP, load_event, retarget

pytestmark = pytest.mark.server

MOMENT = datetime(2026, 11, 22, 12, 0, 10, tzinfo=UTC)  # ten seconds into a minute
FLOOD = 3 * EVALUATIONS_PER_WINDOW
LOOPED_RULE = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.40.0.0/16"}]}
HTTPS_RULE = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.40.0.0/16"}]}


# The windows themselves, against the emulator's state table ---------------------------------------------------


@pytest.fixture
def windows(aws_env: Emulator, state_table: str) -> EventWindows:
    return EventWindows(aws_env.client("dynamodb", REGION), state_table, per_window=3, clock=lambda: MOMENT)


def test_a_window_evaluates_its_first_events_then_queues_one_follow_up_and_coalesces_the_rest(
    windows: EventWindows,
) -> None:
    admissions = [windows.admit("111111111111", REGION, f"event-{n}") for n in range(6)]

    assert [a.evaluate for a in admissions] == [True, True, True, False, False, False]
    window_end = datetime(2026, 11, 22, 12, 1, tzinfo=UTC)
    assert [a.follow_up_in for a in admissions] == [
        None,
        None,
        None,
        window_end + FOLLOW_UP_MARGIN - MOMENT,
        None,
        None,
    ]
    assert {a.window for a in admissions} == {Window.of(MOMENT, MINUTE)}


def test_each_account_and_region_has_a_window_of_its_own(windows: EventWindows) -> None:
    for n in range(4):
        windows.admit("111111111111", REGION, f"busy-{n}")

    assert windows.admit("222222222222", REGION, "quiet").evaluate
    assert windows.admit("111111111111", "eu-west-1", "elsewhere").evaluate


def test_a_new_minute_is_a_new_window(windows: EventWindows) -> None:
    for n in range(5):
        windows.admit("111111111111", REGION, f"busy-{n}")
    windows.clock = lambda: MOMENT + MINUTE

    assert windows.admit("111111111111", REGION, "next-minute").evaluate


def test_only_a_retried_delivery_of_the_event_that_queued_the_follow_up_queues_it_again(
    windows: EventWindows,
) -> None:
    """Its queueing failed and it raised, so Lambda delivers it again; any other event is coalesced."""
    for n in range(3):
        windows.admit("111111111111", REGION, f"busy-{n}")
    first = windows.admit("111111111111", REGION, "queues-it")

    again, other = windows.admit("111111111111", REGION, "queues-it"), windows.admit("111111111111", REGION, "other")

    assert (first.follow_up_in is not None, again.follow_up_in == first.follow_up_in) == (True, True)
    assert (other.evaluate, other.follow_up_in) == (False, None)


# The on-change function under a flood -------------------------------------------------------------------------


@pytest.fixture
def on_change(hub_handler_of: Callable[..., Callable[[dict[str, Any]], Any]]) -> Callable[[Any], Any]:
    """The hub's on-change handler, cold, its event windows' clock at ``MOMENT``."""
    handler = hub_handler_of("on_change")
    on_change_app.event_windows().clock = lambda: MOMENT
    return handler


def rule_change(mistake: PlantedMistake, name: str, n: int) -> dict[str, Any]:
    """The CloudTrail record of a rule change on the mistake's endpoint group, event ``n`` of its account."""
    event = retarget(load_event(name), {SAMPLE_ACCOUNT: mistake.account_id, SAMPLE_GROUP: mistake.group_id})
    return {**event, "id": f"{n:08d}-0000-4000-8000-{mistake.account_id}"}


def flood_of(hub: Hub, mistake: PlantedMistake, count: int) -> list[tuple[Callable[[], Any], dict[str, Any]]]:
    """A member looping Authorize/Revoke of an SSH rule on its endpoint's group, and last revoking the HTTPS
    rule the endpoint needs: each step the call made in the member, then its event."""
    ec2 = hub.member_client("ec2", mistake.account_id)
    group = mistake.group_id
    steps: list[tuple[Callable[[], Any], dict[str, Any]]] = []
    for n in range(count - 1):
        if n % 2 == 0:
            authorize = partial(ec2.authorize_security_group_ingress, GroupId=group, IpPermissions=[LOOPED_RULE])
            steps.append((authorize, rule_change(mistake, "cloudtrail-authorize-security-group-ingress", n)))
        else:
            revoke = partial(ec2.revoke_security_group_ingress, GroupId=group, IpPermissions=[LOOPED_RULE])
            steps.append((revoke, rule_change(mistake, "cloudtrail-revoke-security-group-ingress", n)))
    revoke_https = partial(ec2.revoke_security_group_ingress, GroupId=group, IpPermissions=[HTTPS_RULE])
    return [*steps, (revoke_https, rule_change(mistake, "cloudtrail-revoke-security-group-ingress", count - 1))]


def created(mistake: PlantedMistake) -> dict[str, Any]:
    return retarget(load_event("cloudtrail-create-vpc-endpoint-interface"), mistake.story_ids())


def checks_found(store: StateStore, mistake: PlantedMistake) -> set[str]:
    return {r.check_id for r in store.records(mistake.account_id, REGION) if r.resource_id == mistake.endpoint_id}


def follow_up_delivery(follow_up: FollowUp, queue_arn: str) -> dict[str, Any]:
    """The follow-up as Lambda's SQS event source hands it to the function once its delay has passed."""
    message = {
        "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274",
        "ReceiptHandle": "follow-up",
        "Body": follow_up.to_message(),
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795348810000"},
        "MD5OfBody": "",
    }
    return lambda_sqs_event([message], queue_arn)


def test_a_flooding_member_delays_another_members_event_by_a_bounded_number_of_evaluations_and_loses_nothing(
    hub: Hub, on_change: Callable[[Any], Any], aws_env: Emulator, state_table: str
) -> None:
    flooding, other = (hub.plant(member) for member in hub.organization.member_account_ids[:2])
    store = StateStore(aws_env.client("dynamodb", REGION), state_table)
    flood = flood_of(hub, flooding, FLOOD)

    flooded, calls = [], []  # each event's answer, and the EC2 and STS calls it made
    for change, event in flood:
        change()
        before = len(aws_env.recorded_calls())
        flooded.append(on_change(event))
        calls.append([c.operation for c in aws_env.recorded_calls()[before:] if c.service in ("ec2", "sts")])
    others = on_change(created(other))

    evaluated = [result for result in flooded if "findings" in result]
    assert len(evaluated) == EVALUATIONS_PER_WINDOW  # ahead of the other member's event, whatever the flood's size
    assert [result.get("follow_up_queued") for result in flooded[EVALUATIONS_PER_WINDOW:]] == [True] + [False] * (
        FLOOD - EVALUATIONS_PER_WINDOW - 1
    )
    assert others["account_id"] == other.account_id  # evaluated, not coalesced
    assert "private-dns-disabled" in checks_found(store, other)
    # A coalesced event makes no EC2 or STS call: the flood costs its evaluations' calls, not one evaluation each.
    coalesced = [made for made, result in zip(calls, flooded, strict=True) if "coalesced" in result]
    evaluations = [made for made, result in zip(calls, flooded, strict=True) if "findings" in result]
    assert coalesced == [[]] * (FLOOD - EVALUATIONS_PER_WINDOW)
    assert sum(map(len, calls)) == sum(map(len, evaluations)) < FLOOD * min(map(len, evaluations))
    # The last event (HTTPS revoked) was coalesced: not judged yet, and its follow-up is waiting in the queue.
    assert "sg-https-blocked" not in checks_found(store, flooding)
    sqs = aws_env.client("sqs", REGION)
    queue_url = lambda_app.environment().follow_up_queue_url
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessagesDelayed"], attributes["ApproximateNumberOfMessages"]) == ("1", "0")

    window = Window.of(MOMENT, MINUTE).key
    reply = on_change(follow_up_delivery(FollowUp(flooding.account_id, REGION, window), attributes["QueueArn"]))

    assert reply == {"batchItemFailures": []}
    assert "sg-https-blocked" in checks_found(store, flooding)


def test_duplicate_deliveries_during_a_flood_queue_one_follow_up(
    hub: Hub, on_change: Callable[[Any], Any], aws_env: Emulator
) -> None:
    """Idempotency on the event id holds in a busy window: a duplicate gets its first delivery's answer."""
    flooding = hub.plant(hub.organization.member_account_ids[0])
    *before, (last_change, last_event) = flood_of(hub, flooding, EVALUATIONS_PER_WINDOW + 1)
    for change, event in before:
        change()
        on_change(event)
    last_change()

    answers = [on_change(last_event) for _ in range(5)]

    assert [answer["follow_up_queued"] for answer in answers] == [True] * 5
    queue_url = lambda_app.environment().follow_up_queue_url
    delayed = aws_env.client("sqs", REGION).get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]["ApproximateNumberOfMessagesDelayed"]
    assert delayed == "1"


def test_a_follow_up_that_is_not_one_is_dropped_without_any_aws_call(
    on_change: Callable[[Any], Any], aws_env: Emulator
) -> None:
    aws_env.clear_recorded_calls()
    message = {"MessageId": "m-1", "ReceiptHandle": "r", "Body": '{"account_id": "x"}', "MD5OfBody": ""}

    reply = on_change(lambda_sqs_event([message], f"arn:aws:sqs:{REGION}:123456789012:follow-ups"))

    assert reply == {"batchItemFailures": []}
    assert aws_env.recorded_calls() == []
