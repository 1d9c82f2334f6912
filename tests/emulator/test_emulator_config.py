"""AWS Config as a custom Lambda rule uses it, over HTTP: PutEvaluations with a result token, compliance read
back by rule and by resource, and the configuration items of VPC endpoints."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from vpce_guard_local.emulator import Emulator, result_token_for

pytestmark = pytest.mark.server

REGION = "us-east-1"
RULE = "vpce-guard-endpoints"
ENDPOINT = "AWS::EC2::VPCEndpoint"
STS = f"com.amazonaws.{REGION}.sts"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def config(aws: Emulator) -> Any:
    return aws.client("config")


def evaluation(
    resource_id: str, compliance: str = "COMPLIANT", at: datetime = T0, annotation: str | None = None
) -> dict[str, Any]:
    return {
        "ComplianceResourceType": ENDPOINT,
        "ComplianceResourceId": resource_id,
        "ComplianceType": compliance,
        "OrderingTimestamp": at,
        **({"Annotation": annotation} if annotation is not None else {}),
    }


def put(config: Any, *evaluations: dict[str, Any], rule: str = RULE) -> Any:
    return config.put_evaluations(Evaluations=list(evaluations), ResultToken=result_token_for(rule))


def results(config: Any, rule: str = RULE, **options: Any) -> list[Any]:
    return list(config.get_compliance_details_by_config_rule(ConfigRuleName=rule, **options)["EvaluationResults"])


def compliance_by_resource(config: Any, rule: str = RULE) -> dict[str, str]:
    return {
        result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: result["ComplianceType"]
        for result in results(config, rule, Limit=100)
    }


def error_code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


# --- Result tokens ------------------------------------------------------------------------------------------


def test_a_result_token_is_an_opaque_pure_function_of_the_rule_name() -> None:
    token = result_token_for(RULE)

    assert token == Emulator.config_result_token(RULE) == result_token_for(RULE)
    assert token != result_token_for("another-rule")
    assert RULE not in token


def test_an_unknown_result_token_is_refused(config: Any) -> None:
    with pytest.raises(ClientError) as caught:
        config.put_evaluations(Evaluations=[evaluation("vpce-1")], ResultToken="not-a-token-config-issued")

    assert error_code(caught) == "InvalidResultTokenException"


# --- PutEvaluations and read-back -----------------------------------------------------------------------------


def test_evaluations_put_with_a_token_are_read_back_by_rule(config: Any) -> None:
    put(config, evaluation("vpce-1", "NON_COMPLIANT", annotation="Failing vpce-guard checks: az-coverage"))

    (result,) = results(config)

    assert result["EvaluationResultIdentifier"]["EvaluationResultQualifier"] == {
        "ConfigRuleName": RULE,
        "ResourceType": ENDPOINT,
        "ResourceId": "vpce-1",
        "EvaluationMode": "DETECTIVE",
    }
    assert result["EvaluationResultIdentifier"]["OrderingTimestamp"] == T0
    assert result["ComplianceType"] == "NON_COMPLIANT"
    assert result["Annotation"] == "Failing vpce-guard checks: az-coverage"
    assert result["ConfigRuleInvokedTime"] <= result["ResultRecordedTime"]


def test_the_latest_ordering_timestamp_wins_per_resource(config: Any) -> None:
    put(config, evaluation("vpce-1", "NON_COMPLIANT", T0), evaluation("vpce-2", "NON_COMPLIANT", T0))

    put(config, evaluation("vpce-1", "COMPLIANT", T0 + timedelta(minutes=1)))
    put(config, evaluation("vpce-2", "COMPLIANT", T0 - timedelta(minutes=1)))

    assert compliance_by_resource(config) == {"vpce-1": "COMPLIANT", "vpce-2": "NON_COMPLIANT"}


def test_read_back_filters_by_compliance_type(config: Any) -> None:
    put(config, evaluation("vpce-1", "NON_COMPLIANT"), evaluation("vpce-2"), evaluation("vpce-3", "NOT_APPLICABLE"))

    found = results(config, ComplianceTypes=["NON_COMPLIANT", "NOT_APPLICABLE"])

    assert {result["ComplianceType"] for result in found} == {"NON_COMPLIANT", "NOT_APPLICABLE"}


def test_read_back_pages_ten_results_by_default(config: Any) -> None:
    put(config, *(evaluation(f"vpce-{index:02}") for index in range(12)))

    first_page = config.get_compliance_details_by_config_rule(ConfigRuleName=RULE)
    pages = list(config.get_paginator("get_compliance_details_by_config_rule").paginate(ConfigRuleName=RULE))

    assert len(first_page["EvaluationResults"]) == 10
    assert [len(page["EvaluationResults"]) for page in pages] == [10, 2]


def test_read_back_refuses_a_limit_above_one_hundred(config: Any) -> None:
    put(config, evaluation("vpce-1"))

    with pytest.raises(ClientError) as caught:
        results(config, Limit=101)

    assert error_code(caught) == "ValidationException"


def test_evaluations_of_a_resource_are_read_back_across_rules(config: Any) -> None:
    put(config, evaluation("vpce-1", "NON_COMPLIANT"), rule="rule-a")
    put(config, evaluation("vpce-1"), evaluation("vpce-2"), rule="rule-b")

    found = config.get_compliance_details_by_resource(ResourceType=ENDPOINT, ResourceId="vpce-1")["EvaluationResults"]

    assert [
        (result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ConfigRuleName"], result["ComplianceType"])
        for result in found
    ] == [("rule-a", "NON_COMPLIANT"), ("rule-b", "COMPLIANT")]


def test_a_rule_config_does_not_know_is_refused(config: Any) -> None:
    with pytest.raises(ClientError) as caught:
        results(config, "no-such-rule")

    assert error_code(caught) == "NoSuchConfigRuleException"


def test_a_registered_rule_without_evaluations_has_no_results(config: Any) -> None:
    config.put_config_rule(
        ConfigRule={
            "ConfigRuleName": "registered",
            "Source": {"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"},
        }
    )

    assert results(config, "registered") == []


def test_a_custom_rule_may_invoke_a_function_of_another_account(aws: Emulator) -> None:
    """An organization member's rule invokes the hub's evaluator; a function that exists nowhere is refused."""
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role = aws.client("iam").create_role(RoleName="evaluator", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context): pass\n")
    hub_function = aws.client("lambda").create_function(
        FunctionName="vpce-guard-config-rule",
        Runtime="python3.12",
        Role=role["Arn"],
        Handler="app.handler",
        Code={"ZipFile": code.getvalue()},
    )["FunctionArn"]
    member_config = aws.client("config", account_id="111122223333")

    def custom_rule(name: str, function_arn: str) -> dict[str, Any]:
        details = [{"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification"}]
        source = {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": function_arn, "SourceDetails": details}
        return {"ConfigRuleName": name, "Source": source}

    member_config.put_config_rule(ConfigRule=custom_rule("vpce-guard", hub_function))
    with pytest.raises(ClientError) as refused:
        member_config.put_config_rule(ConfigRule=custom_rule("nowhere", hub_function.replace("config-rule", "gone")))

    assert [rule["ConfigRuleName"] for rule in member_config.describe_config_rules()["ConfigRules"]] == ["vpce-guard"]
    assert error_code(refused) == "InsufficientPermissionsException"


def test_test_mode_stores_nothing(config: Any) -> None:
    put(config, evaluation("vpce-1", "NON_COMPLIANT"))

    config.put_evaluations(
        Evaluations=[evaluation("vpce-1", at=T0 + timedelta(hours=1))], ResultToken="any", TestMode=True
    )

    assert compliance_by_resource(config) == {"vpce-1": "NON_COMPLIANT"}


def test_reset_forgets_the_evaluations(aws: Emulator, config: Any) -> None:
    put(config, evaluation("vpce-1"))

    aws.reset()

    with pytest.raises(ClientError) as caught:
        results(config)
    assert error_code(caught) == "NoSuchConfigRuleException"


# --- PutEvaluations validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("test_mode", [False, True])
def test_more_than_one_hundred_evaluations_in_one_call_are_refused(config: Any, test_mode: bool) -> None:
    with pytest.raises(ClientError) as caught:
        config.put_evaluations(
            Evaluations=[evaluation(f"vpce-{index}") for index in range(101)],
            ResultToken=result_token_for(RULE),
            TestMode=test_mode,
        )

    assert error_code(caught) == "ValidationException"
    assert "Member must have length less than or equal to 100" in str(caught.value)


def test_one_hundred_evaluations_in_one_call_are_accepted(config: Any) -> None:
    put(config, *(evaluation(f"vpce-{index:03}") for index in range(100)))

    assert len(compliance_by_resource(config)) == 100


def test_an_annotation_over_256_characters_is_refused(config: Any) -> None:
    with pytest.raises(ClientError) as caught:
        put(config, evaluation("vpce-1", "NON_COMPLIANT", annotation="x" * 257))

    assert error_code(caught) == "ValidationException"
    assert "'evaluations.1.member.annotation'" in str(caught.value)


def test_an_annotation_of_256_characters_is_kept_whole(config: Any) -> None:
    put(config, evaluation("vpce-1", "NON_COMPLIANT", annotation="x" * 256))

    assert results(config)[0]["Annotation"] == "x" * 256


def test_a_compliance_type_outside_the_enum_is_refused(config: Any) -> None:
    with pytest.raises(ClientError) as caught:
        put(config, evaluation("vpce-1", "FAILED"))

    assert error_code(caught) == "ValidationException"
    assert "enum value set" in str(caught.value)


def test_insufficient_data_cannot_be_put(config: Any) -> None:
    with pytest.raises(ClientError) as caught:
        put(config, evaluation("vpce-1", "INSUFFICIENT_DATA"))

    assert error_code(caught) == "InvalidParameterValueException"


# --- GetResourceConfigHistory for VPC endpoints ----------------------------------------------------------------


@pytest.fixture
def endpoint_id(aws: Emulator) -> str:
    ec2 = aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"][
        "SubnetId"
    ]
    group_id = ec2.create_security_group(VpcId=vpc_id, GroupName="vpce", Description="vpce")["GroupId"]
    created = ec2.create_vpc_endpoint(
        VpcId=vpc_id,
        ServiceName=STS,
        VpcEndpointType="Interface",
        SubnetIds=[subnet_id],
        SecurityGroupIds=[group_id],
        TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": [{"Key": "team", "Value": "platform"}]}],
    )
    return str(created["VpcEndpoint"]["VpcEndpointId"])


def latest_item(config: Any, resource_id: str) -> Any:
    (item,) = config.get_resource_config_history(resourceType=ENDPOINT, resourceId=resource_id, limit=1)[
        "configurationItems"
    ]
    return item


def test_history_of_an_endpoint_is_its_current_configuration(aws: Emulator, config: Any, endpoint_id: str) -> None:
    described = aws.client("ec2").describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]

    item = latest_item(config, endpoint_id)
    configuration = json.loads(item["configuration"])

    assert {key: item[key] for key in ("version", "configurationItemStatus", "resourceType", "resourceId")} == {
        "version": "1.3",
        "configurationItemStatus": "OK",
        "resourceType": ENDPOINT,
        "resourceId": endpoint_id,
    }
    assert (item["accountId"], item["awsRegion"]) == (described["OwnerId"], REGION)
    assert item["availabilityZone"] == "Multiple Availability Zones"
    assert item["configurationStateId"].isdigit()
    assert item["tags"] == {"team": "platform"}
    assert {
        key: configuration[key]
        for key in ("vpcEndpointId", "vpcEndpointType", "vpcId", "serviceName", "state", "privateDnsEnabled")
    } == {
        "vpcEndpointId": endpoint_id,
        "vpcEndpointType": "Interface",
        "vpcId": described["VpcId"],
        "serviceName": STS,
        "state": "available",
        "privateDnsEnabled": True,
    }
    assert json.loads(configuration["policyDocument"]) == json.loads(described["PolicyDocument"])
    assert configuration["subnetIds"] == described["SubnetIds"]
    assert configuration["routeTableIds"] == []
    assert configuration["groups"] == [
        {"groupId": group["GroupId"], "groupName": group["GroupName"]} for group in described["Groups"]
    ]
    assert configuration["networkInterfaceIds"] == described["NetworkInterfaceIds"]
    assert {
        "relationshipName": "Is contained in Vpc",
        "resourceType": "AWS::EC2::VPC",
        "resourceId": described["VpcId"],
    } in item["relationships"]


def test_an_unchanged_endpoint_keeps_its_configuration_state(config: Any, endpoint_id: str) -> None:
    first = latest_item(config, endpoint_id)

    again = latest_item(config, endpoint_id)

    assert (again["configurationStateId"], again["configurationItemCaptureTime"]) == (
        first["configurationStateId"],
        first["configurationItemCaptureTime"],
    )


def test_a_changed_endpoint_gets_a_newer_configuration_item(aws: Emulator, config: Any, endpoint_id: str) -> None:
    before = latest_item(config, endpoint_id)

    aws.client("ec2").modify_vpc_endpoint(VpcEndpointId=endpoint_id, PrivateDnsEnabled=False)
    after = latest_item(config, endpoint_id)

    assert json.loads(after["configuration"])["privateDnsEnabled"] is False
    assert int(after["configurationStateId"]) > int(before["configurationStateId"])
    assert after["configurationItemCaptureTime"] >= before["configurationItemCaptureTime"]


def test_a_deleted_endpoint_has_a_resource_deleted_item(aws: Emulator, config: Any, endpoint_id: str) -> None:
    aws.client("ec2").delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])

    item = latest_item(config, endpoint_id)

    assert item["configurationItemStatus"] == "ResourceDeleted"
    assert "configuration" not in item


def test_an_endpoint_config_never_saw_is_not_discovered(config: Any) -> None:
    with pytest.raises(ClientError) as caught:
        latest_item(config, "vpce-0123456789abcdef0")

    assert error_code(caught) == "ResourceNotDiscoveredException"


def test_endpoints_are_listed_as_discovered_resources(config: Any, endpoint_id: str) -> None:
    listed = config.list_discovered_resources(resourceType=ENDPOINT)["resourceIdentifiers"]

    assert listed == [{"resourceType": ENDPOINT, "resourceId": endpoint_id}]
