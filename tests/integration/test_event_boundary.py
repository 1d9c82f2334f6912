"""The on-change function's boundary, as Lambda runs it against the emulator: an event that is malformed, whose
body disagrees with its envelope, or whose account the function cannot reach is logged, counted and dropped,
with no AWS call at all (the emulator records every call it receives)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from org_support import OUTSIDER, Hub

from vpce_guard import lambda_app
from vpce_guard.trigger import TriggerError, parse_api_change
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.samples import SAMPLE_ACCOUNT, load_event, retarget

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"  # the account of the function's ARN in the test context


def sample(name: str = "cloudtrail-modify-vpc-endpoint") -> dict[str, Any]:
    return retarget(load_event(name), {SAMPLE_ACCOUNT: ACCOUNT})


@pytest.fixture
def on_change(handler_of: Any, aws_env: Emulator) -> Callable[[Any], Any]:
    """The on-change handler, cold, with the emulator's record of calls emptied after its set-up."""
    handler = handler_of("on_change")
    aws_env.clear_recorded_calls()
    return handler  # type: ignore[no-any-return]


def with_body(event: dict[str, Any], **detail: Any) -> dict[str, Any]:
    return {**event, "detail": {**event["detail"], **detail}}


def with_envelope(event: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    return {**event, **envelope}


@pytest.mark.parametrize(
    ("case", "event"),
    [
        ("body names another account", with_body(sample(), recipientAccountId="444455556666")),
        ("body names another region", with_body(sample(), awsRegion="eu-west-1")),
        ("a region no partition knows", with_body(with_envelope(sample(), region="not a region!"), awsRegion=None)),
        ("an account of one space", with_body(with_envelope(sample(), account=" "), recipientAccountId=" ")),
        ("an account of one letter", with_body(with_envelope(sample(), account="x"), recipientAccountId="x")),
        ("not an object", ["an", "array"]),
        ("a string", "CreateVpcEndpoint"),
        ("no detail", {key: value for key, value in sample().items() if key != "detail"}),
    ],
)
def test_a_malformed_event_is_dropped_with_no_aws_call(
    on_change: Callable[[Any], Any], aws_env: Emulator, case: str, event: Any
) -> None:
    result = on_change(event)

    assert result["ignored"].startswith("malformed event: ")
    assert aws_env.recorded_calls() == []


def test_an_event_of_another_account_is_dropped_by_a_stack_that_is_no_hub_with_no_aws_call(
    on_change: Callable[[Any], Any], aws_env: Emulator
) -> None:
    event = retarget(load_event("cloudtrail-modify-vpc-endpoint"), {SAMPLE_ACCOUNT: "999999999999"})

    result = on_change(event)

    assert result["ignored"] == (
        f"account 999999999999 is not this stack's own ({ACCOUNT}), and a stack that is no hub reaches no other"
    )
    assert aws_env.recorded_calls() == []


def test_an_event_of_an_account_out_of_the_hubs_reach_is_dropped_and_its_refusal_remembered(
    hub_handler_of: Any, hub: Hub, aws_env: Emulator
) -> None:
    on_change = hub_handler_of("on_change")
    event = retarget(load_event("cloudtrail-modify-vpc-endpoint"), {SAMPLE_ACCOUNT: OUTSIDER})
    aws_env.clear_recorded_calls()

    first = on_change(event)
    first_calls = [call.operation for call in aws_env.recorded_calls()]
    aws_env.clear_recorded_calls()
    again = [on_change({**event, "id": f"flood-{n}"}) for n in range(5)]

    assert f"account {OUTSIDER} is out of reach" in first["ignored"]
    assert first_calls.count("AssumeRole") == 1
    assert all(f"account {OUTSIDER} is out of reach" in result["ignored"] for result in again)
    assert aws_env.recorded_calls() == []


# Values of every JSON type, for fields the trigger reads and for whole events.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
FIELDS = (
    ("id",),
    ("account",),
    ("region",),
    ("time",),
    ("detail",),
    ("detail", "eventName"),
    ("detail", "eventSource"),
    ("detail", "awsRegion"),
    ("detail", "recipientAccountId"),
    ("detail", "errorCode"),
    ("detail", "requestParameters"),
    ("detail", "responseElements"),
)


def replaced(event: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(event))
    container = copy
    for key in path[:-1]:
        container = container[key]
    container[path[-1]] = value
    return copy


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(FIELDS), value=JSON, whole=st.booleans(), anything=JSON)
def test_a_generated_event_never_crashes_the_handler_and_a_malformed_one_makes_no_aws_call(
    on_change: Callable[[Any], Any], aws_env: Emulator, path: tuple[str, ...], value: Any, whole: bool, anything: Any
) -> None:
    event = anything if whole else replaced(sample(), path, value)
    aws_env.clear_recorded_calls()
    try:
        parse_api_change(event)
    except TriggerError:
        malformed = True
    else:
        malformed = False

    result = on_change(event)

    assert isinstance(result, dict)
    if malformed:
        assert result["ignored"].startswith("malformed event: ")
        assert aws_env.recorded_calls() == []


def test_the_calls_an_accepted_event_makes_are_counted_by_the_function(
    on_change: Callable[[Any], Any], aws_env: Emulator
) -> None:
    """The contrast to the cases above: a well-formed event of the stack's own account does reach AWS."""
    on_change(sample())

    assert aws_env.recorded_calls() != []
    assert lambda_app.session_for(REGION).counter.total > 0
