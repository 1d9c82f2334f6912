"""template.yaml: the offline transform, cfn-lint, and the contract the functions and the local run rely on."""

from __future__ import annotations

from typing import Any

import pytest
from cfnlint.api import lint, lint_file
from template_support import ASYNC_FUNCTIONS, FUNCTIONS, REPO, TEMPLATE

from vpce_guard.catalog import load_catalog
from vpce_guard.remediation.integrity import SEAL_PERMISSIONS
from vpce_guard.remediation.plans import PERMISSIONS
from vpce_guard.trigger import ACCEPTED_EVENT_NAMES
from vpce_guard_local.sam.built import pinned
from vpce_guard_local.sam.intrinsics import Resolver
from vpce_guard_local.sam.template import FUNCTION, SamTemplate, TransformedTemplate

ENVIRONMENT = {
    "STATE_TABLE_NAME": {"Ref": "StateTable"},
    "IDEMPOTENCY_TABLE_NAME": {"Ref": "IdempotencyTable"},
    "VPCE_GUARD_CONFIG_PARAMETER": {"Ref": "ConfigurationParameter"},
    "VPCE_GUARD_ORGANIZATION_ID": {"Ref": "OrganizationId"},
    "POWERTOOLS_SERVICE_NAME": "vpce-guard",
    "POWERTOOLS_METRICS_NAMESPACE": "VpceGuard",
    "POWERTOOLS_LOG_LEVEL": {"Ref": "LogLevel"},
}
# What a function's environment holds besides the contract: the notifier's channels (secret ids, never secrets).
OWN_ENVIRONMENT = {
    "OnChangeFunction": {"FOLLOW_UP_QUEUE_URL": {"Ref": "OnChangeFollowUpQueue"}, "API_EGRESS": "internet"},
    "SweepFunction": {"SWEEP_QUEUE_URL": {"Ref": "SweepJobQueue"}, "SWEEP_REGIONS": {"Ref": "AWS::Region"}},
    "SweepWorkerFunction": {"AWS_RETRY_MODE": "adaptive", "AWS_MAX_ATTEMPTS": "8", "API_EGRESS": "internet"},
    "NotifierFunction": {
        "VPCE_GUARD_NOTIFICATION_TOPIC_ARN": {"Ref": "NotificationTopic"},
        "VPCE_GUARD_SLACK_SECRET_ID": {"Ref": "SlackWebhookSecretArn"},
        "VPCE_GUARD_JIRA_SECRET_ID": {"Ref": "JiraSecretArn"},
        "VPCE_GUARD_OPSCENTER": {"Ref": "EnableOpsCenter"},
        "VPCE_GUARD_SECURITY_HUB": {"Ref": "EnableSecurityHub"},
        "VPCE_GUARD_ACCOUNT_ID": {"Ref": "AWS::AccountId"},
        "VPCE_GUARD_README": {"Ref": "ReadmeUrl"},
    },
}
INTERFACE_ENDPOINTS = {
    "Ec2Endpoint": "ec2",
    "ConfigEndpoint": "config",
    "StsEndpoint": "sts",
    "LogsEndpoint": "logs",
    "SsmEndpoint": "ssm",
    "SqsEndpoint": "sqs",
    "KmsEndpoint": "kms",
    "CloudTrailEndpoint": "cloudtrail",
    "MonitoringEndpoint": "monitoring",
}
# Endpoints whose policy is exactly what the functions are granted for that service.
ENDPOINTS_OF_FUNCTION_SERVICES = {
    "DynamoDbGatewayEndpoint": "dynamodb",
    "Ec2Endpoint": "ec2",
    "ConfigEndpoint": "config",
    "SsmEndpoint": "ssm",
    "SqsEndpoint": "sqs",
    "CloudTrailEndpoint": "cloudtrail",
    "MonitoringEndpoint": "cloudwatch",
}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def properties(template: TransformedTemplate, logical_id: str) -> dict[str, Any]:
    return template.properties(logical_id)


def lint_messages(matches: list[Any]) -> list[str]:
    return [f"{match.rule.id} {match.message} (line {match.linenumber})" for match in matches]


# The transform and the linter -------------------------------------------------------------------------------


def test_the_sam_transform_succeeds_offline(transformed: TransformedTemplate) -> None:
    assert set(transformed.resources(FUNCTION)) == set(FUNCTIONS)
    assert "Transform" not in transformed.document


def test_every_function_and_the_layer_map_back_to_their_local_directories(transformed: TransformedTemplate) -> None:
    for logical_id in FUNCTIONS:
        function = transformed.function(logical_id)
        assert function.code_dir is not None
        assert function.code_dir.is_dir()
        assert function.layer_dirs == ((REPO / "layers" / "vpce_guard").resolve(),)


def test_cfn_lint_is_clean_on_the_sam_template() -> None:
    assert lint_messages(lint_file(TEMPLATE)) == []


def test_cfn_lint_is_clean_on_the_transformed_template(transformed: TransformedTemplate) -> None:
    assert lint_messages(lint(transformed.to_json())) == []


def test_the_template_holds_no_local_path_but_code_and_content_uris(sam_template: SamTemplate) -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    assert str(REPO) not in text
    for resource in sam_template.resources.values():
        for key in ("CodeUri", "ContentUri"):
            location = resource.get("Properties", {}).get(key)
            if location is not None:
                assert not location.startswith("/")
                assert (REPO / location).is_dir()


def test_the_layer_pins_powertools_with_the_tracer_and_every_package_at_the_tested_version() -> None:
    """The tracer brings botocore into the layer, which shadows the runtime's: boto3 comes with it, and every
    package is pinned at the version the tests run (tests/build holds the built layer to the same). Powertools'
    parser is not: the runtime reads its inputs with msgspec, and pydantic has no place in the layer."""
    requirements = REPO / "layers" / "vpce_guard" / "requirements.txt"
    lines = requirements.read_text(encoding="utf-8").splitlines()

    assert "aws-lambda-powertools[tracer]==3.37.0" in lines
    assert {"aws-lambda-powertools", "boto3", "botocore"} <= set(pinned(requirements))
    assert pinned(requirements).items() <= pinned(REPO / "constraints.txt").items()
    assert not {"pydantic", "pydantic-core"} & set(pinned(requirements))


def test_the_layer_is_built_by_sam_for_python312_on_arm64(sam_template: SamTemplate) -> None:
    layer = sam_template.resources["CoreLayer"]

    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "layers/vpce_guard"
    assert layer["Metadata"] == {"BuildMethod": "python3.12", "BuildArchitecture": "arm64"}


# Functions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_runs_python312_on_arm64_traced_with_the_layer_in_the_vpc(
    transformed: TransformedTemplate, function: str
) -> None:
    props = properties(transformed, function)
    layer = next(iter(transformed.resources("AWS::Lambda::LayerVersion")))

    assert (props["Runtime"], props["Architectures"], props["Handler"]) == ("python3.12", ["arm64"], "app.handler")
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Layers"] == [{"Ref": layer}]
    assert props["VpcConfig"]["SubnetIds"] == {"Ref": "SubnetIds"}
    assert props["VpcConfig"]["SecurityGroupIds"][0] == {"Fn::GetAtt": ["FunctionSecurityGroup", "GroupId"]}
    assert 30 <= props["Timeout"] <= 900


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_gets_the_contract_environment(single_account: TransformedTemplate, function: str) -> None:
    assert single_account.function_environment(function) == ENVIRONMENT | OWN_ENVIRONMENT.get(function, {})


@pytest.mark.parametrize("function", ASYNC_FUNCTIONS)
def test_every_function_sends_failed_asynchronous_invocations_to_its_own_dead_letter_queue(
    transformed: TransformedTemplate, function: str
) -> None:
    target = properties(transformed, function)["DeadLetterConfig"]["TargetArn"]

    queue = target["Fn::GetAtt"][0]
    assert transformed.resources()[queue]["Type"] == "AWS::SQS::Queue"
    assert queue.startswith(function.removesuffix("Function"))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_dynamodb_permissions_are_scoped_to_the_tables(transformed: TransformedTemplate, function: str) -> None:
    tables = {"StateTable", "IdempotencyTable"}
    for statement in transformed.policy_statements(function):
        if any(action.startswith("dynamodb:") for action in as_list(statement["Action"])):
            for resource in as_list(statement["Resource"]):
                named = resource.get("Fn::GetAtt", [None])[0] or resource.get("Fn::Sub", "").split(".")[0][2:]
                assert named in tables


def test_only_ec2_calls_config_reporting_opening_opsitems_and_reading_cloudtrail_metrics_and_buckets_take_any_resource(
    transformed: TransformedTemplate,
) -> None:
    """These take no resource-level permission here (endpoints, VPCs and groups to change are found at run
    time; LookupEvents, GetMetricData and ListAllMyBuckets have no resource type); everything else names its
    resources."""
    for function in FUNCTIONS:
        for statement in transformed.policy_statements(function):
            if statement["Resource"] == "*":
                actions = as_list(statement["Action"])
                assert all(
                    a.startswith(("ec2:", "config:"))
                    or a
                    in (
                        "ssm:CreateOpsItem",
                        "cloudtrail:LookupEvents",
                        "cloudwatch:GetMetricData",
                        "s3:ListAllMyBuckets",
                    )
                    for a in actions
                ), actions


def cloudtrail_and_bucket_policy_reads(transformed: TransformedTemplate, function: str) -> set[str]:
    return {a for a in transformed.policy_actions(function) if a.startswith(("cloudtrail:", "s3:"))}


def ec2_changes(transformed: TransformedTemplate, function: str) -> set[str]:
    return {
        a for a in transformed.policy_actions(function) if a.startswith("ec2:") and not a.startswith("ec2:Describe")
    }


@pytest.mark.parametrize("function", ["OnChangeFunction", "SweepWorkerFunction"])
def test_the_functions_that_act_are_granted_exactly_what_the_remediations_declare(
    transformed: TransformedTemplate, function: str
) -> None:
    declared = {action for actions in PERMISSIONS.values() for action in actions}

    assert ec2_changes(transformed, function) | cloudtrail_and_bucket_policy_reads(transformed, function) == declared


@pytest.mark.parametrize("function", ["OnChangeFunction", "SweepWorkerFunction"])
def test_with_endpoints_egress_the_functions_that_act_read_no_bucket_policy_and_know_why(
    endpoints_only: TransformedTemplate, function: str
) -> None:
    """The stack has no S3 endpoint: the bucket policies an S3 change needs cannot be read, and it is a ticket."""
    assert not {a for a in endpoints_only.policy_actions(function) if a.startswith("s3:")}
    assert endpoints_only.function_environment(function)["API_EGRESS"] == "endpoints"


def test_the_config_rule_function_reports_and_may_change_nothing(transformed: TransformedTemplate) -> None:
    assert ec2_changes(transformed, "ConfigRuleFunction") == set()


def test_on_change_has_reserved_concurrency_from_a_parameter_defaulting_to_10(
    sam_template: SamTemplate, transformed: TransformedTemplate
) -> None:
    assert properties(transformed, "OnChangeFunction")["ReservedConcurrentExecutions"] == {
        "Ref": "OnChangeReservedConcurrency"
    }
    assert sam_template.document["Parameters"]["OnChangeReservedConcurrency"]["Default"] == 10


# Triggers ---------------------------------------------------------------------------------------------------


def test_the_on_change_pattern_lists_exactly_the_accepted_event_names_in_order(
    single_account: TransformedTemplate,
) -> None:
    pattern = single_account.event_pattern("OnChangeFunction")

    assert pattern == {
        "source": ["aws.ec2"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["ec2.amazonaws.com"], "eventName": list(ACCEPTED_EVENT_NAMES)},
    }


@pytest.mark.parametrize("function", ["OnChangeFunction", "SweepFunction"])
def test_event_rules_have_a_dead_letter_queue_and_a_retry_policy(
    single_account: TransformedTemplate, function: str
) -> None:
    (rule,) = single_account.event_rules(function)
    (target,) = rule.properties["Targets"]

    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["EventDeliveryDeadLetterQueue", "Arn"]}}
    assert set(target["RetryPolicy"]) == {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"}


def test_eventbridge_may_send_to_the_delivery_dead_letter_queue_for_the_stacks_rules_only(
    single_account: TransformedTemplate,
) -> None:
    statements = properties(single_account, "EventDeliveryDeadLetterQueuePolicy")["PolicyDocument"]["Statement"]
    (statement,) = [s for s in statements if s["Effect"] == "Allow"]
    rules = {rule.logical_id for function in FUNCTIONS for rule in single_account.event_rules(function)}

    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert {ref["Fn::GetAtt"][0] for ref in statement["Condition"]["ArnEquals"]["aws:SourceArn"]} == rules


def test_the_sweep_runs_on_a_schedule_parameter_defaulting_to_every_6_hours(
    sam_template: SamTemplate, transformed: TransformedTemplate
) -> None:
    (rule,) = transformed.event_rules("SweepFunction")

    assert rule.schedule == {"Ref": "SweepSchedule"}
    assert sam_template.document["Parameters"]["SweepSchedule"]["Default"] == "rate(6 hours)"


def test_the_config_rule_invokes_its_function_for_changes_oversized_items_and_a_schedule(
    sam_template: SamTemplate, transformed: TransformedTemplate
) -> None:
    (rule,) = transformed.config_rules()
    details = rule.properties["Source"]["SourceDetails"]

    assert (rule.logical_id, rule.function) == ("EndpointConfigRule", "ConfigRuleFunction")
    assert rule.message_types == (
        "ConfigurationItemChangeNotification",
        "OversizedConfigurationItemChangeNotification",
        "ScheduledNotification",
    )
    assert rule.resource_types == ("AWS::EC2::VPCEndpoint",)
    assert details[2]["MaximumExecutionFrequency"] == {"Ref": "ConfigRuleFrequency"}
    assert sam_template.document["Parameters"]["ConfigRuleFrequency"]["Default"] == "TwentyFour_Hours"


def test_only_config_in_this_account_may_invoke_the_config_rule_function(
    single_account: TransformedTemplate,
) -> None:
    (permission,) = [
        props
        for props in (r["Properties"] for r in single_account.resources("AWS::Lambda::Permission").values())
        if props["Principal"] == "config.amazonaws.com"
    ]

    assert permission["FunctionName"] == {"Fn::GetAtt": ["ConfigRuleFunction", "Arn"]}
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_every_dead_letter_queue_has_an_alarm_on_visible_messages(transformed: TransformedTemplate) -> None:
    """Every queue but the sweep's job queue, which redrives its failed jobs to one of them."""
    queues = {
        logical_id
        for logical_id, queue in transformed.resources("AWS::SQS::Queue").items()
        if "RedrivePolicy" not in queue["Properties"]
    }
    alarmed = set()
    for alarm in transformed.resources("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props["Namespace"] != "AWS/SQS":
            continue  # the functions' own metrics
        assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert (props["ComparisonOperator"], props["Threshold"]) == ("GreaterThanThreshold", 0)
        (dimension,) = props["Dimensions"]
        alarmed.add(dimension["Value"]["Fn::GetAtt"][0])

    assert alarmed == queues


def test_sweep_jobs_run_one_per_invocation_at_bounded_concurrency_and_fail_alone(
    sam_template: SamTemplate, transformed: TransformedTemplate
) -> None:
    (mapping,) = [
        m
        for m in transformed.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": "SweepWorkerFunction"}
    ]
    queue = properties(transformed, "SweepJobQueue")
    worker_timeout = properties(transformed, "SweepWorkerFunction")["Timeout"]

    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["SweepJobQueue", "Arn"]}
    assert mapping["Properties"]["BatchSize"] == 1
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "SweepConcurrency"}}
    assert queue["VisibilityTimeout"] >= 6 * worker_timeout
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    assert sam_template.document["Parameters"]["SweepConcurrency"]["Default"] == 10


# State ------------------------------------------------------------------------------------------------------


def test_the_state_table_is_on_demand_keyed_indexed_streamed_aged_recoverable_and_encrypted(
    transformed: TransformedTemplate,
) -> None:
    props = properties(transformed, "StateTable")

    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    (index,) = props["GlobalSecondaryIndexes"]
    assert index == {
        "IndexName": "by-scope",
        "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    assert {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]} == dict.fromkeys(
        ("pk", "sk", "gsi1pk", "gsi1sk"), "S"
    )
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_the_idempotency_table_is_keyed_by_id_with_ttl_on_expiration(transformed: TransformedTemplate) -> None:
    props = properties(transformed, "IdempotencyTable")

    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}


# The stack's own endpoints ----------------------------------------------------------------------------------


def test_interface_endpoints_and_their_group_exist_only_when_asked_for(sam_template: SamTemplate) -> None:
    for logical_id in [*INTERFACE_ENDPOINTS, "EndpointSecurityGroup"]:
        assert sam_template.resources[logical_id]["Condition"] == "CreateInterfaceEndpoints"
    assert sam_template.resources["DynamoDbGatewayEndpoint"]["Condition"] == "CreateDynamoDbEndpoint"
    assert sam_template.resources["OrganizationsEndpoint"]["Condition"] == "CreateOrganizationsEndpoint"
    assert sam_template.document["Conditions"]["CreateOrganizationsEndpoint"] == {
        "Fn::And": [
            {"Condition": "CreateInterfaceEndpoints"},
            {"Condition": "IsHub"},
            {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
        ]
    }


@pytest.mark.parametrize(("endpoint", "service"), INTERFACE_ENDPOINTS.items())
def test_interface_endpoints_have_private_dns_every_function_subnet_and_the_endpoint_group(
    transformed: TransformedTemplate, endpoint: str, service: str
) -> None:
    props = properties(transformed, endpoint)

    assert props["VpcEndpointType"] == "Interface"
    assert service in str(props["ServiceName"])
    assert props["PrivateDnsEnabled"] is True
    assert props["SubnetIds"] == {"Ref": "SubnetIds"}
    assert props["SecurityGroupIds"] == [{"Fn::GetAtt": ["EndpointSecurityGroup", "GroupId"]}]


def test_the_endpoint_group_admits_https_from_the_function_group_only(transformed: TransformedTemplate) -> None:
    (rule,) = properties(transformed, "EndpointSecurityGroup")["SecurityGroupIngress"]

    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
    assert rule["SourceSecurityGroupId"] == {"Fn::GetAtt": ["FunctionSecurityGroup", "GroupId"]}
    assert not {"CidrIp", "CidrIpv6", "SourcePrefixListId"} & set(rule)


def test_the_dynamodb_gateway_endpoint_sits_on_the_route_tables_given(transformed: TransformedTemplate) -> None:
    props = properties(transformed, "DynamoDbGatewayEndpoint")

    assert props["VpcEndpointType"] == "Gateway"
    assert props["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.dynamodb"}
    assert props["RouteTableIds"] == {"Ref": "RouteTableIds"}


@pytest.mark.parametrize("endpoint", ["DynamoDbGatewayEndpoint", *INTERFACE_ENDPOINTS])
def test_every_endpoint_policy_admits_this_account_only(single_account: TransformedTemplate, endpoint: str) -> None:
    for statement in properties(single_account, endpoint)["PolicyDocument"]["Statement"]:
        assert (statement["Effect"], statement["Principal"]) == ("Allow", "*")
        condition = resolved_condition(statement["Condition"])
        assert condition["StringEquals"]["aws:PrincipalAccount"] == {"Ref": "AWS::AccountId"}


def resolved_condition(condition: dict[str, Any]) -> dict[str, Any]:
    """A statement's condition as a single account's stack has it (the If on IsHub taken as false)."""
    if "Fn::If" in condition:
        hub, _, single = condition["Fn::If"]
        assert hub == "IsHub"
        resolved: dict[str, Any] = single
        return resolved
    return condition


@pytest.mark.parametrize(
    ("endpoint", "service"), [("StsEndpoint", "sts"), ("LogsEndpoint", "logs"), ("SsmEndpoint", "ssm")]
)
def test_our_endpoints_bound_whose_resources_are_reached(
    single_account: TransformedTemplate, endpoint: str, service: str
) -> None:
    """Our own endpoints pass policy-any-resource: a resource bound, or calls that name no resource."""
    for statement in properties(single_account, endpoint)["PolicyDocument"]["Statement"]:
        condition = resolved_condition(statement["Condition"])
        bounded = condition["StringEquals"].get("aws:ResourceAccount") == {"Ref": "AWS::AccountId"}
        names_no_resource = condition.get("Null") == {"aws:ResourceAccount": "true"}
        assert bounded or names_no_resource, (service, statement["Sid"])


@pytest.mark.parametrize(
    ("endpoint", "service", "template"),
    [
        *((e, s, "transformed") for e, s in ENDPOINTS_OF_FUNCTION_SERVICES.items()),
        ("OrganizationsEndpoint", "organizations", "hub"),
    ],
)
def test_endpoint_policies_admit_exactly_the_actions_the_functions_are_granted(
    request: pytest.FixtureRequest, endpoint: str, service: str, template: str
) -> None:
    created: TransformedTemplate = request.getfixturevalue(template)
    statements = properties(created, endpoint)["PolicyDocument"]["Statement"]
    granted = {
        action
        for function in FUNCTIONS
        for action in created.policy_actions(function)
        if action.startswith(f"{service}:")
    }

    assert {action for statement in statements for action in as_list(statement["Action"])} == granted


def test_the_kms_endpoint_admits_sealing_with_the_change_record_key_only(transformed: TransformedTemplate) -> None:
    """The key's policy grants the acting roles kms:GenerateMac; no IAM statement does."""
    (statement,) = properties(transformed, "KmsEndpoint")["PolicyDocument"]["Statement"]

    assert as_list(statement["Action"]) == list(SEAL_PERMISSIONS)
    assert statement["Resource"] == {"Fn::GetAtt": ["ChangeRecordKey", "Arn"]}


def test_the_sqs_endpoint_admits_the_sweep_jobs_only(transformed: TransformedTemplate) -> None:
    """The Lambda service reads the jobs and sends to the dead-letter queues outside the VPC."""
    (statement,) = properties(transformed, "SqsEndpoint")["PolicyDocument"]["Statement"]

    assert statement["Resource"] == {"Fn::GetAtt": ["SweepJobQueue", "Arn"]}


def test_the_gateway_endpoint_admits_exactly_the_table_resources_the_functions_are_granted(
    transformed: TransformedTemplate,
) -> None:
    (statement,) = properties(transformed, "DynamoDbGatewayEndpoint")["PolicyDocument"]["Statement"]
    granted = [
        resource
        for function in FUNCTIONS
        for policy_statement in transformed.policy_statements(function)
        if any(action.startswith("dynamodb:") for action in as_list(policy_statement["Action"]))
        for resource in as_list(policy_statement["Resource"])
    ]

    assert sorted(map(str, statement["Resource"])) == sorted({str(resource) for resource in granted})


@pytest.mark.parametrize(("region", "partition"), [("us-east-1", "aws"), ("cn-north-1", "aws-cn")])
def test_endpoint_service_names_follow_the_catalog_in_every_partition(
    transformed: TransformedTemplate, region: str, partition: str
) -> None:
    resolver = Resolver(
        parameters=transformed.parameter_values_with_defaults(),
        pseudo_parameters={"AWS::Region": region, "AWS::AccountId": "123456789012", "AWS::Partition": partition},
        conditions=transformed.document.get("Conditions", {}),
        resources={},
    )
    catalog = load_catalog()
    for resource in transformed.resources().values():
        if resource["Type"] != "AWS::EC2::VPCEndpoint":
            continue
        properties = resource["Properties"]
        name = resolver.resolve(properties["ServiceName"])
        key = name.split(f".{region}.", 1)[1]
        assert name == catalog.service_name(key, region, properties.get("VpcEndpointType", "Gateway"))
