"""Least privilege in both templates: write rights only where remediation is on and bounded (the member Regions,
DNS attributes only turned on, nothing tagged vpce-guard:exempt), the Config rule function bounded in time and
concurrency, queues and the topic that refuse plain HTTP, the sweep queue that takes jobs from the sweep
function alone, stale events dropped under a flood, and log groups that expire.

Where a bound is a policy, the policy is evaluated (vpce_guard.iam, the evaluator the policy checks use) on
the requests it must admit and refuse, its intrinsics resolved as CloudFormation would.
"""

from __future__ import annotations

from typing import Any

import pytest
from template_support import FUNCTIONS, ORGANIZATION_PARAMETERS, PARAMETERS

from vpce_guard.iam import Caller, Request, evaluate
from vpce_guard.policy import parse_policy
from vpce_guard.remediation.plans import PERMISSIONS
from vpce_guard.throttle import EVENTS_PREFIX, RATE_KEY
from vpce_guard_local.sam.intrinsics import PhysicalResource, Resolver
from vpce_guard_local.sam.template import SamTemplate, TransformedTemplate

ACTORS = ("OnChangeFunction", "SweepWorkerFunction")
READERS = ("OnChangeFunction", "ConfigRuleFunction", "SweepWorkerFunction")
# What the remediations may change; cloudtrail:LookupEvents, which they also declare, reads and names no resource.
CHANGES = sorted({action for actions in PERMISSIONS.values() for action in actions if action.startswith("ec2:")})
EXEMPT_TAG = "aws:ResourceTag/vpce-guard:exempt"
ACCOUNT = "123456789012"
PSEUDO_PARAMETERS = {"AWS::Region": "us-east-1", "AWS::Partition": "aws", "AWS::AccountId": ACCOUNT}
ENDPOINT = f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc-endpoint/vpce-0123456789abcdef0"
VPC = f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/vpc-0123456789abcdef0"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/acting"
MEMBER_PARAMETERS = {
    "MemberRegions": ["us-east-1", "eu-west-1"],
    "RemediationEnabled": "true",
    "ReadsBucketPolicies": "true",
}
QUEUES = (
    "OnChangeDeadLetterQueue",
    "ConfigRuleDeadLetterQueue",
    "SweepDeadLetterQueue",
    "SweepJobQueue",
    "OnChangeFollowUpQueue",
    "EventDeliveryDeadLetterQueue",
    "NotifierDeadLetterQueue",
)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resolver(parameters: dict[str, Any], resources: dict[str, PhysicalResource] | None = None) -> Resolver:
    return Resolver(
        parameters=parameters, pseudo_parameters=PSEUDO_PARAMETERS, conditions={}, resources=resources or {}
    )


def role_policy(statements: list[dict[str, Any]], parameters: dict[str, Any]) -> Any:
    """A role's statements as IAM evaluates them for the role's own requests: each names the role."""
    resolved = resolver(parameters).resolve(statements)
    return parse_policy({"Version": "2012-10-17", "Statement": [{**s, "Principal": {"AWS": ROLE}} for s in resolved]})


def change(action: str, resource: str = ENDPOINT, region: str = "us-east-1", **keys: str) -> Request:
    """A request of the acting role in ``region``, with the request's other condition keys."""
    context = {"aws:RequestedRegion": (region,)} | {name: (value,) for name, value in keys.items()}
    return Request(action, resource, Caller("AWS", ROLE, ACCOUNT), context)


def changing_statements(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in statements if set(as_list(s["Action"])) & set(CHANGES)]


def member_remediation_statements(member: dict[str, Any]) -> list[dict[str, Any]]:
    """The member remediation role's statements, its conditions (ReadsBucketPolicies) resolved."""
    (policy,) = member["Resources"]["RemediationRole"]["Properties"]["Policies"]
    conditional = Resolver(
        parameters=MEMBER_PARAMETERS, pseudo_parameters=PSEUDO_PARAMETERS, conditions=member["Conditions"], resources={}
    )
    statements: list[dict[str, Any]] = conditional.resolve(policy["PolicyDocument"]["Statement"])
    return statements


def hub_actor_policy(hub: TransformedTemplate, function: str) -> Any:
    return role_policy(changing_statements(hub.policy_statements(function)), hub.parameter_values_with_defaults())


@pytest.fixture(scope="module")
def member_policy(member: dict[str, Any]) -> Any:
    return role_policy(member_remediation_statements(member), MEMBER_PARAMETERS)


@pytest.fixture(scope="module", params=["member", *ACTORS])
def acting_policy(request: pytest.FixtureRequest, member: dict[str, Any], hub: TransformedTemplate) -> Any:
    """The member remediation role's policy, and the hub's acting functions' (member Regions us-east-1 and
    eu-west-1 in both)."""
    if request.param == "member":
        return role_policy(member_remediation_statements(member), MEMBER_PARAMETERS)
    return hub_actor_policy(hub, request.param)


# Remediation rights only where remediation is on ------------------------------------------------------------


def test_remediation_is_off_by_default(sam_template: SamTemplate, member: dict[str, Any]) -> None:
    assert sam_template.document["Parameters"]["RemediationEnabled"]["Default"] == "false"
    assert member["Parameters"]["RemediationEnabled"]["Default"] == "false"


@pytest.mark.parametrize("function", ACTORS)
def test_with_remediation_off_the_acting_functions_may_change_nothing(sam_template: SamTemplate, function: str) -> None:
    off = sam_template.transform(PARAMETERS | {"RemediationEnabled": "false"})

    assert not set(off.policy_actions(function)) & set(CHANGES)


@pytest.mark.parametrize(("enabled", "created"), [("true", True), ("false", False)])
def test_the_member_remediation_role_exists_only_where_remediation_is_on(
    member: dict[str, Any], enabled: str, created: bool
) -> None:
    condition = member["Resources"]["RemediationRole"]["Condition"]
    values = Resolver(
        parameters={"RoleRegion": "us-east-1", "RemediationEnabled": enabled},
        pseudo_parameters=PSEUDO_PARAMETERS,
        conditions=member["Conditions"],
        resources={},
    )

    assert values.condition(condition) is created


def test_the_hub_tells_members_whether_remediation_is_on_and_which_regions_it_judges(
    hub: TransformedTemplate,
) -> None:
    passed = {p["ParameterKey"]: p["ParameterValue"] for p in hub.properties("MemberStackSet")["Parameters"]}

    assert passed["RemediationEnabled"] == {"Ref": "RemediationEnabled"}
    assert passed["MemberRegions"] == {"Fn::Join": [",", {"Ref": "MemberRegions"}]}


# Bounded: Regions, DNS turned on only, exempt resources left alone -------------------------------------------


@pytest.mark.parametrize("action", ["ec2:ModifyVpcEndpoint", "ec2:AuthorizeSecurityGroupIngress"])
def test_a_change_in_a_judged_region_is_allowed(acting_policy: Any, action: str) -> None:
    assert evaluate(acting_policy, change(action)).allowed
    assert evaluate(acting_policy, change(action, region="eu-west-1")).allowed


@pytest.mark.parametrize("action", CHANGES)
def test_a_change_in_any_other_region_is_refused(acting_policy: Any, action: str) -> None:
    keys = {"ec2:Attribute/EnableDnsSupport": "true"} if action == "ec2:ModifyVpcAttribute" else {}

    assert not evaluate(acting_policy, change(action, region="ap-southeast-2", **keys)).allowed


@pytest.mark.parametrize("attribute", ["EnableDnsSupport", "EnableDnsHostnames"])
def test_vpc_dns_attributes_may_be_turned_on_and_never_off(acting_policy: Any, attribute: str) -> None:
    key = f"ec2:Attribute/{attribute}"

    assert evaluate(acting_policy, change("ec2:ModifyVpcAttribute", VPC, **{key: "true"})).allowed
    assert not evaluate(acting_policy, change("ec2:ModifyVpcAttribute", VPC, **{key: "false"})).allowed


def test_no_other_vpc_attribute_may_be_changed(acting_policy: Any) -> None:
    request = change("ec2:ModifyVpcAttribute", VPC, **{"ec2:Attribute/EnableNetworkAddressUsageMetrics": "true"})

    assert not evaluate(acting_policy, request).allowed


@pytest.mark.parametrize("action", CHANGES)
@pytest.mark.parametrize("exemption", ["all", "az-coverage until=2027-03-31", ""])
def test_an_exempt_tagged_resource_cannot_be_changed_by_the_remediation_role(
    member_policy: Any, action: str, exemption: str
) -> None:
    """Whatever the tag's value: which checks it exempts, and until when, is judged by vpce-guard's code."""
    keys = {EXEMPT_TAG: exemption, "ec2:Attribute/EnableDnsSupport": "true"}

    decision = evaluate(member_policy, change(action, VPC if action == "ec2:ModifyVpcAttribute" else ENDPOINT, **keys))

    assert (decision.allowed, decision.statement) == (False, "LeaveExemptResourcesAlone")


@pytest.mark.parametrize("function", ACTORS)
def test_the_hubs_acting_functions_cannot_change_an_exempt_tagged_resource_either(
    hub: TransformedTemplate, function: str
) -> None:
    decision = evaluate(hub_actor_policy(hub, function), change("ec2:ModifyVpcEndpoint", **{EXEMPT_TAG: "all"}))

    assert (decision.allowed, decision.statement) == (False, "LeaveExemptResourcesAlone")


@pytest.mark.parametrize("function", ACTORS)
def test_in_a_single_account_the_acting_functions_change_their_own_region_only(
    single_account: TransformedTemplate, function: str
) -> None:
    policy = role_policy(
        changing_statements(single_account.policy_statements(function)),
        single_account.parameter_values_with_defaults(),
    )

    assert evaluate(policy, change("ec2:ModifyVpcEndpoint")).allowed
    assert not evaluate(policy, change("ec2:ModifyVpcEndpoint", region="eu-west-1")).allowed


# Reading CloudTrail's event history: who set an exemption, who calls through an endpoint --------------------


def reading_cloudtrail(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in statements if "cloudtrail:LookupEvents" in as_list(s["Action"])]


@pytest.mark.parametrize("reader", ["member read role", *READERS])
def test_the_evaluating_functions_read_cloudtrail_event_history_in_the_judged_regions_only(
    hub: TransformedTemplate, member: dict[str, Any], reader: str
) -> None:
    if reader == "member read role":
        (policy,) = member["Resources"]["ReadRole"]["Properties"]["Policies"]
        statements = reading_cloudtrail(policy["PolicyDocument"]["Statement"])
        parameters: dict[str, Any] = MEMBER_PARAMETERS
    else:
        statements = reading_cloudtrail(hub.policy_statements(reader))
        parameters = hub.parameter_values_with_defaults()
    policy = role_policy(statements, parameters)

    assert evaluate(policy, change("cloudtrail:LookupEvents", "*")).allowed
    assert evaluate(policy, change("cloudtrail:LookupEvents", "*", region="eu-west-1")).allowed
    assert not evaluate(policy, change("cloudtrail:LookupEvents", "*", region="ap-southeast-2")).allowed


@pytest.mark.parametrize("reader", READERS)
def test_the_evaluating_functions_read_cloudtrail_event_history_with_remediation_off_too(
    sam_template: SamTemplate, reader: str
) -> None:
    """An EXEMPT finding records who set the tag, whatever the modes."""
    off = sam_template.transform(PARAMETERS | ORGANIZATION_PARAMETERS | {"RemediationEnabled": "false"})

    assert "cloudtrail:LookupEvents" in off.policy_actions(reader)


def test_the_hub_deploys_from_a_delegated_administrator_by_default(sam_template: SamTemplate) -> None:
    """Outside the management account, where the organization's SCPs apply to the hub's roles too."""
    assert sam_template.document["Parameters"]["StackSetCallAs"]["Default"] == "DELEGATED_ADMIN"


# The Config rule function ------------------------------------------------------------------------------------


def test_the_config_rule_function_has_small_reserved_concurrency_and_a_timeout_near_its_need(
    sam_template: SamTemplate, transformed: TransformedTemplate
) -> None:
    """Config of any account may invoke it on a hub: a burst elsewhere takes at most this much of the account."""
    props = transformed.properties("ConfigRuleFunction")

    assert props["ReservedConcurrentExecutions"] == {"Ref": "ConfigRuleReservedConcurrency"}
    assert sam_template.document["Parameters"]["ConfigRuleReservedConcurrency"]["Default"] <= 10
    assert props["Timeout"] <= 60


# Queues and the topic -----------------------------------------------------------------------------------------


def queue_policies(template: TransformedTemplate) -> dict[str, list[dict[str, Any]]]:
    """Each queue's policy statements, by the queue's logical id."""
    policies = {}
    for resource in template.resources("AWS::SQS::QueuePolicy").values():
        for queue in resource["Properties"]["Queues"]:
            policies[queue["Ref"]] = resource["Properties"]["PolicyDocument"]["Statement"]
    return policies


def refuses_plain_http(statements: list[dict[str, Any]], action: str) -> bool:
    return any(
        s["Effect"] == "Deny"
        and s["Principal"] == "*"
        and action in as_list(s["Action"])
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )


def test_every_queue_refuses_plain_http(hub: TransformedTemplate) -> None:
    policies = queue_policies(hub)

    assert set(hub.resources("AWS::SQS::Queue")) == set(QUEUES)
    assert {queue for queue in QUEUES if refuses_plain_http(policies.get(queue, []), "sqs:*")} == set(QUEUES)


def test_the_notification_topic_refuses_plain_http(transformed: TransformedTemplate) -> None:
    (policy,) = transformed.resources("AWS::SNS::TopicPolicy").values()

    assert policy["Properties"]["Topics"] == [{"Ref": "NotificationTopic"}]
    assert refuses_plain_http(policy["Properties"]["PolicyDocument"]["Statement"], "sns:Publish")


def resolved_queue_policy(template: TransformedTemplate, queue: str, queue_name: str, roles: tuple[str, ...]) -> Any:
    """The policy of the stack's queue ``queue``, with ``roles`` and the queue resolved to ARNs of ``ACCOUNT``."""
    physical = {
        role: PhysicalResource("AWS::IAM::Role", role, {"Arn": f"arn:aws:iam::{ACCOUNT}:role/{role}"}) for role in roles
    }
    physical[queue] = PhysicalResource(
        "AWS::SQS::Queue", "url", {"Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{queue_name}"}
    )
    resolved = resolver({}, physical).resolve(queue_policies(template)[queue])
    return parse_policy({"Version": "2012-10-17", "Statement": resolved})


@pytest.fixture(scope="module")
def sweep_queue_policy(single_account: TransformedTemplate) -> Any:
    return resolved_queue_policy(
        single_account, "SweepJobQueue", "jobs", ("SweepFunctionRole", "SweepWorkerFunctionRole")
    )


@pytest.mark.parametrize(
    ("role", "admitted"), [("SweepFunctionRole", True), ("SweepWorkerFunctionRole", False), ("Administrator", False)]
)
def test_the_sweep_queue_takes_jobs_from_the_sweep_function_alone(
    sweep_queue_policy: Any, role: str, admitted: bool
) -> None:
    """A Deny for every other principal: an Allow of its own, in the same account, would otherwise suffice."""
    arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    request = Request(
        "sqs:SendMessage",
        f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs",
        Caller("AWS", arn, ACCOUNT),
        {"aws:PrincipalArn": (arn,), "aws:SecureTransport": ("true",)},
    )

    assert evaluate(sweep_queue_policy, request).allowed is admitted


# Under a flood ------------------------------------------------------------------------------------------------


def test_on_change_drops_events_older_than_an_hour_to_its_dead_letter_queue(transformed: TransformedTemplate) -> None:
    (config,) = [
        r["Properties"]
        for r in transformed.resources("AWS::Lambda::EventInvokeConfig").values()
        if r["Properties"]["FunctionName"] == {"Ref": "OnChangeFunction"}
    ]
    targets = [target for rule in transformed.event_rules("OnChangeFunction") for target in rule.properties["Targets"]]

    assert config["MaximumEventAgeInSeconds"] <= 3600
    assert [target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 3600 for target in targets] == [True, True]


STATE_TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/state"
TABLES = {
    "StateTable": PhysicalResource("AWS::DynamoDB::Table", "state", {"Arn": STATE_TABLE}),
    "IdempotencyTable": PhysicalResource(
        "AWS::DynamoDB::Table", "idempotency", {"Arn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/idempotency"}
    ),
}


def table_policy(hub: TransformedTemplate, function: str) -> Any:
    """The function's statements on DynamoDB, as IAM evaluates them for its role."""
    statements = [
        s for s in hub.policy_statements(function) if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))
    ]
    resolved = resolver(hub.parameter_values_with_defaults(), TABLES).resolve(statements)
    return parse_policy({"Version": "2012-10-17", "Statement": [{**s, "Principal": {"AWS": ROLE}} for s in resolved]})


@pytest.mark.parametrize(
    ("function", "partition_key", "allowed"),
    [
        *[(function, RATE_KEY, True) for function in ACTORS],
        ("OnChangeFunction", f"{EVENTS_PREFIX}{ACCOUNT}#us-east-1", True),
        ("SweepWorkerFunction", f"{EVENTS_PREFIX}{ACCOUNT}#us-east-1", False),
        *[(function, f"{ACCOUNT}#us-east-1#vpce-0123456789abcdef0", False) for function in ACTORS],
        *[(function, "sweep#2026-11-22T12:00:00Z-0a1b2c3d", False) for function in ACTORS],
    ],
    ids=[
        "on-change-the-change-counter",
        "sweep-worker-the-change-counter",
        "on-change-an-event-window",
        "sweep-worker-an-event-window",
        "on-change-a-resources-items",
        "sweep-worker-a-resources-items",
        "on-change-a-sweep-result",
        "sweep-worker-a-sweep-result",
    ],
)
def test_the_acting_functions_may_update_their_counters_and_no_other_item(
    hub: TransformedTemplate, function: str, partition_key: str, allowed: bool
) -> None:
    """UpdateItem takes the organization-wide rate of changes, and on-change counts its event windows; it cannot
    rewrite a finding, a lease, a change record or a sweep result."""
    request = Request(
        "dynamodb:UpdateItem", STATE_TABLE, Caller("AWS", ROLE, ACCOUNT), {"dynamodb:LeadingKeys": (partition_key,)}
    )

    assert evaluate(table_policy(hub, function), request).allowed is allowed


@pytest.fixture(scope="module")
def follow_up_queue_policy(single_account: TransformedTemplate) -> Any:
    roles = ("OnChangeFunctionRole", "SweepWorkerFunctionRole")
    return resolved_queue_policy(single_account, "OnChangeFollowUpQueue", "follow-ups", roles)


@pytest.mark.parametrize(
    ("role", "admitted"),
    [("OnChangeFunctionRole", True), ("SweepWorkerFunctionRole", False), ("Administrator", False)],
)
def test_the_follow_up_queue_takes_follow_ups_from_the_on_change_function_alone(
    follow_up_queue_policy: Any, role: str, admitted: bool
) -> None:
    """A follow-up names an account and Region to judge: no other principal may queue one."""
    arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    request = Request(
        "sqs:SendMessage",
        f"arn:aws:sqs:us-east-1:{ACCOUNT}:follow-ups",
        Caller("AWS", arn, ACCOUNT),
        {"aws:PrincipalArn": (arn,), "aws:SecureTransport": ("true",)},
    )

    assert evaluate(follow_up_queue_policy, request).allowed is admitted


def test_follow_ups_take_at_most_two_of_the_on_change_functions_reserved_concurrency(
    transformed: TransformedTemplate,
) -> None:
    (mapping,) = [
        r["Properties"]
        for r in transformed.resources("AWS::Lambda::EventSourceMapping").values()
        if r["Properties"]["FunctionName"] == {"Ref": "OnChangeFunction"}
    ]
    reserved = transformed.document["Parameters"]["OnChangeReservedConcurrency"]

    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["OnChangeFollowUpQueue", "Arn"]}
    assert mapping["ScalingConfig"]["MaximumConcurrency"] == 2
    assert reserved["Default"] > 2


# Logs ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_logs_to_its_own_log_group_that_expires(
    sam_template: SamTemplate, transformed: TransformedTemplate, function: str
) -> None:
    log_group = transformed.properties(function)["LoggingConfig"]["LogGroup"]["Ref"]
    props = transformed.properties(log_group)

    assert transformed.resources()[log_group]["Type"] == "AWS::Logs::LogGroup"
    assert props["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{function}"}
    assert props["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert sam_template.document["Parameters"]["LogRetentionInDays"]["Default"] == 90
