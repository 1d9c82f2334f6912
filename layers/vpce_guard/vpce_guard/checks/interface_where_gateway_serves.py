"""interface-where-gateway-serves: an S3 or DynamoDB interface endpoint in a VPC that has no gateway endpoint of
the service and nothing connecting it to on premises: a free gateway endpoint would serve the VPC.

Why: a gateway endpoint costs nothing; an interface endpoint costs about a cent an hour in each zone and a cent
per GB it processes (seeds 000 and 002). Only S3 and DynamoDB have gateway endpoints, which serve the VPC's own
subnets through their route tables (seeds 002, 003). What a gateway endpoint cannot serve is traffic arriving
from outside the VPC: from on premises over a virtual private gateway or a transit gateway, or from other
VPCs (AWS's gateway endpoint guide); that is what the interface endpoints of these services are for. A VPC with
such a path may need the interface endpoint, so it is not judged; peering connections are not collected, so
the ticket asks about them. Replacing an endpoint is a person's decision: the finding is a ticket, never a
change.

Scenarios:
- an active S3 interface endpoint in a VPC with no active S3 gateway endpoint, no attached virtual private
  gateway and no transit gateway attachment -> LOW finding, not automatic, naming the gateway service to create
  and the route tables the VPC's subnets use;
- the same for DynamoDB -> LOW finding;
- China regions: the S3 gateway's name (com.amazonaws) differs from the interface's (cn.com.amazonaws) -> the
  finding names the gateway's;
- the VPC has a gateway endpoint of the service -> no finding (s3-interface-bypasses-gateway judges its DNS);
- the VPC has a virtual private gateway or a transit gateway attachment -> no finding;
- the VPC not described -> no finding: its paths are unknown;
- an interface endpoint to another region's S3 (gateway endpoints serve only their own region) -> no finding;
- interface endpoints of services without gateway endpoints, partner services, gateway endpoints and inactive
  endpoints -> no finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from vpce_guard.catalog import load_catalog, parse_service_name
from vpce_guard.checks.base import Check, CheckSettings
from vpce_guard.facts import GATEWAY, Facts
from vpce_guard.findings import Finding, Severity


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    catalog = load_catalog()
    for endpoint in facts.active_endpoints:
        ref = parse_service_name(endpoint.service_name)
        if not endpoint.is_interface or ref is None or ref.region != facts.region:
            continue
        if catalog.lookup(endpoint.service_name, GATEWAY) is None:
            continue
        vpc = facts.vpcs.get(endpoint.vpc_id)
        if vpc is None or vpc.on_premises_paths or facts.gateways_of(vpc.id, endpoint.service_name):
            continue
        gateway_service = catalog.service_name(ref.key, facts.region, GATEWAY)
        tables = list(facts.route_tables_without(vpc.id, ()))
        yield CHECK.endpoint_finding(
            facts,
            endpoint,
            f"{endpoint.id} carries {endpoint.service_name} calls for {vpc.id}, which has no gateway endpoint of the "
            "service and no virtual private gateway or transit gateway attachment: a gateway endpoint would serve "
            "the VPC free, where the interface endpoint is billed by the hour in each zone and by the GB. Create "
            f"a gateway endpoint of {gateway_service} on the route tables the VPC's subnets use, then delete "
            f"{endpoint.id} if nothing outside the VPC uses it.",
            {"gateway_service_name": gateway_service, "route_table_ids": tables},
        )


CHECK = Check(
    id="interface-where-gateway-serves",
    severity=Severity.LOW,
    title="Interface endpoint where a free gateway endpoint would serve the VPC",
    remediation_action="create-gateway-endpoint",
    automatic=False,
    evaluate=evaluate,
)
