"""The faster reset still forgets everything: every service, account and region."""

from __future__ import annotations

import pytest

from vpce_guard.emulator import Emulator

pytestmark = pytest.mark.server


def test_reset_forgets_resources_of_every_service_and_region(aws: Emulator) -> None:
    aws.client("ec2", "eu-west-1").create_vpc(CidrBlock="10.7.0.0/16")
    aws.client("s3").create_bucket(Bucket="reset-bucket")
    aws.client("sqs").create_queue(QueueName="reset-queue")

    aws.reset()

    assert [vpc["IsDefault"] for vpc in aws.client("ec2", "eu-west-1").describe_vpcs()["Vpcs"]] == [True]
    assert aws.client("s3").list_buckets()["Buckets"] == []
    assert aws.client("sqs").list_queues().get("QueueUrls", []) == []
