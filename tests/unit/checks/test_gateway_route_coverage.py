"""gateway-route-coverage: one test per scenario of the module docstring."""

from __future__ import annotations

import pytest
from facts_builders import (
    MAIN_TABLE,
    PRIVATE_TABLE,
    PUBLIC_TABLE,
    facts,
    gateway_endpoint,
    interface_endpoint,
    private_subnets,
    subnet,
)

from vpce_guard.checks import gateway_route_coverage
from vpce_guard.checks.base import CheckSettings
from vpce_guard.facts import Endpoint, Subnet
from vpce_guard.findings import Finding, Severity

AZ4, AZ6, AZ1 = private_subnets()


def run(endpoint: Endpoint, subnets: list[Subnet] | None = None) -> list[Finding]:
    return list(gateway_route_coverage.evaluate(facts(endpoints=[endpoint], subnets=subnets), CheckSettings()))


def test_subnets_route_table_not_associated_is_medium_finding() -> None:
    (finding,) = run(gateway_endpoint(route_table_ids=[PUBLIC_TABLE]))

    assert (
        finding.check_id,
        finding.severity,
        finding.remediation.action,
        finding.remediation.automatic,
    ) == (
        "gateway-route-coverage",
        Severity.MEDIUM,
        "associate-route-tables",
        True,
    )
    assert finding.evidence == {
        "missing_route_table_ids": [PRIVATE_TABLE],
        "associated_route_table_ids": [PUBLIC_TABLE],
        "subnets_by_missing_route_table": {PRIVATE_TABLE: sorted(s.id for s in (AZ4, AZ6, AZ1))},
    }


def test_detail_names_the_endpoint_vpc_and_missing_table() -> None:
    endpoint = gateway_endpoint(route_table_ids=[PUBLIC_TABLE])

    (finding,) = run(endpoint)

    assert all(name in finding.detail for name in (endpoint.id, endpoint.vpc_id, PRIVATE_TABLE))


def test_subnet_using_the_main_table_needs_it_associated() -> None:
    on_main = subnet("subnet-0onmain000000001", 1, route_table_id=MAIN_TABLE)

    (finding,) = run(gateway_endpoint(route_table_ids=[PRIVATE_TABLE]), [AZ4, on_main])

    assert finding.evidence["subnets_by_missing_route_table"] == {MAIN_TABLE: [on_main.id]}


def test_several_missing_tables_make_one_finding() -> None:
    (finding,) = run(gateway_endpoint(route_table_ids=[]))

    assert finding.evidence["missing_route_table_ids"] == sorted([PRIVATE_TABLE, PUBLIC_TABLE])


def test_every_table_in_use_associated_is_no_finding() -> None:
    assert run(gateway_endpoint(route_table_ids=[PUBLIC_TABLE, PRIVATE_TABLE])) == []


def test_main_table_that_no_subnet_uses_is_not_required() -> None:
    assert run(gateway_endpoint(route_table_ids=[PRIVATE_TABLE]), [AZ4, AZ6, AZ1]) == []


def test_vpc_without_subnets_is_no_finding() -> None:
    assert run(gateway_endpoint(route_table_ids=[]), []) == []


def test_interface_endpoint_is_no_finding() -> None:
    assert run(interface_endpoint(service="s3")) == []


@pytest.mark.parametrize("state", ["deleting", "deleted", "failed", "rejected", "expired"])
def test_inactive_endpoint_is_no_finding(state: str) -> None:
    assert run(gateway_endpoint(route_table_ids=[], state=state)) == []


def test_two_gateway_endpoints_of_one_service_may_split_the_tables() -> None:
    first = gateway_endpoint("vpce-0gateway00000001", route_table_ids=[PUBLIC_TABLE])
    second = gateway_endpoint("vpce-0gateway00000002", route_table_ids=[PRIVATE_TABLE])
    estate = facts(endpoints=[first, second])

    assert list(gateway_route_coverage.evaluate(estate, CheckSettings())) == []


def test_a_table_neither_endpoint_has_is_reported_once_on_the_first() -> None:
    first = gateway_endpoint("vpce-0gateway00000001", route_table_ids=[])
    second = gateway_endpoint("vpce-0gateway00000002", route_table_ids=[PRIVATE_TABLE])
    estate = facts(endpoints=[second, first])

    findings = list(gateway_route_coverage.evaluate(estate, CheckSettings()))

    assert [finding.resource_id for finding in findings] == [first.id]
