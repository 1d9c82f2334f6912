"""sg-open-to-world: a security group on an interface endpoint admits inbound traffic from anywhere.

Why: an endpoint's groups should admit TCP 443 from the VPC CIDR or the clients' security group and nothing
more (seeds 000 and 002). A rule from 0.0.0.0/0 or ::/0 admits every network that can route to the
endpoint's interfaces (peered VPCs, VPN and Direct Connect ranges, transit gateways), on whatever protocol and
ports the rule names.

Scenarios:
- an attached group admits any protocol or port from 0.0.0.0/0 -> HIGH finding listing each open rule;
- the same from ::/0 -> HIGH finding;
- several open rules or groups -> one finding for the endpoint, every open rule in the evidence;
- rules from VPC CIDRs, security groups or prefix lists only -> no finding;
- an attached group the facts do not hold -> not judged; the groups that are held still are;
- gateway endpoints (no security groups) and inactive endpoints -> no finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from vpce_guard.checks.base import Check, CheckSettings
from vpce_guard.facts import Facts, IngressRule
from vpce_guard.findings import Finding, Severity

_PORT_PROTOCOLS = {"tcp": "TCP", "6": "TCP", "udp": "UDP", "17": "UDP"}
_OTHER_PROTOCOLS = {"-1": "all traffic", "icmp": "ICMP", "1": "ICMP", "icmpv6": "ICMPv6", "58": "ICMPv6"}


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    for endpoint in facts.active_endpoints:
        if not endpoint.is_interface:
            continue
        open_rules = sorted(
            (
                (group_id, rule, cidr)
                for group_id in set(endpoint.security_group_ids)
                if group_id in facts.security_groups
                for rule in facts.security_groups[group_id].ingress
                for cidr in rule.world_cidrs
            ),
            key=lambda item: (item[0], item[2], item[1].protocol, item[1].from_port or 0, item[1].to_port or 0),
        )
        if not open_rules:
            continue
        described = ", ".join(f"{group_id} {_traffic(rule)} from {cidr}" for group_id, rule, cidr in open_rules)
        yield CHECK.endpoint_finding(
            facts,
            endpoint,
            f"{endpoint.id} admits inbound traffic from anywhere ({described}). Replace the open rules with "
            f"TCP 443 from the clients' security group or the CIDRs of {endpoint.vpc_id}.",
            {
                "security_group_ids": sorted({group_id for group_id, _, _ in open_rules}),
                "open_rules": [
                    {
                        "group_id": group_id,
                        "protocol": rule.protocol,
                        "from_port": rule.from_port,
                        "to_port": rule.to_port,
                        "cidr": cidr,
                    }
                    for group_id, rule, cidr in open_rules
                ],
            },
        )


def _traffic(rule: IngressRule) -> str:
    """A rule's protocol and ports as the console shows them: "TCP 443", "TCP 0-65535", "all traffic"."""
    name = _PORT_PROTOCOLS.get(rule.protocol)
    if name is None:
        return _OTHER_PROTOCOLS.get(rule.protocol, f"protocol {rule.protocol}")
    if rule.from_port is None or rule.to_port is None:
        return f"{name} all ports"
    if rule.from_port == rule.to_port:
        return f"{name} {rule.from_port}"
    return f"{name} {rule.from_port}-{rule.to_port}"


CHECK = Check(
    id="sg-open-to-world",
    severity=Severity.HIGH,
    title="Interface endpoint's security group is open to the world",
    remediation_action="restrict-security-group",
    automatic=True,
    evaluate=evaluate,
)
