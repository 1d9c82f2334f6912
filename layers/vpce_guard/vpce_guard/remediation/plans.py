"""Plans: a finding and the facts it came from, turned into the exact API calls that fix it, or a ticket.

``plan_for`` makes no AWS call itself (what must be read, the bucket policies, is read by the reader it is given):
the same finding and facts, and the same reads, always give the same plan, which is what
dry-run prints, what the state table records before anything changes, and what the executor runs. Each
remediation action has one playbook (``playbooks/``) declaring the IAM actions its plans and their
rollbacks may call; ``PERMISSIONS`` gathers them, so the deployment's policy can be held to them.
"""

from __future__ import annotations

from collections.abc import Mapping

from vpce_guard.bucket_policies import BucketPolicyReader
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding
from vpce_guard.judge import Activity
from vpce_guard.remediation.model import ApiCall, Plan, PlanOptions, Playbook, ResourceRef, TicketOnly
from vpce_guard.remediation.playbooks import (
    add_endpoint_subnets,
    allow_https_from_vpc,
    allow_https_through_network_acl,
    associate_route_tables,
    create_endpoint,
    create_gateway_endpoint,
    delete_idle_endpoint,
    enable_private_dns,
    enable_vpc_dns,
    private_dns_inbound_only,
    restrict_endpoint_policy,
    restrict_security_group,
)

PLAYBOOKS: Mapping[str, Playbook] = {
    module.PLAYBOOK.action: module.PLAYBOOK
    for module in (
        enable_private_dns,
        enable_vpc_dns,
        restrict_endpoint_policy,
        add_endpoint_subnets,
        allow_https_from_vpc,
        restrict_security_group,
        associate_route_tables,
        create_endpoint,
        allow_https_through_network_acl,
        private_dns_inbound_only,
        create_gateway_endpoint,
        delete_idle_endpoint,
    )
}

PERMISSIONS: Mapping[str, tuple[str, ...]] = {action: playbook.permissions for action, playbook in PLAYBOOKS.items()}


def plan_for(
    finding: Finding,
    facts: Facts,
    *,
    org_id: str | None = None,
    fix_vpc_dns: bool = False,
    trusted_accounts: tuple[str, ...] = (),
    partner_resources: tuple[str, ...] = (),
    activity: Mapping[str, Activity] | None = None,
    bucket_policies: BucketPolicyReader | None = None,
) -> Plan | TicketOnly:
    """The plan for ``finding``, made from the facts it was found in.

    ``org_id`` bounds rewritten policies to the organization instead of the endpoint owner's account and
    ``trusted_accounts`` (partners keep their access, and their ``partner_resources`` stay reachable);
    ``activity`` is what CloudTrail showed of each endpoint's use (every caller seen keeps its access);
    ``bucket_policies`` reads the account's bucket policies, called only when an S3 change that moves calls to a
    gateway endpoint has nothing else in its way (no bucket may refuse the moved calls);
    ``fix_vpc_dns`` (vpc-dns-disabled in enforce mode) lets private DNS be turned on after the VPC's DNS
    attributes. Raises ValueError for a remediation action no playbook serves, or a finding whose resource
    is not in ``facts``.
    """
    playbook = PLAYBOOKS.get(finding.remediation.action)
    if playbook is None or finding.check_id not in playbook.check_ids:
        raise ValueError(
            f"no playbook for {finding.check_id} ({finding.remediation.action}) on {finding.resource_id}; "
            f"known actions: {', '.join(PLAYBOOKS)}"
        )
    options = PlanOptions(
        org_id=org_id,
        fix_vpc_dns=fix_vpc_dns,
        trusted_accounts=trusted_accounts,
        partner_resources=partner_resources,
        activity=activity or {},
        bucket_policies=bucket_policies,
    )
    return playbook.plan(finding, facts, options)


__all__ = [
    "PERMISSIONS",
    "PLAYBOOKS",
    "ApiCall",
    "Plan",
    "PlanOptions",
    "Playbook",
    "ResourceRef",
    "TicketOnly",
    "plan_for",
]
