"""allow-https-through-network-acl (nacl-blocks-https): a ticket, never a change.

Why: a network ACL is shared by every subnet associated with it, and its rules guard everything in those
subnets, not only the endpoint; a rule added for the endpoint's clients changes what reaches every other
resource there. Which rules are deliberate is the network's owners' decision (seed 003: 443 must pass both
sides' network ACLs).

Scenarios:
- any block -> ticket naming each network ACL with its blocking rules, and the clients to allow inbound on
  TCP 443 and outbound on TCP 1024-65535.
"""

from __future__ import annotations

from vpce_guard.facts import ASTERISK_RULE, Facts
from vpce_guard.findings import Finding
from vpce_guard.remediation.model import Plan, PlanOptions, Playbook, TicketOnly


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    rules: dict[str, list[str]] = {}
    for block in finding.evidence.get("blocks", []):
        number = "*" if block["rule_number"] == ASTERISK_RULE else str(block["rule_number"])
        named = rules.setdefault(block["network_acl_id"], [])
        if f"{block['direction']} {number}" not in named:
            named.append(f"{block['direction']} {number}")
    blocking = "; ".join(f"{acl_id} (rules {', '.join(numbers)})" for acl_id, numbers in sorted(rules.items()))
    clients = ", ".join(finding.evidence.get("client_cidrs", []))
    return TicketOnly(
        finding,
        f"a network ACL is shared by every subnet associated with it, so it is never changed automatically: in "
        f"{blocking}, allow inbound TCP 443 from {clients} and outbound TCP 1024-65535 to them, numbered before "
        "the rules named",
    )


PLAYBOOK = Playbook(
    action="allow-https-through-network-acl", check_ids=("nacl-blocks-https",), permissions=(), plan=plan
)
