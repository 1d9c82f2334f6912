"""s3-interface-bypasses-gateway: an S3 (or DynamoDB) interface endpoint answers every in-VPC DNS query although
the VPC has a gateway endpoint of the service.

Why: a gateway endpoint is free, an interface endpoint is billed per hour and per GB processed (seeds 000 and
002). With private DNS on, the interface endpoint's private hosted zone answers the service's names for the
whole VPC, so every in-VPC call goes through it and pays per GB while the free gateway route sits unused.
AWS's DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint makes private DNS answer only queries arriving
through a Route 53 inbound Resolver endpoint (on premises); in-VPC names resolve to the service's public
addresses, which the gateway's routes carry. AWS turns it on by default with private DNS, and accepts it only
on an interface endpoint with private DNS on, of a service with both endpoint types, in a VPC with a gateway
endpoint of the service; so the finding is a choice someone made (often before the gateway existed), not a
default. The API reference offers the option for every service with both endpoint types, which DynamoDB is as
well as S3; but DynamoDB's PrivateLink guide listed private DNS as unsupported on its interface endpoints
(2024), so the case is S3's in practice, and a DynamoDB endpoint is judged alike where its facts show it.

Scenarios:
- an active interface endpoint with private DNS on and the option false, in a VPC with an active gateway
  endpoint of the same service -> MEDIUM finding naming the gateway endpoint(s) and the route tables in use
  that none of them covers (the playbook needs them all covered);
- the same for DynamoDB -> MEDIUM finding;
- China regions: the S3 interface (cn.com.amazonaws) and gateway (com.amazonaws) names differ -> same service;
- the option true (private DNS answers only on premises) -> no finding;
- the option not reported (None: the API does not say) -> no finding: not judged;
- private DNS off -> no finding: nothing in the VPC resolves to the endpoint;
- no gateway endpoint of the service in the VPC, only an inactive one, one of another service, or one in
  another VPC -> no finding (interface-where-gateway-serves judges the first);
- gateway endpoints and inactive interface endpoints -> no finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from vpce_guard.checks.base import Check, CheckSettings
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding, Severity


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    for endpoint in facts.active_endpoints:
        if not endpoint.is_interface or not endpoint.private_dns_enabled:
            continue
        if endpoint.private_dns_only_for_inbound_resolver is not False:
            continue
        gateways = facts.gateways_of(endpoint.vpc_id, endpoint.service_name)
        if not gateways:
            continue
        named = ", ".join(gateway.id for gateway in gateways)
        uncovered = facts.route_tables_without(endpoint.vpc_id, gateways)
        yield CHECK.endpoint_finding(
            facts,
            endpoint,
            f"Private DNS on {endpoint.id} answers every query in {endpoint.vpc_id} for "
            f"{endpoint.service_name}, so in-VPC calls go through the interface endpoint and are billed per GB, "
            f"while the gateway endpoint {named} would carry them free. Turn on private DNS only for the "
            "inbound Resolver endpoint (DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint): in-VPC calls then "
            "take the gateway, on-premises ones still the interface endpoint.",
            {
                "private_dns_only_for_inbound_resolver": False,
                "gateway_endpoint_ids": [gateway.id for gateway in gateways],
                "route_tables_without_gateway": {table_id: list(subnets) for table_id, subnets in uncovered.items()},
            },
        )


CHECK = Check(
    id="s3-interface-bypasses-gateway",
    severity=Severity.MEDIUM,
    title="Interface endpoint with private DNS carries in-VPC traffic the free gateway endpoint would carry",
    remediation_action="private-dns-inbound-only",
    automatic=True,
    evaluate=evaluate,
)
