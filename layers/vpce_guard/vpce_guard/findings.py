"""The finding: the one JSON shape every interface speaks."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import msgspec


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
# Where the README explains each check, for a reader who has no link to it.
README_SECTION = 'README.md, "What it finds, and why"'


class Remediation(msgspec.Struct, frozen=True):
    action: str
    automatic: bool

    @property
    def text(self) -> str:
        """What becomes of a finding with this remediation, as the reports say it."""
        if self.automatic:
            return f"{self.action}: enforce mode makes the change where it is safe, else opens a ticket."
        return f"{self.action}: a ticket; vpce-guard never changes it automatically."


class Finding(msgspec.Struct, frozen=True):
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
    evidence: Mapping[str, Any] = msgspec.field(default_factory=dict)
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

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Finding:
        """A finding from its JSON shape (``to_dict``), as the state table keeps it."""
        remediation = raw["remediation"]
        return cls(
            check_id=raw["check_id"],
            resource_type=raw["resource_type"],
            resource_id=raw["resource_id"],
            account_id=raw["account_id"],
            region=raw["region"],
            vpc_id=raw["vpc_id"],
            service_name=raw["service_name"],
            severity=Severity(raw["severity"]),
            title=raw["title"],
            detail=raw["detail"],
            evidence=dict(raw["evidence"]),
            remediation=Remediation(remediation["action"], bool(remediation["automatic"])),
        )

    @property
    def sort_key(self) -> tuple[str, str, int, str]:
        return (self.vpc_id, self.resource_id, -self.severity.rank, self.check_id)


class Problem(msgspec.Struct, frozen=True):
    """Something that kept a check from judging a resource; reported, never read as "no finding"."""

    resource_id: str
    message: str
