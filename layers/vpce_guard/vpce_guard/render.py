"""How findings, state records, changes and sweeps are shown: JSON for machines (findings in the README's
shape), grouped tables for people."""

from __future__ import annotations

import csv
import io
import json
import shutil
import textwrap
from collections import Counter
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import Any

import msgspec

from vpce_guard.catalog import parse_service_name
from vpce_guard.cost import ASSUMPTIONS, BYTES_PER_GB, HOURS_PER_MONTH, CostReport, EndpointCost, Totals
from vpce_guard.decisions import PRICE_NAMES
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
    return json.dumps([msgspec.structs.asdict(result) for result in results], indent=2)


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


def cost_json(report: CostReport) -> str:
    """The cost report for machines: the window, the assumptions and prices used (with their dates and
    sources), every endpoint's month and the totals per VPC, account, region and organization, in USD."""
    window = report.window
    return json.dumps(
        {
            "month_hours": HOURS_PER_MONTH,
            "bytes_per_gb": BYTES_PER_GB,
            "window": {**window.to_dict(), "days": window.days},
            "assumptions": list(ASSUMPTIONS),
            "prices": {region: msgspec.to_builtins(prices) for region, prices in sorted(report.prices.items())},
            "endpoints": [_endpoint_cost(row) for row in report.rows],
            "totals": {
                "vpcs": [
                    {"account_id": account, "region": region, "vpc_id": vpc, **_totals(totals)}
                    for (account, region, vpc), totals in report.by_vpc
                ],
                "accounts": [{"account_id": account, **_totals(totals)} for (account,), totals in report.by_account],
                "regions": [{"region": region, **_totals(totals)} for (region,), totals in report.by_region],
                "organization": _totals(report.organization),
            },
        },
        indent=2,
    )


_CSV_COLUMNS = (
    "row", "account_id", "region", "vpc_id", "endpoint_id", "service_name", "endpoint_type", "zones",
    "bytes_processed", "hours_usd", "data_usd", "total_usd", "nat_usd", "would_save_usd", "would_save_up_to_usd",
    "would_save_checks",
)  # fmt: skip


def cost_csv(report: CostReport) -> str:
    """One row per endpoint, then one per VPC, account and region total and the organization's (``row`` says
    which); amounts a month in USD."""
    out = io.StringIO()
    writer = csv.DictWriter(out, _CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report.rows:
        saving = row.saving
        writer.writerow(
            {
                "row": "endpoint",
                "account_id": row.account_id,
                "region": row.region,
                "vpc_id": row.vpc_id,
                "endpoint_id": row.endpoint_id,
                "service_name": row.service_name or "",
                "endpoint_type": row.endpoint_type,
                "zones": row.zones,
                "bytes_processed": "" if row.bytes_processed is None else f"{row.bytes_processed:.0f}",
                **_csv_money(row.hours_usd, row.data_usd, row.nat_usd),
                "would_save_usd": "" if saving is None or saving.up_to else f"{saving.usd:.4f}",
                "would_save_up_to_usd": "" if saving is None else f"{saving.usd:.4f}",
                "would_save_checks": " ".join(item.check_id for item in row.savings),
            }
        )
    groups = [
        *(("vpc", {"account_id": a, "region": r, "vpc_id": v}, totals) for (a, r, v), totals in report.by_vpc),
        *(("account", {"account_id": a}, totals) for (a,), totals in report.by_account),
        *(("region", {"region": r}, totals) for (r,), totals in report.by_region),
        ("organization", {}, report.organization),
    ]
    for kind, where, totals in groups:
        writer.writerow(
            {
                "row": kind,
                **where,
                **_csv_money(totals.hours_usd, totals.data_usd, totals.nat_usd),
                "would_save_usd": f"{totals.would_save_usd:.4f}",
                "would_save_up_to_usd": f"{totals.would_save_up_to_usd:.4f}",
            }
        )
    return out.getvalue().rstrip("\n")


def cost_table(report: CostReport) -> str:
    """The cost report for people: per VPC its endpoints and their month, with a total line per VPC, account
    and region and the organization's, then the prices and how they were counted."""
    window = report.window
    lines = [
        f"What the VPC endpoints cost a month (USD): hours, and the data they processed from "
        f"{window.start:%Y-%m-%d %H:%M} to {window.end:%Y-%m-%d %H:%M} UTC ({window.days:g} days) scaled to a "
        f"month of {HOURS_PER_MONTH} hours.",
        "",
        f"  {'endpoint':<22} {'service':<28} {'zones':>5} {'hours':>9} {'GB read':>10} {'data':>8} {'total':>9} "
        f"{'via NAT':>8}  would save",
    ]
    if not report.rows:
        lines.append("No active interface or gateway endpoints.")
    for (account, region, vpc), vpc_totals in report.by_vpc:
        lines.append(f"{vpc}  (account {account}, {region})")
        for row in report.rows:
            if (row.account_id, row.region, row.vpc_id) == (account, region, vpc):
                lines.append(_cost_line(row))
        lines.append(_totals_line(f"  total of {vpc}", vpc_totals))
    lines.append("")
    for (account,), totals in report.by_account:
        lines.append(_totals_line(f"account {account}", totals))
    for (region,), totals in report.by_region:
        lines.append(_totals_line(f"region {region}", totals))
    lines.append(_totals_line("organization" if len(report.by_account) > 1 else "all", report.organization))
    lines += ["", "Prices:"]
    for region, prices in sorted(report.prices.items()):
        for name in PRICE_NAMES:
            price = getattr(prices, name)
            dated = f", dated {price.date}" if price.date else ""
            lines.append(f"  {region} {name.replace('_', ' ')}: ${price.usd:g} ({price.source}{dated})")
    lines += ["", "Counted as:", *(f"  - {assumption}" for assumption in ASSUMPTIONS)]
    return "\n".join(lines)


def _cost_line(row: EndpointCost) -> str:
    ref = parse_service_name(row.service_name)
    service = ref.key if ref is not None else row.service_name or "-"
    if row.endpoint_type != "Interface":
        service = f"{service} ({row.endpoint_type})"
    read = "-" if row.bytes_processed is None else f"{row.bytes_processed / BYTES_PER_GB:.3f}"
    nat = "-" if row.nat_usd is None else _cents(row.nat_usd)
    saving = row.saving
    saves = ""
    if saving is not None:
        checks = ", ".join(item.check_id for item in row.savings)
        saves = f"{'up to ' if saving.up_to else ''}{_cents(saving.usd)} ({checks})"
    zones = str(row.zones) if row.endpoint_type == "Interface" else "-"
    return (
        f"  {row.endpoint_id:<22} {service:<28} {zones:>5} {_cents(row.hours_usd):>9} {read:>10} "
        f"{_cents(row.data_usd):>8} {_cents(row.total_usd):>9} {nat:>8}  {saves}".rstrip()
    )


def _totals_line(label: str, totals: Totals) -> str:
    saves = _cents(totals.would_save_usd)
    if totals.would_save_up_to_usd > totals.would_save_usd:
        saves += f", up to {_cents(totals.would_save_up_to_usd)}"
    return (
        f"{label:<52} {_cents(totals.hours_usd):>14} {'':>10} {_cents(totals.data_usd):>8} "
        f"{_cents(totals.total_usd):>9} {_cents(totals.nat_usd):>8}  {saves}"
    )


def _cents(value: float) -> str:
    """Dollars to the cent, a half cent rounded up as a person rounds it (3.285 is 3.29, not 3.28)."""
    return str(Decimal(repr(_usd(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _endpoint_cost(row: EndpointCost) -> dict[str, Any]:
    saving = row.saving
    return {
        "account_id": row.account_id,
        "region": row.region,
        "vpc_id": row.vpc_id,
        "endpoint_id": row.endpoint_id,
        "service_name": row.service_name,
        "endpoint_type": row.endpoint_type,
        "zones": row.zones,
        "bytes_processed": row.bytes_processed,
        "monthly": {
            "hours_usd": _usd(row.hours_usd),
            "data_usd": _usd(row.data_usd),
            "total_usd": _usd(row.total_usd),
            "nat_usd": None if row.nat_usd is None else _usd(row.nat_usd),
        },
        "savings": [{"check_id": s.check_id, "usd": _usd(s.usd), "up_to": s.up_to} for s in row.savings],
        "would_save": None if saving is None else {"usd": _usd(saving.usd), "up_to": saving.up_to},
    }


def _totals(totals: Totals) -> dict[str, Any]:
    return {
        "endpoints": totals.endpoints,
        "hours_usd": _usd(totals.hours_usd),
        "data_usd": _usd(totals.data_usd),
        "total_usd": _usd(totals.total_usd),
        "nat_usd": _usd(totals.nat_usd),
        "would_save_usd": _usd(totals.would_save_usd),
        "would_save_up_to_usd": _usd(totals.would_save_up_to_usd),
    }


def _csv_money(hours: float, data: float, nat: float | None) -> dict[str, str]:
    return {
        "hours_usd": f"{hours:.4f}",
        "data_usd": f"{data:.4f}",
        "total_usd": f"{hours + data:.4f}",
        "nat_usd": "" if nat is None else f"{nat:.4f}",
    }


def _usd(value: float) -> float:
    """An amount without binary noise (0.1 + 0.2), to a millionth of a dollar."""
    return round(value, 6)
