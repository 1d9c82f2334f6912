"""allow-https-from-vpc and restrict-security-group: one test per scenario of the playbooks' docstrings."""

from __future__ import annotations

from typing import Any

from remediation_builders import planned, ticketed
from unit.checks.facts_builders import (
    ENDPOINT_SG,
    VPC_CIDR,
    all_traffic_rule,
    facts,
    interface_endpoint,
    security_group,
    tcp_rule,
    vpc,
)

from vpce_guard.facts import Facts, SecurityGroup
from vpce_guard.remediation.model import ApiCall

ENDPOINT = "vpce-0interface000001"
DEFAULT_SG = "sg-0default000000001"
SECOND_SG = "sg-0second0000000001"
VPC_IPV6 = "2600:1f18:aaaa:bb00::/56"
HTTPS_DESCRIPTION = f"vpce-guard: HTTPS to {ENDPOINT} from vpc-0a1b2c3d4e5f60001"
WORLD_DESCRIPTION = f"vpce-guard: replaces a world rule, for {ENDPOINT}"


def estate(
    *groups: SecurityGroup, group_ids: tuple[str, ...] | None = None, cidrs: tuple[str, ...] = (VPC_CIDR,)
) -> Facts:
    attached = tuple(group.id for group in groups) if group_ids is None else group_ids
    return facts(
        endpoints=[interface_endpoint(security_group_ids=attached)],
        security_groups=groups,
        vpcs=[vpc(cidrs=cidrs)],
    )


def default_group() -> SecurityGroup:
    """The VPC's default group: all traffic from itself only."""
    return security_group(DEFAULT_SG, all_traffic_rule(group_ids=[DEFAULT_SG]), name="default")


def ssh_only(group_id: str = ENDPOINT_SG) -> SecurityGroup:
    return security_group(group_id, tcp_rule(22, cidrs=[VPC_CIDR]))


def https(cidr: str, description: str | None = None, protocol: str = "tcp") -> dict[str, Any]:
    ranges = ("Ipv6Ranges", "CidrIpv6") if ":" in cidr else ("IpRanges", "CidrIp")
    source = {ranges[1]: cidr} | ({"Description": description} if description else {})
    ports = {"FromPort": 443, "ToPort": 443} if protocol != "-1" else {}
    return {"IpProtocol": protocol, **ports, ranges[0]: [source]}


def call(method: str, group_id: str, *permissions: dict[str, Any]) -> ApiCall:
    return ApiCall("ec2", f"{method}_security_group_ingress", {"GroupId": group_id, "IpPermissions": list(permissions)})


# --- allow-https-from-vpc --------------------------------------------------------------------------------


def test_https_from_each_vpc_cidr_is_allowed_on_the_endpoints_own_group() -> None:
    plan = planned("sg-https-blocked", estate(ssh_only(), cidrs=(VPC_CIDR, VPC_IPV6)))

    assert plan.calls == (
        call("authorize", ENDPOINT_SG, https(VPC_CIDR, HTTPS_DESCRIPTION), https(VPC_IPV6, HTTPS_DESCRIPTION)),
    )
    assert (plan.resource.kind, plan.resource.id) == ("security-group", ENDPOINT_SG)


def test_the_first_group_that_is_not_the_default_group_is_changed() -> None:
    plan = planned("sg-https-blocked", estate(default_group(), ssh_only(), ssh_only(SECOND_SG)))

    assert plan.resource.id == ENDPOINT_SG


def test_only_the_shared_default_group_is_a_ticket() -> None:
    ticket = ticketed("sg-https-blocked", estate(default_group()))

    assert ticket.reason.startswith(f"the shared default group {DEFAULT_SG} of vpc-0a1b2c3d4e5f60001 is used by other")


def test_no_group_is_a_ticket() -> None:
    ticket = ticketed("sg-https-blocked", estate(group_ids=()))

    assert ticket.reason.startswith(f"{ENDPOINT} has no security group")


# --- restrict-security-group -----------------------------------------------------------------------------


def test_a_world_rule_is_replaced_by_the_vpc_cidr_added_first() -> None:
    plan = planned("sg-open-to-world", estate(security_group(ENDPOINT_SG, tcp_rule(cidrs=["0.0.0.0/0"]))))

    assert plan.calls == (
        call("authorize", ENDPOINT_SG, https(VPC_CIDR, WORLD_DESCRIPTION)),
        call("revoke", ENDPOINT_SG, https("0.0.0.0/0")),
    )


def test_the_ipv6_world_is_replaced_by_the_vpc_ipv6_cidr_only() -> None:
    group = security_group(ENDPOINT_SG, tcp_rule(cidrs=["::/0"]))

    plan = planned("sg-open-to-world", estate(group, cidrs=(VPC_CIDR, VPC_IPV6)))

    assert plan.calls == (
        call("authorize", ENDPOINT_SG, https(VPC_IPV6, WORLD_DESCRIPTION)),
        call("revoke", ENDPOINT_SG, https("::/0")),
    )


def test_the_ipv6_world_in_a_vpc_without_ipv6_is_only_revoked() -> None:
    plan = planned("sg-open-to-world", estate(security_group(ENDPOINT_SG, tcp_rule(cidrs=["::/0"]))))

    assert plan.calls == (call("revoke", ENDPOINT_SG, https("::/0")),)


def test_a_replacement_the_group_already_has_is_not_added_again() -> None:
    group = security_group(ENDPOINT_SG, tcp_rule(cidrs=["0.0.0.0/0", VPC_CIDR]))

    plan = planned("sg-open-to-world", estate(group))

    assert plan.calls == (call("revoke", ENDPOINT_SG, https("0.0.0.0/0")),)


def test_all_traffic_from_the_world_becomes_all_traffic_from_the_vpc() -> None:
    group = security_group(ENDPOINT_SG, all_traffic_rule(cidrs=["0.0.0.0/0"]))

    plan = planned("sg-open-to-world", estate(group))

    assert plan.calls == (
        call("authorize", ENDPOINT_SG, https(VPC_CIDR, WORLD_DESCRIPTION, protocol="-1")),
        call("revoke", ENDPOINT_SG, https("0.0.0.0/0", protocol="-1")),
    )


def test_other_sources_of_the_rule_stay() -> None:
    group = security_group(ENDPOINT_SG, tcp_rule(cidrs=["0.0.0.0/0", "192.168.0.0/16"]))

    plan = planned("sg-open-to-world", estate(group))

    assert plan.calls[-1] == call("revoke", ENDPOINT_SG, https("0.0.0.0/0"))


def test_world_rules_on_two_groups_are_fixed_group_by_group() -> None:
    first = security_group(ENDPOINT_SG, tcp_rule(cidrs=["0.0.0.0/0"]))
    second = security_group(SECOND_SG, tcp_rule(cidrs=["0.0.0.0/0"]))

    plan = planned("sg-open-to-world", estate(first, second))

    assert [(c.method, c.resource_id) for c in plan.calls] == [
        ("authorize_security_group_ingress", ENDPOINT_SG),
        ("revoke_security_group_ingress", ENDPOINT_SG),
        ("authorize_security_group_ingress", SECOND_SG),
        ("revoke_security_group_ingress", SECOND_SG),
    ]
    assert [resource.id for resource in plan.resources] == [ENDPOINT_SG, SECOND_SG]
