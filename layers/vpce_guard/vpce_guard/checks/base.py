"""What every check shares: its declaration (id, severity, title, remediation) and the settings it reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from vpce_guard.catalog import BaselineEntry, load_catalog
from vpce_guard.facts import Endpoint, Facts, Vpc
from vpce_guard.findings import ENDPOINT_RESOURCE, VPC_RESOURCE, Finding, Remediation, Severity
from vpce_guard.policy import Policy

# How far back the checks that judge traffic read it: two weeks by default (within the 15 days CloudWatch keeps
# one-minute data), and at most 455 days, as long as it keeps hourly data; a longer window would read days that
# no longer exist and take them for days without traffic.
DEFAULT_TRAFFIC_DAYS = 14
MAX_TRAFFIC_DAYS = 455


class CheckSettings(msgspec.Struct, frozen=True):
    """Who counts as ours and what every VPC should have.

    ``trusted_accounts`` and ``org_ids`` widen "ours" beyond the endpoint owner's own account;
    ``partner_resources`` are resource ARNs outside them that our principals may reach;
    ``baseline`` is the list of endpoints every private VPC should have (seed 002's production minimum);
    ``traffic_days`` is how far back the checks that judge traffic read it.
    """

    trusted_accounts: frozenset[str] = frozenset()
    partner_resources: frozenset[str] = frozenset()
    org_ids: frozenset[str] = frozenset()
    baseline: tuple[BaselineEntry, ...] = msgspec.field(default_factory=lambda: load_catalog().baseline)
    traffic_days: int = DEFAULT_TRAFFIC_DAYS


Evaluator = Callable[[Facts, CheckSettings], Iterator[Finding]]


@dataclass(frozen=True)
class Check:
    id: str
    severity: Severity
    title: str
    remediation_action: str
    automatic: bool
    evaluate: Evaluator = field(repr=False, compare=False)
    reads_traffic: bool = False  # judges the endpoints' traffic (CloudWatch), read only for such a check

    def endpoint_finding(
        self,
        facts: Facts,
        endpoint: Endpoint,
        detail: str,
        evidence: Mapping[str, Any],
        *,
        severity: Severity | None = None,
        automatic: bool | None = None,
    ) -> Finding:
        return self._finding(
            facts,
            (ENDPOINT_RESOURCE, endpoint.id, endpoint.owner_id, endpoint.vpc_id, endpoint.service_name),
            detail,
            evidence,
            severity=severity,
            automatic=automatic,
        )

    def vpc_finding(self, facts: Facts, vpc: Vpc, detail: str, evidence: Mapping[str, Any]) -> Finding:
        return self._finding(facts, (VPC_RESOURCE, vpc.id, vpc.owner_id, vpc.id, None), detail, evidence)

    def _finding(
        self,
        facts: Facts,
        resource: tuple[str, str, str, str, str | None],
        detail: str,
        evidence: Mapping[str, Any],
        *,
        severity: Severity | None = None,
        automatic: bool | None = None,
    ) -> Finding:
        """A finding on ``resource``: (resource type, resource id, account id, VPC id, service name)."""
        resource_type, resource_id, account_id, vpc_id, service_name = resource
        return Finding(
            check_id=self.id,
            resource_type=resource_type,
            resource_id=resource_id,
            account_id=account_id,
            region=facts.region,
            vpc_id=vpc_id,
            service_name=service_name,
            severity=severity or self.severity,
            title=self.title,
            detail=detail,
            evidence=evidence,
            remediation=Remediation(self.remediation_action, self.automatic if automatic is None else automatic),
        )


def judged_policies(facts: Facts) -> Iterator[tuple[Endpoint, Policy]]:
    """The active endpoints whose policy the policy checks judge, each with its policy.

    Resource, ServiceNetwork and GatewayLoadBalancer endpoints take no endpoint policy. A service that says
    it does not support endpoint policies gives full access whatever the policy reads, so there is nothing
    to judge; a service the API did not describe (a partner service this account cannot list) is judged
    on the policy found.
    """
    for endpoint in facts.active_endpoints:
        policy = endpoint.policy
        if policy is None or not (endpoint.is_interface or endpoint.is_gateway):
            continue
        service = facts.service_of(endpoint)
        if service is not None and not service.policy_supported:
            continue
        yield endpoint, policy
