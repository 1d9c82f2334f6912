"""add-endpoint-subnets (az-coverage): add one subnet in each zone the endpoint is missing from.

Why: clients in a zone without an endpoint subnet cross zones for every call, and an endpoint in one zone
loses the service with that zone (seeds 000 and 003). AWS allows one subnet per zone and only in zones the
service is offered in. The subnet added is of the tier the endpoint already uses: private stays private, where
the team placed it and where its clients run (seed 000: endpoint interfaces in the private subnets), never in
a subnet routed to the internet ("first subnet per AZ" may pick a public one, a known mistake of other tools).

Scenarios:
- each missing zone (evidence ``missing_zone_ids``, already limited to zones the service is offered in) has a
  subnet of the endpoint's tier -> one ModifyVpcEndpoint AddSubnetIds with one subnet per zone;
- several candidates in a zone -> the one with the most free addresses (ties: the lowest id);
- the endpoint's subnets are private -> only private candidates (a public subnet is never chosen); an
  endpoint whose subnets are all public takes public ones;
- a missing zone with no subnet of that tier -> ticket naming the zone: a subnet has to be made first.
"""

from __future__ import annotations

from vpce_guard.facts import Facts, Subnet
from vpce_guard.findings import Finding
from vpce_guard.remediation.model import Plan, PlanOptions, Playbook, TicketOnly
from vpce_guard.remediation.playbooks.base import endpoint_of, endpoint_ref
from vpce_guard.remediation.runbooks import modify_endpoint


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    endpoint = endpoint_of(finding, facts)
    current = [facts.subnets[subnet_id] for subnet_id in endpoint.subnet_ids if subnet_id in facts.subnets]
    public = bool(current) and all(subnet.is_public for subnet in current)
    tier = "public" if public else "private"
    chosen: list[Subnet] = []
    for zone_id in finding.evidence.get("missing_zone_ids", []):
        candidates = [
            subnet
            for subnet in facts.subnets_in(endpoint.vpc_id)
            if subnet.zone_id == zone_id and subnet.is_public == public
        ]
        if not candidates:
            return TicketOnly(
                finding,
                f"{endpoint.vpc_id} has no {tier} subnet in {zone_id} for {endpoint.id}: create one there, then add it",
            )
        chosen.append(min(candidates, key=lambda subnet: (-subnet.available_ips, subnet.id)))
    added = ", ".join(f"{subnet.id} ({subnet.zone_id})" for subnet in chosen)
    return Plan(
        finding,
        endpoint_ref(finding),
        (modify_endpoint(endpoint.id, add={"SubnetIds": [subnet.id for subnet in chosen]}),),
        f"add {tier} subnet(s) {added} to {endpoint.id} so it serves every zone of {endpoint.vpc_id}",
    )


PLAYBOOK = Playbook(
    action="add-endpoint-subnets",
    check_ids=("az-coverage",),
    permissions=("ec2:ModifyVpcEndpoint",),
    plan=plan,
)
