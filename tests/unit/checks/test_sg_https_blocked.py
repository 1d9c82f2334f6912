"""sg-https-blocked: one test per scenario of the module docstring."""

from __future__ import annotations

import pytest
from facts_builders import (
    CLIENT_SG,
    ENDPOINT_SG,
    VPC_CIDR,
    aws_service,
    facts,
    gateway_endpoint,
    interface_endpoint,
    security_group,
    tcp_rule,
    vpc,
)

from vpce_guard.checks import sg_https_blocked
from vpce_guard.checks.base import CheckSettings
from vpce_guard.facts import Endpoint, IngressRule, SecurityGroup
from vpce_guard.findings import Finding, Severity

DUAL_STACK_VPC = vpc(cidrs=(VPC_CIDR, "2600:1f18:4a3:6f00::/56"))


def run(*groups: SecurityGroup, endpoint: Endpoint | None = None) -> list[Finding]:
    estate = facts(
        endpoints=[endpoint or interface_endpoint()],
        vpcs=[DUAL_STACK_VPC],
        security_groups=groups,
        services=[aws_service()],
    )
    return list(sg_https_blocked.evaluate(estate, CheckSettings()))


def endpoint_group(*rules: IngressRule) -> SecurityGroup:
    return security_group(ENDPOINT_SG, *rules)


def test_group_without_https_rule_is_high_finding() -> None:
    (finding,) = run(endpoint_group(tcp_rule(22, cidrs=[VPC_CIDR])))

    assert (
        finding.check_id,
        finding.severity,
        finding.remediation.action,
        finding.remediation.automatic,
    ) == (
        "sg-https-blocked",
        Severity.HIGH,
        "allow-https-from-vpc",
        True,
    )


def test_detail_names_endpoint_groups_and_vpc_and_warns_of_dns_like_timeouts() -> None:
    endpoint = interface_endpoint()

    (finding,) = run(endpoint_group(tcp_rule(22, cidrs=[VPC_CIDR])), endpoint=endpoint)

    assert all(name in finding.detail for name in (endpoint.id, ENDPOINT_SG, endpoint.vpc_id, VPC_CIDR))
    assert "DNS fault" in finding.detail


def test_https_only_from_outside_the_vpc_is_a_finding_listing_the_outside_sources() -> None:
    (finding,) = run(endpoint_group(tcp_rule(cidrs=["192.168.0.0/16", "172.16.0.0/12"])))

    assert finding.evidence == {
        "security_group_ids": [ENDPOINT_SG],
        "vpc_cidrs": ["10.0.0.0/16", "2600:1f18:4a3:6f00::/56"],
        "https_sources_outside_vpc": ["172.16.0.0/12", "192.168.0.0/16"],
    }


@pytest.mark.parametrize(
    "cidr",
    ["10.0.0.0/16", "10.0.32.0/24", "10.0.0.0/8", "10.0.5.17/32", "2600:1f18:4a3:6f00::/64"],
    ids=["vpc-cidr", "subnet", "supernet", "host", "ipv6-subnet"],
)
def test_https_from_a_cidr_overlapping_the_vpc_admits(cidr: str) -> None:
    assert run(endpoint_group(tcp_rule(cidrs=[cidr]))) == []


def test_ipv4_rule_does_not_match_ipv6_vpc_cidr() -> None:
    ipv6_only = vpc(cidrs=("2600:1f18:4a3:6f00::/56",))
    estate = facts(
        endpoints=[interface_endpoint()],
        vpcs=[ipv6_only],
        security_groups=[endpoint_group(tcp_rule(cidrs=["0.0.0.0/1"]))],
    )

    assert len(list(sg_https_blocked.evaluate(estate, CheckSettings()))) == 1


def test_rule_from_client_security_group_admits_https() -> None:
    assert run(endpoint_group(tcp_rule(group_ids=[CLIENT_SG]))) == []


def test_rule_from_the_endpoints_own_group_does_not_admit_clients() -> None:
    all_from_itself = IngressRule(protocol="-1", from_port=None, to_port=None, group_ids=(ENDPOINT_SG,))

    assert len(run(endpoint_group(all_from_itself))) == 1


def test_rule_from_prefix_list_admits_https() -> None:
    assert run(endpoint_group(tcp_rule(prefix_list_ids=["pl-0a1b2c3d4e5f60001"]))) == []


def test_all_protocols_rule_admits_https() -> None:
    all_traffic = IngressRule(protocol="-1", from_port=None, to_port=None, cidrs=(VPC_CIDR,))

    assert run(endpoint_group(all_traffic)) == []


def test_tcp_port_range_containing_443_admits_https() -> None:
    assert run(endpoint_group(tcp_rule(0, to_port=65535, cidrs=[VPC_CIDR]))) == []


def test_numeric_tcp_protocol_admits_https() -> None:
    assert run(endpoint_group(tcp_rule(protocol="6", cidrs=[VPC_CIDR]))) == []


def test_http_port_does_not_admit_https() -> None:
    assert len(run(endpoint_group(tcp_rule(80, cidrs=[VPC_CIDR])))) == 1


def test_udp_443_does_not_admit_https() -> None:
    assert len(run(endpoint_group(tcp_rule(protocol="udp", cidrs=[VPC_CIDR])))) == 1


def test_any_one_of_several_groups_admitting_https_is_enough() -> None:
    endpoint = interface_endpoint(security_group_ids=[ENDPOINT_SG, "sg-0second0000000001"])
    second = security_group("sg-0second0000000001", tcp_rule(group_ids=[CLIENT_SG]))

    assert run(endpoint_group(tcp_rule(22, cidrs=[VPC_CIDR])), second, endpoint=endpoint) == []


def test_endpoint_without_security_groups_is_a_finding() -> None:
    (finding,) = run(endpoint_group(), endpoint=interface_endpoint(security_group_ids=[]))

    assert "no security group attached" in finding.detail


def test_undescribed_attached_group_is_not_judged() -> None:
    endpoint = interface_endpoint(security_group_ids=[ENDPOINT_SG, "sg-0undescribed000001"])

    assert run(endpoint_group(tcp_rule(22, cidrs=[VPC_CIDR])), endpoint=endpoint) == []


def test_undescribed_vpc_is_not_judged() -> None:
    endpoint = interface_endpoint(vpc_id="vpc-0other0000000001")

    assert run(endpoint_group(tcp_rule(22, cidrs=[VPC_CIDR])), endpoint=endpoint) == []


def test_gateway_endpoint_is_no_finding() -> None:
    assert run(endpoint_group(tcp_rule(22, cidrs=[VPC_CIDR])), endpoint=gateway_endpoint()) == []


@pytest.mark.parametrize("state", ["deleting", "deleted", "failed", "rejected", "expired"])
def test_inactive_endpoint_is_no_finding(state: str) -> None:
    endpoint = interface_endpoint(state=state)

    assert run(endpoint_group(tcp_rule(22, cidrs=[VPC_CIDR])), endpoint=endpoint) == []
