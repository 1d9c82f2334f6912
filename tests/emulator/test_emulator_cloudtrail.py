"""CloudTrail's LookupEvents, which moto lacks, over HTTP: events recorded through the control path answered in
AWS's shape, with its lookup attributes, time range, paging, errors and throttling."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cloudtrail_support import ACCOUNT, ENDPOINT, NOW, REGION, assumed_role, record

from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

WINDOW = {"StartTime": NOW - timedelta(days=30), "EndTime": NOW}


@pytest.fixture
def cloudtrail(aws: Emulator) -> Any:
    return aws.client("cloudtrail", REGION)


def names(events: list[dict[str, Any]]) -> list[str]:
    return [event["EventName"] for event in events]


def error_code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def test_lookup_events_answers_a_recorded_event_in_aws_shape(aws: Emulator, cloudtrail: Any) -> None:
    bucket = {"ARN": "arn:aws:s3:::logs-bucket", "type": "AWS::S3::Bucket", "accountId": ACCOUNT}
    sent = record("GetBucketLocation", source="s3.amazonaws.com", resources=[bucket], readOnly=True)
    (event_id,) = aws.record_cloudtrail_events([sent])

    (event,) = cloudtrail.lookup_events(**WINDOW)["Events"]

    assert {key: event[key] for key in event if key not in ("EventTime", "CloudTrailEvent")} == {
        "EventId": event_id,
        "EventName": "GetBucketLocation",
        "ReadOnly": "true",
        "AccessKeyId": "ASIAEXAMPLE",
        "EventSource": "s3.amazonaws.com",
        "Username": "i-0123456789abcdef0",
        "Resources": [{"ResourceType": "AWS::S3::Bucket", "ResourceName": "arn:aws:s3:::logs-bucket"}],
    }
    assert event["EventTime"] == NOW - timedelta(days=1)
    assert json.loads(event["CloudTrailEvent"]) == {
        **sent,
        "eventID": event_id,
        "eventType": "AwsApiCall",
        "eventCategory": "Management",
    }


def test_the_record_keeps_its_endpoint_and_gains_what_cloudtrail_adds(aws: Emulator, cloudtrail: Any) -> None:
    aws.record_cloudtrail_events([record("AssumeRole")])

    (event,) = cloudtrail.lookup_events(**WINDOW)["Events"]
    kept = json.loads(event["CloudTrailEvent"])

    assert kept["vpcEndpointId"] == ENDPOINT
    assert kept["eventID"] == event["EventId"]
    assert (kept["eventType"], kept["eventCategory"], kept["readOnly"]) == ("AwsApiCall", "Management", False)


def test_events_come_newest_first(aws: Emulator, cloudtrail: Any) -> None:
    aws.record_cloudtrail_events(
        [record(name, at=NOW - timedelta(hours=hours)) for name, hours in (("Old", 30), ("New", 1), ("Mid", 5))]
    )

    assert names(cloudtrail.lookup_events(**WINDOW)["Events"]) == ["New", "Mid", "Old"]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("EventName", "AssumeRole", ["AssumeRole"]),
        ("EventSource", "s3.amazonaws.com", ["ListBuckets"]),
        ("ReadOnly", "true", ["ListBuckets", "GetCallerIdentity"]),
        ("Username", "ci-runner", ["AssumeRole"]),
        ("AccessKeyId", "ASIAEXAMPLE", ["ListBuckets", "GetCallerIdentity"]),
        ("ResourceType", "AWS::IAM::Role", ["AssumeRole"]),
        ("ResourceName", "arn:aws:iam::123456789012:role/deploy", ["AssumeRole"]),
    ],
)
def test_a_lookup_attribute_selects_the_events_that_match_it_exactly(
    aws: Emulator, cloudtrail: Any, key: str, value: str, expected: list[str]
) -> None:
    role = {"ARN": "arn:aws:iam::123456789012:role/deploy", "type": "AWS::IAM::Role"}
    aws.record_cloudtrail_events(
        [
            record("GetCallerIdentity", at=NOW - timedelta(hours=3), readOnly=True),
            record("AssumeRole", at=NOW - timedelta(hours=2), identity=assumed_role(session="ci-runner") | {
                "accessKeyId": "ASIAOTHER"}, resources=[role]),
            record("ListBuckets", source="s3.amazonaws.com", at=NOW - timedelta(hours=1), readOnly=True),
        ]
    )  # fmt: skip

    found = cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}], **WINDOW)

    assert names(found["Events"]) == expected


def test_the_time_range_includes_both_ends(aws: Emulator, cloudtrail: Any) -> None:
    start, end = NOW - timedelta(days=2), NOW - timedelta(days=1)
    aws.record_cloudtrail_events(
        [record(name, at=at) for name, at in (("Before", start - timedelta(seconds=1)), ("Start", start),
                                              ("End", end), ("After", end + timedelta(seconds=1)))]
    )  # fmt: skip

    assert names(cloudtrail.lookup_events(StartTime=start, EndTime=end)["Events"]) == ["End", "Start"]


def test_data_events_are_kept_out_of_event_history(aws: Emulator, cloudtrail: Any) -> None:
    aws.record_cloudtrail_events(
        [record("GetObject", source="s3.amazonaws.com", eventCategory="Data"), record("ListBuckets")]
    )

    assert names(cloudtrail.lookup_events(**WINDOW)["Events"]) == ["ListBuckets"]


def test_each_account_and_region_has_its_own_history(aws: Emulator, cloudtrail: Any) -> None:
    aws.record_cloudtrail_events(
        [
            record("Here"),
            record("OtherRegion", awsRegion="eu-west-1"),
            record("OtherAccount", recipientAccountId="210987654321"),
        ]
    )

    assert names(cloudtrail.lookup_events(**WINDOW)["Events"]) == ["Here"]
    assert names(aws.client("cloudtrail", "eu-west-1").lookup_events(**WINDOW)["Events"]) == ["OtherRegion"]
    other_account = aws.client("cloudtrail", REGION, account_id="210987654321")
    assert names(other_account.lookup_events(**WINDOW)["Events"]) == ["OtherAccount"]


def test_pages_hold_fifty_events_and_the_token_leads_to_the_rest(aws: Emulator, cloudtrail: Any) -> None:
    aws.record_cloudtrail_events([record(f"Call{n:03}", at=NOW - timedelta(minutes=n)) for n in range(120)])

    pages = list(cloudtrail.get_paginator("lookup_events").paginate(**WINDOW))

    assert [len(page["Events"]) for page in pages] == [50, 50, 20]
    assert [name for page in pages for name in names(page["Events"])] == [f"Call{n:03}" for n in range(120)]
    assert "NextToken" not in pages[-1]


def test_max_results_sets_the_page_size(aws: Emulator, cloudtrail: Any) -> None:
    aws.record_cloudtrail_events([record(f"Call{n}", at=NOW - timedelta(minutes=n)) for n in range(3)])

    first = cloudtrail.lookup_events(MaxResults=2, **WINDOW)
    second = cloudtrail.lookup_events(MaxResults=2, NextToken=first["NextToken"], **WINDOW)

    assert (names(first["Events"]), names(second["Events"])) == (["Call0", "Call1"], ["Call2"])


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (
            {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "A"},
                                  {"AttributeKey": "EventSource", "AttributeValue": "sts.amazonaws.com"}]},
            "InvalidLookupAttributesException",
        ),
        ({"LookupAttributes": [{"AttributeKey": "VpcEndpointId", "AttributeValue": ENDPOINT}]},
         "InvalidLookupAttributesException"),
        ({"StartTime": NOW, "EndTime": NOW - timedelta(days=1)}, "InvalidTimeRangeException"),
        ({"MaxResults": 51}, "InvalidMaxResultsException"),
        ({"NextToken": "not-a-token"}, "InvalidNextTokenException"),
        ({"EventCategory": "management"}, "InvalidEventCategoryException"),
    ],
)  # fmt: skip
def test_a_wrong_request_gets_the_error_aws_names(cloudtrail: Any, request_: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as caught:
        cloudtrail.lookup_events(**request_)

    assert error_code(caught) == code


def test_a_throttled_request_gets_rate_exceeded_until_the_refusals_run_out(aws: Emulator, cloudtrail: Any) -> None:
    aws.record_cloudtrail_events([record("AssumeRole")])
    aws.throttle_lookup_events(2)

    refused = []
    for _ in range(2):
        with pytest.raises(ClientError) as caught:
            cloudtrail.lookup_events(**WINDOW)
        refused.append((error_code(caught), caught.value.response["Error"]["Message"]))

    assert refused == [("ThrottlingException", "Rate exceeded")] * 2
    assert names(cloudtrail.lookup_events(**WINDOW)["Events"]) == ["AssumeRole"]


def test_throttling_is_per_account_and_region(aws: Emulator, cloudtrail: Any) -> None:
    aws.throttle_lookup_events(1, region="eu-west-1")

    assert cloudtrail.lookup_events(**WINDOW)["Events"] == []


def test_a_malformed_record_is_refused_by_field_path_and_nothing_is_recorded(aws: Emulator, cloudtrail: Any) -> None:
    broken = record("AssumeRole", eventTime="yesterday")
    del broken["userIdentity"]

    with pytest.raises(ValueError, match=r"Records\[1\]\.eventTime: Invalid RFC3339 encoded datetime"):
        aws.record_cloudtrail_events([record("GetCallerIdentity"), broken])

    assert cloudtrail.lookup_events(**WINDOW)["Events"] == []


def test_a_reset_forgets_the_events(aws: Emulator, cloudtrail: Any) -> None:
    aws.record_cloudtrail_events([record("AssumeRole")])

    aws.reset()

    assert cloudtrail.lookup_events(**WINDOW)["Events"] == []


def test_throttling_a_malformed_account_is_refused(aws: Emulator) -> None:
    with pytest.raises(ValueError, match="12 digits"):
        aws.throttle_lookup_events(1, account_id="1234")
