"""associate-route-tables, create-endpoint and create-gateway-endpoint: one test per scenario of the playbooks'
docstrings."""

from __future__ import annotations

from remediation_builders import planned, ticketed
from unit.checks.facts_builders import (
    PRIVATE_TABLE,
    PUBLIC_TABLE,
    facts,
    gateway_endpoint,
    interface_endpoint,
    private_subnets,
    public_subnet,
)

from vpce_guard.remediation.model import ApiCall

GATEWAY = "vpce-0gateway00000001"


def test_the_missing_route_tables_are_associated_in_one_call() -> None:
    plan = planned("gateway-route-coverage", facts(endpoints=[gateway_endpoint(route_table_ids=())]))

    assert plan.calls == (
        ApiCall(
            "ec2", "modify_vpc_endpoint", {"VpcEndpointId": GATEWAY, "AddRouteTableIds": [PRIVATE_TABLE, PUBLIC_TABLE]}
        ),
    )
    assert (plan.resource.kind, plan.resource.id) == ("endpoint", GATEWAY)


def test_a_missing_baseline_endpoint_is_a_ticket_listing_what_to_create() -> None:
    estate = facts(subnets=[*private_subnets(), public_subnet()])

    ticket = ticketed("missing-baseline-endpoint", estate)

    assert ticket.reason.startswith(
        "creating endpoints costs money: create com.amazonaws.us-east-1.ec2messages (Interface)"
    )


def test_an_interface_endpoint_a_gateway_would_replace_is_a_ticket_saying_what_to_do_and_why() -> None:
    estate = facts(endpoints=[interface_endpoint(service="s3")])

    ticket = ticketed("interface-where-gateway-serves", estate)

    assert "create a gateway endpoint of com.amazonaws.us-east-1.s3" in ticket.reason
    assert f"associate the route tables its subnets use ({PRIVATE_TABLE}, {PUBLIC_TABLE})" in ticket.reason
    assert "then delete vpce-0interface000001 if nothing else uses it" in ticket.reason
    assert "not reachable from on premises" in ticket.reason
