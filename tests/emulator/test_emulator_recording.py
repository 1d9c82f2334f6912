"""Call recording over HTTP: each AWS request the emulator receives is kept as (access key, service, operation)."""

from __future__ import annotations

import contextlib
import functools
import json
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from vpce_guard_local.emulator import CLIENT_CONFIG, Emulator, RecordedCall
from vpce_guard_local.emulator.recording import UNKNOWN_OPERATION

pytestmark = pytest.mark.server

REGION = "us-east-1"
FUNCTION_KEY = "AKIAFUNCTIONONE00001"
OTHER_KEY = "AKIAFUNCTIONTWO00002"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def client_as(aws: Emulator, access_key_id: str, service: str) -> Any:
    """A client signing with ``access_key_id``, as a Lambda with its own role's credentials would."""
    return _client(aws.url, access_key_id, service)


@functools.cache
def _client(url: str, access_key_id: str, service: str) -> Any:
    return _session(access_key_id).client(service, endpoint_url=url, config=CLIENT_CONFIG)


@functools.cache
def _session(access_key_id: str) -> Any:
    return boto3.session.Session(aws_access_key_id=access_key_id, aws_secret_access_key="testing", region_name=REGION)


def calls_of(aws: Emulator, access_key_id: str) -> list[RecordedCall]:
    return [call for call in aws.recorded_calls() if call.access_key_id == access_key_id]


def test_calls_are_recorded_with_access_key_service_and_operation(aws: Emulator) -> None:
    client_as(aws, FUNCTION_KEY, "ec2").describe_vpcs()
    client_as(aws, FUNCTION_KEY, "dynamodb").list_tables()

    assert calls_of(aws, FUNCTION_KEY) == [
        RecordedCall(FUNCTION_KEY, "ec2", "DescribeVpcs"),
        RecordedCall(FUNCTION_KEY, "dynamodb", "ListTables"),
    ]


def test_calls_of_different_credentials_are_kept_apart(aws: Emulator) -> None:
    client_as(aws, FUNCTION_KEY, "sts").get_caller_identity()
    client_as(aws, OTHER_KEY, "ec2").describe_vpc_endpoints()

    assert [call.iam_action for call in calls_of(aws, FUNCTION_KEY)] == ["sts:GetCallerIdentity"]
    assert [call.iam_action for call in calls_of(aws, OTHER_KEY)] == ["ec2:DescribeVpcEndpoints"]


def test_a_call_that_fails_is_recorded_too(aws: Emulator) -> None:
    with pytest.raises(ClientError):
        client_as(aws, FUNCTION_KEY, "ec2").describe_vpc_endpoints(VpcEndpointIds=["vpce-0123456789abcdef0"])

    assert calls_of(aws, FUNCTION_KEY) == [RecordedCall(FUNCTION_KEY, "ec2", "DescribeVpcEndpoints")]


def test_a_form_encoded_body_still_reaches_moto_whole(aws: Emulator) -> None:
    ec2 = client_as(aws, FUNCTION_KEY, "ec2")

    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "recorded"}]}
    ])["Vpc"]  # fmt: skip

    assert vpc["CidrBlock"] == "10.42.0.0/16"
    assert vpc["Tags"] == [{"Key": "Name", "Value": "recorded"}]
    assert calls_of(aws, FUNCTION_KEY) == [RecordedCall(FUNCTION_KEY, "ec2", "CreateVpc")]


@pytest.mark.parametrize(
    ("service", "call", "iam_action"),
    [
        ("ec2", lambda client: client.describe_vpc_endpoints(), "ec2:DescribeVpcEndpoints"),
        ("dynamodb", lambda client: client.list_tables(), "dynamodb:ListTables"),
        ("config", lambda client: client.describe_config_rules(), "config:DescribeConfigRules"),
        ("sts", lambda client: client.get_caller_identity(), "sts:GetCallerIdentity"),
        ("sqs", lambda client: client.list_queues(), "sqs:ListQueues"),
        ("events", lambda client: client.list_rules(), "events:ListRules"),
        ("logs", lambda client: client.describe_log_groups(), "logs:DescribeLogGroups"),
        ("cloudwatch", lambda client: client.list_metrics(), "cloudwatch:ListMetrics"),
        ("lambda", lambda client: client.list_functions(), "lambda:ListFunctions"),
    ],
)
def test_each_protocol_records_the_iam_action(aws: Emulator, service: str, call: Any, iam_action: str) -> None:
    call(client_as(aws, FUNCTION_KEY, service))

    assert [recorded.iam_action for recorded in calls_of(aws, FUNCTION_KEY)] == [iam_action]


def test_cloudwatch_signs_as_monitoring_but_authorises_as_cloudwatch(aws: Emulator) -> None:
    client_as(aws, FUNCTION_KEY, "cloudwatch").put_metric_data(
        Namespace="vpce-guard", MetricData=[{"MetricName": "Findings", "Value": 1}]
    )

    (call,) = calls_of(aws, FUNCTION_KEY)
    assert (call.service, call.iam_action) == ("monitoring", "cloudwatch:PutMetricData")


def test_rest_operations_are_told_apart_by_query_and_headers(aws: Emulator) -> None:
    s3 = client_as(aws, FUNCTION_KEY, "s3")
    s3.create_bucket(Bucket="recorded-bucket")
    s3.put_object(Bucket="recorded-bucket", Key="a/b.json", Body=b"{}")
    s3.copy_object(Bucket="recorded-bucket", Key="c.json", CopySource="recorded-bucket/a/b.json")
    s3.list_objects_v2(Bucket="recorded-bucket")
    s3.get_object(Bucket="recorded-bucket", Key="a/b.json")

    assert [call.operation for call in calls_of(aws, FUNCTION_KEY)] == [
        "CreateBucket", "PutObject", "CopyObject", "ListObjectsV2", "GetObject",
    ]  # fmt: skip


def test_control_path_and_reset_requests_are_not_recorded(aws: Emulator) -> None:
    aws.restrict_service_zones(f"com.amazonaws.{REGION}.sts", [f"{REGION}a"])
    aws.recorded_calls()

    assert aws.recorded_calls() == []


def test_clear_forgets_the_calls_but_keeps_the_resources(aws: Emulator) -> None:
    ec2 = client_as(aws, FUNCTION_KEY, "ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]

    aws.clear_recorded_calls()

    assert aws.recorded_calls() == []
    assert aws.client("ec2").describe_vpcs(VpcIds=[vpc_id])["Vpcs"]


def test_reset_forgets_the_calls(aws: Emulator) -> None:
    client_as(aws, FUNCTION_KEY, "ec2").describe_vpcs()

    aws.reset()

    assert aws.recorded_calls() == []


def test_an_unsigned_request_is_recorded_without_key_or_service(aws: Emulator) -> None:
    request = urllib.request.Request(aws.url + "/?Action=DescribeRegions&Version=2016-11-15")
    with contextlib.suppress(urllib.error.HTTPError):  # moto may refuse it; it is recorded all the same.
        NO_PROXY.open(request, timeout=10).close()

    assert aws.recorded_calls() == [RecordedCall("", "", "DescribeRegions")]


def test_an_operation_that_cannot_be_named_is_recorded_as_unknown(aws: Emulator) -> None:
    request = urllib.request.Request(
        aws.url + "/nowhere",
        headers={"Authorization": f"AWS4-HMAC-SHA256 Credential={FUNCTION_KEY}/20260101/{REGION}/ec2/aws4_request"},
    )
    with contextlib.suppress(urllib.error.HTTPError):
        NO_PROXY.open(request, timeout=10).close()

    assert calls_of(aws, FUNCTION_KEY) == [RecordedCall(FUNCTION_KEY, "ec2", UNKNOWN_OPERATION)]


def test_calls_are_served_as_json_on_the_control_path(aws: Emulator) -> None:
    client_as(aws, FUNCTION_KEY, "sqs").list_queues()

    with NO_PROXY.open(aws.url + "/_emulator/calls", timeout=10) as response:
        body = json.loads(response.read())

    assert body == {"calls": [{"access_key_id": FUNCTION_KEY, "service": "sqs", "operation": "ListQueues"}]}


def test_the_calls_path_refuses_other_methods(aws: Emulator) -> None:
    request = urllib.request.Request(aws.url + "/_emulator/calls", data=b"{}", method="POST")

    with pytest.raises(urllib.error.HTTPError) as caught:
        NO_PROXY.open(request, timeout=10)

    assert caught.value.code == 405
