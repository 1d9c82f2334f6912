"""enable-private-dns (private-dns-disabled): turn private DNS on, so the service's name resolves to the endpoint.

Why: with private DNS off, clients resolve the service to public addresses and leave through NAT (seeds 000
and 002). Only one endpoint per VPC can hold a service's private DNS name, and the name answers only in a VPC
with DNS support and DNS hostnames on (seed 000, pitfall 1): AWS refuses private DNS otherwise.

Scenarios:
- private DNS off, VPC DNS attributes on -> ModifyVpcEndpoint PrivateDnsEnabled=True;
- another endpoint of the service in the VPC holds the name (evidence ``private_dns_held_by``) -> ticket
  naming it: one of the two must give the name up, which is a person's choice;
- the VPC has enableDnsSupport or enableDnsHostnames off -> ticket (fix the VPC first), unless
  ``fix_vpc_dns`` (vpc-dns-disabled in enforce mode): then the plan first turns on each attribute that is off,
  one ModifyVpcAttribute per attribute, support before hostnames (AWS refuses hostnames without support),
  then private DNS;
- an attribute not collected (unknown) is not judged off: AWS has the last word, and a refusal is a ticket;
- an S3 or DynamoDB interface endpoint -> private DNS on for every in-VPC caller too
  (``DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint`` false, said in the call): AWS would otherwise answer
  in-VPC queries only through a gateway endpoint of the service, which it refuses without one, and which would
  strand subnets whose route tables lack it. Whether the gateway should carry that traffic instead is
  s3-interface-bypasses-gateway's question, asked separately.
"""

from __future__ import annotations

from vpce_guard.catalog import load_catalog
from vpce_guard.facts import GATEWAY, Facts
from vpce_guard.findings import Finding
from vpce_guard.remediation.model import Plan, PlanOptions, Playbook, TicketOnly
from vpce_guard.remediation.playbooks.base import dns_attributes_off, endpoint_of, endpoint_ref, vpc_of
from vpce_guard.remediation.runbooks import modify_endpoint, set_vpc_attribute


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    endpoint = endpoint_of(finding, facts)
    holder = finding.evidence.get("private_dns_held_by")
    if holder:
        return TicketOnly(
            finding,
            f"another endpoint ({holder}) holds the private DNS name of {endpoint.service_name} in {endpoint.vpc_id}; "
            f"only one endpoint per VPC can: decide which keeps it, then turn private DNS on for {endpoint.id} or "
            "delete the spare endpoint",
        )
    vpc = vpc_of(finding, facts)
    off = dns_attributes_off(vpc)
    if off and not options.fix_vpc_dns:
        return TicketOnly(
            finding,
            f"{vpc.id} has {' and '.join(off)} off, so private DNS cannot answer; turn them on first "
            "(vpc-dns-disabled is not in enforce mode)",
        )
    every_caller = False if load_catalog().lookup(endpoint.service_name, GATEWAY) is not None else None
    turn_on = modify_endpoint(endpoint.id, private_dns=True, inbound_resolver_only=every_caller)
    calls = (*(set_vpc_attribute(vpc.id, name, True) for name in off), turn_on)
    first = f"turn on {' and '.join(off)} of {vpc.id}, then " if off else ""
    return Plan(
        finding, endpoint_ref(finding), calls, f"{first}turn on private DNS for {endpoint.id} ({endpoint.service_name})"
    )


PLAYBOOK = Playbook(
    action="enable-private-dns",
    check_ids=("private-dns-disabled",),
    permissions=("ec2:ModifyVpcAttribute", "ec2:ModifyVpcEndpoint"),
    plan=plan,
)
