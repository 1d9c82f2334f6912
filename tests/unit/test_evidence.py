"""The pure parts of CloudTrail evidence: who a record's caller is, which action it called, the per-caller,
per-action summary of one endpoint's records, and the pacing of requests."""

from __future__ import annotations

import json
from datetime import timedelta
from random import Random
from typing import Any

import msgspec
import pytest
from cloudtrail_support import ACCOUNT, ENDPOINT, NOW, OTHER_ENDPOINT, ROLE_ARN, FakeTime, assumed_role, record
from hypothesis import given
from hypothesis import strategies as st

from vpce_guard.aws import AwsSession
from vpce_guard.evidence import (
    ActionUse,
    Caller,
    CloudTrailRecord,
    EvidenceUnavailable,
    RequestPacer,
    action_of,
    caller_of,
    endpoint_activity,
    event_source_of,
    record_of,
    summarize,
)


def parsed(**options: Any) -> CloudTrailRecord:
    return msgspec.convert({"eventID": "e-1", **record(**options)}, CloudTrailRecord)


def caller_in(identity: dict[str, Any]) -> Caller:
    return caller_of(parsed(identity=identity).user_identity)


# --- Callers -------------------------------------------------------------------------------------------------


def test_an_assumed_role_is_its_role_whatever_the_session() -> None:
    assert (
        caller_in(assumed_role(session="a"))
        == caller_in(assumed_role(session="b"))
        == Caller("AssumedRole", ROLE_ARN, ACCOUNT)
    )


def test_an_aws_service_is_the_service_that_invoked_the_call() -> None:
    identity = {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}

    assert caller_in(identity) == Caller("AWSService", "ec2.amazonaws.com", None)


@pytest.mark.parametrize(
    ("kind", "provider"),
    [
        ("WebIdentityUser", f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"),
        ("SAMLUser", f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"),
    ],
)
def test_a_federated_user_is_its_identity_provider(kind: str, provider: str) -> None:
    identity = {"type": kind, "principalId": f"{provider}:user", "userName": "user", "identityProvider": provider}

    assert caller_in(identity) == Caller(kind, provider, None)


def test_an_unsigned_request_is_the_anonymous_caller() -> None:
    identity = {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}

    assert caller_in(identity) == Caller("Anonymous", "anonymous", None)


def test_another_accounts_caller_is_that_account() -> None:
    identity = {"type": "AWSAccount", "principalId": "AIDAEXAMPLE", "accountId": "210987654321"}

    assert caller_in(identity) == Caller("AWSAccount", "210987654321", "210987654321")


@pytest.mark.parametrize("kind", ["IAMUser", "Root", "FederatedUser"])
def test_users_and_root_are_their_arn(kind: str) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:user/alice"

    assert caller_in({"type": kind, "arn": arn, "accountId": ACCOUNT}) == Caller(kind, arn, ACCOUNT)


# --- Actions -------------------------------------------------------------------------------------------------


def test_an_action_is_the_iam_prefix_of_the_event_source_and_the_event_name() -> None:
    assert action_of(parsed(event_name="AssumeRoleWithWebIdentity")) == "sts:AssumeRoleWithWebIdentity"


def test_cloudwatch_events_come_from_monitoring() -> None:
    assert (
        action_of(parsed(event_name="PutMetricData", source="monitoring.amazonaws.com")) == "cloudwatch:PutMetricData"
    )
    assert event_source_of("cloudwatch") == "monitoring.amazonaws.com"
    assert event_source_of("sts") == "sts.amazonaws.com"


# --- The summary ---------------------------------------------------------------------------------------------


def test_calls_are_summed_per_caller_and_action_with_the_latest_time() -> None:
    role = Caller("AssumedRole", ROLE_ARN, ACCOUNT)
    records = [
        parsed(event_name="AssumeRole", at=NOW - timedelta(days=3)),
        parsed(event_name="AssumeRole", at=NOW - timedelta(days=1), identity=assumed_role(session="other")),
        parsed(event_name="GetCallerIdentity", at=NOW - timedelta(days=2)),
    ]

    assert summarize(records, ENDPOINT) == (
        ActionUse(role, "sts:AssumeRole", calls=2, failed_calls=0, last_seen=NOW - timedelta(days=1)),
        ActionUse(role, "sts:GetCallerIdentity", calls=1, failed_calls=0, last_seen=NOW - timedelta(days=2)),
    )


def test_only_calls_through_the_endpoint_count() -> None:
    records = [parsed(), parsed(endpoint=OTHER_ENDPOINT), parsed(endpoint=None)]

    assert [use.calls for use in summarize(records, ENDPOINT)] == [1]


def test_failed_calls_are_counted_among_the_calls() -> None:
    records = [parsed(), parsed(errorCode="AccessDenied", errorMessage="denied by the endpoint policy")]

    (use,) = summarize(records, ENDPOINT)

    assert (use.calls, use.failed_calls) == (2, 1)


def test_a_record_not_in_cloudtrails_shape_is_an_error_naming_the_event_and_the_field() -> None:
    broken = record()
    del broken["eventTime"]
    event = {"EventId": "e-42", "CloudTrailEvent": json.dumps({"eventID": "e-42", **broken})}

    with pytest.raises(
        EvidenceUnavailable, match=r"event e-42 .*CloudTrailEvent: Object missing required field `eventTime`"
    ):
        record_of(event, "us-east-1")


def test_a_record_nested_deeper_than_the_stack_is_an_error_naming_the_event() -> None:
    """requestParameters are the caller's: a JSON-protocol call may nest them as deep as it likes."""
    nested = record(requestParameters={"document": None})
    text = json.dumps({"eventID": "e-42", **nested}).replace("null", "[" * 100_000 + "]" * 100_000, 1)

    with pytest.raises(EvidenceUnavailable, match=r"event e-42 .*CloudTrailEvent: maximum recursion depth"):
        record_of({"EventId": "e-42", "CloudTrailEvent": text}, "us-east-1")


def test_a_record_that_is_not_json_is_an_error_naming_the_event() -> None:
    with pytest.raises(EvidenceUnavailable, match=r"event e-42 .*CloudTrailEvent: JSON is malformed"):
        record_of({"EventId": "e-42", "CloudTrailEvent": "{oops"}, "us-east-1")


# --- Pacing and arguments ------------------------------------------------------------------------------------


def test_a_third_request_waits_until_a_second_after_the_first() -> None:
    fake_time = FakeTime()
    pacer = RequestPacer(monotonic=fake_time.monotonic, sleep=fake_time.sleep)

    starts = []
    for _ in range(3):
        pacer.wait_turn()
        starts.append(fake_time.now)

    assert starts == [1000.0, 1000.0, 1001.0]


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"endpoint_id": "sg-0123456789abcdef0"}, "endpoint_id"),
        ({"days": 91}, "days: 91"),
        ({"max_pages": 0}, "max_pages: 0"),
    ],
)
def test_a_wrong_argument_is_refused_before_any_call(arguments: dict[str, Any], problem: str) -> None:
    session = AwsSession("us-east-1", endpoint_url="http://127.0.0.1:9")

    with pytest.raises(ValueError, match=problem):
        endpoint_activity(session, **({"endpoint_id": ENDPOINT, "iam_prefix": "sts"} | arguments))

    assert session.counter.total == 0


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["AssumeRole", "GetCallerIdentity"]),
            st.sampled_from([ENDPOINT, OTHER_ENDPOINT, None]),
            st.sampled_from(["a", "b"]),
            st.integers(min_value=0, max_value=29 * 24),
        ),
        max_size=30,
    ),
    st.randoms(),
)
def test_the_summary_counts_each_call_through_the_endpoint_once_in_any_order(
    calls: list[tuple[str, str | None, str, int]], shuffler: Random
) -> None:
    records = [
        parsed(
            event_name=name,
            endpoint=endpoint,
            identity=assumed_role(f"{ROLE_ARN}-{role}"),
            at=NOW - timedelta(hours=hours),
        )
        for name, endpoint, role, hours in calls
    ]
    shuffled = list(records)
    shuffler.shuffle(shuffled)

    summary = summarize(records, ENDPOINT)

    assert summarize(shuffled, ENDPOINT) == summary
    assert sum(use.calls for use in summary) == sum(endpoint == ENDPOINT for _, endpoint, _, _ in calls)
