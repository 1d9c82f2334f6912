"""sg-https-blocked: no security group on an interface endpoint admits HTTPS from the VPC's clients.

Why: every call to an interface endpoint is TCP 443 to its network interfaces; when the endpoint's groups do
not admit it, clients time out, and the timeout looks like a DNS fault (seed 000, pitfall 2). Clients are
admitted either by address (a rule CIDR overlapping one of the VPC's IPv4 or IPv6 CIDRs) or by identity (a
rule naming the clients' security group, the usual form per seed 002).

Scenarios:
- no attached group has a rule admitting TCP 443 -> HIGH finding;
- 443 admitted only from CIDRs outside the VPC (e.g. an on-premises range) -> HIGH finding, the outside
  sources listed in the evidence;
- a rule admitting 443 from a CIDR overlapping a VPC CIDR (a subnet, the VPC CIDR, a supernet, IPv4 or IPv6)
  -> no finding;
- a rule admitting 443 from a client security group -> no finding;
- a rule admitting only the endpoint's own group (the VPC default group's "all traffic from itself") ->
  HIGH finding: clients do not carry the endpoint's group;
- a rule admitting 443 from a prefix list -> no finding: its entries cannot be judged without another call;
- a rule for all protocols (-1), or a TCP port range containing 443 -> admits;
- a rule for another port or protocol (e.g. TCP 80, UDP 443) -> does not admit;
- no security group attached -> HIGH finding;
- an attached group the facts do not hold, or the VPC not described -> no finding (the collector describes
  every attached group; guessing would be a false positive);
- gateway endpoints and inactive endpoints -> no finding.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_network

from vpce_guard.checks.base import Check, CheckSettings
from vpce_guard.facts import Facts, IngressRule
from vpce_guard.findings import Finding, Severity

HTTPS_PORT = 443


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    for endpoint in facts.active_endpoints:
        if not endpoint.is_interface:
            continue
        vpc = facts.vpcs.get(endpoint.vpc_id)
        undescribed = [group_id for group_id in endpoint.security_group_ids if group_id not in facts.security_groups]
        if vpc is None or undescribed:
            continue
        group_ids = sorted(set(endpoint.security_group_ids))
        evidence = {"security_group_ids": group_ids, "vpc_cidrs": sorted(vpc.cidrs)}
        if not group_ids:
            yield CHECK.endpoint_finding(
                facts,
                endpoint,
                f"{endpoint.id} has no security group attached, so nothing in {vpc.id} can reach it on TCP "
                "443. Attach a group that admits TCP 443 from the clients' security group or the VPC CIDR.",
                {**evidence, "https_sources_outside_vpc": []},
            )
            continue
        vpc_networks = [ip_network(cidr, strict=False) for cidr in vpc.cidrs]
        https_rules = [
            rule
            for group_id in group_ids
            for rule in facts.security_groups[group_id].ingress
            if rule.admits_tcp_port(HTTPS_PORT)
        ]
        if any(_admits_vpc_clients(rule, vpc_networks, set(group_ids)) for rule in https_rules):
            continue
        outside = sorted({cidr for rule in https_rules for cidr in rule.cidrs})
        admitted = f" (443 is admitted only from {', '.join(outside)})" if outside else ""
        yield CHECK.endpoint_finding(
            facts,
            endpoint,
            f"No security group on {endpoint.id} ({', '.join(group_ids)}) admits TCP 443 from {vpc.id} "
            f"({', '.join(sorted(vpc.cidrs))}) or from a client security group{admitted}: clients time out, "
            "which looks like a DNS fault. Allow TCP 443 from the clients' security group or the VPC CIDR.",
            {**evidence, "https_sources_outside_vpc": outside},
        )


def _admits_vpc_clients(
    rule: IngressRule, vpc_networks: Sequence[IPv4Network | IPv6Network], own_groups: set[str]
) -> bool:
    """A rule already known to admit 443: does its source include clients in the VPC? A reference to the
    endpoint's own group admits only what carries that group (the default group's "all traffic from
    itself"), not the clients. (``overlaps`` is false across address families.)"""
    if set(rule.group_ids) - own_groups or rule.prefix_list_ids:
        return True
    return any(ip_network(cidr, strict=False).overlaps(network) for cidr in rule.cidrs for network in vpc_networks)


CHECK = Check(
    id="sg-https-blocked",
    severity=Severity.HIGH,
    title="Interface endpoint's security groups block HTTPS from the VPC",
    remediation_action="allow-https-from-vpc",
    automatic=True,
    evaluate=evaluate,
)
