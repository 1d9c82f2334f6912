"""enable-vpc-dns (vpc-dns-disabled): turn on the VPC's DNS support and DNS hostnames.

Why: private DNS answers only in a VPC with both attributes on (seed 000, pitfall 1); with either off, the
endpoint's clients resolve the service to public addresses even where private DNS is on.

Scenarios:
- one attribute off -> one ModifyVpcAttribute for it;
- both off -> two calls, one per attribute as the API requires, support before hostnames (AWS refuses
  hostnames without support);
- an attribute not collected (unknown) is left alone.
The plan changes the VPC, not the endpoint the finding names: every endpoint of the VPC gains.
"""

from __future__ import annotations

from vpce_guard.facts import Facts
from vpce_guard.findings import Finding
from vpce_guard.remediation.model import Plan, PlanOptions, Playbook, TicketOnly
from vpce_guard.remediation.playbooks.base import dns_attributes_off, vpc_of, vpc_ref
from vpce_guard.remediation.runbooks import set_vpc_attribute


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    vpc = vpc_of(finding, facts)
    off = dns_attributes_off(vpc)
    calls = tuple(set_vpc_attribute(vpc.id, name, True) for name in off)
    return Plan(finding, vpc_ref(finding), calls, f"turn on {' and '.join(off)} of {vpc.id} so private DNS answers")


PLAYBOOK = Playbook(
    action="enable-vpc-dns",
    check_ids=("vpc-dns-disabled",),
    permissions=("ec2:ModifyVpcAttribute",),
    plan=plan,
)
