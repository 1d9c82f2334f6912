"""create-endpoint (missing-baseline-endpoint): a ticket, never a change.

Why: an interface endpoint costs money every hour in every zone, and whether a VPC needs one is a team's
decision (never create an endpoint without being told to).

Scenarios:
- any missing baseline entry -> ticket listing the service names to create.
"""

from __future__ import annotations

from vpce_guard.facts import Facts
from vpce_guard.findings import Finding
from vpce_guard.remediation.model import Plan, PlanOptions, Playbook, TicketOnly


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    missing = ", ".join(f"{item['service_name']} ({item['type']})" for item in finding.evidence.get("missing", []))
    return TicketOnly(
        finding, f"creating endpoints costs money: create {missing} in {finding.vpc_id} if its workloads need them"
    )


PLAYBOOK = Playbook(action="create-endpoint", check_ids=("missing-baseline-endpoint",), permissions=(), plan=plan)
