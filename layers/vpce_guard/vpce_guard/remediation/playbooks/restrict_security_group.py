"""restrict-security-group (sg-open-to-world): replace each rule open to the world with the same rule from the
VPC's CIDRs.

Why: an endpoint's groups should admit its clients only (seeds 000 and 004); a rule from 0.0.0.0/0 or ::/0
admits every network that can route to the endpoint. Clients inside the VPC keep what the rule gave them.

Scenarios:
- a world rule (evidence ``open_rules``: group, protocol, ports, CIDR) -> AuthorizeSecurityGroupIngress of the
  same protocol and ports from the VPC's CIDRs of the same family (0.0.0.0/0 -> the IPv4 CIDRs, ::/0 -> the
  IPv6 ones), then RevokeSecurityGroupIngress of exactly that rule (other sources of the rule stay). The
  replacement goes first so clients are never cut off, and a refused replacement leaves the world rule in
  place rather than an endpoint nobody can reach;
- a replacement the group already has (e.g. 443 from the VPC CIDR beside 443 from anywhere) is not added
  again: AWS refuses duplicates;
- ::/0 in a VPC without IPv6 CIDRs -> the rule is revoked with nothing added (no IPv6 client is in the VPC);
- world rules on several groups -> calls per group, in group order; the plan is about the first group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from vpce_guard.facts import Facts, SecurityGroup
from vpce_guard.findings import Finding
from vpce_guard.remediation.configuration import describe_rule, rule_key
from vpce_guard.remediation.model import ApiCall, Plan, PlanOptions, Playbook, TicketOnly
from vpce_guard.remediation.playbooks.base import endpoint_of, group_ref, vpc_of
from vpce_guard.remediation.runbooks import authorize_ingress, revoke_ingress, rules_from


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    endpoint = endpoint_of(finding, facts)
    vpc = vpc_of(finding, facts)
    open_rules: defaultdict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for rule in finding.evidence.get("open_rules", []):
        open_rules[rule["group_id"]].append(rule)
    shared = sorted(g for g in open_rules if g in facts.security_groups and facts.security_groups[g].name == "default")
    if shared:
        return TicketOnly(
            finding,
            f"the world rule is on the VPC's shared default group ({', '.join(shared)}), which other resources use: "
            "replace it by hand",
        )
    description = f"vpce-guard: replaces a world rule, for {endpoint.id}"
    calls = [
        call
        for group_id, rules in open_rules.items()
        for call in _replace(facts.security_groups[group_id], rules, vpc.cidrs, description)
    ]
    replaced = "; ".join(
        f"{rule['group_id']} {describe_rule(_world_rule(rule))}" for rules in open_rules.values() for rule in rules
    )
    return Plan(
        finding,
        group_ref(finding, next(iter(open_rules))),
        tuple(calls),
        f"replace the world rules of {endpoint.id} ({replaced}) with the same rules from {', '.join(vpc.cidrs)}",
    )


def _replace(
    group: SecurityGroup, rules: list[Mapping[str, Any]], vpc_cidrs: tuple[str, ...], description: str
) -> list[ApiCall]:
    """The calls for one group: authorise the replacements it lacks, then revoke its world rules."""
    held = {
        rule_key(item)
        for ingress in group.ingress
        for item in rules_from(ingress.protocol, ingress.from_port, ingress.to_port, ingress.cidrs)
    }
    replacements: dict[str, dict[str, Any]] = {}
    for rule in rules:
        family = [cidr for cidr in vpc_cidrs if (":" in cidr) == (":" in rule["cidr"])]
        for item in rules_from(rule["protocol"], rule["from_port"], rule["to_port"], family):
            if rule_key(item) not in held:
                replacements[rule_key(item)] = item
    authorize = [authorize_ingress(group.id, replacements.values(), description)] if replacements else []
    return [*authorize, revoke_ingress(group.id, [_world_rule(rule) for rule in rules])]


def _world_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """The one-source rule an ``open_rules`` entry of the evidence names."""
    (world,) = rules_from(rule["protocol"], rule["from_port"], rule["to_port"], [rule["cidr"]])
    return world


PLAYBOOK = Playbook(
    action="restrict-security-group",
    check_ids=("sg-open-to-world",),
    permissions=("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"),
    plan=plan,
)
