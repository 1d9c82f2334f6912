"""What every check shares: its declaration (id, severity, title, remediation) and the settings it reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from vpce_guard.catalog import BaselineEntry, load_catalog
from vpce_guard.facts import Endpoint, Facts, Vpc
from vpce_guard.findings import ENDPOINT_RESOURCE, VPC_RESOURCE, Finding, Remediation, Severity


@dataclass(frozen=True)
class CheckSettings:
    """Who counts as ours and what every VPC should have.

    ``trusted_accounts`` and ``org_ids`` widen "ours" beyond the endpoint owner's own account;
    ``baseline`` is the list of endpoints every private VPC should have (seed 002's production minimum).
    """

    trusted_accounts: frozenset[str] = frozenset()
    org_ids: frozenset[str] = frozenset()
    baseline: tuple[BaselineEntry, ...] = field(default_factory=lambda: load_catalog().baseline)


Evaluator = Callable[[Facts, CheckSettings], Iterator[Finding]]


@dataclass(frozen=True)
class Check:
    id: str
    severity: Severity
    title: str
    remediation_action: str
    automatic: bool
    evaluate: Evaluator = field(repr=False, compare=False)

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
        return Finding(
            check_id=self.id,
            resource_type=ENDPOINT_RESOURCE,
            resource_id=endpoint.id,
            account_id=endpoint.owner_id,
            region=facts.region,
            vpc_id=endpoint.vpc_id,
            service_name=endpoint.service_name,
            severity=severity or self.severity,
            title=self.title,
            detail=detail,
            evidence=evidence,
            remediation=Remediation(self.remediation_action, self.automatic if automatic is None else automatic),
        )

    def vpc_finding(self, facts: Facts, vpc: Vpc, detail: str, evidence: Mapping[str, Any]) -> Finding:
        return Finding(
            check_id=self.id,
            resource_type=VPC_RESOURCE,
            resource_id=vpc.id,
            account_id=vpc.owner_id,
            region=facts.region,
            vpc_id=vpc.id,
            service_name=None,
            severity=self.severity,
            title=self.title,
            detail=detail,
            evidence=evidence,
            remediation=Remediation(self.remediation_action, self.automatic),
        )
