"""associate-route-tables (gateway-route-coverage): associate the missing route tables with the gateway endpoint.

Why: a gateway endpoint is only a route (seed 002); a subnet whose route table lacks it reaches S3 or
DynamoDB through NAT or the internet, or not at all.

Scenarios:
- tables missing (evidence ``missing_route_table_ids``, the tables in use by the VPC's subnets) -> one
  ModifyVpcEndpoint AddRouteTableIds with every missing table, on the endpoint the finding names (where
  several gateway endpoints of the service split the tables, the first of them).
"""

from __future__ import annotations

from vpce_guard.facts import Facts
from vpce_guard.findings import Finding
from vpce_guard.remediation.model import Plan, PlanOptions, Playbook, TicketOnly
from vpce_guard.remediation.playbooks.base import endpoint_of, endpoint_ref
from vpce_guard.remediation.runbooks import modify_endpoint


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    endpoint = endpoint_of(finding, facts)
    missing = list(finding.evidence.get("missing_route_table_ids", []))
    return Plan(
        finding,
        endpoint_ref(finding),
        (modify_endpoint(endpoint.id, add={"RouteTableIds": missing}),),
        f"associate route table(s) {', '.join(missing)} with {endpoint.id} ({endpoint.service_name})",
    )


PLAYBOOK = Playbook(
    action="associate-route-tables",
    check_ids=("gateway-route-coverage",),
    permissions=("ec2:ModifyVpcEndpoint",),
    plan=plan,
)
