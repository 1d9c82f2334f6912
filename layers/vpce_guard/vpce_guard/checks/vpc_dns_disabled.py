"""vpc-dns-disabled: an interface endpoint relies on private DNS in a VPC whose DNS attributes are off.

Why: private DNS answers only in a VPC with both ``enableDnsSupport`` and ``enableDnsHostnames`` on (seed 000,
pitfall 1). With either off, the service's host name keeps resolving to public addresses and the endpoint is
bypassed even when its own private DNS setting is on. The finding names the endpoint, not the VPC: the
endpoint is what is broken, and reporting on the VPC instead is a known mistake of other tools.

Scenarios:
- interface endpoint with private DNS on, its VPC with enableDnsSupport off -> HIGH finding;
- the same with enableDnsHostnames off -> HIGH finding;
- private DNS off on the endpoint, but its service offers a private DNS name -> HIGH finding: turning private
  DNS on (private-dns-disabled) cannot work until the VPC is fixed;
- private DNS off and the service offers no private DNS name, or is not described -> no finding;
- both attributes on -> no finding;
- an attribute not collected (unknown) is not judged: no finding unless the other one is known to be off;
- the VPC not described -> no finding;
- gateway endpoints and inactive endpoints -> no finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from vpce_guard.checks.base import Check, CheckSettings
from vpce_guard.facts import Endpoint, Facts
from vpce_guard.findings import Finding, Severity


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    for endpoint in facts.active_endpoints:
        if not endpoint.is_interface or not _relies_on_private_dns(facts, endpoint):
            continue
        vpc = facts.vpcs.get(endpoint.vpc_id)
        if vpc is None:
            continue
        attributes = {"enableDnsSupport": vpc.dns_support, "enableDnsHostnames": vpc.dns_hostnames}
        off = [name for name, value in attributes.items() if value is False]
        if not off:
            continue
        yield CHECK.endpoint_finding(
            facts,
            endpoint,
            f"{vpc.id} has {' and '.join(off)} off, so private DNS for {endpoint.id} cannot answer and "
            f"clients resolve {endpoint.service_name or 'the service'} to public addresses. Turn on "
            f"enableDnsSupport and enableDnsHostnames on {vpc.id}.",
            {
                "enable_dns_support": vpc.dns_support,
                "enable_dns_hostnames": vpc.dns_hostnames,
                "private_dns_enabled": endpoint.private_dns_enabled,
            },
        )


def _relies_on_private_dns(facts: Facts, endpoint: Endpoint) -> bool:
    """Private DNS is on, or the service offers a name that private-dns-disabled will ask to turn on."""
    if endpoint.private_dns_enabled:
        return True
    service = facts.service_of(endpoint)
    return service is not None and service.offers_private_dns


CHECK = Check(
    id="vpc-dns-disabled",
    severity=Severity.HIGH,
    title="Interface endpoint's VPC has DNS support or DNS hostnames disabled",
    remediation_action="enable-vpc-dns",
    automatic=True,
    evaluate=evaluate,
)
