"""A scan: collect (or load) the facts of one account and region, run the checks, report.

The same path serves the CLI, the Lambdas and the benchmarks; only where the snapshot comes from differs.
A single policy document is scanned as the policy of a new endpoint (``vpce-guard check-policy``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from vpce_guard.aws import AwsSession
from vpce_guard.catalog import parse_service_name
from vpce_guard.checks import (
    Check,
    CheckSettings,
    policy_any_principal,
    policy_foreign_principal,
    policy_wildcard_action,
    run_checks,
)
from vpce_guard.collect import Progress, ServiceDetailsCache, collect_snapshot
from vpce_guard.facts import Endpoint, Facts, build_facts
from vpce_guard.findings import Finding, Problem
from vpce_guard.policy import parse_policy
from vpce_guard.snapshot import Scope, Snapshot

POLICY_UNDER_TEST = "policy-under-test"


@dataclass(frozen=True)
class ScanResult:
    snapshot: Snapshot
    facts: Facts
    findings: list[Finding]
    problems: tuple[Problem, ...] = field(default=())


def scan_snapshot(snapshot: Snapshot, settings: CheckSettings, checks: Iterable[Check] | None = None) -> ScanResult:
    facts = build_facts(snapshot)
    return ScanResult(snapshot, facts, run_checks(facts, settings, checks), facts.problems)


def scan_live(
    session: AwsSession,
    scope: Scope,
    settings: CheckSettings,
    checks: Iterable[Check] | None = None,
    progress: Progress | None = None,
    service_details: ServiceDetailsCache | None = None,
) -> ScanResult:
    return scan_snapshot(collect_snapshot(session, scope, progress, service_details), settings, checks)


def scan_policy_document(
    document: str,
    service_name: str,
    owner_account: str,
    settings: CheckSettings,
    region: str | None = None,
    endpoint_type: str = "Interface",
) -> list[Finding]:
    """The policy checks' findings on one document, judged as the policy of a new endpoint of
    ``service_name`` owned by ``owner_account`` (``vpce-guard check-policy``: review a policy before it is
    attached). The region defaults to the service name's.

    Raises PolicyError for a document that cannot be read.
    """
    policy = parse_policy(document)
    ref = parse_service_name(service_name)
    endpoint = Endpoint(
        id=POLICY_UNDER_TEST,
        vpc_id="",
        owner_id=owner_account,
        type=endpoint_type,
        service_name=service_name,
        state="available",
        private_dns_enabled=False,
        policy=policy,
    )
    if not (endpoint.is_interface or endpoint.is_gateway):
        raise ValueError(f"a {endpoint_type} endpoint takes no endpoint policy; use Interface or Gateway")
    facts = Facts(region=region or (ref.region if ref else ""), endpoints=(endpoint,))
    checks = (policy_any_principal.CHECK, policy_wildcard_action.CHECK, policy_foreign_principal.CHECK)
    return run_checks(facts, settings, checks)
