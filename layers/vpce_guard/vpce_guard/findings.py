"""The finding: the one JSON shape every interface speaks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


ENDPOINT_RESOURCE = "AWS::EC2::VPCEndpoint"
VPC_RESOURCE = "AWS::EC2::VPC"
# The README's heading over the checks table ("What it finds, and why"), as GitHub anchors it: where every
# output that links a finding to its explanation points.
CHECKS_ANCHOR = "what-it-finds-and-why"


@dataclass(frozen=True)
class Remediation:
    action: str
    automatic: bool


@dataclass(frozen=True)
class Finding:
    check_id: str
    resource_type: str
    resource_id: str
    account_id: str
    region: str
    vpc_id: str
    service_name: str | None
    severity: Severity
    title: str
    detail: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remediation: Remediation = Remediation(action="none", automatic=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "account_id": self.account_id,
            "region": self.region,
            "vpc_id": self.vpc_id,
            "service_name": self.service_name,
            "severity": self.severity.value,
            "title": self.title,
            "detail": self.detail,
            "evidence": dict(self.evidence),
            "remediation": {"action": self.remediation.action, "automatic": self.remediation.automatic},
        }

    @property
    def sort_key(self) -> tuple[str, str, int, str]:
        return (self.vpc_id, self.resource_id, -self.severity.rank, self.check_id)


@dataclass(frozen=True)
class Problem:
    """Something that kept a check from judging a resource; reported, never read as "no finding"."""

    resource_id: str
    message: str
