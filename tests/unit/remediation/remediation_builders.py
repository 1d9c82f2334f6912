"""Findings as the checks make them, for the playbook tests: each test builds the facts of its scenario (with
the check tests' builders: one VPC 10.0.0.0/16 in us-east-1, private subnets in three zones, a public subnet),
runs the check, and plans its one finding, as the pipeline does."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import msgspec
from unit.checks.facts_builders import (
    ACCOUNT_ID,
    ENDPOINT_SG,
    PRIVATE_TABLE,
    PUBLIC_TABLE,
    VPC_CIDR,
    all_traffic_rule,
    aws_service,
    facts,
    gateway_endpoint,
    interface_endpoint,
    private_subnets,
    security_group,
    tcp_rule,
    vpc,
)

from vpce_guard.bucket_policies import BucketPolicies, BucketPoliciesUnavailable
from vpce_guard.checks import CHECKS, CheckSettings
from vpce_guard.facts import Endpoint, Facts
from vpce_guard.findings import Finding
from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY, parse_policy
from vpce_guard.remediation.model import Plan, TicketOnly
from vpce_guard.remediation.plans import plan_for

ORG_ID = "o-a1b2c3d4e5"
FOREIGN_ACCOUNT = "999988887777"
SECOND_SG = "sg-0second0000000001"


def finding_of(check_id: str, estate: Facts, settings: CheckSettings | None = None) -> Finding:
    """The one finding of ``check_id`` on ``estate``."""
    (finding,) = CHECKS[check_id].evaluate(estate, settings or CheckSettings())
    return finding


def outcome(check_id: str, estate: Facts, **options: Any) -> Plan | TicketOnly:
    return plan_for(finding_of(check_id, estate), estate, **options)


def planned(check_id: str, estate: Facts, **options: Any) -> Plan:
    plan = outcome(check_id, estate, **options)
    assert isinstance(plan, Plan), plan
    return plan


def ticketed(check_id: str, estate: Facts, **options: Any) -> TicketOnly:
    ticket = outcome(check_id, estate, **options)
    assert isinstance(ticket, TicketOnly), ticket
    return ticket


def with_policy(endpoint: Endpoint, document: Mapping[str, Any]) -> Endpoint:
    """``endpoint`` carrying ``document``, attached the way build_facts attaches one."""
    return msgspec.structs.replace(endpoint, policy=parse_policy(json.dumps(document)))


def default_policy_endpoint(**options: Any) -> Endpoint:
    return with_policy(interface_endpoint(**options), DEFAULT_ENDPOINT_POLICY)


def account_policy(*statements: Mapping[str, Any]) -> dict[str, Any]:
    """An Allow of ``*`` bounded to the owner's account, followed by ``statements``."""
    bounded = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT_ID}},
    }
    return {"Version": "2012-10-17", "Statement": [bounded, *statements]}


@dataclasses.dataclass
class BucketReads:
    """A reader of the account's bucket policies, as the pipeline gives the plan one: it answers ``read`` (or
    raises it, when they cannot be read) and counts how often it was asked (``asked``)."""

    read: BucketPolicies | BucketPoliciesUnavailable
    asked: int = 0

    def __call__(self) -> BucketPolicies:
        self.asked += 1
        if isinstance(self.read, BucketPoliciesUnavailable):
            raise self.read
        return self.read


def buckets(
    policies: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    unread: Mapping[str, str] | None = None,
    listed: int | None = None,
    max_buckets: int = 1000,
) -> BucketReads:
    """A reader of the account's bucket policies: ``policies`` by bucket, the buckets whose policy could not be
    read and why, and ``listed`` buckets in all (those without a policy too); over ``max_buckets``, none is read."""
    parsed = {bucket: parse_policy(json.dumps(document)) for bucket, document in (policies or {}).items()}
    count = len(parsed) + len(unread or {}) if listed is None else listed
    gets = 0 if count > max_buckets else count
    return BucketReads(BucketPolicies(count, max_buckets, 1 + gets, parsed, dict(unread or {})))


# An account without buckets: nothing to refuse a call moved to a gateway endpoint.
NO_BUCKETS = buckets()


def every_kind_of_plan() -> list[Plan]:
    """A plan of every shape the playbooks make: each automatic remediation, private DNS with the VPC's
    attributes first, policies bounded to the account and to the org, the world replaced on two groups,
    IPv4 and IPv6 CIDRs, the DNS option of an S3 interface endpoint beside its gateway."""
    dual_stack = vpc(cidrs=(VPC_CIDR, "2600:1f18:aaaa:bb00::/56"))
    world = all_traffic_rule(cidrs=["0.0.0.0/0", "::/0"])
    foreign = {"Effect": "Allow", "Principal": {"AWS": FOREIGN_ACCOUNT}, "Action": "sqs:*", "Resource": "*"}
    estates = [
        facts(
            endpoints=[interface_endpoint(private_dns=False)],
            vpcs=[vpc(dns_support=False, dns_hostnames=False)],
            services=[aws_service()],
        ),
        facts(endpoints=[default_policy_endpoint()], services=[aws_service()]),
        facts(endpoints=[with_policy(interface_endpoint(service="sqs"), account_policy(foreign))]),
        facts(endpoints=[interface_endpoint(subnets=private_subnets([0]))], services=[aws_service()]),
        facts(
            endpoints=[interface_endpoint()],
            security_groups=[security_group(ENDPOINT_SG, tcp_rule(22, cidrs=[VPC_CIDR]))],
            vpcs=[dual_stack],
        ),
        facts(
            endpoints=[interface_endpoint(security_group_ids=(ENDPOINT_SG, SECOND_SG))],
            security_groups=[security_group(ENDPOINT_SG, world), security_group(SECOND_SG, world)],
            vpcs=[dual_stack],
        ),
        facts(endpoints=[gateway_endpoint(route_table_ids=())]),
        facts(
            endpoints=[
                interface_endpoint(service="s3", inbound_resolver_only=False),
                with_policy(gateway_endpoint(route_table_ids=(PRIVATE_TABLE, PUBLIC_TABLE)), DEFAULT_ENDPOINT_POLICY),
            ]
        ),
    ]
    plans = []
    for estate in estates:
        for check in CHECKS.values():
            for finding in check.evaluate(estate, CheckSettings()) if check.automatic else ():
                plans += [
                    plan_for(finding, estate, fix_vpc_dns=True, bucket_policies=NO_BUCKETS),
                    plan_for(finding, estate, org_id=ORG_ID, bucket_policies=NO_BUCKETS),
                ]
    return [plan for plan in plans if isinstance(plan, Plan)]
