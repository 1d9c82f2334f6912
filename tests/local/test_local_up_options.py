"""``local up`` options and refusals: each test deploys into a wiped emulator."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from vpce_guard.aws import AwsSession
from vpce_guard.checks import CheckSettings
from vpce_guard.scan import scan_live
from vpce_guard.snapshot import Scope
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import EstateBuilder
from vpce_guard_local.sam.deploy import local_up
from vpce_guard_local.sam.stack import LocalRunError, LocalStack
from vpce_guard_local.sam.template import SamTemplate

pytestmark = pytest.mark.server

INTERFACE_ENDPOINTS = ("Ec2Endpoint", "ConfigEndpoint", "StsEndpoint", "LogsEndpoint")


def test_the_stack_file_records_the_stack(local_stack: LocalStack, stack_file: Path) -> None:
    assert LocalStack.load(stack_file) == local_stack


def test_interface_endpoints_are_not_created_unless_asked_and_the_stack_file_says_why(
    aws_env: Emulator, sam_template: SamTemplate
) -> None:
    stack = local_up(sam_template, aws_env.url)

    assert set(INTERFACE_ENDPOINTS) | {"EndpointSecurityGroup"} <= set(stack.not_created)
    assert stack.not_created["Ec2Endpoint"] == "condition CreateInterfaceEndpoints is false"
    assert "DynamoDbGatewayEndpoint" in stack.resources


def test_given_network_parameters_are_used_instead_of_a_new_vpc(aws_env: Emulator, sam_template: SamTemplate) -> None:
    existing = EstateBuilder(aws_env.client("ec2"), aws_env.region).vpc("10.9.0.0/16", zones=3, public_subnet=False)

    stack = local_up(
        sam_template,
        aws_env.url,
        parameters={
            "VpcId": existing.id,
            "SubnetIds": ",".join(existing.private_subnet_ids),
            "RouteTableIds": ",".join(existing.private_route_table_ids),
        },
    )

    assert stack.vpc_id == existing.id
    assert len(aws_env.client("ec2").describe_vpcs()["Vpcs"]) == 2  # the default VPC and the one given


def test_some_network_parameters_without_the_others_are_refused(aws_env: Emulator, sam_template: SamTemplate) -> None:
    with pytest.raises(LocalRunError, match="give all of VpcId, SubnetIds, RouteTableIds or none"):
        local_up(sam_template, aws_env.url, parameters={"VpcId": "vpc-1"})


def test_parameter_overrides_reach_the_functions_environment(aws_env: Emulator, sam_template: SamTemplate) -> None:
    stack = local_up(sam_template, aws_env.url, parameters={"LogLevel": "DEBUG"})

    assert stack.functions["SweepFunction"].environment["POWERTOOLS_LOG_LEVEL"] == "DEBUG"


def test_the_configuration_parameter_holds_the_toml_the_functions_read(
    aws_env: Emulator, sam_template: SamTemplate
) -> None:
    configuration = 'org_id = "o-abcdefghij"\n[modes]\nprivate-dns-disabled = "enforce"\n'

    stack = local_up(sam_template, aws_env.url, parameters={"Configuration": configuration})

    name = stack.functions["SweepFunction"].environment["VPCE_GUARD_CONFIG_PARAMETER"]
    stored = aws_env.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    assert stored == configuration


# Refusals ---------------------------------------------------------------------------------------------------


def test_an_endpoint_that_is_not_on_this_machine_is_refused(sam_template: SamTemplate) -> None:
    with pytest.raises(LocalRunError, match=r"talks to 127\.0\.0\.1 only"):
        local_up(sam_template, "https://ec2.us-east-1.amazonaws.com")


def test_no_emulator_answering_is_a_clear_error(sam_template: SamTemplate) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    with pytest.raises(LocalRunError, match=r"no emulator answers at .* start one with `vpce-guard emulator`"):
        local_up(sam_template, f"http://127.0.0.1:{port}")


def test_the_self_check_would_catch_a_template_endpoint_left_with_the_default_policy(
    aws_env: Emulator, sam_template: SamTemplate
) -> None:
    """The other side of test_our_own_endpoints_pass_our_own_checks: the scan does judge the stack's endpoints."""
    careless = sam_template.copy()
    del careless.resources["DynamoDbGatewayEndpoint"]["Properties"]["PolicyDocument"]
    stack = local_up(careless, aws_env.url)

    result = scan_live(
        AwsSession(stack.region, endpoint_url=aws_env.url), Scope(stack.region, (stack.vpc_id,)), CheckSettings()
    )

    gateway = stack.physical_id("DynamoDbGatewayEndpoint")
    assert {f.check_id for f in result.findings if f.resource_id == gateway} == {
        "policy-any-principal",
        "policy-any-resource",
        "policy-wildcard-action",
    }


def test_route_tables_with_a_dynamodb_endpoint_of_their_own_get_none_from_the_stack(
    aws_env: Emulator, sam_template: SamTemplate
) -> None:
    stack = local_up(sam_template, aws_env.url, parameters={"CreateDynamoDbEndpoint": "false"})

    assert "DynamoDbGatewayEndpoint" not in stack.resources
    assert "StateTable" in stack.resources
