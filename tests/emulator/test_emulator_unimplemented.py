"""A call moto lacks fails over HTTP as an AWS error naming the operation, not as an HTML error page."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server


def legacy_retry_client(aws: Emulator, service: str) -> Any:
    """A client in botocore's legacy retry mode, which retries HTTP 500 for seconds."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=aws.region
    )
    config = Config(retries={"mode": "legacy", "max_attempts": 3}, proxies={})
    return session.client(service, endpoint_url=aws.url, config=config)


def test_an_unimplemented_ec2_call_is_a_client_error_in_ec2_shape(aws: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        aws.client("ec2").get_ipam_address_history(Cidr="10.0.0.0/16", IpamScopeId="ipam-scope-0123456789abcdef0")

    assert caught.value.response["Error"]["Code"] == "NotImplemented"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "GetIpamAddressHistory" in caught.value.response["Error"]["Message"]


def test_an_unimplemented_json_call_is_a_client_error_in_json_shape(aws: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        aws.client("ssm").get_ops_summary()

    assert caught.value.response["Error"]["Code"] == "NotImplemented"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "GetOpsSummary" in caught.value.response["Error"]["Message"]


def test_an_unimplemented_call_is_not_retried_even_in_legacy_mode(aws: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        legacy_retry_client(aws, "ssm").get_ops_summary()

    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 0
