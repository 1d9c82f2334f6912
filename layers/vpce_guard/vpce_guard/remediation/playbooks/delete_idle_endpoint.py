"""delete-idle-endpoint (endpoint-idle): a ticket, never a change.

Why: an endpoint that carried nothing over the window may still be someone's failover path or a rare job's
way out, and deleting it cannot be rolled back exactly (a new endpoint gets a new id, new addresses and new DNS
names), so whether it goes is a team's decision; vpce-guard never deletes an endpoint.

Scenarios:
- an idle endpoint -> ticket naming it, its service and the days without traffic.
"""

from __future__ import annotations

from vpce_guard.facts import Facts
from vpce_guard.findings import Finding
from vpce_guard.remediation.model import Plan, PlanOptions, Playbook, TicketOnly


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    window = finding.evidence.get("traffic_window", {})
    return TicketOnly(
        finding,
        f"endpoints are never deleted automatically: delete {finding.resource_id} ({finding.service_name}) if "
        f"nothing in {finding.vpc_id} needs it; it processed no traffic from {window.get('start')} to "
        f"{window.get('end')}",
    )


PLAYBOOK = Playbook(action="delete-idle-endpoint", check_ids=("endpoint-idle",), permissions=(), plan=plan)
