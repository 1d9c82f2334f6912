"""Every automatic remediation through the emulator over HTTP: a planted mistake is found, planned, applied and
verified; a fresh scan no longer reports it; the rollback restores the snapshot exactly and the mistake is
back. Each check's cycle runs once (a module fixture) and the tests below read its outcome."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from remediation_estates import Estate, Planted, rolled_back

from vpce_guard.aws import AwsSession
from vpce_guard.bucket_policies import read_bucket_policies
from vpce_guard.checks import CHECKS
from vpce_guard.decisions import DEFAULT_MAX_BUCKET_POLICIES
from vpce_guard.remediation.configuration import READ_PERMISSIONS, Configurations, read_configurations
from vpce_guard.remediation.executor import Applied, apply
from vpce_guard.remediation.plans import PERMISSIONS, Plan, plan_for
from vpce_guard.remediation.rollback import RESTORED, Restored
from vpce_guard.vocabulary import ChangeStatus
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

AUTOMATIC = tuple(check_id for check_id, check in CHECKS.items() if check.automatic)


@dataclass(frozen=True)
class Cycle:
    planted: Planted
    plan: Plan
    applied: Applied
    applying_calls: Counter[str]
    applying_actions: frozenset[str]
    cleared: bool
    restored: Restored
    restoring_actions: frozenset[str]
    configuration_restored: Configurations
    back: bool


@pytest.fixture(scope="module", params=AUTOMATIC)
def cycle(request: pytest.FixtureRequest, emulator: Emulator) -> Iterator[Cycle]:
    with pytest.MonkeyPatch.context() as environment:
        environment.delenv("AWS_PROFILE", raising=False)
        for name, value in emulator.client_environment().items():
            environment.setenv(name, value)
        emulator.reset()
        estate = Estate(emulator.client("ec2", REGION))
        planted = estate.plant(request.param)
        scanning = AwsSession(REGION, endpoint_url=emulator.url)
        finding, facts = estate.find(scanning, planted)
        plan = plan_for(
            finding, facts, bucket_policies=lambda: read_bucket_policies(scanning, DEFAULT_MAX_BUCKET_POLICIES)
        )
        assert isinstance(plan, Plan)
        applying = AwsSession(REGION, endpoint_url=emulator.url)
        emulator.clear_recorded_calls()
        applied = apply(applying, plan)
        applying_actions = frozenset(call.iam_action for call in emulator.recorded_calls())
        cleared = not estate.still_found(scanning, planted)
        emulator.clear_recorded_calls()
        restored = rolled_back(scanning, plan, applied, force=False)
        restoring_actions = frozenset(call.iam_action for call in emulator.recorded_calls())
        yield Cycle(
            planted,
            plan,
            applied,
            applying.counter.calls,
            applying_actions,
            cleared,
            restored,
            restoring_actions,
            read_configurations(scanning, plan.resources),
            estate.still_found(scanning, planted),
        )


def test_the_remediation_is_applied_and_verified(cycle: Cycle) -> None:
    assert (cycle.applied.status, cycle.applied.error) == (ChangeStatus.REMEDIATED, None)


def test_a_fresh_scan_no_longer_reports_the_finding(cycle: Cycle) -> None:
    assert cycle.cleared


def test_apply_makes_exactly_the_plans_calls(cycle: Cycle) -> None:
    mutating = Counter({name: count for name, count in cycle.applying_calls.items() if not name.startswith("Describe")})

    assert mutating == Counter(call.operation for call in cycle.plan.calls)
    assert cycle.applied.calls_made == cycle.plan.calls


def test_the_change_shows_between_before_and_after(cycle: Cycle) -> None:
    assert cycle.applied.before != cycle.applied.after
    assert set(cycle.applied.before) == {resource.id for resource in cycle.plan.resources}


def test_the_rollback_restores_the_snapshot_exactly(cycle: Cycle) -> None:
    assert (cycle.restored.status, cycle.restored.error) == (RESTORED, None)
    assert cycle.configuration_restored == cycle.applied.before


def test_the_rollback_brings_the_mistake_back(cycle: Cycle) -> None:
    assert cycle.back


def test_every_call_is_a_declared_permission(cycle: Cycle) -> None:
    declared = set(PERMISSIONS[cycle.plan.finding.remediation.action]) | set(READ_PERMISSIONS)

    assert cycle.applying_actions | cycle.restoring_actions <= declared
