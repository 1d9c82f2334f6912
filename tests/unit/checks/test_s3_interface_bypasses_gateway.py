"""s3-interface-bypasses-gateway: one test per scenario of the module docstring."""

from __future__ import annotations

from typing import Any

import pytest
from facts_builders import (
    PRIVATE_TABLE,
    PUBLIC_TABLE,
    facts,
    gateway_endpoint,
    interface_endpoint,
    private_subnets,
    service_name,
)

from vpce_guard.checks import s3_interface_bypasses_gateway
from vpce_guard.checks.base import CheckSettings
from vpce_guard.facts import Endpoint
from vpce_guard.findings import Finding, Severity

INTERFACE = "vpce-0interface000001"
GATEWAY = "vpce-0gateway00000001"


def bypassing(**options: Any) -> Endpoint:
    """An S3 interface endpoint whose private DNS answers every resolver in the VPC."""
    return interface_endpoint(INTERFACE, **{"service": "s3", "inbound_resolver_only": False, **options})


def covering(**options: Any) -> Endpoint:
    """An S3 gateway endpoint on both route tables the default subnets use."""
    return gateway_endpoint(GATEWAY, **{"route_table_ids": (PRIVATE_TABLE, PUBLIC_TABLE), **options})


def run(*endpoints: Endpoint, region: str = "us-east-1") -> list[Finding]:
    estate = facts(endpoints=endpoints, region=region)
    return list(s3_interface_bypasses_gateway.evaluate(estate, CheckSettings()))


def test_private_dns_for_every_resolver_beside_a_gateway_endpoint_is_a_medium_finding() -> None:
    (finding,) = run(bypassing(), covering())

    assert (finding.check_id, finding.resource_id, finding.severity) == (
        "s3-interface-bypasses-gateway",
        INTERFACE,
        Severity.MEDIUM,
    )
    assert (finding.remediation.action, finding.remediation.automatic) == ("private-dns-inbound-only", True)
    assert finding.evidence == {
        "private_dns_only_for_inbound_resolver": False,
        "gateway_endpoint_ids": [GATEWAY],
        "route_tables_without_gateway": {},
    }
    assert GATEWAY in finding.detail
    assert "billed per GB" in finding.detail


def test_the_route_tables_no_gateway_endpoint_covers_are_in_the_evidence() -> None:
    (finding,) = run(bypassing(), covering(route_table_ids=(PUBLIC_TABLE,)))

    assert finding.evidence["route_tables_without_gateway"] == {
        PRIVATE_TABLE: sorted(subnet.id for subnet in private_subnets())
    }


def test_two_gateway_endpoints_splitting_the_tables_both_count() -> None:
    first = covering(route_table_ids=(PUBLIC_TABLE,))
    second = gateway_endpoint("vpce-0gateway00000002", route_table_ids=(PRIVATE_TABLE,))

    (finding,) = run(bypassing(), second, first)

    assert finding.evidence["gateway_endpoint_ids"] == [GATEWAY, "vpce-0gateway00000002"]
    assert finding.evidence["route_tables_without_gateway"] == {}


def test_dynamodb_is_judged_alike() -> None:
    (finding,) = run(bypassing(service="dynamodb"), covering(service="dynamodb"))

    assert finding.evidence["gateway_endpoint_ids"] == [GATEWAY]


def test_china_interface_and_gateway_names_differ_in_prefix_and_are_one_service() -> None:
    interface = bypassing(name=service_name("s3", region="cn-north-1", prefix="cn.com.amazonaws"))
    gateway = covering(name=service_name("s3", region="cn-north-1"))

    assert [finding.resource_id for finding in run(interface, gateway, region="cn-north-1")] == [INTERFACE]


def test_private_dns_answering_only_the_inbound_resolver_is_no_finding() -> None:
    assert run(bypassing(inbound_resolver_only=True), covering()) == []


def test_an_option_the_api_does_not_report_is_not_judged() -> None:
    assert run(bypassing(inbound_resolver_only=None), covering()) == []


def test_private_dns_off_is_no_finding() -> None:
    assert run(bypassing(private_dns=False), covering()) == []


@pytest.mark.parametrize(
    "gateway",
    [
        None,
        gateway_endpoint(GATEWAY, state="deleted"),
        gateway_endpoint(GATEWAY, service="dynamodb"),
        gateway_endpoint(GATEWAY, vpc_id="vpc-0other0000000001"),
    ],
    ids=["none", "inactive", "another-service", "another-vpc"],
)
def test_without_an_active_gateway_endpoint_of_the_service_in_the_vpc_there_is_no_finding(
    gateway: Endpoint | None,
) -> None:
    assert run(bypassing(), *([gateway] if gateway else [])) == []


@pytest.mark.parametrize("state", ["deleting", "deleted", "failed", "rejected", "expired"])
def test_inactive_interface_endpoint_is_no_finding(state: str) -> None:
    assert run(bypassing(state=state), covering()) == []


def test_a_gateway_endpoint_is_not_judged_by_this_check() -> None:
    assert run(covering(), gateway_endpoint("vpce-0gateway00000002")) == []
