"""gateway-route-coverage: a route table in use in the VPC is not associated with its gateway endpoint.

Why: a gateway endpoint is nothing but a route (seed 002: a prefix-list route targeting the endpoint, added
to each associated route table; seed 003: traffic must be steered to the endpoint through the VPC's routes).
Subnets whose route table lacks the association still reach S3 or DynamoDB through NAT or the internet, or
not at all when they have neither. A subnet's table is its explicit association, else the VPC's main table.

Scenarios:
- a subnet's explicitly associated route table is not associated with the gateway endpoint -> MEDIUM finding
  naming the table and the subnets that use it;
- a subnet without an explicit association uses the main table, which the endpoint lacks -> MEDIUM finding;
- several tables missing -> one finding for the endpoint, every table and its subnets in the evidence;
- every table in use is associated -> no finding;
- two gateway endpoints of one service split the tables between them (AWS allows it) -> a table is covered
  when either has it; what neither has is reported once, on the first of them;
- a table no subnet uses (e.g. a main table every subnet overrides) -> not required;
- the VPC has no subnets -> no finding;
- interface endpoints and inactive endpoints -> no finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from vpce_guard.checks.base import Check, CheckSettings
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding, Severity


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    for endpoint in facts.active_endpoints:
        if not endpoint.is_gateway:
            continue
        siblings = facts.gateways_of(endpoint.vpc_id, endpoint.service_name)
        if siblings[0].id != endpoint.id:
            continue
        subnets_by_missing_table = facts.route_tables_without(endpoint.vpc_id, siblings)
        if not subnets_by_missing_table:
            continue
        missing = list(subnets_by_missing_table)
        yield CHECK.endpoint_finding(
            facts,
            endpoint,
            f"Route table(s) {', '.join(missing)} of {endpoint.vpc_id} are not associated with "
            f"{endpoint.id}, so subnets using them reach {endpoint.service_name} through NAT or the "
            f"internet, or not at all. Associate the route table(s) with {endpoint.id}.",
            {
                "missing_route_table_ids": missing,
                "associated_route_table_ids": sorted(
                    {table for sibling in siblings for table in sibling.route_table_ids}
                ),
                "subnets_by_missing_route_table": {
                    table_id: list(subnets) for table_id, subnets in subnets_by_missing_table.items()
                },
            },
        )


CHECK = Check(
    id="gateway-route-coverage",
    severity=Severity.MEDIUM,
    title="Gateway endpoint is missing from route tables in use in its VPC",
    remediation_action="associate-route-tables",
    automatic=True,
    evaluate=evaluate,
)
