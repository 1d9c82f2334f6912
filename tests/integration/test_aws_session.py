"""Clients made by AwsSession: calls counted by operation, and no slow retries against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from vpce_guard.aws import CALL_ERRORS, AwsSession
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server


def test_calls_are_counted_by_operation_and_pages(aws_env: Emulator) -> None:
    session = AwsSession(REGION, endpoint_url=aws_env.url)
    ec2 = session.client("ec2")

    ec2.describe_vpcs()
    ec2.describe_vpcs()
    ec2.describe_subnets()

    assert session.counter.calls == {"DescribeVpcs": 2, "DescribeSubnets": 1}


def test_an_unimplemented_call_fails_on_its_first_attempt(aws_env: Emulator) -> None:
    ec2 = AwsSession(REGION, endpoint_url=aws_env.url).client("ec2")
    attempts: list[str] = []
    ec2.meta.events.register("before-send", lambda **kwargs: attempts.append("sent"))

    with pytest.raises(CALL_ERRORS):
        ec2.describe_ipam_pools()

    assert attempts == ["sent"]


def test_the_standard_retry_mode_is_used(aws_env: Emulator) -> None:
    ec2: Any = AwsSession(REGION, endpoint_url=aws_env.url).client("ec2")

    assert ec2.meta.config.retries["mode"] == "standard"
