"""missing-baseline-endpoint: a VPC with private subnets lacks an endpoint from the configured baseline.

Why: compute in private subnets without NAT needs a minimum set of endpoints to work at all (seed 002's
production minimum: S3 gateway, ECR api and dkr, STS, CloudWatch Logs, SSM, ssmmessages, ec2messages; without
ECR image pulls fail, without STS the SDK reports credential errors, without SSM Session Manager is gone). A
VPC with only public subnets reaches the services directly and is not judged. Creating an endpoint costs
money, so the remediation is a ticket, never an automatic change.

An endpoint counts for a baseline entry when its service name carries the entry's service key, a standard
AWS prefix (``com.amazonaws``, or ``cn.com.amazonaws`` which the China regions use for some services, seed
003) and the scanned region; either endpoint type will do (an S3 interface endpoint also serves S3).

Scenarios:
- a VPC with a private subnet and no endpoint for some baseline entries -> LOW finding on the VPC listing
  every missing entry with its expected service name;
- every entry present -> no finding;
- an entry served by an endpoint of the other type (S3 interface instead of gateway) -> present;
- China regions: cn.com.amazonaws and com.amazonaws names both count -> present;
- a partner service, an endpoint for another region's service, or an inactive endpoint -> does not count;
- service details collected and the region does not offer an entry's service -> not required;
- service details not collected -> every entry required;
- a VPC with only public subnets (e.g. the default VPC) or without subnets -> no finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from vpce_guard.catalog import load_catalog, parse_service_name
from vpce_guard.checks.base import Check, CheckSettings
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding, Severity


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    catalog = load_catalog()
    for vpc_id in sorted(facts.vpcs):
        if all(subnet.is_public for subnet in facts.subnets_in(vpc_id)):
            continue
        present = _present_service_keys(facts, vpc_id)
        missing = []
        for entry in settings.baseline:
            name = catalog.service_name(entry.service, facts.region, entry.endpoint_type)
            offered = not facts.services or (name, entry.endpoint_type) in facts.services
            if offered and entry.service not in present:
                missing.append({"service": entry.service, "type": entry.endpoint_type, "service_name": name})
        if not missing:
            continue
        missing.sort(key=lambda item: (item["service"], item["type"]))
        listed = ", ".join(f"{item['service_name']} ({item['type']})" for item in missing)
        yield CHECK.vpc_finding(
            facts,
            facts.vpcs[vpc_id],
            f"{vpc_id} has private subnets but no endpoint for {listed}: workloads there without NAT cannot "
            "reach these services, and with NAT their traffic leaves through the internet. Create the "
            f"missing endpoints in {vpc_id}, or narrow the baseline if the VPC does not need them.",
            {"missing": missing, "present": sorted(present)},
        )


def _present_service_keys(facts: Facts, vpc_id: str) -> set[str]:
    """The AWS services an active endpoint in the VPC serves, by catalog key (``ecr.api``, ``s3``)."""
    keys = set()
    for endpoint in facts.endpoints_in(vpc_id):
        ref = parse_service_name(endpoint.service_name)
        if ref is not None and ref.is_aws_service and ref.region == facts.region:
            keys.add(ref.key)
    return keys


CHECK = Check(
    id="missing-baseline-endpoint",
    severity=Severity.LOW,
    title="VPC lacks an endpoint from the baseline",
    remediation_action="create-endpoint",
    automatic=False,
    evaluate=evaluate,
)
