"""Deployed to an organization: template.yaml as the hub, and member/template.yaml, which the hub's StackSet
deploys to every account and Region it targets.

The member side must forward exactly the calls the hub judges, give the hub exactly the access its functions
have at home, and trust nothing outside the hub's function roles and the organization. Without OrganizationId
the template is the single-account application, with none of the hub's resources or grants.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint, lint_file
from template_support import FUNCTIONS, TEMPLATE

from vpce_guard.bucket_policies import PERMISSIONS as BUCKET_POLICY_PERMISSIONS
from vpce_guard.remediation.configuration import READ_PERMISSIONS
from vpce_guard.remediation.plans import PERMISSIONS
from vpce_guard.trigger import ACCEPTED_EVENT_NAMES
from vpce_guard_local.sam.intrinsics import Resolver
from vpce_guard_local.sam.template import SamTemplate, TransformedTemplate, get_att_target

HUB_RESOURCES = {
    "HubEventBus",
    "HubEventBusPolicy",
    "HubEndpointApiCallRule",
    "HubEndpointApiCallRulePermission",
    "ConfigRuleFunctionMemberConfigPermission",
    "MemberStackSet",
}
READERS = ("OnChangeFunction", "ConfigRuleFunction", "SweepWorkerFunction")
ACTORS = ("OnChangeFunction", "SweepWorkerFunction")
ENDPOINT_API_CALLS = {
    "source": ["aws.ec2"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {"eventSource": ["ec2.amazonaws.com"], "eventName": list(ACCEPTED_EVENT_NAMES)},
}
ORGANIZATION = {"Ref": "OrganizationId"}


def lint_messages(matches: list[Any]) -> list[str]:
    return [f"{match.rule.id} {match.message} (line {match.linenumber})" for match in matches]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def member_resource(member: dict[str, Any], logical_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = member["Resources"][logical_id]
    return resource


def member_actions(member: dict[str, Any], role: str, **parameters: str) -> set[str]:
    """The actions ``role`` allows, as a member stack in the hub's Region creates it with ``parameters``."""
    resolver = Resolver(
        parameters={
            **{
                name: parameter["Default"] for name, parameter in member["Parameters"].items() if "Default" in parameter
            },
            "HubAccountId": "111122223333",
            "MemberRegions": ["us-east-1"],
            **parameters,
        },
        pseudo_parameters={"AWS::Region": "us-east-1", "AWS::Partition": "aws", "AWS::AccountId": "444455556666"},
        conditions=member["Conditions"],
        resources={},
    )
    return {
        action
        for policy in resolver.resolve(member_resource(member, role)["Properties"]["Policies"])
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
    }


def stackset_parameters(hub: TransformedTemplate) -> dict[str, Any]:
    return {p["ParameterKey"]: p["ParameterValue"] for p in hub.properties("MemberStackSet")["Parameters"]}


def function_role(template: TransformedTemplate, function: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [template.function(function).role_logical_id, "Arn"]}


def member_condition(member: dict[str, Any], name: str, region: str, **parameters: str) -> bool:
    resolver = Resolver(
        parameters=parameters,
        pseudo_parameters={"AWS::Region": region, "AWS::Partition": "aws", "AWS::AccountId": "444455556666"},
        conditions=member["Conditions"],
        resources={},
    )
    return resolver.condition(name)


def assume_role_statements(template: TransformedTemplate, function: str) -> list[dict[str, Any]]:
    return [s for s in template.policy_statements(function) if s["Action"] == "sts:AssumeRole"]


# The linter ---------------------------------------------------------------------------------------------------


def test_cfn_lint_is_clean_on_the_member_template(member_template: Path) -> None:
    assert lint_messages(lint_file(member_template)) == []


def test_cfn_lint_is_clean_on_the_hub_as_transformed_with_the_organization(
    hub_transformed: TransformedTemplate,
) -> None:
    """The template as written is linted in test_template.py; it holds the hub's resources too."""
    assert lint_messages(lint(hub_transformed.to_json())) == []


def test_the_member_template_is_plain_cloudformation(member: dict[str, Any]) -> None:
    """StackSets deploy a template without transforms."""
    assert "Transform" not in member
    assert not any(resource["Type"].startswith("AWS::Serverless::") for resource in member["Resources"].values())


# A single account ---------------------------------------------------------------------------------------------


def test_a_single_account_creates_none_of_the_hub_resources(
    sam_template: SamTemplate, single_account: TransformedTemplate, hub: TransformedTemplate
) -> None:
    assert not HUB_RESOURCES & set(single_account.resources())
    assert set(hub.resources()) >= HUB_RESOURCES
    assert {sam_template.resources[logical_id]["Condition"] for logical_id in HUB_RESOURCES} == {"IsHub"}


def test_the_organization_is_off_by_default(sam_template: SamTemplate) -> None:
    parameters = sam_template.document["Parameters"]

    assert parameters["OrganizationId"]["Default"] == ""
    assert sam_template.document["Conditions"]["IsHub"] == {"Fn::Not": [{"Fn::Equals": [ORGANIZATION, ""]}]}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_single_account_grants_no_role_assumption_and_no_organization_reads(
    single_account: TransformedTemplate, function: str
) -> None:
    assert not {a for a in single_account.policy_actions(function) if a.startswith(("sts:", "organizations:"))}


# The hub ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", READERS)
def test_hub_functions_are_told_the_member_role_names_they_may_assume(hub: TransformedTemplate, function: str) -> None:
    environment = hub.function_environment(function)

    assert environment["MEMBER_READ_ROLE_NAME"] == {"Ref": "MemberReadRoleName"}
    if function in ACTORS:
        assert environment["MEMBER_REMEDIATION_ROLE_NAME"] == {"Ref": "MemberRemediationRoleName"}
    else:
        assert "MEMBER_REMEDIATION_ROLE_NAME" not in environment


def test_the_notifier_is_told_the_member_findings_role_only(hub: TransformedTemplate) -> None:
    environment = hub.function_environment("NotifierFunction")

    assert {name for name in environment if name.startswith("MEMBER_")} == {"MEMBER_FINDINGS_ROLE_NAME"}
    assert environment["MEMBER_FINDINGS_ROLE_NAME"] == {"Ref": "MemberFindingsRoleName"}


def test_the_notifier_may_assume_the_member_findings_role_of_the_organization_only(hub: TransformedTemplate) -> None:
    (statement,) = assume_role_statements(hub, "NotifierFunction")

    assert statement["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberFindingsRoleName}"}
    assert statement["Condition"] == {"StringEquals": {"aws:ResourceOrgID": ORGANIZATION}}


def test_without_security_hub_the_hub_notifier_knows_and_may_assume_no_member_role(
    hub_without_security_hub: TransformedTemplate,
) -> None:
    notifier = "NotifierFunction"

    assert not {name for name in hub_without_security_hub.function_environment(notifier) if name.startswith("MEMBER_")}
    assert not {
        a for a in hub_without_security_hub.policy_actions(notifier) if a.startswith(("sts:", "organizations:"))
    }


@pytest.mark.parametrize("function", READERS)
def test_hub_functions_may_assume_the_member_roles_of_the_organization_only(
    hub: TransformedTemplate, function: str
) -> None:
    """Reading functions assume the read role, acting ones the remediation role too: the config-rule function
    reports and may change nothing, in any account."""
    roles = {"MemberReadRoleName"} | ({"MemberRemediationRoleName"} if function in ACTORS else set())
    statements = assume_role_statements(hub, function)

    assert {s["Resource"]["Fn::Sub"] for s in statements} == {
        f"arn:${{AWS::Partition}}:iam::*:role/${{{role}}}" for role in roles
    }
    for statement in statements:
        assert statement["Condition"] == {"StringEquals": {"aws:ResourceOrgID": ORGANIZATION}}


def test_the_sweep_lists_the_member_stacks_accounts_and_the_config_rule_function_the_organizations(
    hub: TransformedTemplate,
) -> None:
    """The Config rule function refuses a rule of an account outside the organization before any AssumeRole,
    and the notifier a Security Hub finding of one."""
    listing = {
        f: {a for a in hub.policy_actions(f) if a.startswith("organizations:")}
        for f in FUNCTIONS
        if any(a.startswith("organizations:") for a in hub.policy_actions(f))
    }

    assert listing == {
        "SweepFunction": {
            "organizations:DescribeOrganization",
            "organizations:ListAccountsForParent",
            "organizations:ListOrganizationalUnitsForParent",
        },
        "ConfigRuleFunction": {"organizations:ListAccounts"},
        "NotifierFunction": {"organizations:ListAccounts"},
    }


def test_the_hub_bus_admits_put_events_from_the_organization_only(hub: TransformedTemplate) -> None:
    policy = hub.properties("HubEventBusPolicy")

    assert policy["EventBusName"] == {"Ref": "HubEventBus"}
    assert policy["Statement"] == {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "events:PutEvents",
        "Resource": {"Fn::GetAtt": ["HubEventBus", "Arn"]},
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION}},
    }


def test_the_hub_bus_rule_takes_the_on_change_pattern(hub: TransformedTemplate) -> None:
    rule = hub.properties("HubEndpointApiCallRule")

    assert rule["EventBusName"] == {"Ref": "HubEventBus"}
    assert rule["EventPattern"] == ENDPOINT_API_CALLS


def test_the_hub_bus_rule_delivers_to_on_change_as_its_own_rule_does(
    hub: TransformedTemplate, single_account: TransformedTemplate
) -> None:
    (target,) = hub.properties("HubEndpointApiCallRule")["Targets"]
    (home_rule,) = single_account.event_rules("OnChangeFunction")
    (home_target,) = home_rule.properties["Targets"]

    assert get_att_target(target["Arn"]) == "OnChangeFunction"
    assert target["DeadLetterConfig"] == home_target["DeadLetterConfig"]
    assert target["RetryPolicy"] == home_target["RetryPolicy"]


def test_eventbridge_may_invoke_on_change_and_use_the_dead_letter_queue_for_the_hub_rule(
    hub: TransformedTemplate,
) -> None:
    permission = hub.properties("HubEndpointApiCallRulePermission")
    statements = hub.properties("EventDeliveryDeadLetterQueuePolicy")["PolicyDocument"]["Statement"]
    (statement,) = [s for s in statements if s["Effect"] == "Allow"]

    assert get_att_target(permission["FunctionName"]) == "OnChangeFunction"
    assert (permission["Principal"], permission["SourceArn"]) == (
        "events.amazonaws.com",
        {"Fn::GetAtt": ["HubEndpointApiCallRule", "Arn"]},
    )
    assert {"Fn::GetAtt": ["HubEndpointApiCallRule", "Arn"]} in statement["Condition"]["ArnEquals"]["aws:SourceArn"]


def test_config_of_member_accounts_may_invoke_the_evaluator(hub: TransformedTemplate) -> None:
    """No SourceAccount: the members are not known to the hub (the template says what bounds the risk)."""
    permission = hub.properties("ConfigRuleFunctionMemberConfigPermission")

    assert permission == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Fn::GetAtt": ["ConfigRuleFunction", "Arn"]},
        "Principal": "config.amazonaws.com",
    }


@pytest.mark.parametrize("endpoint", ["Ec2Endpoint", "ConfigEndpoint"])
def test_on_a_hub_the_ec2_and_config_endpoints_admit_the_member_roles_of_the_organization(
    hub: TransformedTemplate, endpoint: str
) -> None:
    """The functions call EC2 and Config of the hub's Region with member accounts' role credentials."""
    (statement,) = hub.properties(endpoint)["PolicyDocument"]["Statement"]

    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION}}


@pytest.mark.parametrize("endpoint", ["DynamoDbGatewayEndpoint", "StsEndpoint", "LogsEndpoint"])
def test_on_a_hub_the_other_endpoints_still_admit_this_account_only(hub: TransformedTemplate, endpoint: str) -> None:
    for statement in hub.properties(endpoint)["PolicyDocument"]["Statement"]:
        conditions = statement["Condition"].get("Fn::If", [None, statement["Condition"]])[1:]
        for condition in conditions:
            assert condition["StringEquals"]["aws:PrincipalAccount"] == {"Ref": "AWS::AccountId"}


def test_on_a_hub_the_sts_endpoint_reaches_roles_of_the_organization_only(hub: TransformedTemplate) -> None:
    (to_roles, _) = hub.properties("StsEndpoint")["PolicyDocument"]["Statement"]

    condition = to_roles["Condition"]
    hub_condition = condition["Fn::If"][1] if "Fn::If" in condition else condition
    assert hub_condition["StringEquals"]["aws:ResourceOrgID"] == {"Ref": "OrganizationId"}


# The StackSet -------------------------------------------------------------------------------------------------


def test_the_stackset_deploys_the_member_template_to_the_ous_and_regions_given(hub: TransformedTemplate) -> None:
    stackset = hub.properties("MemberStackSet")

    assert stackset["PermissionModel"] == "SERVICE_MANAGED"
    assert stackset["CallAs"] == {"Ref": "StackSetCallAs"}
    assert stackset["StackInstancesGroup"] == [
        {
            "DeploymentTargets": {"OrganizationalUnitIds": {"Ref": "OrganizationalUnitIds"}},
            "Regions": {"Ref": "MemberRegions"},
        }
    ]
    assert stackset["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert stackset["ManagedExecution"] == {"Active": True}


def test_accounts_joining_the_ous_get_the_member_stack_and_leaving_ones_lose_it(hub: TransformedTemplate) -> None:
    assert hub.properties("MemberStackSet")["AutoDeployment"] == {
        "Enabled": True,
        "RetainStacksOnAccountRemoval": False,
    }


def test_the_stackset_tolerates_some_failed_accounts_and_deploys_regions_in_parallel(
    hub: TransformedTemplate,
) -> None:
    """An account without a Config recorder fails its stack and the others still get theirs; a template that
    fails everywhere stops before it reaches every account."""
    preferences = hub.properties("MemberStackSet")["OperationPreferences"]

    assert preferences["RegionConcurrencyType"] == "PARALLEL"
    assert preferences["ConcurrencyMode"] == "SOFT_FAILURE_TOLERANCE"
    assert 0 < preferences["FailureTolerancePercentage"] <= preferences["MaxConcurrentPercentage"] < 100


def test_the_stackset_template_is_the_member_template_by_relative_path(
    hub: TransformedTemplate, member_template: Path
) -> None:
    """`sam package` and `sam deploy` upload it and put its S3 URL in its place."""
    url = hub.properties("MemberStackSet")["TemplateURL"]

    assert (TEMPLATE.parent / url).resolve() == member_template.resolve()


def test_the_stackset_passes_every_member_parameter(hub: TransformedTemplate, member: dict[str, Any]) -> None:
    assert set(stackset_parameters(hub)) == set(member["Parameters"])


def test_the_hub_tells_members_its_account_bus_organization_role_names_and_region(
    hub: TransformedTemplate,
) -> None:
    passed = stackset_parameters(hub)

    assert passed["HubAccountId"] == {"Ref": "AWS::AccountId"}
    assert passed["HubEventBusArn"] == {"Fn::GetAtt": ["HubEventBus", "Arn"]}
    assert passed["OrganizationId"] == ORGANIZATION
    assert passed["ReadRoleName"] == {"Ref": "MemberReadRoleName"}
    assert passed["RemediationRoleName"] == {"Ref": "MemberRemediationRoleName"}
    assert passed["FindingsRoleName"] == {"Ref": "MemberFindingsRoleName"}
    assert passed["SecurityHubEnabled"] == {"Ref": "EnableSecurityHub"}
    assert passed["RoleRegion"] == {"Ref": "AWS::Region"}


@pytest.mark.parametrize(("parameter", "functions"), [("HubReaderRoleArns", READERS), ("HubActorRoleArns", ACTORS)])
def test_the_hub_names_its_reading_and_its_acting_function_roles(
    hub: TransformedTemplate, parameter: str, functions: tuple[str, ...]
) -> None:
    assert stackset_parameters(hub)[parameter] == {"Fn::Join": [",", [function_role(hub, f) for f in functions]]}


def test_the_hub_names_its_notifier_role_for_the_findings_role(hub: TransformedTemplate) -> None:
    assert stackset_parameters(hub)["HubNotifierRoleArns"] == function_role(hub, "NotifierFunction")


def test_the_stackset_waits_for_the_bus_policy_and_the_config_permission(sam_template: SamTemplate) -> None:
    """Config refuses a rule whose function it may not invoke; the bus refuses events before its policy."""
    depends_on = sam_template.resources["MemberStackSet"]["DependsOn"]

    assert set(depends_on) == {"ConfigRuleFunctionMemberConfigPermission", "HubEventBusPolicy"}


def test_the_hubs_region_must_be_a_member_region(sam_template: SamTemplate) -> None:
    """The member roles are made in the hub's Region only."""
    (assertion,) = sam_template.document["Rules"]["MemberRolesAreCreatedInTheHubRegion"]["Assertions"]

    assert assertion["Assert"] == {"Fn::Contains": [{"Ref": "MemberRegions"}, {"Ref": "AWS::Region"}]}


# The member: forwarding ---------------------------------------------------------------------------------------


def test_members_forward_exactly_the_calls_the_hub_judges(
    member: dict[str, Any], single_account: TransformedTemplate
) -> None:
    forwarded = member_resource(member, "ForwardEndpointApiCalls")["Properties"]["EventPattern"]

    assert forwarded == ENDPOINT_API_CALLS == single_account.event_pattern("OnChangeFunction")


def test_members_forward_to_the_hub_bus_through_their_own_role(member: dict[str, Any]) -> None:
    """The hub's bus admits the organization, so EventBridge requires a role for the cross-account target."""
    (target,) = member_resource(member, "ForwardEndpointApiCalls")["Properties"]["Targets"]

    assert target["Arn"] == {"Ref": "HubEventBusArn"}
    assert target["RoleArn"] == {"Fn::GetAtt": ["ForwardingRole", "Arn"]}


def test_the_forwarding_role_may_only_put_events_on_the_hub_bus(member: dict[str, Any]) -> None:
    role = member_resource(member, "ForwardingRole")["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    ((statement,),) = [policy["PolicyDocument"]["Statement"] for policy in role["Policies"]]

    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert (statement["Action"], statement["Resource"]) == ("events:PutEvents", {"Ref": "HubEventBusArn"})


def test_the_forwarding_role_has_no_fixed_name(member: dict[str, Any]) -> None:
    """One member stack per Region: a fixed name would collide in the second Region."""
    assert "RoleName" not in member_resource(member, "ForwardingRole")["Properties"]


# The member: the hub's roles ----------------------------------------------------------------------------------


def test_the_read_role_grants_exactly_the_reads_the_hub_functions_are_granted_at_home(
    member: dict[str, Any], single_account: TransformedTemplate
) -> None:
    """tests/local/test_iam_both_ways.py holds those grants to the calls the functions make."""
    reads = {
        action
        for function in READERS
        for action in single_account.policy_actions(function)
        if action.startswith(("ec2:Describe", "config:", "cloudtrail:", "cloudwatch:"))
    }

    assert member_actions(member, "ReadRole") == reads


def test_the_remediation_role_grants_exactly_the_declared_remediations_and_their_reads(
    member: dict[str, Any],
) -> None:
    declared = {action for actions in PERMISSIONS.values() for action in actions} | set(READ_PERMISSIONS)

    assert member_actions(member, "RemediationRole", ReadsBucketPolicies="true") == declared


def test_the_remediation_role_reads_no_bucket_policy_unless_the_hub_does(
    member: dict[str, Any],
    hub_transformed: TransformedTemplate,
    hub: TransformedTemplate,
    hub_endpoints_only: TransformedTemplate,
) -> None:
    """The hub reads member buckets only under its own grants' condition: remediation on and a path to S3
    (ApiEgress not "endpoints"). A member stack deployed without the hub's word grants no read."""
    declared = {action for actions in PERMISSIONS.values() for action in actions} | set(READ_PERMISSIONS)

    assert member_actions(member, "RemediationRole") == declared - set(BUCKET_POLICY_PERMISSIONS)
    assert member["Parameters"]["ReadsBucketPolicies"]["Default"] == "false"
    assert stackset_parameters(hub_transformed)["ReadsBucketPolicies"] == {
        "Fn::If": ["ReadsBucketPolicies", "true", "false"]
    }
    assert (
        stackset_parameters(hub)["ReadsBucketPolicies"],
        stackset_parameters(hub_endpoints_only)["ReadsBucketPolicies"],
    ) == ("true", "false")


@pytest.mark.parametrize(
    ("role", "name", "trusted"),
    [
        ("ReadRole", "ReadRoleName", "HubReaderRoleArns"),
        ("RemediationRole", "RemediationRoleName", "HubActorRoleArns"),
        ("FindingsRole", "FindingsRoleName", "HubNotifierRoleArns"),
    ],
)
def test_member_roles_trust_only_the_hub_function_roles_inside_the_organization(
    member: dict[str, Any], role: str, name: str, trusted: str
) -> None:
    properties = member_resource(member, role)["Properties"]
    (statement,) = properties["AssumeRolePolicyDocument"]["Statement"]

    assert properties["RoleName"] == {"Ref": name}
    assert (statement["Effect"], statement["Action"]) == ("Allow", "sts:AssumeRole")
    assert statement["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${HubAccountId}:root"}}
    assert statement["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": {"Ref": trusted}},
        "StringEquals": {"aws:PrincipalOrgID": ORGANIZATION},
    }


@pytest.mark.parametrize("role", ["ReadRole", "RemediationRole", "FindingsRole"])
@pytest.mark.parametrize(("region", "created"), [("us-east-1", True), ("eu-west-1", False)])
def test_the_named_roles_are_created_in_the_role_region_only(
    member: dict[str, Any], role: str, region: str, created: bool
) -> None:
    """IAM is global: a second Region's stack creating the same name would fail."""
    condition = member_resource(member, role)["Condition"]
    switches = {"RemediationEnabled": "true", "SecurityHubEnabled": "true"}

    assert member_condition(member, condition, region, RoleRegion="us-east-1", **switches) is created


@pytest.mark.parametrize(
    ("role", "switch"), [("RemediationRole", "RemediationEnabled"), ("FindingsRole", "SecurityHubEnabled")]
)
def test_the_roles_the_hub_switches_off_are_not_created(member: dict[str, Any], role: str, switch: str) -> None:
    condition = member_resource(member, role)["Condition"]

    assert member_condition(member, condition, "us-east-1", RoleRegion="us-east-1", **{switch: "false"}) is False
    assert member["Parameters"][switch]["Default"] == "false"


# The member: its Config rule ----------------------------------------------------------------------------------


def test_the_member_config_rule_mirrors_the_hubs_rule_with_the_hubs_evaluator(
    member: dict[str, Any], single_account: TransformedTemplate
) -> None:
    rule = member_resource(member, "EndpointConfigRule")["Properties"]
    home = single_account.properties("EndpointConfigRule")

    assert rule["Scope"] == home["Scope"]
    assert rule["Source"] == {**home["Source"], "SourceIdentifier": {"Ref": "ConfigRuleFunctionArn"}}


def test_the_member_config_rule_frequency_is_the_hubs(
    member: dict[str, Any], sam_template: SamTemplate, hub: TransformedTemplate
) -> None:
    assert member["Parameters"]["ConfigRuleFrequency"] == sam_template.document["Parameters"]["ConfigRuleFrequency"]
    assert stackset_parameters(hub)["ConfigRuleFrequency"] == {"Ref": "ConfigRuleFrequency"}
    assert stackset_parameters(hub)["ConfigRuleFunctionArn"] == {"Fn::GetAtt": ["ConfigRuleFunction", "Arn"]}


@pytest.mark.parametrize(("region", "created"), [("us-east-1", True), ("eu-west-1", False)])
def test_the_member_config_rule_is_created_in_the_evaluators_region(
    member: dict[str, Any], region: str, created: bool
) -> None:
    condition = member_resource(member, "EndpointConfigRule")["Condition"]
    evaluator = "arn:aws:lambda:us-east-1:111122223333:function:vpce-guard-ConfigRuleFunction-AbC123"

    assert member_condition(member, condition, region, ConfigRuleFunctionArn=evaluator) is created


def test_the_hubs_sweep_covers_the_member_stacks_ous_in_the_member_regions(hub: TransformedTemplate) -> None:
    environment = hub.function_environment("SweepFunction")

    assert environment["SWEEP_ORGANIZATIONAL_UNITS"] == {"Fn::Join": [",", {"Ref": "OrganizationalUnitIds"}]}
    assert environment["SWEEP_REGIONS"] == {"Fn::Join": [",", {"Ref": "MemberRegions"}]}
