"""Where the functions may send traffic: HTTPS only, to the internet only for the notifier.

With ApiEgress "internet" (the default) every function may send HTTPS anywhere: the AWS APIs of every member
Region through NAT. With "endpoints" the functions but the notifier send HTTPS to the stack's interface
endpoints and to DynamoDB's prefix list only, and every AWS API they call has an endpoint of the stack that
passes the project's own policy checks. The notifier is also in a group of its own that sends HTTPS anywhere
(Slack and Jira are on the internet). The template's rules refuse an "endpoints" stack its endpoints cannot
serve: without them, or as a hub judging other Regions (the stack's endpoints reach this Region's EC2, STS,
CloudTrail, CloudWatch and Config only) or outside us-east-1 (Organizations' one endpoint).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from template_support import ENDPOINTS_EGRESS, FUNCTIONS, ORGANIZATION_PARAMETERS, PARAMETERS

from vpce_guard.checks import CheckSettings
from vpce_guard.remediation.integrity import SEAL_PERMISSIONS
from vpce_guard.scan import scan_policy_document
from vpce_guard_local.sam.intrinsics import PhysicalResource, Resolver
from vpce_guard_local.sam.template import SamTemplate, TransformedTemplate

NOTIFIER = "NotifierFunction"
ACCOUNT = "123456789012"
REGION = "us-east-1"
ORGANIZATION = ORGANIZATION_PARAMETERS["OrganizationId"]
HTTPS = ("tcp", 443, 443)
ANYWHERE = {"CidrIp": "0.0.0.0/0"}
# The calls the functions make with no IAM statement of their own: the change record key's policy grants
# kms:GenerateMac to the acting roles, and sts:GetCallerIdentity needs no permission.
CALLED_WITHOUT_AN_IAM_STATEMENT = {"kms": SEAL_PERMISSIONS, "sts": ("sts:GetCallerIdentity",)}
# Services whose endpoint is named otherwise than their IAM prefix: CloudWatch's API is the monitoring endpoint.
ENDPOINT_SERVICE = {"cloudwatch": "monitoring"}


def egress_rules(template: TransformedTemplate) -> dict[str, list[dict[str, Any]]]:
    """Each security group's egress rules, inline and of their own, by the group's logical id."""
    rules = {
        logical_id: list(group["Properties"].get("SecurityGroupEgress", []))
        for logical_id, group in template.resources("AWS::EC2::SecurityGroup").items()
    }
    for rule in template.resources("AWS::EC2::SecurityGroupEgress").values():
        properties = dict(rule["Properties"])
        rules[properties.pop("GroupId")["Fn::GetAtt"][0]].append(properties)
    return rules


def destination(rule: dict[str, Any]) -> dict[str, Any]:
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == HTTPS
    return {key: value for key, value in rule.items() if key.startswith(("Cidr", "Destination"))}


def groups_of(template: TransformedTemplate, function: str) -> list[str]:
    return [group["Fn::GetAtt"][0] for group in template.properties(function)["VpcConfig"]["SecurityGroupIds"]]


# The security groups -------------------------------------------------------------------------------------------


def test_by_default_every_function_may_send_https_anywhere(
    sam_template: SamTemplate, single_account: TransformedTemplate
) -> None:
    """The AWS APIs of every member Region, through NAT."""
    assert sam_template.document["Parameters"]["ApiEgress"]["Default"] == "internet"
    assert [destination(rule) for rule in egress_rules(single_account)["FunctionSecurityGroup"]] == [ANYWHERE]


@pytest.mark.parametrize("template", ["endpoints_only", "hub_endpoints_only"])
def test_with_endpoints_egress_the_notifiers_group_is_the_only_one_that_reaches_the_internet(
    request: pytest.FixtureRequest, template: str
) -> None:
    rules = egress_rules(request.getfixturevalue(template))

    assert {group for group, egress in rules.items() if ANYWHERE in map(destination, egress)} == {
        "NotifierSecurityGroup"
    }
    assert not [rule for egress in rules.values() for rule in egress if "CidrIpv6" in rule]


def test_with_endpoints_egress_the_functions_reach_the_stacks_endpoints_and_dynamodb_only(
    endpoints_only: TransformedTemplate,
) -> None:
    assert [destination(rule) for rule in egress_rules(endpoints_only)["FunctionSecurityGroup"]] == [
        {"DestinationPrefixListId": {"Ref": "DynamoDbPrefixListId"}},
        {"DestinationSecurityGroupId": {"Fn::GetAtt": ["EndpointSecurityGroup", "GroupId"]}},
    ]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_notifier_alone_is_in_the_group_that_reaches_the_internet(
    endpoints_only: TransformedTemplate, function: str
) -> None:
    """Every function is in the functions' group, which the endpoints admit: the notifier's OpsItem calls take
    the SSM endpoint through the VPC's private DNS."""
    internet = ["NotifierSecurityGroup"] if function == NOTIFIER else []

    assert groups_of(endpoints_only, function) == ["FunctionSecurityGroup", *internet]


# Every API the functions call has an endpoint -------------------------------------------------------------------


def services_called(template: TransformedTemplate) -> set[str]:
    """The services the functions but the notifier call: their code's grants, and the calls that need none."""
    granted = {action.split(":")[0] for f in FUNCTIONS if f != NOTIFIER for action in template.policy_actions(f)}
    return {ENDPOINT_SERVICE.get(prefix, prefix) for prefix in granted | set(CALLED_WITHOUT_AN_IAM_STATEMENT)}


def endpoint_services(template: TransformedTemplate) -> dict[str, str]:
    """The stack's endpoints by the service they reach in us-east-1 (``com.amazonaws.us-east-1.<service>``)."""
    resolver = Resolver(
        parameters=template.parameter_values_with_defaults(),
        pseudo_parameters={"AWS::Region": REGION, "AWS::Partition": "aws", "AWS::AccountId": ACCOUNT},
        conditions=template.document.get("Conditions", {}),
        resources={},
    )
    return {
        resolver.resolve(resource["Properties"]["ServiceName"]).removeprefix(f"com.amazonaws.{REGION}."): logical_id
        for logical_id, resource in template.resources("AWS::EC2::VPCEndpoint").items()
    }


@pytest.mark.parametrize("template", ["endpoints_only", "hub_endpoints_only"])
def test_with_endpoints_egress_every_service_the_functions_call_has_an_endpoint_of_the_stack(
    request: pytest.FixtureRequest, template: str
) -> None:
    created: TransformedTemplate = request.getfixturevalue(template)
    called = services_called(created)

    assert called <= set(endpoint_services(created)), sorted(called - set(endpoint_services(created)))
    assert {"ec2", "sts", "ssm", "dynamodb", "cloudtrail", "kms", "sqs", "config", "monitoring"} <= called


def test_only_a_hub_reaches_organizations_and_through_an_endpoint_of_its_own(
    endpoints_only: TransformedTemplate, hub_endpoints_only: TransformedTemplate
) -> None:
    assert "organizations" not in services_called(endpoints_only)
    assert endpoint_services(hub_endpoints_only)["organizations"] == "OrganizationsEndpoint"


def stand_ins() -> dict[str, PhysicalResource]:
    """The resources the endpoints' policies name, with ARNs as CloudFormation gives them."""
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/state"
    return {
        "StateTable": PhysicalResource("AWS::DynamoDB::Table", "state", {"Arn": table}),
        "IdempotencyTable": PhysicalResource(
            "AWS::DynamoDB::Table", "idempotency", {"Arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/idempotency"}
        ),
        "SweepJobQueue": PhysicalResource("AWS::SQS::Queue", "jobs", {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"}),
        "ChangeRecordKey": PhysicalResource(
            "AWS::KMS::Key", "key", {"Arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
        ),
    }


@pytest.mark.parametrize(("template", "org_ids"), [("endpoints_only", ()), ("hub_endpoints_only", (ORGANIZATION,))])
def test_every_endpoint_of_the_stack_passes_the_projects_policy_checks(
    request: pytest.FixtureRequest, template: str, org_ids: tuple[str, ...]
) -> None:
    """``vpce-guard check-policy`` on each endpoint's policy, as the stack creates it: nothing found."""
    created: TransformedTemplate = request.getfixturevalue(template)
    resolver = Resolver(
        parameters=created.parameter_values_with_defaults(),
        pseudo_parameters={"AWS::Region": REGION, "AWS::Partition": "aws", "AWS::AccountId": ACCOUNT},
        conditions=created.document.get("Conditions", {}),
        resources=stand_ins(),
    )
    settings = CheckSettings(org_ids=frozenset(org_ids))
    findings = {}
    for logical_id, endpoint in created.resources("AWS::EC2::VPCEndpoint").items():
        properties = endpoint["Properties"]
        found, _ = scan_policy_document(
            json.dumps(resolver.resolve(properties["PolicyDocument"])),
            resolver.resolve(properties["ServiceName"]),
            ACCOUNT,
            settings,
            endpoint_type=properties["VpcEndpointType"],
        )
        findings[logical_id] = [f"{finding.check_id}: {finding.detail}" for finding in found]

    assert len(findings) >= 8
    assert {logical_id: found for logical_id, found in findings.items() if found} == {}


# The rules: an "endpoints" stack its endpoints could not serve is refused ------------------------------------


def rule_value(expression: Any, values: Mapping[str, Any]) -> Any:
    """A rule's expression, with the functions CloudFormation's rules take that this template uses."""
    if not isinstance(expression, dict):
        return expression
    ((name, argument),) = expression.items()
    if name == "Ref":
        return values[argument]
    arguments = [rule_value(item, values) for item in argument]
    functions = {
        "Fn::Equals": lambda a, b: a == b,
        "Fn::Not": lambda a: not a,
        "Fn::And": lambda *a: all(a),
        "Fn::Contains": lambda items, value: value in items,
        "Fn::EachMemberEquals": lambda items, value: all(item == value for item in items),
    }
    return functions[name](*arguments)


def refused_by(sam_template: SamTemplate, parameters: Mapping[str, str], region: str) -> list[str]:
    """The template's rules that refuse these parameter values in ``region`` (before anything is created)."""
    given = TransformedTemplate(sam_template.document, sam_template.root, parameter_values=parameters)
    values = given.parameter_values_with_defaults(complete=False) | {"AWS::Region": region}
    return [
        name
        for name, rule in sam_template.document["Rules"].items()
        if rule_value(rule.get("RuleCondition", True), values)
        and not all(rule_value(assertion["Assert"], values) for assertion in rule["Assertions"])
    ]


HUB = ORGANIZATION_PARAMETERS | {"MemberRegions": REGION}


@pytest.mark.parametrize(
    ("parameters", "region", "refused"),
    [
        (PARAMETERS, REGION, []),
        (PARAMETERS | ENDPOINTS_EGRESS, REGION, []),
        (
            PARAMETERS | ENDPOINTS_EGRESS | {"CreateInterfaceEndpoints": "false"},
            REGION,
            ["EndpointsEgressHasItsEndpoints"],
        ),
        (PARAMETERS | {"ApiEgress": "endpoints"}, REGION, ["EndpointsEgressHasItsEndpoints"]),
        (PARAMETERS | ENDPOINTS_EGRESS | HUB, REGION, []),
        (PARAMETERS | ENDPOINTS_EGRESS | ORGANIZATION_PARAMETERS, REGION, ["EndpointsEgressJudgesThisRegionOnly"]),
        (
            PARAMETERS | ENDPOINTS_EGRESS | HUB | {"MemberRegions": "eu-west-1"},
            "eu-west-1",
            ["EndpointsEgressJudgesThisRegionOnly"],
        ),
        (PARAMETERS | ORGANIZATION_PARAMETERS, REGION, []),
        (PARAMETERS | ORGANIZATION_PARAMETERS | {"MemberRegions": "eu-west-1"}, "eu-west-1", []),
    ],
)
def test_an_endpoints_stack_is_refused_where_its_endpoints_could_not_serve_it(
    sam_template: SamTemplate, parameters: dict[str, str], region: str, refused: list[str]
) -> None:
    assert refused_by(sam_template, parameters, region) == refused


def test_the_rules_name_what_they_refuse(sam_template: SamTemplate) -> None:
    """The member roles' Region, and the endpoints': each rule refuses with the reason and the way out."""
    rules = sam_template.document["Rules"]

    assert refused_by(sam_template, PARAMETERS | ORGANIZATION_PARAMETERS, "ap-southeast-2") == [
        "MemberRolesAreCreatedInTheHubRegion"
    ]
    for name in ("EndpointsEgressHasItsEndpoints", "EndpointsEgressJudgesThisRegionOnly"):
        assert all("ApiEgress" in assertion["AssertDescription"] for assertion in rules[name]["Assertions"])
