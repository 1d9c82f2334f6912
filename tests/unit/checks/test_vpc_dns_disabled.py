"""vpc-dns-disabled: one test per scenario of the module docstring."""

from __future__ import annotations

import pytest
from facts_builders import VPC_ID, aws_service, facts, gateway_endpoint, interface_endpoint, vpc

from vpce_guard.checks import vpc_dns_disabled
from vpce_guard.checks.base import CheckSettings
from vpce_guard.facts import Endpoint, Facts, Vpc
from vpce_guard.findings import ENDPOINT_RESOURCE, Finding, Severity

PARTNER_SERVICE = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"


def run(estate: Facts) -> list[Finding]:
    return list(vpc_dns_disabled.evaluate(estate, CheckSettings()))


def estate(the_vpc: Vpc, endpoint: Endpoint | None = None) -> Facts:
    return facts(endpoints=[endpoint or interface_endpoint()], vpcs=[the_vpc], services=[aws_service()])


def test_dns_support_off_is_high_finding_on_the_endpoint_not_the_vpc() -> None:
    endpoint = interface_endpoint()

    (finding,) = run(estate(vpc(dns_support=False), endpoint))

    assert (finding.resource_type, finding.resource_id, finding.vpc_id) == (
        ENDPOINT_RESOURCE,
        endpoint.id,
        VPC_ID,
    )
    assert (finding.severity, finding.remediation.action, finding.remediation.automatic) == (
        Severity.HIGH,
        "enable-vpc-dns",
        True,
    )


def test_dns_hostnames_off_is_a_finding() -> None:
    (finding,) = run(estate(vpc(dns_hostnames=False)))

    assert "enableDnsHostnames" in finding.detail


def test_evidence_holds_both_attribute_values() -> None:
    (finding,) = run(estate(vpc(dns_support=True, dns_hostnames=False)))

    assert finding.evidence == {
        "enable_dns_support": True,
        "enable_dns_hostnames": False,
        "private_dns_enabled": True,
    }


def test_detail_names_the_vpc_the_endpoint_and_both_attributes_to_turn_on() -> None:
    endpoint = interface_endpoint()

    (finding,) = run(estate(vpc(dns_support=False, dns_hostnames=False), endpoint))

    assert VPC_ID in finding.detail
    assert endpoint.id in finding.detail
    assert "enableDnsSupport and enableDnsHostnames off" in finding.detail


def test_private_dns_off_but_offered_by_the_service_is_a_finding() -> None:
    endpoint = interface_endpoint(private_dns=False)

    (finding,) = run(estate(vpc(dns_support=False), endpoint))

    assert finding.evidence["private_dns_enabled"] is False


def test_private_dns_off_and_not_offered_is_no_finding() -> None:
    endpoint = interface_endpoint(name=PARTNER_SERVICE, private_dns=False)
    partner = aws_service(name=PARTNER_SERVICE, private_dns=False)

    assert run(facts(endpoints=[endpoint], vpcs=[vpc(dns_support=False)], services=[partner])) == []


def test_private_dns_off_and_service_not_described_is_no_finding() -> None:
    endpoint = interface_endpoint(name=PARTNER_SERVICE, private_dns=False)

    assert run(estate(vpc(dns_support=False), endpoint)) == []


def test_private_dns_on_with_service_not_described_is_still_judged() -> None:
    endpoint = interface_endpoint(name=PARTNER_SERVICE, private_dns=True)

    assert len(run(estate(vpc(dns_support=False), endpoint))) == 1


def test_both_attributes_on_is_no_finding() -> None:
    assert run(estate(vpc(dns_support=True, dns_hostnames=True))) == []


def test_unknown_attributes_are_not_judged() -> None:
    assert run(estate(vpc(dns_support=None, dns_hostnames=None))) == []


def test_one_attribute_known_off_is_a_finding_even_if_the_other_is_unknown() -> None:
    (finding,) = run(estate(vpc(dns_support=False, dns_hostnames=None)))

    assert finding.evidence["enable_dns_hostnames"] is None


def test_undescribed_vpc_is_no_finding() -> None:
    assert run(estate(vpc("vpc-0other0000000001", dns_support=False))) == []


def test_gateway_endpoint_is_no_finding() -> None:
    assert run(estate(vpc(dns_support=False), gateway_endpoint())) == []


@pytest.mark.parametrize("state", ["deleting", "deleted", "failed", "rejected", "expired"])
def test_inactive_endpoint_is_no_finding(state: str) -> None:
    assert run(estate(vpc(dns_support=False), interface_endpoint(state=state))) == []


def test_each_endpoint_in_the_vpc_gets_its_own_finding() -> None:
    first = interface_endpoint("vpce-0first000000001")
    second = interface_endpoint("vpce-0second00000001", service="sts")
    services = [aws_service(), aws_service("sts")]

    findings = run(facts(endpoints=[first, second], vpcs=[vpc(dns_hostnames=False)], services=services))

    assert sorted(finding.resource_id for finding in findings) == [first.id, second.id]
