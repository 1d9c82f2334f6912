"""What every playbook shares: finding the facts a finding is about, and naming the resources it changes."""

from __future__ import annotations

from vpce_guard.facts import Endpoint, Facts, Vpc
from vpce_guard.findings import Finding
from vpce_guard.remediation.configuration import DNS_HOSTNAMES, DNS_SUPPORT
from vpce_guard.remediation.model import ENDPOINT, SECURITY_GROUP, VPC, ResourceRef

# The group AWS makes with every VPC, shared by whatever is launched there without a group of its own.
DEFAULT_GROUP_NAME = "default"
# Every call to an AWS service's endpoint is HTTPS.
HTTPS = 443


def endpoint_of(finding: Finding, facts: Facts) -> Endpoint:
    """The endpoint a finding is about. A finding is planned with the facts it came from, so a missing
    endpoint is a caller's mistake, not a reason for a ticket."""
    endpoint = next((item for item in facts.endpoints if item.id == finding.resource_id), None)
    if endpoint is None:
        raise ValueError(
            f"{finding.resource_id} ({finding.check_id}) is not in the facts; plan with the facts of its scan"
        )
    return endpoint


def vpc_of(finding: Finding, facts: Facts) -> Vpc:
    vpc = facts.vpcs.get(finding.vpc_id)
    if vpc is None:
        raise ValueError(
            f"{finding.vpc_id} of {finding.resource_id} is not in the facts; plan with the facts of its scan"
        )
    return vpc


def endpoint_ref(finding: Finding) -> ResourceRef:
    return ResourceRef(ENDPOINT, finding.resource_id, finding.vpc_id, finding.account_id, finding.region)


def vpc_ref(finding: Finding) -> ResourceRef:
    return ResourceRef(VPC, finding.vpc_id, finding.vpc_id, finding.account_id, finding.region)


def group_ref(finding: Finding, group_id: str) -> ResourceRef:
    return ResourceRef(SECURITY_GROUP, group_id, finding.vpc_id, finding.account_id, finding.region)


def dns_attributes_off(vpc: Vpc) -> list[str]:
    """The VPC's DNS attributes known to be off, support first (the order in which to turn them on)."""
    return [
        name for name, value in ((DNS_SUPPORT, vpc.dns_support), (DNS_HOSTNAMES, vpc.dns_hostnames)) if value is False
    ]
