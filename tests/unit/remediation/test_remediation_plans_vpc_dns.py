"""enable-vpc-dns: one test per scenario of the playbook's docstring."""

from __future__ import annotations

from remediation_builders import planned
from unit.checks.facts_builders import VPC_ID, aws_service, facts, interface_endpoint, vpc

from vpce_guard.facts import Facts
from vpce_guard.remediation.model import ApiCall


def estate(*, dns_support: bool | None = True, dns_hostnames: bool | None = True) -> Facts:
    return facts(
        endpoints=[interface_endpoint()],
        vpcs=[vpc(dns_support=dns_support, dns_hostnames=dns_hostnames)],
        services=[aws_service()],
    )


def turn_on(name: str) -> ApiCall:
    return ApiCall("ec2", "modify_vpc_attribute", {"VpcId": VPC_ID, name: {"Value": True}})


def test_one_attribute_off_is_one_call_on_the_vpc() -> None:
    plan = planned("vpc-dns-disabled", estate(dns_hostnames=False))

    assert plan.calls == (turn_on("EnableDnsHostnames"),)
    assert (plan.resource.kind, plan.resource.id) == ("vpc", VPC_ID)


def test_both_attributes_off_are_two_calls_support_first() -> None:
    plan = planned("vpc-dns-disabled", estate(dns_support=False, dns_hostnames=False))

    assert plan.calls == (turn_on("EnableDnsSupport"), turn_on("EnableDnsHostnames"))


def test_an_attribute_not_collected_is_left_alone() -> None:
    plan = planned("vpc-dns-disabled", estate(dns_support=None, dns_hostnames=False))

    assert plan.calls == (turn_on("EnableDnsHostnames"),)
