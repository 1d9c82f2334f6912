"""az-coverage: an interface endpoint does not cover the zones its VPC's workloads run in.

Why: clients in a zone without an endpoint subnet cross zones for every call, paying for it in latency and
data transfer (seed 000, pitfall 3: one endpoint subnet per zone), and an endpoint in a single zone takes the
service away from the whole VPC when that zone fails (seed 003: production endpoints span zones for high
availability). Zones are compared by zone id: zone names are shuffled per account, zone ids are not. Zones
are counted, never subnets: two subnets in one zone are still one zone.

Scenarios:
- the VPC has workload subnets in a zone where the service is offered and the endpoint has no subnet there
  -> MEDIUM finding naming the missing zones;
- the endpoint sits in one zone while the service is offered in another zone where the VPC has a subnet (even
  a public one, when the workloads themselves use one zone) -> MEDIUM finding;
- the endpoint covers every workload zone where the service is offered -> no finding;
- a workload zone where the service is not offered -> not required;
- the service is not described (zones unknown) -> no finding;
- the service offered in one zone only, or the VPC with subnets in one zone only -> no finding: the endpoint's
  subnets already sit in that zone (AWS places them only where the service is offered and the VPC has a
  subnet), so there is no other zone to add;
- an endpoint subnet the facts do not hold (zone unknown) -> no finding;
- gateway endpoints and inactive endpoints -> no finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from vpce_guard.checks.base import Check, CheckSettings
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding, Severity


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    for endpoint in facts.active_endpoints:
        if not endpoint.is_interface:
            continue
        service = facts.service_of(endpoint)
        if service is None or any(subnet_id not in facts.subnets for subnet_id in endpoint.subnet_ids):
            continue
        vpc_zone_ids = {subnet.zone_id for subnet in facts.subnets_in(endpoint.vpc_id)}
        endpoint_zone_ids = {facts.subnets[subnet_id].zone_id for subnet_id in endpoint.subnet_ids}
        service_zone_ids = {
            zone_id for zone_name in service.zone_names if (zone_id := facts.zone_id(zone_name)) is not None
        }
        workload_zone_ids = {subnet.zone_id for subnet in facts.workload_subnets(endpoint.vpc_id)}
        evidence = {
            "endpoint_zone_ids": sorted(endpoint_zone_ids),
            "workload_zone_ids": sorted(workload_zone_ids),
            "service_zone_ids": sorted(service_zone_ids),
        }
        uncovered = sorted((workload_zone_ids & service_zone_ids) - endpoint_zone_ids)
        if uncovered:
            yield CHECK.endpoint_finding(
                facts,
                endpoint,
                f"{endpoint.id} has no subnet in {', '.join(uncovered)}, where {endpoint.vpc_id} runs "
                f"workloads and {endpoint.service_name} is offered: clients there cross zones for every call "
                "and lose the service if the endpoint's zones fail. Add a workload subnet in each missing "
                "zone to the endpoint.",
                {**evidence, "missing_zone_ids": uncovered},
            )
            continue
        alternatives = sorted((vpc_zone_ids & service_zone_ids) - endpoint_zone_ids)
        if len(endpoint_zone_ids) == 1 and alternatives:
            (zone_id,) = endpoint_zone_ids
            yield CHECK.endpoint_finding(
                facts,
                endpoint,
                f"{endpoint.id} sits in {zone_id} only, although {endpoint.service_name} is offered in "
                f"{', '.join(alternatives)} where {endpoint.vpc_id} has subnets: an outage of {zone_id} "
                "takes the service away from the whole VPC. Add a subnet in a second zone to the endpoint.",
                {**evidence, "missing_zone_ids": alternatives},
            )


CHECK = Check(
    id="az-coverage",
    severity=Severity.MEDIUM,
    title="Interface endpoint does not cover the VPC's availability zones",
    remediation_action="add-endpoint-subnets",
    automatic=True,
    evaluate=evaluate,
)
