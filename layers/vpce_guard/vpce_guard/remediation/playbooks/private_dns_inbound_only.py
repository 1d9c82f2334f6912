"""private-dns-inbound-only (s3-interface-bypasses-gateway): let the interface endpoint's private DNS answer only the
inbound Resolver endpoint, so in-VPC calls take the free gateway endpoint and on-premises ones the interface.

Why: in-VPC calls through the interface endpoint are billed per GB, through the gateway not at all (seeds 000
and 002). The change moves the VPC's calls from one endpoint to the other, so it is made only where the gateway
serves every subnet the same way: every route table the VPC's subnets use is associated with a gateway endpoint
of the service (a subnet without the route would leave through NAT or the internet, or fail), and no gateway
endpoint admits less than the interface endpoint (its policy is AWS's default full access or the interface
endpoint's own). What the facts do not hold is said in the plan: the clients' security groups must let them
reach the service's prefix list, and a bucket policy naming the interface endpoint (``aws:SourceVpce``) refuses
the calls through the gateway; the exact rollback turns the option back off.

Scenarios:
- every route table in use covered, the gateway policies default or the interface endpoint's -> one
  ModifyVpcEndpoint DnsOptions PrivateDnsOnlyForInboundResolverEndpoint=true;
- a route table in use not associated with any gateway endpoint of the service (evidence
  ``route_tables_without_gateway``) -> ticket naming the tables and their subnets;
- a gateway endpoint whose policy is neither AWS's default nor the interface endpoint's, or cannot be read ->
  ticket naming it: in-VPC callers would be judged by its policy instead.
"""

from __future__ import annotations

from vpce_guard.facts import Endpoint, Facts
from vpce_guard.findings import Finding
from vpce_guard.remediation.model import Plan, PlanOptions, Playbook, TicketOnly
from vpce_guard.remediation.playbooks.base import endpoint_of, endpoint_ref
from vpce_guard.remediation.runbooks import modify_endpoint


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    endpoint = endpoint_of(finding, facts)
    uncovered = finding.evidence.get("route_tables_without_gateway", {})
    if uncovered:
        listed = "; ".join(f"{table_id} (subnets {', '.join(subnets)})" for table_id, subnets in uncovered.items())
        return TicketOnly(
            finding,
            f"route table(s) of {endpoint.vpc_id} are not associated with a gateway endpoint of "
            f"{endpoint.service_name}: {listed}; their subnets would reach it through NAT or the internet, or not "
            "at all, once private DNS stops answering in the VPC. Associate them first (gateway-route-coverage), "
            f"then turn on private DNS only for the inbound Resolver endpoint of {endpoint.id}",
        )
    gateways = [
        gateway for gateway in facts.endpoints if gateway.id in finding.evidence.get("gateway_endpoint_ids", [])
    ]
    narrower = [gateway.id for gateway in gateways if not _admits_as_much(gateway, endpoint)]
    if narrower:
        return TicketOnly(
            finding,
            f"the policy of gateway endpoint {', '.join(narrower)} is neither AWS's default nor that of "
            f"{endpoint.id}: in-VPC callers would be judged by it instead; align the policies, then turn on "
            f"private DNS only for the inbound Resolver endpoint of {endpoint.id}",
        )
    return Plan(
        finding,
        endpoint_ref(finding),
        (modify_endpoint(endpoint.id, inbound_resolver_only=True),),
        f"let private DNS of {endpoint.id} ({endpoint.service_name}) answer only the inbound Resolver endpoint, so "
        f"in-VPC calls take {', '.join(gateway.id for gateway in gateways)} (clients' security groups must admit "
        "the service's prefix list; bucket policies naming the interface endpoint in aws:SourceVpce refuse them)",
    )


def _admits_as_much(gateway: Endpoint, interface: Endpoint) -> bool:
    """The gateway's policy is AWS's default full access, or the interface endpoint's own."""
    return gateway.policy is not None and (gateway.policy.is_default_full_access or gateway.policy == interface.policy)


PLAYBOOK = Playbook(
    action="private-dns-inbound-only",
    check_ids=("s3-interface-bypasses-gateway",),
    permissions=("ec2:ModifyVpcEndpoint",),
    plan=plan,
)
