"""nacl-blocks-https: one test per scenario of the module docstring."""

from __future__ import annotations

from typing import Any

import pytest
from facts_builders import (
    DEFAULT_ACL,
    ENDPOINT_SG,
    VPC_CIDR,
    acl_rule,
    asterisk_rules,
    facts,
    gateway_endpoint,
    interface_endpoint,
    network_acl,
    private_subnets,
    security_group,
    tcp_rule,
    vpc,
)
from msgspec.structs import replace

from vpce_guard.checks import nacl_blocks_https
from vpce_guard.checks.base import CheckSettings
from vpce_guard.facts import Endpoint, NetworkAcl, SecurityGroup, Subnet, Vpc
from vpce_guard.findings import Finding, Severity

FIRST, SECOND, THIRD = private_subnets()  # 10.0.0.0/24, 10.0.16.0/24, 10.0.32.0/24
VPC_IPV6 = "2600:1f18:4a3:6f00::/56"
# The VPC's 10.0.0.0/16 without the endpoint subnet's own 10.0.0.0/24, whose traffic never crosses its ACL.
VPC_BUT_FIRST = [
    "10.0.1.0/24", "10.0.2.0/23", "10.0.4.0/22", "10.0.8.0/21",
    "10.0.16.0/20", "10.0.32.0/19", "10.0.64.0/18", "10.0.128.0/17",
]  # fmt: skip
HTTPS = (443, 443)
DUAL_STACK = vpc(cidrs=(VPC_CIDR, VPC_IPV6))
DUAL_STACK_GROUP = security_group(ENDPOINT_SG, tcp_rule(cidrs=[VPC_CIDR, VPC_IPV6]))
CUSTOM_ACL = "acl-0custom0000000001"


def run(
    *acls: NetworkAcl,
    endpoint: Endpoint | None = None,
    groups: tuple[SecurityGroup, ...] | None = None,
    vpcs: tuple[Vpc, ...] | None = None,
    subnets: tuple[Subnet, ...] | None = None,
) -> list[Finding]:
    estate = facts(
        endpoints=[endpoint or interface_endpoint(subnets=[FIRST])],
        vpcs=vpcs,
        subnets=subnets,
        security_groups=groups,
        network_acls=acls,
    )
    return list(nacl_blocks_https.evaluate(estate, CheckSettings()))


def blocks(finding: Finding) -> list[tuple[str, str, int, int, int, list[str]]]:
    """Each block as (subnet, direction, rule, from port, to port, blocked ranges)."""
    return [
        (b["subnet_id"], b["direction"], b["rule_number"], b["from_port"], b["to_port"], b["blocked_cidrs"])
        for b in finding.evidence["blocks"]
    ]


def custom_acl(*rules: Any) -> NetworkAcl:
    return network_acl(*rules, acl_id=CUSTOM_ACL, subnet_ids=[FIRST.id])


def https_from(cidr: str, number: int = 100) -> Any:
    return acl_rule(number, protocol="6", cidr=cidr, ports=HTTPS)


def replies_to(cidr: str, number: int = 100, ports: tuple[int, int] = (1024, 65535)) -> Any:
    return acl_rule(number, egress=True, protocol="6", cidr=cidr, ports=ports)


def deny_https_from(cidr: str, number: int = 90) -> Any:
    return acl_rule(number, "deny", protocol="6", cidr=cidr, ports=HTTPS)


def with_default_rules(*rules: Any, acl_id: str = DEFAULT_ACL) -> NetworkAcl:
    """The default network ACL (rule 100 allows everything) with ``rules`` numbered before it."""
    return network_acl(*rules, acl_rule(100), acl_rule(100, egress=True), acl_id=acl_id)


# --- No block -----------------------------------------------------------------------------------------------


def test_the_default_network_acl_blocks_nothing() -> None:
    assert run(network_acl()) == []


def test_a_deny_numbered_after_an_allow_of_the_same_clients_decides_nothing() -> None:
    assert run(network_acl(acl_rule(100), acl_rule(100, egress=True), deny_https_from(VPC_CIDR, 200))) == []


@pytest.mark.parametrize("cidr", ["172.16.0.0/16", "10.0.0.0/24", "10.0.0.7/32"], ids=["elsewhere", "own", "own-host"])
def test_a_deny_of_a_range_holding_no_client_blocks_nothing(cidr: str) -> None:
    assert run(with_default_rules(deny_https_from(cidr))) == []


def test_a_network_acl_passing_https_and_the_replies_blocks_nothing() -> None:
    assert run(custom_acl(https_from(VPC_CIDR), replies_to(VPC_CIDR))) == []


# --- Blocks -------------------------------------------------------------------------------------------------


def test_an_inbound_deny_of_part_of_the_vpc_is_a_high_ticket_naming_only_that_part() -> None:
    (finding,) = run(with_default_rules(deny_https_from("10.0.200.0/24")))

    assert (finding.check_id, finding.severity, finding.remediation.action, finding.remediation.automatic) == (
        "nacl-blocks-https",
        Severity.HIGH,
        "allow-https-through-network-acl",
        False,
    )
    assert finding.evidence == {
        "client_cidrs": [VPC_CIDR],
        "blocks": [
            {
                "network_acl_id": DEFAULT_ACL,
                "subnet_id": FIRST.id,
                "direction": "inbound",
                "rule_number": 90,
                "from_port": 443,
                "to_port": 443,
                "blocked_cidrs": ["10.0.200.0/24"],
            }
        ],
    }


def test_the_detail_names_the_acl_its_subnets_the_rule_and_the_ranges_and_warns_of_dns_like_timeouts() -> None:
    (finding,) = run(with_default_rules(deny_https_from("10.0.200.0/24")))

    assert f"{DEFAULT_ACL} ({FIRST.id}) inbound rule 90 denies TCP 443 from 10.0.200.0/24" in finding.detail
    assert "DNS fault" in finding.detail
    assert "never changed automatically" in finding.detail


def test_no_outbound_rule_for_the_replies_names_the_asterisk_rule_on_every_ephemeral_port() -> None:
    (finding,) = run(custom_acl(https_from(VPC_CIDR)))

    assert blocks(finding) == [(FIRST.id, "outbound", 32767, 1024, 65535, VPC_BUT_FIRST)]
    assert "outbound rule * denies TCP 1024-65535 to 10.0.1.0/24" in finding.detail


def test_replies_allowed_to_the_linux_ephemeral_ports_only_leave_the_lower_ports_blocked() -> None:
    (finding,) = run(custom_acl(https_from(VPC_CIDR), replies_to(VPC_CIDR, ports=(32768, 65535))))

    assert blocks(finding) == [(FIRST.id, "outbound", 32767, 1024, 32767, VPC_BUT_FIRST)]


def test_a_deny_of_all_protocols_blocks() -> None:
    (finding,) = run(with_default_rules(acl_rule(90, "deny", cidr="10.0.200.0/24")))

    assert blocks(finding) == [(FIRST.id, "inbound", 90, 443, 443, ["10.0.200.0/24"])]


def test_a_tcp_deny_of_a_port_range_holding_443_blocks() -> None:
    deny = acl_rule(90, "deny", protocol="6", cidr="10.0.200.0/24", ports=(400, 500))

    assert blocks(run(with_default_rules(deny))[0]) == [(FIRST.id, "inbound", 90, 443, 443, ["10.0.200.0/24"])]


def test_an_outbound_deny_of_some_ephemeral_ports_blocks_those_ports() -> None:
    deny = acl_rule(90, "deny", egress=True, protocol="6", cidr="10.0.200.0/24", ports=(1024, 2047))

    assert blocks(run(with_default_rules(deny))[0]) == [(FIRST.id, "outbound", 90, 1024, 2047, ["10.0.200.0/24"])]


@pytest.mark.parametrize(
    "deny",
    [
        acl_rule(90, "deny", protocol="17", cidr=VPC_CIDR, ports=HTTPS),
        acl_rule(90, "deny", protocol="6", cidr=VPC_CIDR, ports=(22, 22)),
        acl_rule(90, "deny", protocol="1", cidr=VPC_CIDR),
    ],
    ids=["udp-443", "tcp-22", "icmp"],
)
def test_a_deny_of_another_protocol_or_port_does_not_match(deny: Any) -> None:
    assert run(with_default_rules(deny)) == []


def test_ipv4_rules_never_pass_ipv6_clients() -> None:
    acl = network_acl(acl_rule(100), acl_rule(100, egress=True), *asterisk_rules("::/0"))

    (finding,) = run(acl, vpcs=(DUAL_STACK,), groups=(DUAL_STACK_GROUP,))

    assert blocks(finding) == [
        (FIRST.id, "inbound", 32767, 443, 443, [VPC_IPV6]),
        (FIRST.id, "outbound", 32767, 1024, 65535, [VPC_IPV6]),
    ]


def test_ipv6_rules_never_block_ipv4_clients() -> None:
    deny = acl_rule(90, "deny", cidr="::/0")

    assert run(with_default_rules(deny, acl_rule(101, cidr="::/0"), acl_rule(101, egress=True, cidr="::/0"))) == []
    (finding,) = run(with_default_rules(deny), vpcs=(DUAL_STACK,), groups=(DUAL_STACK_GROUP,))
    assert [(direction, rule, cidrs) for _, direction, rule, _, _, cidrs in blocks(finding)] == [
        ("inbound", 90, [VPC_IPV6]),
        ("outbound", 32767, [VPC_IPV6]),
    ]


def test_the_subnets_own_ipv6_range_is_left_out_too() -> None:
    own = replace(FIRST, ipv6_cidrs=("2600:1f18:4a3:6f00::/64",))
    acl = network_acl(acl_rule(100), acl_rule(100, egress=True), acl_rule(101, egress=True, cidr="::/0"))

    (finding,) = run(acl, vpcs=(DUAL_STACK,), groups=(DUAL_STACK_GROUP,), subnets=(own, SECOND, THIRD))

    (block,) = blocks(finding)
    assert block[:5] == (FIRST.id, "inbound", 32767, 443, 443)
    assert "2600:1f18:4a3:6f00::/64" not in block[5]
    assert "2600:1f18:4a3:6f01::/64" in block[5]


# --- Who the clients are ------------------------------------------------------------------------------------


def test_groups_admitting_one_range_narrow_the_clients_to_it() -> None:
    narrow = (security_group(ENDPOINT_SG, tcp_rule(cidrs=["10.0.16.0/20"])),)

    assert run(with_default_rules(deny_https_from("10.0.64.0/20")), groups=narrow) == []
    (finding,) = run(with_default_rules(deny_https_from("10.0.16.0/24")), groups=narrow)
    assert finding.evidence["client_cidrs"] == ["10.0.16.0/20"]
    assert blocks(finding) == [(FIRST.id, "inbound", 90, 443, 443, ["10.0.16.0/24"])]


def test_a_group_admitting_an_on_premises_range_makes_it_a_client_the_acl_must_pass() -> None:
    on_premises = (security_group(ENDPOINT_SG, tcp_rule(cidrs=[VPC_CIDR, "192.168.0.0/16"])),)
    acl = custom_acl(https_from(VPC_CIDR), replies_to(VPC_CIDR))

    (finding,) = run(acl, groups=on_premises)

    assert finding.evidence["client_cidrs"] == [VPC_CIDR, "192.168.0.0/16"]
    assert blocks(finding) == [
        (FIRST.id, "inbound", 32767, 443, 443, ["192.168.0.0/16"]),
        (FIRST.id, "outbound", 32767, 1024, 65535, ["192.168.0.0/16"]),
    ]


@pytest.mark.parametrize(
    "group",
    [
        security_group(ENDPOINT_SG, tcp_rule(cidrs=["0.0.0.0/0"])),
        security_group(ENDPOINT_SG, tcp_rule(group_ids=["sg-0c1c2c3c4c5c60001"])),
        security_group(ENDPOINT_SG, tcp_rule(prefix_list_ids=["pl-0a1b2c3d"])),
        security_group(ENDPOINT_SG, tcp_rule(22, cidrs=["10.0.16.0/20"])),
    ],
    ids=["world", "client-group", "prefix-list", "no-https"],
)
def test_the_vpc_is_the_client_for_a_world_group_or_prefix_list_rule_or_when_nothing_admits_443(
    group: SecurityGroup,
) -> None:
    (finding,) = run(with_default_rules(deny_https_from("10.0.200.0/24")), groups=(group,))

    assert finding.evidence["client_cidrs"] == [VPC_CIDR]


def test_a_group_not_described_leaves_the_vpc_as_the_client() -> None:
    endpoint = interface_endpoint(subnets=[FIRST], security_group_ids=["sg-0notdescribed00001"])

    (finding,) = run(with_default_rules(deny_https_from("10.0.200.0/24")), endpoint=endpoint)

    assert finding.evidence["client_cidrs"] == [VPC_CIDR]


# --- Where -------------------------------------------------------------------------------------------------


def test_each_endpoint_subnet_sharing_the_network_acl_is_named() -> None:
    (finding,) = run(with_default_rules(deny_https_from("10.0.200.0/24")), endpoint=interface_endpoint())

    assert [block[0] for block in blocks(finding)] == sorted([FIRST.id, SECOND.id, THIRD.id])
    assert f"{DEFAULT_ACL} ({', '.join(sorted([FIRST.id, SECOND.id, THIRD.id]))}) inbound rule 90" in finding.detail


def test_endpoints_in_one_subnet_are_each_judged_for_their_own_clients() -> None:
    narrow = security_group("sg-0narrow0000000001", tcp_rule(cidrs=["10.0.16.0/20"]))
    wide = interface_endpoint("vpce-0wide00000000001", subnets=[FIRST])
    fenced = interface_endpoint("vpce-0narrow000000001", subnets=[FIRST], security_group_ids=[narrow.id])
    estate = facts(
        endpoints=[wide, fenced],
        security_groups=[security_group(), narrow],
        network_acls=[with_default_rules(deny_https_from("10.0.200.0/24"))],
    )

    findings = list(nacl_blocks_https.evaluate(estate, CheckSettings()))

    assert [finding.resource_id for finding in findings] == [wide.id]


def test_only_the_subnet_whose_network_acl_blocks_is_named() -> None:
    blocking = network_acl(deny_https_from("10.0.200.0/24"), acl_rule(100), acl_rule(100, egress=True),
                           acl_id=CUSTOM_ACL, subnet_ids=[SECOND.id])  # fmt: skip

    (finding,) = run(network_acl(), blocking, endpoint=interface_endpoint())

    assert [(b["network_acl_id"], b["subnet_id"]) for b in finding.evidence["blocks"]] == [(CUSTOM_ACL, SECOND.id)]


def test_a_network_acl_the_facts_do_not_hold_is_not_judged() -> None:
    undescribed = replace(FIRST, network_acl_id="acl-0skipped000000001")

    assert run(subnets=(undescribed, SECOND, THIRD)) == []


def test_a_subnet_or_vpc_not_described_is_not_judged() -> None:
    acl = with_default_rules(deny_https_from("10.0.200.0/24"))

    assert run(acl, subnets=(SECOND, THIRD)) == []
    assert run(acl, vpcs=()) == []


@pytest.mark.parametrize(
    "endpoint", [gateway_endpoint(), interface_endpoint(subnets=[FIRST], state="deleted")], ids=["gateway", "deleted"]
)
def test_gateway_and_inactive_endpoints_are_not_judged(endpoint: Endpoint) -> None:
    assert run(with_default_rules(deny_https_from("10.0.200.0/24")), endpoint=endpoint) == []
