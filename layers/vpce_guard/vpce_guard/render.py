"""How findings are shown: JSON in the DESIGN.md shape for machines, a grouped table for people."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections import Counter
from collections.abc import Sequence
from itertools import groupby

from vpce_guard.findings import Finding, Severity


def findings_json(findings: Sequence[Finding]) -> str:
    return json.dumps([finding.to_dict() for finding in findings], indent=2)


def findings_table(findings: Sequence[Finding]) -> str:
    """Findings grouped by VPC, then by resource, most severe first."""
    if not findings:
        return "No findings."
    check_width = max(len(finding.check_id) for finding in findings)
    width = max(shutil.get_terminal_size((120, 24)).columns, 80)
    lines: list[str] = []
    for vpc_id, in_vpc in groupby(sorted(findings, key=lambda f: f.sort_key), key=lambda f: f.vpc_id):
        vpc_findings = list(in_vpc)
        first = vpc_findings[0]
        lines.append(f"{vpc_id}  (account {first.account_id}, {first.region})")
        for resource_id, on_resource in groupby(vpc_findings, key=lambda f: f.resource_id):
            resource_findings = list(on_resource)
            service = resource_findings[0].service_name
            lines.append(f"  {resource_id}  {service or '(the VPC itself)'}")
            for finding in resource_findings:
                prefix = f"    {finding.severity.value:<8} {finding.check_id:<{check_width}}  "
                wrapped = textwrap.wrap(finding.detail, width - len(prefix)) or [""]
                lines.append(prefix + wrapped[0])
                lines.extend(" " * len(prefix) + line for line in wrapped[1:])
        lines.append("")
    lines.append(severity_summary(findings))
    return "\n".join(lines)


def severity_summary(findings: Sequence[Finding]) -> str:
    counts = Counter(finding.severity for finding in findings)
    parts = [f"{counts[severity]} {severity.value}" for severity in reversed(Severity) if counts[severity]]
    noun = "finding" if len(findings) == 1 else "findings"
    return f"{len(findings)} {noun}" + (f": {', '.join(parts)}" if parts else "")
