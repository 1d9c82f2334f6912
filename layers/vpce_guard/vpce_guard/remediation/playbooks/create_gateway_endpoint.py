"""create-gateway-endpoint (interface-where-gateway-serves): a ticket, never a change.

Why: moving a VPC's S3 or DynamoDB calls from an interface endpoint to a free gateway endpoint saves money, but
only a person knows whether anything outside the VPC (on premises, a peered VPC, another network) still needs
the interface endpoint, and endpoints are never created or deleted automatically.

Scenarios:
- any finding -> ticket saying what to do, in order: create the gateway endpoint of the service (evidence
  ``gateway_service_name``), associate the route tables the VPC's subnets use (``route_table_ids``), then delete
  the interface endpoint once nothing else uses it; and why the order and the question matter: gateway
  endpoints are not reachable from on premises or from other VPCs.
"""

from __future__ import annotations

from vpce_guard.facts import Facts
from vpce_guard.findings import Finding
from vpce_guard.remediation.model import Plan, PlanOptions, Playbook, TicketOnly


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    tables = ", ".join(finding.evidence.get("route_table_ids", [])) or "none in use"
    return TicketOnly(
        finding,
        f"a gateway endpoint would serve {finding.vpc_id} free: create a gateway endpoint of "
        f"{finding.evidence.get('gateway_service_name')} in {finding.vpc_id}, associate the route tables its "
        f"subnets use ({tables}), then delete {finding.resource_id} if nothing else uses it. Gateway endpoints "
        "are not reachable from on premises (VPN, Direct Connect) or from other VPCs (peering, transit "
        f"gateway): keep {finding.resource_id} if such callers use it",
    )


PLAYBOOK = Playbook(
    action="create-gateway-endpoint",
    check_ids=("interface-where-gateway-serves",),
    permissions=(),
    plan=plan,
)
