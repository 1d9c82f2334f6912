"""The checks, registered by their stable ids (README, "What it finds, and why").

A check is a pure function of the facts and the settings: no AWS call, no clock, no I/O. Each lives in the
module named after its id, with its scenarios in the module docstring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from vpce_guard.checks import (
    az_coverage,
    endpoint_idle,
    gateway_route_coverage,
    interface_where_gateway_serves,
    missing_baseline_endpoint,
    nacl_blocks_https,
    policy_any_principal,
    policy_any_resource,
    policy_foreign_principal,
    policy_wildcard_action,
    private_dns_disabled,
    s3_interface_bypasses_gateway,
    sg_https_blocked,
    sg_open_to_world,
    vpc_dns_disabled,
)
from vpce_guard.checks.base import Check, CheckSettings
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding

CHECKS: Mapping[str, Check] = {
    module.CHECK.id: module.CHECK
    for module in (
        private_dns_disabled,
        vpc_dns_disabled,
        policy_any_principal,
        policy_wildcard_action,
        policy_foreign_principal,
        az_coverage,
        sg_https_blocked,
        sg_open_to_world,
        gateway_route_coverage,
        missing_baseline_endpoint,
        policy_any_resource,
        nacl_blocks_https,
        s3_interface_bypasses_gateway,
        interface_where_gateway_serves,
        endpoint_idle,
    )
}


def select_checks(check_ids: Iterable[str] | None = None) -> tuple[Check, ...]:
    """The checks named (all when none are); an unknown id is an error that lists the known ones."""
    if check_ids is None:
        return tuple(CHECKS.values())
    ids = tuple(check_ids)
    unknown = [check_id for check_id in ids if check_id not in CHECKS]
    if unknown:
        raise ValueError(f"unknown check id(s): {', '.join(unknown)}; known: {', '.join(CHECKS)}")
    return tuple(CHECKS[check_id] for check_id in ids)


def run_checks(facts: Facts, settings: CheckSettings, checks: Iterable[Check] | None = None) -> list[Finding]:
    findings = [
        finding
        for check in (tuple(checks) if checks is not None else CHECKS.values())
        for finding in check.evaluate(facts, settings)
    ]
    return sorted(findings, key=lambda finding: finding.sort_key)


__all__ = ["CHECKS", "Check", "CheckSettings", "run_checks", "select_checks"]
