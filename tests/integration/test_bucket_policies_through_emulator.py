"""The account's bucket policies read through the emulator over HTTP, as an S3 change reads them before in-VPC
calls move to a gateway endpoint: a bucket without a policy (NoSuchBucketPolicy) has none, each policy is read
and parsed, every call counted, and an account with more buckets than the maximum is not read further."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vpce_guard.aws import AwsSession
from vpce_guard.bucket_policies import read_bucket_policies
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

SOURCE_VPCE_DENY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OnlyThroughTheEndpoint",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
            "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
        }
    ],
}


@pytest.fixture
def s3(session: AwsSession) -> Any:
    client = session.client("s3")
    for name in ("data", "logs", "archive"):
        client.create_bucket(Bucket=name)
    client.put_bucket_policy(Bucket="data", Policy=json.dumps(SOURCE_VPCE_DENY))
    return client


def operations(emulator: Emulator) -> list[str]:
    return [call.operation for call in emulator.recorded_calls()]


def test_each_policy_is_read_and_a_bucket_without_one_has_none(session: AwsSession, s3: Any, aws_env: Emulator) -> None:
    aws_env.clear_recorded_calls()

    read = read_bucket_policies(session, max_buckets=10)

    assert (read.listed, read.calls, dict(read.unread)) == (3, 4, {})
    assert list(read.policies) == ["data"]
    assert read.naming("vpce-0123456789abcdef0") == {"data": ("OnlyThroughTheEndpoint",)}
    assert sorted(operations(aws_env)) == ["GetBucketPolicy"] * 3 + ["ListBuckets"]


def test_an_account_with_more_buckets_than_the_maximum_is_not_read_further(
    session: AwsSession, s3: Any, aws_env: Emulator
) -> None:
    aws_env.clear_recorded_calls()

    read = read_bucket_policies(session, max_buckets=2)

    assert (read.over_limit, read.listed, read.calls, dict(read.policies)) == (True, 3, 1, {})
    assert operations(aws_env) == ["ListBuckets"]


def test_a_policy_vpce_guard_cannot_parse_leaves_its_bucket_unread(session: AwsSession, s3: Any) -> None:
    s3.put_bucket_policy(Bucket="logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": []}))

    read = read_bucket_policies(session, max_buckets=10)

    assert list(read.unread) == ["logs"]
    assert read.unread["logs"].startswith("its policy cannot be read: Statement is an empty list")
