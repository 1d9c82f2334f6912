"""Every function's role: exactly the calls its code makes, and what the Lambda service does with the role for
the function's configuration, scoped to the stack's own resources; no AWS managed policy.

A role holds two policies. The code's (``<Role>Policy``) is held to the calls the code makes by
tests/local/test_iam_both_ways.py. The Lambda service's (``LambdaService``) is held here to a declared table:
each setting of a function that makes Lambda call AWS with the function's role (its log group, active
tracing, the VPC, its event source, its dead-letter queue or on-failure destination), and the one statement
that call needs, on exactly that resource. Where a bound is a condition, the role's policy is evaluated with
vpce_guard.iam (the evaluator the policy checks use) on the requests it must admit and refuse.
"""

from __future__ import annotations

from typing import Any

import pytest
from template_support import FUNCTIONS

from vpce_guard.iam import Caller, Request, evaluate
from vpce_guard.policy import parse_policy
from vpce_guard_local.sam.intrinsics import PhysicalResource, Resolver
from vpce_guard_local.sam.template import ROLE, TransformedTemplate, get_att_target

LAMBDA_SERVICE_POLICY = "LambdaService"
ACCOUNT = "123456789012"
REGION = "us-east-1"
# Lambda puts lambda:SourceFunctionArn on every call the function's code makes, and on the logs and traces it
# writes for the function; never on the network interfaces it manages, the event source it reads or the
# failed events it sends (Lambda developer guide, "Using source function ARN to control function access
# behavior"). Grants for those require the key absent: the code cannot use them.
LAMBDA_ITSELF = {"Null": {"lambda:SourceFunctionArn": "true"}}
# The calls Lambda makes to manage a function's network interfaces in its VPC (Lambda developer guide,
# "Giving Lambda functions access to resources in an Amazon VPC"). DescribeNetworkInterfaces works only on "*".
NETWORK_INTERFACE_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
# What an event source mapping reads, by the source's type (Lambda developer guide: SQS and DynamoDB streams).
EVENT_SOURCE_READS = {
    "AWS::SQS::Queue": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
    "AWS::DynamoDB::Table": (
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    ),
}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statement(
    sid: str, actions: tuple[str, ...], resource: Any, condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    declared = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resource}
    return declared | ({"Condition": condition} if condition else {})


def normalized(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**s, "Action": sorted(as_list(s["Action"]))} for s in statements]


def event_source_mappings(template: TransformedTemplate, function: str) -> list[dict[str, Any]]:
    return [
        resource["Properties"]
        for resource in template.resources("AWS::Lambda::EventSourceMapping").values()
        if resource["Properties"]["FunctionName"] == {"Ref": function}
    ]


def lambda_service_needs(template: TransformedTemplate, function: str) -> list[dict[str, Any]]:
    """The declared table: what the Lambda service needs of the function's role, from its configuration alone."""
    props = template.properties(function)
    needs = [
        statement(
            "WriteLogs",
            ("logs:CreateLogStream", "logs:PutLogEvents"),
            {"Fn::GetAtt": [props["LoggingConfig"]["LogGroup"]["Ref"], "Arn"]},
        )
    ]
    if props.get("TracingConfig") == {"Mode": "Active"}:
        needs.append(statement("WriteTraces", ("xray:PutTraceSegments", "xray:PutTelemetryRecords"), "*"))
    if "VpcConfig" in props:
        needs.append(statement("ManageNetworkInterfaces", NETWORK_INTERFACE_ACTIONS, "*", LAMBDA_ITSELF))
    failed: list[Any] = [props["DeadLetterConfig"]["TargetArn"]] if "DeadLetterConfig" in props else []
    for mapping in event_source_mappings(template, function):
        source = mapping["EventSourceArn"]
        reads = EVENT_SOURCE_READS[template.resources()[get_att_target(source) or ""]["Type"]]
        needs.append(statement("ReadEventSource", reads, source, LAMBDA_ITSELF))
        failed += [mapping["DestinationConfig"]["OnFailure"]["Destination"]] if "DestinationConfig" in mapping else []
    needs += [statement("SendToDeadLetterQueue", ("sqs:SendMessage",), queue, LAMBDA_ITSELF) for queue in failed]
    return needs


def role_of(template: TransformedTemplate, function: str) -> tuple[str, dict[str, Any]]:
    role = template.function(function).role_logical_id
    assert role is not None
    return role, template.properties(role)


def policy_statements(role: dict[str, Any], name: str) -> list[dict[str, Any]]:
    (policy,) = [p for p in role["Policies"] if p["PolicyName"] == name]
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


# What each role holds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_has_a_role_of_its_own_that_only_lambda_may_assume(
    transformed: TransformedTemplate, function: str
) -> None:
    role, properties = role_of(transformed, function)

    assert transformed.resources()[role]["Type"] == ROLE
    assert [role_of(transformed, f)[0] for f in FUNCTIONS].count(role) == 1
    assert properties["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]


def test_no_role_of_either_stack_has_an_aws_managed_policy_or_a_policy_outside_it(
    hub: TransformedTemplate, member: dict[str, Any]
) -> None:
    """The hub creates every role a single account does, and the hub's own; the member stack its four."""
    member_resources = member["Resources"].values()
    roles = [*hub.resources(ROLE).values(), *(r for r in member_resources if r["Type"] == ROLE)]
    types = {resource["Type"] for resource in [*hub.resources().values(), *member_resources]}

    assert len(roles) == len(FUNCTIONS) + 4
    for role in roles:
        assert not {"ManagedPolicyArns", "PermissionsBoundary"} & set(role["Properties"])
    assert not {"AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::IAM::RolePolicy"} & types


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_role_holds_its_codes_policy_and_the_lambda_services_only(
    transformed: TransformedTemplate, function: str
) -> None:
    """One policy for the code's calls, so the both-ways IAM test has one place to adjust."""
    role, properties = role_of(transformed, function)

    assert [p["PolicyName"] for p in properties["Policies"]] == [f"{role}Policy", LAMBDA_SERVICE_POLICY]
    assert {p["PolicyDocument"]["Version"] for p in properties["Policies"]} == {"2012-10-17"}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_lambda_services_policy_is_exactly_what_the_functions_configuration_needs(
    transformed: TransformedTemplate, function: str
) -> None:
    _, properties = role_of(transformed, function)

    assert normalized(policy_statements(properties, LAMBDA_SERVICE_POLICY)) == lambda_service_needs(
        transformed, function
    )


def test_the_configurations_that_need_the_lambda_service_are_the_ones_the_functions_have(
    transformed: TransformedTemplate,
) -> None:
    """Every function logs, is traced and runs in the VPC; these have an event source or a dead-letter queue."""
    reads = {
        f: [s["Resource"] for s in lambda_service_needs(transformed, f) if s["Sid"] == "ReadEventSource"]
        for f in FUNCTIONS
    }
    dead_letters = {
        f: [s["Resource"] for s in lambda_service_needs(transformed, f) if s["Sid"] == "SendToDeadLetterQueue"]
        for f in FUNCTIONS
    }

    assert {f: r for f, r in reads.items() if r} == {
        "OnChangeFunction": [{"Fn::GetAtt": ["OnChangeFollowUpQueue", "Arn"]}],
        "SweepWorkerFunction": [{"Fn::GetAtt": ["SweepJobQueue", "Arn"]}],
        "NotifierFunction": [{"Fn::GetAtt": ["StateTable", "StreamArn"]}],
    }
    assert {f: [queue["Fn::GetAtt"][0] for queue in q] for f, q in dead_letters.items()} == {
        "OnChangeFunction": ["OnChangeDeadLetterQueue"],
        "ConfigRuleFunction": ["ConfigRuleDeadLetterQueue"],
        "SweepFunction": ["SweepDeadLetterQueue"],
        "SweepWorkerFunction": [],
        "NotifierFunction": ["NotifierDeadLetterQueue"],
    }


# The grants, evaluated -----------------------------------------------------------------------------------------


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def stand_ins(template: TransformedTemplate) -> dict[str, PhysicalResource]:
    """The stack's queues, tables and log groups as CloudFormation names them (their ARNs)."""
    resources = {}
    for logical_id, resource in template.resources().items():
        kind = resource["Type"]
        if kind == "AWS::SQS::Queue":
            resources[logical_id] = PhysicalResource(kind, logical_id, {"Arn": arn("sqs", logical_id)})
        elif kind == "AWS::DynamoDB::Table":
            table = arn("dynamodb", f"table/{logical_id}")
            resources[logical_id] = PhysicalResource(kind, logical_id, {"Arn": table, "StreamArn": f"{table}/stream/1"})
        elif kind == "AWS::Logs::LogGroup":
            group = f"/aws/lambda/stack-{logical_id.removesuffix('LogGroup')}"
            resources[logical_id] = PhysicalResource(kind, group, {"Arn": arn("logs", f"log-group:{group}:*")})
    return resources


@pytest.fixture(scope="module")
def lambda_service_policies(transformed: TransformedTemplate) -> dict[str, Any]:
    """Each function's LambdaService policy, its references resolved to the stand-ins' ARNs."""
    resolver = Resolver(
        parameters=transformed.parameter_values_with_defaults(),
        pseudo_parameters={"AWS::Region": REGION, "AWS::Partition": "aws", "AWS::AccountId": ACCOUNT},
        conditions=transformed.document.get("Conditions", {}),
        resources=stand_ins(transformed),
    )
    policies = {}
    for function in FUNCTIONS:
        _, properties = role_of(transformed, function)
        statements = resolver.resolve(policy_statements(properties, LAMBDA_SERVICE_POLICY))
        principal = {"AWS": role_arn(function)}
        document = {"Version": "2012-10-17", "Statement": [{**s, "Principal": principal} for s in statements]}
        policies[function] = parse_policy(document)
    return policies


def role_arn(function: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/stack-{function}Role"


def request(function: str, action: str, resource: str, *, from_code: bool) -> Request:
    """A call with the function's role: by its code (lambda:SourceFunctionArn set) or by the Lambda service."""
    keys = {"lambda:SourceFunctionArn": (arn("lambda", f"function:stack-{function}"),)} if from_code else {}
    return Request(action, resource, Caller("AWS", role_arn(function), ACCOUNT), keys)


LAMBDAS_OWN_CALLS = [
    (function, action, resource)
    for function in FUNCTIONS
    for action, resource in [
        ("ec2:CreateNetworkInterface", arn("ec2", "network-interface/*")),
        ("ec2:DeleteNetworkInterface", arn("ec2", "network-interface/eni-0123456789abcdef0")),
    ]
] + [
    ("OnChangeFunction", "sqs:ReceiveMessage", arn("sqs", "OnChangeFollowUpQueue")),
    ("SweepWorkerFunction", "sqs:ReceiveMessage", arn("sqs", "SweepJobQueue")),
    ("SweepWorkerFunction", "sqs:DeleteMessage", arn("sqs", "SweepJobQueue")),
    ("NotifierFunction", "dynamodb:GetRecords", arn("dynamodb", "table/StateTable/stream/1")),
    ("OnChangeFunction", "sqs:SendMessage", arn("sqs", "OnChangeDeadLetterQueue")),
    ("NotifierFunction", "sqs:SendMessage", arn("sqs", "NotifierDeadLetterQueue")),
]


@pytest.mark.parametrize(("function", "action", "resource"), LAMBDAS_OWN_CALLS)
def test_the_lambda_service_may_make_its_own_calls_and_the_functions_code_may_not(
    lambda_service_policies: dict[str, Any], function: str, action: str, resource: str
) -> None:
    """Network interfaces anywhere, reading or deleting the jobs, sending to a dead-letter queue: the grants
    SAM's managed policies gave the code too, and on every queue and stream."""
    policy = lambda_service_policies[function]

    assert evaluate(policy, request(function, action, resource, from_code=False)).allowed
    assert not evaluate(policy, request(function, action, resource, from_code=True)).allowed


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_writes_logs_to_its_own_log_group_only(
    lambda_service_policies: dict[str, Any], function: str
) -> None:
    policy = lambda_service_policies[function]
    own = arn("logs", f"log-group:/aws/lambda/stack-{function}:log-stream:2026/01/01/[$LATEST]abc")
    other = "SweepFunction" if function != "SweepFunction" else "NotifierFunction"
    others = arn("logs", f"log-group:/aws/lambda/stack-{other}:log-stream:2026/01/01/[$LATEST]abc")

    assert evaluate(policy, request(function, "logs:PutLogEvents", own, from_code=True)).allowed
    assert not evaluate(policy, request(function, "logs:PutLogEvents", others, from_code=True)).allowed
    assert not evaluate(
        policy, request(function, "logs:CreateLogGroup", arn("logs", "log-group:x"), from_code=True)
    ).allowed


@pytest.mark.parametrize(
    ("function", "action", "resource"),
    [
        ("SweepWorkerFunction", "sqs:ReceiveMessage", arn("sqs", "OnChangeDeadLetterQueue")),
        ("NotifierFunction", "dynamodb:GetRecords", arn("dynamodb", "table/IdempotencyTable/stream/1")),
        ("OnChangeFunction", "sqs:SendMessage", arn("sqs", "ConfigRuleDeadLetterQueue")),
    ],
)
def test_the_lambda_service_reaches_the_functions_own_queue_and_stream_only(
    lambda_service_policies: dict[str, Any], function: str, action: str, resource: str
) -> None:
    assert not evaluate(lambda_service_policies[function], request(function, action, resource, from_code=False)).allowed


# A member's Security Hub findings, imported by the hub's notifier through the member's findings role ---------

HUB_ACCOUNT, MEMBER, OTHER_MEMBER = "111122223333", "444455556666", "777788889999"
ORG, OTHER_ORG = "o-a1b2c3d4e5", "o-zzzzzzzzzz"
FINDINGS_ROLE = "vpce-guard-findings"
HUB_NOTIFIER = f"arn:aws:iam::{HUB_ACCOUNT}:role/stack-NotifierFunctionRole"
HUB_ON_CHANGE = f"arn:aws:iam::{HUB_ACCOUNT}:role/stack-OnChangeFunctionRole"
MEMBER_REGIONS = ["us-east-1", "eu-west-1"]


def with_principal(statements: list[dict[str, Any]], principal: str) -> Any:
    return parse_policy(
        {"Version": "2012-10-17", "Statement": [{**s, "Principal": {"AWS": principal}} for s in statements]}
    )


@pytest.fixture(scope="module")
def findings_role(member: dict[str, Any]) -> dict[str, Any]:
    """The member's findings role as CloudFormation creates it in ``MEMBER`` for the hub."""
    resolver = Resolver(
        parameters={
            "HubAccountId": HUB_ACCOUNT,
            "OrganizationId": ORG,
            "HubNotifierRoleArns": [HUB_NOTIFIER],
            "FindingsRoleName": FINDINGS_ROLE,
            "MemberRegions": MEMBER_REGIONS,
        },
        pseudo_parameters={"AWS::Region": REGION, "AWS::Partition": "aws", "AWS::AccountId": MEMBER},
        conditions={},
        resources={},
    )
    properties: dict[str, Any] = resolver.resolve(member["Resources"]["FindingsRole"]["Properties"])
    return properties


@pytest.fixture(scope="module")
def notifier_assumes(hub: TransformedTemplate) -> Any:
    """The hub notifier role's sts:AssumeRole grants, resolved in the hub account."""
    resolver = Resolver(
        parameters=hub.parameter_values_with_defaults(),
        pseudo_parameters={"AWS::Region": REGION, "AWS::Partition": "aws", "AWS::AccountId": HUB_ACCOUNT},
        conditions={},
        resources={},
    )
    statements = [s for s in hub.policy_statements("NotifierFunction") if s["Action"] == "sts:AssumeRole"]
    return with_principal(resolver.resolve(statements), HUB_NOTIFIER)


def assume(role_arn: str, caller: str, org: str = ORG, resource_org: str = ORG) -> Request:
    caller_account = caller.split(":")[4]
    keys = {"aws:PrincipalArn": (caller,), "aws:PrincipalOrgID": (org,), "aws:ResourceOrgID": (resource_org,)}
    return Request("sts:AssumeRole", role_arn, Caller("AWS", caller, caller_account), keys)


def member_role(name: str, account: str = MEMBER) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def test_the_hub_notifier_may_assume_the_findings_role_of_the_organizations_accounts(notifier_assumes: Any) -> None:
    assert evaluate(notifier_assumes, assume(member_role(FINDINGS_ROLE), HUB_NOTIFIER)).allowed
    assert evaluate(notifier_assumes, assume(member_role(FINDINGS_ROLE, OTHER_MEMBER), HUB_NOTIFIER)).allowed


@pytest.mark.parametrize(
    "refused",
    [
        assume(member_role(FINDINGS_ROLE), HUB_NOTIFIER, resource_org=OTHER_ORG),
        assume(member_role("vpce-guard-read"), HUB_NOTIFIER),
        assume(member_role("vpce-guard-remediate"), HUB_NOTIFIER),
    ],
    ids=["outside the organization", "the read role", "the remediation role"],
)
def test_the_hub_notifier_may_assume_no_other_role(notifier_assumes: Any, refused: Request) -> None:
    assert not evaluate(notifier_assumes, refused).allowed


def test_the_findings_role_trusts_the_hub_notifier_inside_the_organization(findings_role: dict[str, Any]) -> None:
    trust = parse_policy(findings_role["AssumeRolePolicyDocument"])

    assert evaluate(trust, assume(member_role(FINDINGS_ROLE), HUB_NOTIFIER)).allowed


@pytest.mark.parametrize(
    "refused",
    [
        assume(member_role(FINDINGS_ROLE), HUB_ON_CHANGE),
        assume(member_role(FINDINGS_ROLE), HUB_NOTIFIER, org=OTHER_ORG),
        assume(member_role(FINDINGS_ROLE), HUB_NOTIFIER.replace(HUB_ACCOUNT, OTHER_MEMBER)),
    ],
    ids=["another hub function", "a hub outside the organization", "the notifier's name in another account"],
)
def test_the_findings_role_trusts_no_one_else(findings_role: dict[str, Any], refused: Request) -> None:
    assert not evaluate(parse_policy(findings_role["AssumeRolePolicyDocument"]), refused).allowed


def product(account: str = MEMBER, region: str = REGION, name: str = f"{MEMBER}/default") -> str:
    return f"arn:aws:securityhub:{region}:{account}:product/{name}"


def import_findings(resource: str, target: str = MEMBER, region: str = REGION) -> Request:
    keys = {"securityhub:TargetAccount": (target,), "aws:RequestedRegion": (region,)}
    return Request("securityhub:BatchImportFindings", resource, Caller("AWS", member_role(FINDINGS_ROLE), MEMBER), keys)


@pytest.fixture(scope="module")
def findings_grants(findings_role: dict[str, Any]) -> Any:
    ((policy,),) = [findings_role["Policies"]]
    return with_principal(policy["PolicyDocument"]["Statement"], member_role(FINDINGS_ROLE))


@pytest.mark.parametrize("region", MEMBER_REGIONS)
def test_the_findings_role_imports_this_accounts_findings_under_its_default_product_in_the_member_regions(
    findings_grants: Any, region: str
) -> None:
    assert evaluate(findings_grants, import_findings(product(region=region), region=region)).allowed


@pytest.mark.parametrize(
    "refused",
    [
        import_findings(product(OTHER_MEMBER, name=f"{OTHER_MEMBER}/default")),
        import_findings(product(), target=OTHER_MEMBER),
        import_findings(product(name="aws/guardduty")),
        import_findings(product(name=f"{MEMBER}/other")),
        import_findings(product(region="ap-south-1"), region="ap-south-1"),
        Request("securityhub:BatchUpdateFindings", product(), Caller("AWS", member_role(FINDINGS_ROLE), MEMBER)),
    ],
    ids=[
        "another account's product",
        "findings of another account",
        "another product",
        "another product of this account",
        "a Region the hub does not judge",
        "another action",
    ],
)
def test_the_findings_role_imports_nothing_else(findings_grants: Any, refused: Request) -> None:
    assert not evaluate(findings_grants, refused).allowed
