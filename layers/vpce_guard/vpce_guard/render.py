"""How findings, state records, changes and sweeps are shown: JSON for machines (findings in the README's
shape), grouped tables for people."""

from __future__ import annotations

import dataclasses
import json
import shutil
import textwrap
from collections import Counter
from collections.abc import Sequence
from itertools import groupby
from typing import Any

from vpce_guard.findings import Finding, Severity
from vpce_guard.remediation.model import Plan, TicketOnly
from vpce_guard.state import ChangeRecord, Record
from vpce_guard.sweep import JobResult


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


def records_json(records: Sequence[Record]) -> str:
    return json.dumps([record.to_dict() for record in records], indent=2)


def records_table(records: Sequence[Record]) -> str:
    """The state table for people: one line per record, grouped by account and region."""
    if not records:
        return "No findings recorded."
    lines: list[str] = []
    for (account_id, region), in_region in groupby(records, key=lambda r: (r.account_id, r.region)):
        lines.append(f"account {account_id}, {region}")
        for record in in_region:
            lines.append(
                f"  {record.status.value:<9} {record.severity:<8} {record.check_id:<26} {record.resource_id:<24} "
                f"{record.vpc_id:<22} first seen {record.first_seen}, last {record.last_seen}"
            )
        lines.append("")
    unresolved = sum(1 for record in records if not record.status.is_closed)
    lines.append(f"{len(records)} records: {unresolved} unresolved")
    return "\n".join(lines)


def changes_json(changes: Sequence[ChangeRecord]) -> str:
    return json.dumps([change.to_dict() for change in changes], indent=2)


def changes_table(changes: Sequence[ChangeRecord]) -> str:
    """Recorded changes, newest first: what was changed, why, and how it ended."""
    if not changes:
        return "No changes recorded."
    lines = []
    for change in changes:
        lines.append(
            f"{change.change_id}  {change.status:<11} {change.check_id:<26} {change.resource_id:<24} "
            f"account {change.account_id}, {change.region}"
        )
        lines.extend(f"    {call}" for call in change.calls)
        if change.error:
            lines.append(f"    {change.error}")
    return "\n".join(lines)


def sweep_results_json(results: Sequence[JobResult]) -> str:
    return json.dumps([dataclasses.asdict(result) for result in results], indent=2)


def sweep_results_table(results: Sequence[JobResult]) -> str:
    """A sweep's outcome for people: one line per account and region, the failed ones with their error."""
    if not results:
        return "No sweep recorded."
    lines = [f"sweep {results[0].sweep_id}"]
    for result in results:
        if result.done:
            figures = f"{result.findings} findings, {result.state_writes} state writes, {result.api_calls} API calls"
        else:
            figures = result.error or f"queued {result.updated_at}"
        lines.append(
            f"  {result.account_id} {result.region:<15} {result.status:<7} attempt {result.attempt}  {figures}"
        )
    done = sum(1 for result in results if result.done)
    failed = sum(1 for result in results if result.failed)
    lines.append(
        f"{len(results)} account-region(s): {done} done, {failed} failed, {len(results) - done - failed} pending"
    )
    return "\n".join(lines)


def policy_preview_json(endpoint_id: str, outcome: Plan | TicketOnly | None) -> str:
    """What enforce mode would do to one endpoint's policy, as JSON: ``decision`` is ``rewrite`` (the change
    would be made), ``ticket`` (it would not: ``reason`` says why) or ``none`` (no policy finding)."""
    return json.dumps(_policy_preview(endpoint_id, outcome), indent=2)


def policy_preview_text(endpoint_id: str, outcome: Plan | TicketOnly | None) -> str:
    """The same for a person: the decision, the current and proposed policies, every request whose outcome
    changes, and the CloudTrail evidence read."""
    preview = _policy_preview(endpoint_id, outcome)
    lines = [f"{endpoint_id}: {_DECISIONS[preview['decision']]}"]
    if preview.get("reason"):
        lines.append(f"  why: {preview['reason']}")
    for title, key in (("current policy", "current"), ("proposed policy", "proposed")):
        if key in preview:
            lines += [f"{title}:", textwrap.indent(json.dumps(preview[key], indent=2), "  ")]
    judgement = preview.get("judgement")
    if judgement:
        lines.append(f"requests judged: {judgement['cases']}")
        for title, key in _SHIFTS:
            shifts = judgement[key]
            lines.append(f"{title}: {len(shifts)}")
            lines += [f"  - {s['caller']}: {s['action']} on {s['resource']}" for s in shifts]
    evidence = preview.get("evidence")
    if evidence:
        partial = ", cut short by the page cap" if evidence["partial"] else ""
        lines.append(f"CloudTrail, last {evidence['days']} days{partial}: {len(evidence['calls'])} caller-action(s)")
        lines += [f"  - {call['caller']}: {call['action']}" for call in evidence["calls"]]
        lines.append(f"  not visible there: {evidence['cannot_see']}")
    return "\n".join(lines)


_DECISIONS = {
    "rewrite": "enforce mode would rewrite the policy (no legitimate request loses access)",
    "ticket": "enforce mode would open a ticket and change nothing",
    "none": "no policy finding: the policy stays as it is",
}
_SHIFTS = (
    ("legitimate requests the rewrite would deny", "lost"),
    ("requests the rewrite would newly allow", "gained"),
    ("requests from outside the rewrite would deny", "refused"),
)


def _policy_preview(endpoint_id: str, outcome: Plan | TicketOnly | None) -> dict[str, Any]:
    if outcome is None:
        return {"endpoint_id": endpoint_id, "decision": "none"}
    preview = dict(outcome.preview or {})
    if isinstance(outcome, TicketOnly):
        return {"endpoint_id": endpoint_id, "decision": "ticket", "reason": outcome.reason, **preview}
    return {"endpoint_id": endpoint_id, "decision": "rewrite", "summary": outcome.summary, **preview}
