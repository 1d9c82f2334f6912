"""private-dns-inbound-only: one test per scenario of the playbook's docstring."""

from __future__ import annotations

from typing import Any

from remediation_builders import account_policy, planned, ticketed, with_policy
from unit.checks.facts_builders import PRIVATE_TABLE, PUBLIC_TABLE, facts, gateway_endpoint, interface_endpoint

from vpce_guard.facts import Endpoint, Facts
from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY
from vpce_guard.remediation.model import ApiCall

INTERFACE = "vpce-0interface000001"
GATEWAY = "vpce-0gateway00000001"
BUCKETS = account_policy()


def estate(*gateways: Endpoint, interface_policy: dict[str, Any] = DEFAULT_ENDPOINT_POLICY) -> Facts:
    interface = interface_endpoint(INTERFACE, service="s3", inbound_resolver_only=False)
    return facts(endpoints=[with_policy(interface, interface_policy), *gateways])


def gateway(policy: dict[str, Any] | None = DEFAULT_ENDPOINT_POLICY, **options: Any) -> Endpoint:
    endpoint = gateway_endpoint(GATEWAY, **{"route_table_ids": (PRIVATE_TABLE, PUBLIC_TABLE), **options})
    return endpoint if policy is None else with_policy(endpoint, policy)


def test_gateway_on_every_table_in_use_with_the_default_policy_turns_the_option_on() -> None:
    plan = planned("s3-interface-bypasses-gateway", estate(gateway()))

    assert plan.calls == (
        ApiCall(
            "ec2",
            "modify_vpc_endpoint",
            {"VpcEndpointId": INTERFACE, "DnsOptions": {"PrivateDnsOnlyForInboundResolverEndpoint": True}},
        ),
    )
    assert (plan.resource.kind, plan.resource.id) == ("endpoint", INTERFACE)
    assert "aws:SourceVpce" in plan.summary


def test_a_gateway_with_the_interface_endpoints_own_policy_admits_as_much() -> None:
    plan = planned("s3-interface-bypasses-gateway", estate(gateway(BUCKETS), interface_policy=BUCKETS))

    assert [call.resource_id for call in plan.calls] == [INTERFACE]


def test_a_route_table_in_use_without_the_gateway_is_a_ticket_naming_it_and_its_subnets() -> None:
    ticket = ticketed("s3-interface-bypasses-gateway", estate(gateway(route_table_ids=(PUBLIC_TABLE,))))

    assert PRIVATE_TABLE in ticket.reason
    assert "subnet-0private0000000000" in ticket.reason
    assert "gateway-route-coverage" in ticket.reason


def test_a_gateway_policy_narrower_than_the_default_and_unlike_the_interface_endpoints_is_a_ticket() -> None:
    ticket = ticketed("s3-interface-bypasses-gateway", estate(gateway(BUCKETS)))

    assert f"the policy of gateway endpoint {GATEWAY}" in ticket.reason


def test_a_gateway_policy_that_could_not_be_read_is_a_ticket() -> None:
    ticket = ticketed("s3-interface-bypasses-gateway", estate(gateway(policy=None)))

    assert GATEWAY in ticket.reason
