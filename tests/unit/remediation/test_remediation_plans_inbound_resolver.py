"""private-dns-inbound-only: one test per scenario of the playbook's docstring, and the bucket policies read only
once nothing else stands in the way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from msgspec.structs import replace
from remediation_builders import NO_BUCKETS, BucketReads, account_policy, buckets, planned, ticketed, with_policy
from unit.checks.facts_builders import (
    CLIENT_SG,
    ENDPOINT_SG,
    PRIVATE_TABLE,
    PUBLIC_TABLE,
    VPC_CIDR,
    VPC_ID,
    all_traffic_rule,
    facts,
    gateway_endpoint,
    interface_endpoint,
    security_group,
    tcp_rule,
)

from vpce_guard.bucket_policies import BucketPoliciesUnavailable
from vpce_guard.facts import Endpoint, Facts, IngressRule, SecurityGroup
from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY
from vpce_guard.remediation.model import ApiCall

BYPASS = "s3-interface-bypasses-gateway"
INTERFACE = "vpce-0interface000001"
GATEWAY = "vpce-0gateway00000001"
PREFIX_LIST = "pl-63a5400a"  # com.amazonaws.us-east-1.s3, the gateway endpoint's route
BUCKETS = account_policy()


def estate(
    *gateways: Endpoint,
    interface_policy: dict[str, Any] = DEFAULT_ENDPOINT_POLICY,
    groups: Sequence[SecurityGroup] = (),
    service: str = "s3",
) -> Facts:
    """An interface endpoint of ``service`` beside ``gateways``, whose route to the service's prefix list is on
    the tables they are associated with; the endpoint's group, and ``groups``."""
    interface = interface_endpoint(INTERFACE, service=service, inbound_resolver_only=False)
    built = facts(
        endpoints=[with_policy(interface, interface_policy), *gateways], security_groups=[security_group(), *groups]
    )
    routes = {
        table: tuple((PREFIX_LIST, g.id) for g in gateways if table in g.route_table_ids)
        for table in built.route_tables
    }
    return replace(
        built,
        route_tables={
            table_id: replace(table, gateway_routes=routes[table_id]) for table_id, table in built.route_tables.items()
        },
    )


def gateway(policy: dict[str, Any] | None = DEFAULT_ENDPOINT_POLICY, **options: Any) -> Endpoint:
    endpoint = gateway_endpoint(GATEWAY, **{"route_table_ids": (PRIVATE_TABLE, PUBLIC_TABLE), **options})
    return endpoint if policy is None else with_policy(endpoint, policy)


def client(*egress: IngressRule, group_id: str = CLIENT_SG) -> SecurityGroup:
    """Instances' group: admits nothing in, lets ``egress`` out."""
    return security_group(group_id, tcp_rule(22, cidrs=[VPC_CIDR]), name="app", egress=egress)


def source_vpce(operator: str, values: Any, *, effect: str = "Deny", key: str = "aws:SourceVpce") -> dict[str, Any]:
    """A bucket policy with one statement conditioned on ``key``."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ThroughTheEndpoint",
                "Effect": effect,
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
                "Condition": {operator: {key: values}},
            }
        ],
    }


def test_gateway_on_every_table_in_use_with_the_default_policy_turns_the_option_on() -> None:
    plan = planned(BYPASS, estate(gateway()), bucket_policies=NO_BUCKETS)

    assert plan.calls == (
        ApiCall(
            "ec2",
            "modify_vpc_endpoint",
            {"VpcEndpointId": INTERFACE, "DnsOptions": {"PrivateDnsOnlyForInboundResolverEndpoint": True}},
        ),
    )
    assert (plan.resource.kind, plan.resource.id) == ("endpoint", INTERFACE)


def test_the_plan_says_what_was_read_and_what_could_not_be() -> None:
    read = buckets({"logs": source_vpce("StringNotEquals", "vpce-0someother00001")}, listed=3)

    plan = planned(BYPASS, estate(gateway()), bucket_policies=read)

    assert "no policy of the 3 bucket(s) of account 111122223333 names vpce-0interface000001" in plan.summary
    assert "(4 S3 calls)" in plan.summary
    assert "Not read: buckets of other accounts, access point policies" in plan.summary
    assert "the rollback turns the option back off" in plan.summary


def test_a_gateway_with_the_interface_endpoints_own_policy_admits_as_much() -> None:
    plan = planned(BYPASS, estate(gateway(BUCKETS), interface_policy=BUCKETS), bucket_policies=NO_BUCKETS)

    assert [call.resource_id for call in plan.calls] == [INTERFACE]


def test_a_route_table_in_use_without_the_gateway_is_a_ticket_naming_it_and_its_subnets() -> None:
    ticket = ticketed(BYPASS, estate(gateway(route_table_ids=(PUBLIC_TABLE,))), bucket_policies=NO_BUCKETS)

    assert PRIVATE_TABLE in ticket.reason
    assert "subnet-0private0000000000" in ticket.reason
    assert "gateway-route-coverage" in ticket.reason


def test_a_gateway_policy_narrower_than_the_default_and_unlike_the_interface_endpoints_is_a_ticket() -> None:
    ticket = ticketed(BYPASS, estate(gateway(BUCKETS)), bucket_policies=NO_BUCKETS)

    assert f"the policy of gateway endpoint {GATEWAY}" in ticket.reason


def test_a_gateway_policy_that_could_not_be_read_is_a_ticket() -> None:
    ticket = ticketed(BYPASS, estate(gateway(policy=None)), bucket_policies=NO_BUCKETS)

    assert GATEWAY in ticket.reason


@pytest.mark.parametrize(
    "egress",
    [
        pytest.param([tcp_rule(cidrs=[VPC_CIDR])], id="HTTPS to the VPC"),
        pytest.param([all_traffic_rule(cidrs=[VPC_CIDR])], id="everything to the VPC"),
        pytest.param([tcp_rule(group_ids=[ENDPOINT_SG])], id="HTTPS to the endpoint's group"),
        pytest.param([tcp_rule(cidrs=["52.216.0.0/15"])], id="HTTPS to a public range"),
        pytest.param([tcp_rule(cidrs=["::/0"])], id="HTTPS to IPv6 anywhere"),
        pytest.param([tcp_rule(prefix_list_ids=["pl-0another000000001"])], id="HTTPS to another prefix list"),
    ],
)
def test_a_group_letting_https_out_but_not_to_the_services_addresses_is_a_ticket_naming_it(
    egress: list[IngressRule],
) -> None:
    ticket = ticketed(BYPASS, estate(gateway(), groups=[client(*egress)]), bucket_policies=NO_BUCKETS)

    assert f"security group(s) {CLIENT_SG} of {VPC_ID} let HTTPS out, but not to {PREFIX_LIST} or 0.0.0.0/0" in (
        ticket.reason
    )


@pytest.mark.parametrize(
    "egress",
    [
        pytest.param([tcp_rule(prefix_list_ids=[PREFIX_LIST])], id="HTTPS to the prefix list"),
        pytest.param([all_traffic_rule(cidrs=["0.0.0.0/0"])], id="everything anywhere (AWS's default)"),
        pytest.param([tcp_rule(cidrs=[VPC_CIDR]), tcp_rule(cidrs=["0.0.0.0/0"])], id="the VPC and anywhere"),
        pytest.param([tcp_rule(22, cidrs=[VPC_CIDR])], id="no HTTPS out at all"),
        pytest.param([], id="nothing out"),
    ],
)
def test_a_group_letting_https_out_to_the_services_addresses_or_not_at_all_loses_nothing(
    egress: list[IngressRule],
) -> None:
    planned(BYPASS, estate(gateway(), groups=[client(*egress)]), bucket_policies=NO_BUCKETS)


def test_the_interface_endpoints_own_group_is_judged_too() -> None:
    shared = security_group(egress=[tcp_rule(cidrs=[VPC_CIDR])])  # the endpoint's group, which clients may share

    ticket = ticketed(
        BYPASS, replace(estate(gateway()), security_groups={shared.id: shared}), bucket_policies=NO_BUCKETS
    )

    assert shared.id in ticket.reason


@pytest.mark.parametrize(
    "policy",
    [
        pytest.param(source_vpce("StringNotEquals", INTERFACE), id="Deny unless through it"),
        pytest.param(
            source_vpce("StringEquals", ["vpce-0other0000000001", INTERFACE], effect="Allow"), id="Allow through it"
        ),
        pytest.param(source_vpce("ForAnyValue:StringLike", "vpce-0interface*"), id="a wildcard matching it"),
        pytest.param(source_vpce("StringNotEqualsIfExists", INTERFACE, key="AWS:SOURCEVPCE"), id="the key in capitals"),
    ],
)
def test_a_bucket_policy_naming_the_endpoint_in_source_vpce_is_a_ticket_naming_the_bucket_and_statement(
    policy: dict[str, Any],
) -> None:
    read = buckets({"data": policy, "logs": source_vpce("StringNotEquals", "vpce-0other0000000001")})

    ticket = ticketed(BYPASS, estate(gateway()), bucket_policies=read)

    assert f"bucket policies name {INTERFACE} in aws:SourceVpce" in ticket.reason
    assert "data (ThroughTheEndpoint)" in ticket.reason
    assert "logs" not in ticket.reason


def test_a_bucket_policy_naming_the_vpc_or_another_endpoint_is_no_obstacle() -> None:
    """A call through the gateway comes from the same VPC: aws:SourceVpc still matches."""
    read = buckets(
        {
            "data": source_vpce("StringNotEquals", VPC_ID, key="aws:SourceVpc"),
            "logs": source_vpce("StringNotEquals", "vpce-0other0000000001"),
        }
    )

    planned(BYPASS, estate(gateway()), bucket_policies=read)


def test_a_bucket_whose_policy_could_not_be_read_is_a_ticket_naming_it_and_the_error() -> None:
    read = buckets(unread={"secret": "GetBucketPolicy failed: AccessDenied: Access Denied"})

    ticket = ticketed(BYPASS, estate(gateway()), bucket_policies=read)

    assert "could not be read, and may name vpce-0interface000001: secret: GetBucketPolicy failed: AccessDenied" in (
        ticket.reason
    )


def test_more_buckets_than_the_configured_maximum_is_a_ticket_saying_why() -> None:
    ticket = ticketed(BYPASS, estate(gateway()), bucket_policies=buckets(listed=11, max_buckets=10))

    assert "has more than 10 buckets (max_bucket_policies)" in ticket.reason


def test_buckets_that_could_not_be_listed_are_a_ticket_saying_why() -> None:
    unavailable = BucketReads(BucketPoliciesUnavailable("ListBuckets failed: AccessDenied: Access Denied"))

    ticket = ticketed(BYPASS, estate(gateway()), bucket_policies=unavailable)

    assert "the bucket policies of account 111122223333 could not be read, and one may name" in ticket.reason
    assert "ListBuckets failed: AccessDenied" in ticket.reason


def test_bucket_policies_not_read_are_a_ticket() -> None:
    ticket = ticketed(BYPASS, estate(gateway()))

    assert "the bucket policies of account 111122223333 were not read" in ticket.reason


def test_a_dynamodb_interface_endpoint_is_a_ticket_its_tables_policies_not_read() -> None:
    dynamodb = estate(gateway(service="dynamodb"), service="dynamodb")

    ticket = ticketed(BYPASS, dynamodb, bucket_policies=NO_BUCKETS)

    assert "the resource policies of com.amazonaws.us-east-1.dynamodb's resources are not read" in ticket.reason


@pytest.mark.parametrize(
    "blocked",
    [
        pytest.param(estate(gateway(route_table_ids=(PUBLIC_TABLE,))), id="a route table without the gateway"),
        pytest.param(estate(gateway(BUCKETS)), id="a narrower gateway policy"),
        pytest.param(estate(gateway(), groups=[client(tcp_rule(cidrs=[VPC_CIDR]))]), id="a group cut off"),
        pytest.param(estate(gateway(service="dynamodb"), service="dynamodb"), id="a DynamoDB endpoint"),
    ],
)
def test_a_plan_that_tickets_for_another_reason_reads_no_bucket_policy_and_names_that_reason(blocked: Facts) -> None:
    """Reading costs a ListBuckets and a GetBucketPolicy a bucket: paid only when nothing else stands in the way,
    and a failed read never hides the real blocker."""
    reader = BucketReads(BucketPoliciesUnavailable("ListBuckets failed: AccessDenied: Access Denied"))

    ticket = ticketed(BYPASS, blocked, bucket_policies=reader)

    assert reader.asked == 0
    assert "could not be read" not in ticket.reason


def test_a_plan_with_nothing_else_in_its_way_reads_the_bucket_policies_once() -> None:
    reader = buckets()

    planned(BYPASS, estate(gateway()), bucket_policies=reader)

    assert reader.asked == 1
