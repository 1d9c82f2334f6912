"""Every check through the emulator over HTTP: the demo estate plants each field mistake next to correct
endpoints, and each resource must produce exactly the findings it was built to produce."""

from __future__ import annotations

import pytest

from vpce_guard.aws import AwsSession
from vpce_guard.checks import CHECKS, CheckSettings
from vpce_guard.findings import Finding
from vpce_guard.scan import scan_live
from vpce_guard.snapshot import Scope
from vpce_guard_local.demo import REGION, DemoEstate
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server


@pytest.fixture
def findings(aws_env: Emulator, demo_estate: DemoEstate) -> list[Finding]:
    return scan_live(AwsSession(REGION, endpoint_url=aws_env.url), Scope(REGION), CheckSettings()).findings


def test_each_planted_resource_gets_exactly_its_findings(demo_estate: DemoEstate, findings: list[Finding]) -> None:
    ok, report = demo_estate.verify(findings)

    assert ok, "\n".join(report)


def test_the_demo_estate_exercises_every_check(demo_estate: DemoEstate) -> None:
    planted = set().union(*(resource.expected for resource in demo_estate.resources))

    assert planted == set(CHECKS)


def test_findings_carry_account_region_and_vpc(findings: list[Finding]) -> None:
    assert {(finding.account_id, finding.region) for finding in findings} == {("123456789012", REGION)}
    assert all(finding.vpc_id.startswith("vpc-") for finding in findings)


def test_a_check_subset_reports_only_those_checks(aws_env: Emulator, demo_estate: DemoEstate) -> None:
    result = scan_live(
        AwsSession(REGION, endpoint_url=aws_env.url),
        Scope(REGION),
        CheckSettings(),
        checks=[CHECKS["az-coverage"], CHECKS["sg-open-to-world"]],
    )

    assert {finding.check_id for finding in result.findings} == {"az-coverage", "sg-open-to-world"}


def test_trusting_the_partner_account_silences_the_foreign_principal(
    aws_env: Emulator, demo_estate: DemoEstate
) -> None:
    result = scan_live(
        AwsSession(REGION, endpoint_url=aws_env.url),
        Scope(REGION),
        CheckSettings(trusted_accounts=frozenset({"999988887777"})),
        checks=[CHECKS["policy-foreign-principal"]],
    )

    assert result.findings == []
