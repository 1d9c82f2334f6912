"""interface-where-gateway-serves: one test per scenario of the module docstring."""

from __future__ import annotations

import pytest
from facts_builders import PRIVATE_TABLE, PUBLIC_TABLE, facts, gateway_endpoint, interface_endpoint, service_name, vpc

from vpce_guard.checks import interface_where_gateway_serves
from vpce_guard.checks.base import CheckSettings
from vpce_guard.facts import Endpoint, Vpc
from vpce_guard.findings import Finding, Severity

INTERFACE = "vpce-0interface000001"


def run(*endpoints: Endpoint, vpcs: list[Vpc] | None = None, region: str = "us-east-1") -> list[Finding]:
    estate = facts(endpoints=endpoints, vpcs=vpcs, region=region)
    return list(interface_where_gateway_serves.evaluate(estate, CheckSettings()))


def test_an_s3_interface_endpoint_where_nothing_arrives_from_outside_is_a_low_ticket_finding() -> None:
    (finding,) = run(interface_endpoint(INTERFACE, service="s3"))

    assert (finding.check_id, finding.resource_id, finding.severity) == (
        "interface-where-gateway-serves",
        INTERFACE,
        Severity.LOW,
    )
    assert (finding.remediation.action, finding.remediation.automatic) == ("create-gateway-endpoint", False)
    assert finding.evidence == {
        "gateway_service_name": "com.amazonaws.us-east-1.s3",
        "route_table_ids": [PRIVATE_TABLE, PUBLIC_TABLE],
    }
    assert "free" in finding.detail


def test_dynamodb_is_judged_alike() -> None:
    (finding,) = run(interface_endpoint(INTERFACE, service="dynamodb"))

    assert finding.evidence["gateway_service_name"] == "com.amazonaws.us-east-1.dynamodb"


def test_in_china_the_finding_names_the_gateways_own_service_name() -> None:
    interface = interface_endpoint(INTERFACE, name=service_name("s3", region="cn-north-1", prefix="cn.com.amazonaws"))

    (finding,) = run(interface, region="cn-north-1")

    assert finding.evidence["gateway_service_name"] == "com.amazonaws.cn-north-1.s3"


def test_a_gateway_endpoint_of_the_service_in_the_vpc_is_no_finding() -> None:
    assert run(interface_endpoint(INTERFACE, service="s3"), gateway_endpoint()) == []


def test_an_inactive_gateway_endpoint_does_not_serve() -> None:
    assert len(run(interface_endpoint(INTERFACE, service="s3"), gateway_endpoint(state="deleted"))) == 1


@pytest.mark.parametrize("path", ["vgw-0a1b2c3d4e5f60001", "tgw-attach-0a1b2c3d4e5f60001"])
def test_a_path_from_on_premises_or_other_networks_is_no_finding(path: str) -> None:
    assert run(interface_endpoint(INTERFACE, service="s3"), vpcs=[vpc(on_premises_paths=[path])]) == []


def test_a_vpc_not_described_is_not_judged() -> None:
    assert run(interface_endpoint(INTERFACE, service="s3"), vpcs=[]) == []


def test_another_regions_s3_is_no_finding() -> None:
    assert run(interface_endpoint(INTERFACE, name=service_name("s3", region="us-west-2"))) == []


@pytest.mark.parametrize(
    "name", [service_name("sts"), service_name("bedrock-runtime"), "com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d"]
)
def test_services_without_gateway_endpoints_and_partner_services_are_no_finding(name: str) -> None:
    assert run(interface_endpoint(INTERFACE, name=name)) == []


def test_a_gateway_endpoint_is_not_judged() -> None:
    assert run(gateway_endpoint()) == []


@pytest.mark.parametrize("state", ["deleting", "deleted", "failed", "rejected", "expired"])
def test_inactive_interface_endpoint_is_no_finding(state: str) -> None:
    assert run(interface_endpoint(INTERFACE, service="s3", state=state)) == []
