"""enable-private-dns: one test per scenario of the playbook's docstring."""

from __future__ import annotations

import pytest
from remediation_builders import planned, ticketed
from unit.checks.facts_builders import VPC_ID, aws_service, facts, interface_endpoint, vpc

from vpce_guard.facts import Facts
from vpce_guard.remediation.model import ApiCall

ENDPOINT = "vpce-0interface000001"


def estate(
    *,
    dns_support: bool | None = True,
    dns_hostnames: bool | None = True,
    holder: bool = False,
    service: str = "bedrock-runtime",
) -> Facts:
    endpoints = [interface_endpoint(private_dns=False, service=service)]
    if holder:
        endpoints.append(interface_endpoint("vpce-0holder000000001", private_dns=True, service=service))
    return facts(
        endpoints=endpoints,
        vpcs=[vpc(dns_support=dns_support, dns_hostnames=dns_hostnames)],
        services=[aws_service(service)],
    )


def vpc_attribute(name: str) -> ApiCall:
    return ApiCall("ec2", "modify_vpc_attribute", {"VpcId": VPC_ID, name: {"Value": True}})


PRIVATE_DNS_ON = ApiCall("ec2", "modify_vpc_endpoint", {"VpcEndpointId": ENDPOINT, "PrivateDnsEnabled": True})


def test_private_dns_off_in_a_vpc_with_dns_on_turns_private_dns_on() -> None:
    plan = planned("private-dns-disabled", estate())

    assert plan.calls == (PRIVATE_DNS_ON,)
    assert (plan.resource.kind, plan.resource.id) == ("endpoint", ENDPOINT)


def test_another_endpoint_holding_the_name_is_a_ticket_naming_it() -> None:
    ticket = ticketed("private-dns-disabled", estate(holder=True))

    assert "another endpoint (vpce-0holder000000001) holds the private DNS name" in ticket.reason


def test_vpc_dns_hostnames_off_is_a_ticket() -> None:
    ticket = ticketed("private-dns-disabled", estate(dns_hostnames=False))

    assert ticket.reason.startswith(f"{VPC_ID} has EnableDnsHostnames off")


def test_with_vpc_dns_enforced_the_attributes_go_first_support_before_hostnames() -> None:
    plan = planned("private-dns-disabled", estate(dns_support=False, dns_hostnames=False), fix_vpc_dns=True)

    assert plan.calls == (vpc_attribute("EnableDnsSupport"), vpc_attribute("EnableDnsHostnames"), PRIVATE_DNS_ON)
    assert [resource.id for resource in plan.resources] == [ENDPOINT, VPC_ID]


def test_with_vpc_dns_enforced_only_the_attribute_that_is_off_is_turned_on() -> None:
    plan = planned("private-dns-disabled", estate(dns_hostnames=False), fix_vpc_dns=True)

    assert plan.calls == (vpc_attribute("EnableDnsHostnames"), PRIVATE_DNS_ON)


def test_an_attribute_not_collected_is_not_judged_off() -> None:
    plan = planned("private-dns-disabled", estate(dns_support=None, dns_hostnames=None))

    assert plan.calls == (PRIVATE_DNS_ON,)


@pytest.mark.parametrize("service", ["s3", "dynamodb"])
def test_a_service_with_a_gateway_endpoint_gets_private_dns_for_every_in_vpc_caller_said_in_the_call(
    service: str,
) -> None:
    plan = planned("private-dns-disabled", estate(service=service))

    assert plan.calls == (
        ApiCall(
            "ec2",
            "modify_vpc_endpoint",
            {
                "VpcEndpointId": ENDPOINT,
                "PrivateDnsEnabled": True,
                "DnsOptions": {"PrivateDnsOnlyForInboundResolverEndpoint": False},
            },
        ),
    )
