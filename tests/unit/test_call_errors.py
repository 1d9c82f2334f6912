"""A failed AWS call is an error that names the call, AWS's answer and the next step: the permission to grant
is the called service's, whichever service that is."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from vpce_guard.aws import CollectionError

REGION = "eu-west-1"


def client_error(code: str, operation: str, retries: int | None = None) -> ClientError:
    response: dict[str, object] = {"Error": {"Code": code, "Message": "not for you"}}
    if retries is not None:
        response["ResponseMetadata"] = {"RetryAttempts": retries}
    return ClientError(response, operation)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("service", "operation", "code"),
    [
        ("ec2", "DescribeSubnets", "UnauthorizedOperation"),
        ("organizations", "ListAccounts", "AccessDeniedException"),
        ("sqs", "SendMessageBatch", "AccessDenied"),
        ("config", "PutEvaluations", "AccessDeniedException"),
    ],
)
def test_a_refused_call_names_the_permission_of_its_own_service(service: str, operation: str, code: str) -> None:
    error = CollectionError(operation, REGION, client_error(code, operation), service=service)

    assert str(error).startswith(f"{operation} failed in {REGION}: {code}: not for you.")
    assert f"Grant {service}:{operation} to the identity" in str(error)
    assert (error.operation, error.code) == (operation, code)


def test_a_throttled_call_says_how_many_attempts_were_made() -> None:
    error = CollectionError(
        "ListAccounts", REGION, client_error("ThrottlingException", "ListAccounts", 7), service="organizations"
    )

    assert "ListAccounts failed in eu-west-1 after 8 attempts: ThrottlingException" in str(error)
    assert "throttled the scan through every retry" in str(error)


def test_an_unreachable_api_names_the_service() -> None:
    unreachable = EndpointConnectionError(endpoint_url="https://sqs.eu-west-1.amazonaws.com/")

    error = CollectionError("SendMessageBatch", REGION, unreachable, service="sqs")

    assert error.code == "EndpointConnectionError"
    assert "Check the network path to the sqs API" in str(error)
