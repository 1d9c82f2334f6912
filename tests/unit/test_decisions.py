"""Decisions: the configuration file, modes per check, exemptions by tag, dry-run and the change budget."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from vpce_guard.decisions import ConfigError, GuardConfig, Mode, decide, exemption_of
from vpce_guard.findings import ENDPOINT_RESOURCE, Finding, Remediation, Severity

TODAY = date(2026, 11, 22)


def finding(check_id: str = "private-dns-disabled", resource_id: str = "vpce-1", automatic: bool = True) -> Finding:
    return Finding(
        check_id=check_id, resource_type=ENDPOINT_RESOURCE, resource_id=resource_id, account_id="111122223333",
        region="us-east-1", vpc_id="vpc-1", service_name=None, severity=Severity.HIGH, title="t", detail="d",
        remediation=Remediation("enable-private-dns", automatic),
    )  # fmt: skip


def test_every_key_is_optional_and_nothing_is_enforced_by_default() -> None:
    config = GuardConfig.from_toml("")

    assert (config.mode("private-dns-disabled"), config.dry_run, config.change_budget) == (Mode.TICKET, False, 10)


def test_the_file_sets_modes_budget_dry_run_and_what_counts_as_ours(tmp_path: Path) -> None:
    path = tmp_path / "vpce-guard.toml"
    path.write_text(
        'dry_run = true\nchange_budget = 3\norg_id = "o-a1b2c3d4e5"\ntrusted_accounts = ["444455556666"]\n'
        'baseline = ["s3", "sts"]\n[modes]\nprivate-dns-disabled = "enforce"\naz-coverage = "off"\n'
    )

    config = GuardConfig.load(path)

    assert config.mode("private-dns-disabled") is Mode.ENFORCE
    assert (config.dry_run, config.change_budget) == (True, 3)
    assert (config.settings.org_ids, config.settings.trusted_accounts) == ({"o-a1b2c3d4e5"}, {"444455556666"})
    assert [entry.service for entry in config.settings.baseline] == ["s3", "sts"]
    assert "az-coverage" not in config.enabled_checks


def test_every_problem_of_a_bad_file_is_listed() -> None:
    text = 'colour = "blue"\nchange_budget = -1\n[modes]\nno-such-check = "enforce"\nsg-open-to-world = "fix"\n'

    with pytest.raises(ConfigError) as error:
        GuardConfig.from_toml(text, "vpce-guard.toml")

    message = str(error.value)
    assert all(part in message for part in ("'colour'", "change_budget", "no-such-check", "sg-open-to-world"))


def test_creating_endpoints_cannot_be_enforced() -> None:
    with pytest.raises(ConfigError, match="costs money"):
        GuardConfig.from_toml('[modes]\nmissing-baseline-endpoint = "enforce"\n')


def test_text_that_is_not_toml_is_an_error() -> None:
    with pytest.raises(ConfigError, match="is not TOML"):
        GuardConfig.from_toml("modes = [", "ssm:/vpce-guard/config")


@pytest.mark.parametrize(
    ("value", "check_id", "covered"),
    [
        ("all", "az-coverage", True),
        ("az-coverage sg-open-to-world", "sg-open-to-world", True),
        ("az-coverage,sg-open-to-world", "private-dns-disabled", False),
        ("all until=2026-12-31", "az-coverage", True),
        ("all until=2026-11-21", "az-coverage", False),
    ],
    ids=["all", "listed", "not-listed", "not-expired", "expired"],
)
def test_exemption_tag(value: str, check_id: str, covered: bool) -> None:
    exemption = exemption_of({"vpce-guard:exempt": value})

    assert exemption is not None
    assert exemption.covers(check_id, TODAY) is covered


@pytest.mark.parametrize("value", ["", "until=2026-12-31", "all until=2026-02-30"])
def test_an_unreadable_exemption_exempts_nothing(value: str) -> None:
    assert exemption_of({"vpce-guard:exempt": value}) is None


def test_decisions_follow_modes_and_exemptions() -> None:
    config = GuardConfig.from_toml('[modes]\nprivate-dns-disabled = "enforce"\naz-coverage = "off"\n')
    findings = [finding(), finding(resource_id="vpce-2"), finding("az-coverage")]

    decisions = decide(findings, config, {"vpce-2": {"vpce-guard:exempt": "all"}}, TODAY)

    assert [(d.finding.resource_id, d.mode, d.exempt, d.remediate) for d in decisions] == [
        ("vpce-1", Mode.ENFORCE, False, True),
        ("vpce-2", Mode.ENFORCE, True, False),
    ]


def test_a_finding_marked_not_automatic_is_never_remediated() -> None:
    config = GuardConfig.from_toml('[modes]\nprivate-dns-disabled = "enforce"\n')

    (decision,) = decide([finding(automatic=False)], config, {}, TODAY)

    assert decision.remediate is False
