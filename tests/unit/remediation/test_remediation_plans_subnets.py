"""add-endpoint-subnets: one test per scenario of the playbook's docstring."""

from __future__ import annotations

import msgspec
from remediation_builders import planned, ticketed
from unit.checks.facts_builders import aws_service, facts, interface_endpoint, private_subnets, public_subnet, subnet

from vpce_guard.facts import Facts, Subnet
from vpce_guard.remediation.model import ApiCall

ENDPOINT = "vpce-0interface000001"
AZ4, AZ6, AZ1 = private_subnets()


def estate(endpoint_subnets: list[Subnet], subnets: list[Subnet]) -> Facts:
    return facts(endpoints=[interface_endpoint(subnets=endpoint_subnets)], subnets=subnets, services=[aws_service()])


def added(*subnet_ids: str) -> tuple[ApiCall, ...]:
    return (ApiCall("ec2", "modify_vpc_endpoint", {"VpcEndpointId": ENDPOINT, "AddSubnetIds": list(subnet_ids)}),)


def test_one_subnet_is_added_in_each_missing_zone() -> None:
    plan = planned("az-coverage", estate([AZ4], [AZ4, AZ6, AZ1, public_subnet(0)]))

    assert plan.calls == added(AZ1.id, AZ6.id)  # in zone id order: use1-az1, use1-az6
    assert (plan.resource.kind, plan.resource.id) == ("endpoint", ENDPOINT)


def test_the_candidate_with_the_most_free_addresses_wins() -> None:
    roomy = msgspec.structs.replace(subnet("subnet-0roomy00000000001", 2, index=1), available_ips=4000)

    plan = planned("az-coverage", estate([AZ4, AZ6], [AZ4, AZ6, AZ1, roomy]))

    assert plan.calls == added(roomy.id)


def test_equal_candidates_are_decided_by_the_lowest_id() -> None:
    twin = subnet("subnet-0aaaaaaaaaaaaaaa1", 2, index=1)

    plan = planned("az-coverage", estate([AZ4, AZ6], [AZ4, AZ6, AZ1, twin]))

    assert plan.calls == added(twin.id)


def test_a_public_subnet_is_never_chosen_for_a_private_endpoint() -> None:
    public_roomy = msgspec.structs.replace(public_subnet(2), available_ips=4000)

    plan = planned("az-coverage", estate([AZ4, AZ6], [AZ4, AZ6, AZ1, public_roomy]))

    assert plan.calls == added(AZ1.id)


def test_an_endpoint_in_public_subnets_takes_public_ones() -> None:
    public_a, public_b = public_subnet(0), public_subnet(1)

    plan = planned("az-coverage", estate([public_a], [public_a, public_b, AZ6]))

    assert plan.calls == added(public_b.id)


def test_a_missing_zone_without_a_subnet_of_the_tier_is_a_ticket() -> None:
    ticket = ticketed("az-coverage", estate([AZ4], [AZ4, public_subnet(1)]))

    assert "has no private subnet in use1-az6" in ticket.reason
