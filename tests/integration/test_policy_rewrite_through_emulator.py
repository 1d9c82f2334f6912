"""Enforce mode on endpoint policies, end to end through the emulator over HTTP: the default policy of each
service an organization's endpoints commonly serve is rewritten on the data-perimeter pattern, the policy read
back from EC2 admits every legitimate request and denies the outsider, and a caller CloudTrail saw through an
endpoint keeps the endpoint as it was (a ticket names the caller)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cloudtrail_support import assumed_role, record

from vpce_guard.accounts import Accounts
from vpce_guard.aws import AwsSession
from vpce_guard.catalog import load_catalog
from vpce_guard.checks import CHECKS
from vpce_guard.decisions import GuardConfig
from vpce_guard.iam import Caller, Request, evaluate
from vpce_guard.judge import judge, request_cases
from vpce_guard.perimeter import Perimeter, ServiceProfile
from vpce_guard.pipeline import Pipeline
from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY, parse_policy
from vpce_guard.scan import scan_live
from vpce_guard.snapshot import Scope
from vpce_guard.state import StateStore
from vpce_guard.vocabulary import Status
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import BuiltVpc, EstateBuilder

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"
ORG_ID = "o-a1b2c3d4e5"
POLICY_CHECKS = ("policy-any-principal", "policy-wildcard-action", "policy-foreign-principal", "policy-any-resource")
ENFORCE = f"""
org_id = "{ORG_ID}"
change_budget = 20
[modes]
policy-any-principal = "enforce"
policy-any-resource = "enforce"
policy-wildcard-action = "enforce"
"""
INTERFACE_SERVICES = ("sts", "s3", "ecr.api", "ecr.dkr", "ssm", "kms", "logs", "secretsmanager", "bedrock-runtime")
GATEWAY_SERVICES = ("s3", "dynamodb")


def interface(ec2: Any, vpc: BuiltVpc, service: str) -> str:
    build = EstateBuilder(ec2, REGION)
    group = build.security_group(vpc, f"vpce-{service}", https_from_cidrs=[vpc.cidr])
    return build.interface_endpoint(vpc, service, subnet_ids=vpc.private_subnet_ids, group_ids=[group])


def sts_endpoint_an_outsider_called(ec2: Any, vpc: BuiltVpc, aws_env: Emulator) -> str:
    """An STS endpoint through which CloudTrail saw another account's role call yesterday."""
    endpoint_id = interface(ec2, vpc, "sts")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    outsider = assumed_role("arn:aws:iam::444455556666:role/ci-runner")
    aws_env.record_cloudtrail_events([record("AssumeRole", at=yesterday, identity=outsider, endpoint=endpoint_id)])
    return endpoint_id


def gateway(ec2: Any, vpc: BuiltVpc, service: str) -> str:
    tables = [*vpc.private_route_table_ids, *vpc.public_route_table_ids]
    return EstateBuilder(ec2, REGION).gateway_endpoint(vpc, service, route_table_ids=tables)


def policy_of(ec2: Any, endpoint_id: str) -> Any:
    (endpoint,) = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
    return json.loads(endpoint["PolicyDocument"])


def enforce(session: AwsSession, store: StateStore, vpc: BuiltVpc) -> None:
    guard = Pipeline(Accounts(lambda region: session), store, GuardConfig.from_toml(ENFORCE))
    guard.evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))


def test_every_default_policy_is_rewritten_to_admit_the_legitimate_and_deny_the_outsider(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoints = {
        **{(service, "Gateway"): gateway(ec2, vpc, service) for service in GATEWAY_SERVICES},
        **{(service, "Interface"): interface(ec2, vpc, service) for service in INTERFACE_SERVICES},
    }

    enforce(session, store, vpc)

    for (service, endpoint_type), endpoint_id in endpoints.items():
        entry = load_catalog().services[service]
        profile = ServiceProfile.of(entry, "aws", REGION)
        perimeter = Perimeter(owner=ACCOUNT, org_id=ORG_ID)
        rewritten = policy_of(ec2, endpoint_id)
        assert rewritten != DEFAULT_ENDPOINT_POLICY, (service, endpoint_type)
        narrowed_to = entry.actions if entry.actions_complete else None
        cases = request_cases(
            profile, perimeter, partition="aws", region=REGION, actions=entry.actions, narrowed_to=narrowed_to
        )
        judgement = judge(parse_policy(DEFAULT_ENDPOINT_POLICY), parse_policy(rewritten), cases)
        assert (judgement.lost, judgement.gained) == ((), ()), (service, endpoint_type)
        assert any(shift.case.caller == "an outsider's principal" for shift in judgement.refused), service


def test_a_fresh_scan_finds_no_policy_mistake_after_the_rewrites(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    for service in GATEWAY_SERVICES:
        gateway(ec2, vpc, service)
    for service in INTERFACE_SERVICES:
        interface(ec2, vpc, service)

    enforce(session, store, vpc)

    settings = GuardConfig.from_toml(ENFORCE).settings
    result = scan_live(session, Scope(REGION, (vpc.id,)), settings, [CHECKS[check] for check in POLICY_CHECKS])
    assert result.findings == []


def test_a_rewrite_that_would_lock_out_a_caller_seen_in_cloudtrail_is_a_ticket_and_changes_nothing(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc, aws_env: Emulator
) -> None:
    endpoint_id = interface(ec2, vpc, "sts")
    ci_runner = "arn:aws:iam::444455556666:role/ci-runner"
    yesterday = datetime.now(UTC) - timedelta(days=1)
    aws_env.record_cloudtrail_events(
        [record("AssumeRole", at=yesterday, identity=assumed_role(ci_runner), endpoint=endpoint_id)]
    )

    enforce(session, store, vpc)

    assert policy_of(ec2, endpoint_id) == DEFAULT_ENDPOINT_POLICY
    tickets = [change.error or "" for change in store.changes() if change.resource_id == endpoint_id]
    assert tickets
    assert all(f"{ci_runner} (seen in CloudTrail): sts:AssumeRole" in ticket for ticket in tickets)
    statuses = {r.check_id: r.status for r in store.records(ACCOUNT, REGION) if r.resource_id == endpoint_id}
    assert statuses["policy-any-principal"] is Status.TICKETED


def test_one_rewrite_makes_every_policy_finding_of_the_endpoint_remediated_with_one_change(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint_id = gateway(ec2, vpc, "s3")

    enforce(session, store, vpc)

    made = [change for change in store.changes() if change.resource_id == endpoint_id]
    assert [change.status for change in made] == ["REMEDIATED"]
    records = [r for r in store.records(ACCOUNT, REGION) if r.resource_id == endpoint_id]
    assert {r.check_id for r in records} == {"policy-any-principal", "policy-any-resource", "policy-wildcard-action"}
    assert {r.status for r in records} == {Status.REMEDIATED}


def test_a_dry_run_records_the_planned_rewrite_with_its_preview_and_says_so_on_the_finding(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc, state_table: str
) -> None:
    endpoint_id = interface(ec2, vpc, "sts")
    config = GuardConfig.from_toml("dry_run = true\n" + ENFORCE)

    Pipeline(Accounts(lambda region: session), store, config).evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))

    assert policy_of(ec2, endpoint_id) == DEFAULT_ENDPOINT_POLICY
    (planned,) = [c for c in store.changes() if c.resource_id == endpoint_id and c.check_id == "policy-any-principal"]
    assert planned.status == "PLANNED"
    assert planned.preview is not None
    assert planned.preview["current"] == DEFAULT_ENDPOINT_POLICY
    assert planned.preview["judgement"]["lost"] == []
    item = session.client("dynamodb").get_item(
        TableName=state_table,
        Key={"pk": {"S": f"{ACCOUNT}#{REGION}#{endpoint_id}"}, "sk": {"S": "policy-any-principal"}},
    )["Item"]
    assert item["remediation_note"]["S"].startswith("Dry run, nothing changed; enforce mode would rewrite the policy")


def test_a_ticket_keeps_the_proposal_it_did_not_make(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc, aws_env: Emulator
) -> None:
    endpoint_id = sts_endpoint_an_outsider_called(ec2, vpc, aws_env)

    enforce(session, store, vpc)

    tickets = [c for c in store.changes() if c.resource_id == endpoint_id]
    assert tickets
    assert all(ticket.preview is not None and ticket.preview["judgement"]["lost"] for ticket in tickets)


def test_a_partner_service_endpoint_naming_an_outside_account_is_rewritten_to_the_organization(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc, aws_env: Emulator
) -> None:
    balancer = aws_env.client("elbv2", REGION).create_load_balancer(
        Name="partner", Type="network", Scheme="internal", Subnets=vpc.private_subnet_ids
    )["LoadBalancers"][0]["LoadBalancerArn"]
    service = ec2.create_vpc_endpoint_service_configuration(NetworkLoadBalancerArns=[balancer])["ServiceConfiguration"]
    owner_and_outsider = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": [ACCOUNT, "444455556666"]}},
            }
        ],
    }
    endpoint_id = ec2.create_vpc_endpoint(
        VpcEndpointType="Interface",
        VpcId=vpc.id,
        ServiceName=service["ServiceName"],
        SubnetIds=vpc.private_subnet_ids[:1],
        PolicyDocument=json.dumps(owner_and_outsider),
    )["VpcEndpoint"]["VpcEndpointId"]
    config = f'org_id = "{ORG_ID}"\n[modes]\npolicy-foreign-principal = "enforce"\n'

    Pipeline(Accounts(lambda region: session), store, GuardConfig.from_toml(config)).evaluate(
        ACCOUNT, Scope(REGION, (vpc.id,))
    )

    rewritten = parse_policy(policy_of(ec2, endpoint_id))
    profile, perimeter = ServiceProfile.of(None, "aws", REGION), Perimeter(owner=ACCOUNT, org_id=ORG_ID)
    cases = request_cases(profile, perimeter, partition="aws", region=REGION, actions=())
    judgement = judge(parse_policy(owner_and_outsider), rewritten, cases)
    assert (judgement.lost, judgement.gained) == ((), ())
    outsider = "arn:aws:iam::444455556666:role/partner"
    named = Request(
        "partner:Call", "*", Caller("AWS", outsider, "444455556666"), {"aws:PrincipalAccount": ("444455556666",)}
    )
    assert evaluate(parse_policy(owner_and_outsider), named).allowed
    assert not evaluate(rewritten, named).allowed


def test_an_endpoint_with_several_policy_findings_has_its_callers_read_once(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc, aws_env: Emulator
) -> None:
    endpoint_id = sts_endpoint_an_outsider_called(ec2, vpc, aws_env)
    aws_env.clear_recorded_calls()

    enforce(session, store, vpc)

    tickets = {c.check_id for c in store.changes() if c.resource_id == endpoint_id}
    assert {"policy-any-principal", "policy-any-resource"} <= tickets
    assert [call.operation for call in aws_env.recorded_calls()].count("LookupEvents") == 1
