"""A scan: collect (or load) the facts of one account and region, run the checks, report.

The same path serves the CLI, the Lambdas and the benchmarks; only where the snapshot comes from differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from vpce_guard.aws import AwsSession
from vpce_guard.checks import Check, CheckSettings, run_checks
from vpce_guard.collect import Progress, collect_snapshot
from vpce_guard.facts import build_facts
from vpce_guard.findings import Finding, Problem
from vpce_guard.snapshot import Scope, Snapshot


@dataclass(frozen=True)
class ScanResult:
    snapshot: Snapshot
    findings: list[Finding]
    problems: tuple[Problem, ...] = field(default=())


def scan_snapshot(snapshot: Snapshot, settings: CheckSettings, checks: Iterable[Check] | None = None) -> ScanResult:
    facts = build_facts(snapshot)
    return ScanResult(snapshot, run_checks(facts, settings, checks), facts.problems)


def scan_live(
    session: AwsSession,
    scope: Scope,
    settings: CheckSettings,
    checks: Iterable[Check] | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    return scan_snapshot(collect_snapshot(session, scope, progress), settings, checks)
