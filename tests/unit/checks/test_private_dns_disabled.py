"""private-dns-disabled: one test per scenario of the module docstring."""

from __future__ import annotations

import pytest
from facts_builders import aws_service, facts, gateway_endpoint, interface_endpoint

from vpce_guard.checks import private_dns_disabled
from vpce_guard.checks.base import CheckSettings
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding, Severity


def run(estate: Facts) -> list[Finding]:
    return list(private_dns_disabled.evaluate(estate, CheckSettings()))


def test_private_dns_off_where_service_offers_a_name_is_high() -> None:
    endpoint = interface_endpoint(private_dns=False)

    (finding,) = run(facts(endpoints=[endpoint], services=[aws_service()]))

    assert (finding.check_id, finding.resource_id, finding.severity) == (
        "private-dns-disabled",
        endpoint.id,
        Severity.HIGH,
    )
    assert finding.remediation.automatic
    assert finding.evidence == {
        "private_dns_enabled": False,
        "private_dns_names": ["bedrock-runtime.us-east-1.amazonaws.com"],
    }


def test_detail_names_the_endpoint_and_the_host_name_that_stays_public() -> None:
    endpoint = interface_endpoint(private_dns=False)

    (finding,) = run(facts(endpoints=[endpoint], services=[aws_service()]))

    assert endpoint.id in finding.detail
    assert "bedrock-runtime.us-east-1.amazonaws.com" in finding.detail


def test_another_endpoint_holding_the_private_dns_name_lowers_to_a_ticket() -> None:
    holder = interface_endpoint("vpce-0holder000000001", private_dns=True)
    duplicate = interface_endpoint("vpce-0duplicate00001", private_dns=False)

    (finding,) = run(facts(endpoints=[holder, duplicate], services=[aws_service()]))

    assert (finding.resource_id, finding.severity, finding.remediation.automatic) == (
        duplicate.id,
        Severity.LOW,
        False,
    )
    assert finding.evidence["private_dns_held_by"] == holder.id


def test_inactive_holder_does_not_lower_the_finding() -> None:
    holder = interface_endpoint("vpce-0holder000000001", private_dns=True, state="deleting")
    endpoint = interface_endpoint("vpce-0duplicate00001", private_dns=False)

    (finding,) = run(facts(endpoints=[holder, endpoint], services=[aws_service()]))

    assert finding.severity is Severity.HIGH


def test_private_dns_on_is_no_finding() -> None:
    assert run(facts(endpoints=[interface_endpoint(private_dns=True)], services=[aws_service()])) == []


def test_service_without_private_dns_name_is_no_finding() -> None:
    endpoint = interface_endpoint(name="com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0", private_dns=False)
    partner = aws_service(name=endpoint.service_name, private_dns=False)

    assert run(facts(endpoints=[endpoint], services=[partner])) == []


def test_undescribed_service_is_no_finding() -> None:
    endpoint = interface_endpoint(name="com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0", private_dns=False)

    assert run(facts(endpoints=[endpoint], services=[aws_service()])) == []


def test_gateway_endpoint_is_no_finding_even_if_its_service_lists_a_name() -> None:
    endpoint = gateway_endpoint()
    service = aws_service("s3", endpoint_type="Gateway", private_dns=True)

    assert run(facts(endpoints=[endpoint], services=[service])) == []


@pytest.mark.parametrize("endpoint_type", ["GatewayLoadBalancer", "Resource", "ServiceNetwork"])
def test_endpoint_types_without_private_dns_option_are_no_finding(endpoint_type: str) -> None:
    endpoint = interface_endpoint(private_dns=False, endpoint_type=endpoint_type)
    service = aws_service(endpoint_type=endpoint_type, private_dns=True)

    assert run(facts(endpoints=[endpoint], services=[service])) == []


@pytest.mark.parametrize("state", ["deleting", "deleted", "failed", "rejected", "expired", "Deleted"])
def test_inactive_endpoint_is_no_finding(state: str) -> None:
    endpoint = interface_endpoint(private_dns=False, state=state)

    assert run(facts(endpoints=[endpoint], services=[aws_service()])) == []
