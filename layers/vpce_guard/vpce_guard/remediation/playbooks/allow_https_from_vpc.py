"""allow-https-from-vpc (sg-https-blocked): admit TCP 443 from the VPC's CIDRs on the endpoint's own group.

Why: every call to an interface endpoint is HTTPS to its network interfaces; a group that blocks it makes
clients time out, and the timeout looks like a DNS fault (seed 000, pitfall 2). The VPC default group is shared
with whatever else was launched without a group, so opening it would open them all: a ticket instead.

Scenarios:
- the endpoint has a group other than its VPC's default group (the first such, in attachment order) ->
  one AuthorizeSecurityGroupIngress on it: TCP 443 from each VPC CIDR, IPv4 and IPv6, described so people
  can tell where the rule came from;
- the endpoint's only group is the VPC default group (name ``default``) -> ticket;
- no group attached -> ticket: a group has to be attached, which changes what else the endpoint admits.
"""

from __future__ import annotations

from vpce_guard.facts import Facts
from vpce_guard.findings import Finding
from vpce_guard.remediation.model import Plan, PlanOptions, Playbook, TicketOnly
from vpce_guard.remediation.playbooks.base import DEFAULT_GROUP_NAME, HTTPS, endpoint_of, group_ref, vpc_of
from vpce_guard.remediation.runbooks import authorize_ingress, rules_from


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    endpoint = endpoint_of(finding, facts)
    vpc = vpc_of(finding, facts)
    cidrs = ", ".join(vpc.cidrs)
    if not endpoint.security_group_ids:
        return TicketOnly(finding, f"{endpoint.id} has no security group: attach one admitting TCP 443 from {cidrs}")
    groups = [
        facts.security_groups[group_id] for group_id in endpoint.security_group_ids if group_id in facts.security_groups
    ]
    own = next((group for group in groups if group.name != DEFAULT_GROUP_NAME), None)
    if own is None:
        shared = ", ".join(group.id for group in groups)
        return TicketOnly(
            finding,
            f"the shared default group {shared} of {vpc.id} is used by other resources: attach a group of "
            f"{endpoint.id}'s own admitting TCP 443 from {cidrs} instead",
        )
    rules = rules_from("tcp", HTTPS, HTTPS, vpc.cidrs)
    call = authorize_ingress(own.id, rules, description=f"vpce-guard: HTTPS to {endpoint.id} from {vpc.id}")
    return Plan(
        finding,
        group_ref(finding, own.id),
        (call,),
        f"allow TCP 443 from {cidrs} on {own.id}, the group of {endpoint.id}",
    )


PLAYBOOK = Playbook(
    action="allow-https-from-vpc",
    check_ids=("sg-https-blocked",),
    permissions=("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"),
    plan=plan,
)
