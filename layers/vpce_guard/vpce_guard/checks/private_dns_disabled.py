"""private-dns-disabled: an interface endpoint whose service offers a private DNS name has private DNS off.

Why: with private DNS off, the service's default host name still resolves to public addresses, so clients
keep going out through NAT and the internet and the endpoint sits unused (seeds 000 and 002; seed 001 shows
the Host-header workaround clients then need).

Scenarios:
- interface endpoint, service offers a private DNS name, private DNS off -> HIGH finding;
- the same, but another endpoint for the same service in the VPC holds the private DNS name -> LOW finding,
  not automatic: traffic is private already and only one endpoint per VPC can hold the name;
- private DNS on -> no finding;
- the service offers no private DNS name (e.g. a partner service without one) -> no finding;
- the service is not described (a partner service this account cannot list) -> no finding;
- gateway endpoints (AWS reports PrivateDnsEnabled true on some) and endpoint types without a private DNS
  option (GatewayLoadBalancer, Resource, ServiceNetwork) -> no finding;
- inactive endpoints (deleting, deleted, failed, rejected, expired) -> no finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from vpce_guard.checks.base import Check, CheckSettings
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding, Severity


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    for endpoint in facts.active_endpoints:
        if not endpoint.is_interface or endpoint.private_dns_enabled:
            continue
        service = facts.service_of(endpoint)
        if service is None or not service.offers_private_dns:
            continue
        holder = next(
            (
                other.id
                for other in facts.endpoints_in(endpoint.vpc_id)
                if other.is_interface and other.private_dns_enabled and other.service_name == endpoint.service_name
            ),
            None,
        )
        evidence = {"private_dns_enabled": False, "private_dns_names": list(service.private_dns_names)}
        if holder is not None:
            yield CHECK.endpoint_finding(
                facts,
                endpoint,
                f"Private DNS is off on {endpoint.id}; {holder} in the same VPC already answers for "
                f"{service.private_dns_names[0]}, so this endpoint is reachable only by its own DNS names.",
                {**evidence, "private_dns_held_by": holder},
                severity=Severity.LOW,
                automatic=False,
            )
            continue
        yield CHECK.endpoint_finding(
            facts,
            endpoint,
            f"Private DNS is off on {endpoint.id}: {service.private_dns_names[0]} still resolves to public "
            "addresses, so clients in the VPC bypass the endpoint and leave through NAT or the internet.",
            evidence,
        )


CHECK = Check(
    id="private-dns-disabled",
    severity=Severity.HIGH,
    title="Interface endpoint has private DNS disabled",
    remediation_action="enable-private-dns",
    automatic=True,
    evaluate=evaluate,
)
