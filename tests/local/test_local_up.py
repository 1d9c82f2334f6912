"""``local up``: the template's resources, created in the emulator over HTTP from the transformed template.

All tests here read one deployment (``shared_stack``); those that deploy themselves are in test_local_up_options.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from vpce_guard.aws import AwsSession
from vpce_guard.checks import CheckSettings
from vpce_guard.scan import scan_live
from vpce_guard.snapshot import Scope
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.sam.stack import LocalStack
from vpce_guard_local.sam.template import SamTemplate

pytestmark = pytest.mark.server

INTERFACE_ENDPOINTS = ("Ec2Endpoint", "ConfigEndpoint", "StsEndpoint", "LogsEndpoint")
OUR_ENDPOINTS = ("DynamoDbGatewayEndpoint", *INTERFACE_ENDPOINTS)


def template_properties(sam_template: SamTemplate, logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = sam_template.resources[logical_id]["Properties"]
    return properties


def endpoint(aws: Emulator, stack: LocalStack, logical_id: str) -> dict[str, Any]:
    (described,) = aws.client("ec2").describe_vpc_endpoints(VpcEndpointIds=[stack.physical_id(logical_id)])[
        "VpcEndpoints"
    ]
    return dict(described)


# Tables -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("logical_id", ["StateTable", "IdempotencyTable"])
def test_tables_are_created_from_the_templates_own_definition(
    shared_stack: LocalStack, emulator_env: Emulator, sam_template: SamTemplate, logical_id: str
) -> None:
    declared = template_properties(sam_template, logical_id)
    dynamodb = emulator_env.client("dynamodb")
    name = shared_stack.physical_id(logical_id)

    table = dynamodb.describe_table(TableName=name)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]

    assert table["KeySchema"] == declared["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(declared["AttributeDefinitions"], key=str)
    assert table["BillingModeSummary"]["BillingMode"] == declared["BillingMode"]
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == (
        "ENABLED",
        declared["TimeToLiveSpecification"]["AttributeName"],
    )
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    indexes = [
        {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
        for index in table.get("GlobalSecondaryIndexes", [])
    ]
    assert indexes == declared.get("GlobalSecondaryIndexes", [])


def test_the_state_table_streams_new_and_old_images(
    shared_stack: LocalStack, emulator_env: Emulator, sam_template: SamTemplate
) -> None:
    table = emulator_env.client("dynamodb").describe_table(TableName=shared_stack.physical_id("StateTable"))["Table"]

    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert shared_stack.resources["StateTable"].attributes["StreamArn"] == table["LatestStreamArn"]


# The network path -------------------------------------------------------------------------------------------


def test_without_network_parameters_a_vpc_with_private_subnets_in_two_zones_stands_for_the_existing_one(
    shared_stack: LocalStack, emulator_env: Emulator
) -> None:
    ec2 = emulator_env.client("ec2")
    subnets = ec2.describe_subnets(SubnetIds=shared_stack.parameters["SubnetIds"])["Subnets"]
    tables = ec2.describe_route_tables(RouteTableIds=shared_stack.parameters["RouteTableIds"])["RouteTables"]
    dns = [
        ec2.describe_vpc_attribute(VpcId=shared_stack.vpc_id, Attribute=name)
        for name in ("enableDnsSupport", "enableDnsHostnames")
    ]

    assert len({subnet["AvailabilityZone"] for subnet in subnets}) == 2
    assert {subnet["VpcId"] for subnet in subnets} == {shared_stack.vpc_id}
    assert {association["SubnetId"] for table in tables for association in table["Associations"]} == {
        subnet["SubnetId"] for subnet in subnets
    }
    assert dns[0]["EnableDnsSupport"]["Value"]
    assert dns[1]["EnableDnsHostnames"]["Value"]


def test_the_gateway_endpoint_sits_on_the_route_tables_with_the_templates_policy(
    shared_stack: LocalStack, emulator_env: Emulator
) -> None:
    gateway = endpoint(emulator_env, shared_stack, "DynamoDbGatewayEndpoint")
    policy = json.loads(gateway["PolicyDocument"])
    tables = [shared_stack.resources[name].attributes["Arn"] for name in ("StateTable", "IdempotencyTable")]

    assert gateway["ServiceName"] == "com.amazonaws.us-east-1.dynamodb"
    assert sorted(gateway["RouteTableIds"]) == sorted(shared_stack.parameters["RouteTableIds"])
    (statement,) = policy["Statement"]
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": shared_stack.account_id}}
    assert sorted(statement["Resource"]) == sorted([*tables, f"{tables[0]}/index/by-scope"])


@pytest.mark.parametrize("logical_id", INTERFACE_ENDPOINTS)
def test_interface_endpoints_have_private_dns_every_subnet_and_the_endpoint_group(
    shared_stack: LocalStack, emulator_env: Emulator, logical_id: str
) -> None:
    interface = endpoint(emulator_env, shared_stack, logical_id)

    assert interface["VpcEndpointType"] == "Interface"
    assert interface["PrivateDnsEnabled"] is True
    assert sorted(interface["SubnetIds"]) == sorted(shared_stack.parameters["SubnetIds"])
    assert [group["GroupId"] for group in interface["Groups"]] == [shared_stack.physical_id("EndpointSecurityGroup")]


def test_the_endpoint_group_admits_https_from_the_function_group_only(
    shared_stack: LocalStack, emulator_env: Emulator
) -> None:
    (group,) = emulator_env.client("ec2").describe_security_groups(
        GroupIds=[shared_stack.physical_id("EndpointSecurityGroup")]
    )["SecurityGroups"]

    (rule,) = group["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
    assert [pair["GroupId"] for pair in rule["UserIdGroupPairs"]] == [shared_stack.physical_id("FunctionSecurityGroup")]
    assert rule["IpRanges"] == []
    assert rule["Ipv6Ranges"] == []


def test_the_function_group_sends_https_only(shared_stack: LocalStack, emulator_env: Emulator) -> None:
    (group,) = emulator_env.client("ec2").describe_security_groups(
        GroupIds=[shared_stack.physical_id("FunctionSecurityGroup")]
    )["SecurityGroups"]

    assert [
        (rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort")) for rule in group["IpPermissionsEgress"]
    ] == [("tcp", 443, 443)]


def test_our_own_endpoints_pass_our_own_checks(shared_stack: LocalStack, emulator_env: Emulator) -> None:
    """Every check, on the whole VPC: none fires on an endpoint the template creates."""
    ours = {shared_stack.physical_id(logical_id) for logical_id in OUR_ENDPOINTS}

    result = scan_live(
        AwsSession(shared_stack.region, endpoint_url=emulator_env.url),
        Scope(shared_stack.region, (shared_stack.vpc_id,)),
        CheckSettings(),
    )

    scanned = {e["VpcEndpointId"] for e in result.snapshot.responses["DescribeVpcEndpoints"]["VpcEndpoints"]}
    assert ours <= scanned
    assert [f"{f.resource_id} ({f.check_id}): {f.detail}" for f in result.findings if f.resource_id in ours] == []
    assert result.problems == ()


# Triggers, functions, queues --------------------------------------------------------------------------------


def test_the_eventbridge_rules_carry_the_templates_pattern_and_schedule(
    shared_stack: LocalStack, emulator_env: Emulator, sam_template: SamTemplate
) -> None:
    events = emulator_env.client("events")
    on_change = events.describe_rule(Name=shared_stack.event_rules["OnChangeFunctionEndpointApiCall"].name)
    sweep = events.describe_rule(Name=shared_stack.event_rules["SweepFunctionSweep"].name)
    declared = template_properties(sam_template, "OnChangeFunction")["Events"]["EndpointApiCall"]["Properties"]

    assert json.loads(on_change["EventPattern"]) == declared["Pattern"]
    assert sweep["ScheduleExpression"] == "rate(6 hours)"


def test_each_rule_targets_a_queue_standing_for_its_function_with_the_templates_dead_letter_queue(
    shared_stack: LocalStack, emulator_env: Emulator
) -> None:
    rule = shared_stack.event_rules["OnChangeFunctionEndpointApiCall"]
    (target,) = emulator_env.client("events").list_targets_by_rule(Rule=rule.name)["Targets"]

    assert rule.function == "OnChangeFunction"
    assert target["Arn"].endswith(rule.queue_url.rsplit("/", 1)[1])
    assert target["DeadLetterConfig"]["Arn"] == shared_stack.resources["EventDeliveryDeadLetterQueue"].attributes["Arn"]


def test_the_config_rule_is_registered_for_its_function_with_the_templates_scope(
    shared_stack: LocalStack, emulator_env: Emulator
) -> None:
    rule = shared_stack.config_rules["EndpointConfigRule"]
    (described,) = emulator_env.client("config").describe_config_rules(ConfigRuleNames=[rule.name])["ConfigRules"]

    assert rule.name == "vpce-guard-local-vpc-endpoints"
    assert described["Scope"] == {"ComplianceResourceTypes": ["AWS::EC2::VPCEndpoint"]}
    assert described["Source"]["SourceIdentifier"] == shared_stack.functions["ConfigRuleFunction"].arn


def test_each_function_gets_the_templates_environment_with_local_names(shared_stack: LocalStack) -> None:
    notifier = {
        "VPCE_GUARD_NOTIFICATION_TOPIC_ARN": shared_stack.physical_id("NotificationTopic"),
        "VPCE_GUARD_SLACK_SECRET_ID": "",
        "VPCE_GUARD_JIRA_SECRET_ID": "",
        "VPCE_GUARD_OPSCENTER": "false",
        "VPCE_GUARD_SECURITY_HUB": "false",
        "VPCE_GUARD_README": "",
        "VPCE_GUARD_ACCOUNT_ID": shared_stack.account_id,
    }
    sweep = {"SWEEP_QUEUE_URL": shared_stack.physical_id("SweepJobQueue"), "SWEEP_REGIONS": shared_stack.region}
    worker = {"AWS_RETRY_MODE": "adaptive", "AWS_MAX_ATTEMPTS": "8", "API_EGRESS": "internet"}
    on_change = {"FOLLOW_UP_QUEUE_URL": shared_stack.physical_id("OnChangeFollowUpQueue"), "API_EGRESS": "internet"}
    for function in shared_stack.functions.values():
        assert function.environment == {
            "STATE_TABLE_NAME": shared_stack.physical_id("StateTable"),
            "IDEMPOTENCY_TABLE_NAME": shared_stack.physical_id("IdempotencyTable"),
            "VPCE_GUARD_CONFIG_PARAMETER": shared_stack.physical_id("ConfigurationParameter"),
            "VPCE_GUARD_ORGANIZATION_ID": "",
            "POWERTOOLS_SERVICE_NAME": "vpce-guard",
            "POWERTOOLS_METRICS_NAMESPACE": "VpceGuard",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            **(notifier if function.logical_id == "NotifierFunction" else {}),
            **(sweep if function.logical_id == "SweepFunction" else {}),
            **(worker if function.logical_id == "SweepWorkerFunction" else {}),
            **(on_change if function.logical_id == "OnChangeFunction" else {}),
        }


def test_every_dead_letter_queue_exists_with_an_alarm(shared_stack: LocalStack, emulator_env: Emulator) -> None:
    work_queues = {source.queue_url for source in shared_stack.queue_sources.values()}
    queues = [r for r in shared_stack.resources.values() if r.type == "AWS::SQS::Queue" and r.ref not in work_queues]
    alarms = emulator_env.client("cloudwatch").describe_alarms()["MetricAlarms"]

    queue_alarms = [alarm for alarm in alarms if alarm["Namespace"] == "AWS/SQS"]

    alarmed = {dimension["Value"] for alarm in queue_alarms for dimension in alarm["Dimensions"]}
    assert len(queues) == 5
    assert {queue.attributes["QueueName"] for queue in queues} == alarmed
