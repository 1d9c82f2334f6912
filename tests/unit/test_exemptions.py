"""Exemptions by tag, governed: the ``vpce-guard:exempt`` tag must end (``until=``, within the configuration's
``exemption_max_days``); a tag that grants nothing says why on each finding it names, and leaves the finding to
people instead of remediating it."""

from __future__ import annotations

from datetime import date

import pytest

from vpce_guard.decisions import EXEMPT_TAG, ConfigError, GuardConfig, Mode, decide, exemption_of
from vpce_guard.findings import ENDPOINT_RESOURCE, Finding, Remediation, Severity
from vpce_guard.pipeline import status_of
from vpce_guard.vocabulary import Status

TODAY = date(2026, 11, 22)
ENFORCE = GuardConfig.from_toml('[modes]\nprivate-dns-disabled = "enforce"\n')


def finding(check_id: str = "private-dns-disabled") -> Finding:
    return Finding(
        check_id=check_id, resource_type=ENDPOINT_RESOURCE, resource_id="vpce-1", account_id="111122223333",
        region="us-east-1", vpc_id="vpc-1", service_name=None, severity=Severity.HIGH, title="t", detail="d",
        evidence={"private_dns_enabled": False}, remediation=Remediation("enable-private-dns", automatic=True),
    )  # fmt: skip


def covers(value: str, check_id: str, max_days: int = 90) -> bool:
    exemption = exemption_of({EXEMPT_TAG: value}, TODAY, max_days)
    assert exemption is not None
    return exemption.covers(check_id)


@pytest.mark.parametrize(
    ("value", "check_id", "covered"),
    [
        ("all until=2026-12-31", "az-coverage", True),
        ("az-coverage sg-open-to-world until=2026-12-31", "sg-open-to-world", True),
        ("az-coverage,sg-open-to-world,until=2026-12-31", "private-dns-disabled", False),
        ("all until=2026-11-22", "az-coverage", True),
        ("all until=2026-11-21", "az-coverage", False),
    ],
    ids=["all", "listed", "not-listed", "last-day", "expired"],
)
def test_a_tag_with_an_end_exempts_the_checks_it_names_until_then(value: str, check_id: str, covered: bool) -> None:
    assert covers(value, check_id) is covered


def test_a_resource_without_the_tag_has_no_exemption() -> None:
    assert exemption_of({"Name": "prod"}, TODAY, 90) is None


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("all", "the tag has no until=YYYY-MM-DD; an exemption must end within 90 days"),
        ("all until=2027-02-21", "until=2027-02-21 is more than 90 days ahead (exemption_max_days); set 2027-02-20"),
        ("all until=2026-11-21", "the exemption ended on 2026-11-21"),
        ("all until=2026-02-30", "until=2026-02-30 is not a date"),
        ("until=2026-12-31", "the tag names no check"),
        ("", "the tag names no check"),
    ],
    ids=["no-until", "beyond-the-cap", "expired", "not-a-date", "no-check", "empty"],
)
def test_a_tag_that_grants_nothing_says_why(value: str, why: str) -> None:
    exemption = exemption_of({EXEMPT_TAG: value}, TODAY, 90)

    assert exemption is not None
    assert (exemption.covers("private-dns-disabled"), exemption.refused is not None) == (False, True)
    assert exemption.refused is not None
    assert exemption.refused.startswith(why)


def test_the_cap_is_the_configurations_exemption_max_days() -> None:
    config = GuardConfig.from_toml("exemption_max_days = 30\n")

    assert config.exemption_max_days == 30
    assert covers("all until=2026-12-22", "az-coverage", config.exemption_max_days) is True
    assert covers("all until=2026-12-23", "az-coverage", config.exemption_max_days) is False


def test_the_cap_defaults_to_ninety_days() -> None:
    assert GuardConfig.from_toml("").exemption_max_days == 90


@pytest.mark.parametrize("value", ["0", "366", '"90"'])
def test_a_cap_outside_one_day_to_a_year_is_a_configuration_error(value: str) -> None:
    with pytest.raises(ConfigError, match=r"exemption_max_days: .*Fix: a whole number of days from 1 to 365"):
        GuardConfig.from_toml(f"exemption_max_days = {value}\n", "vpce-guard.toml")


def test_an_exempt_finding_records_the_tag_as_set() -> None:
    (decision,) = decide([finding()], ENFORCE, {"vpce-1": {EXEMPT_TAG: "all until=2026-12-31"}}, TODAY)

    assert (status_of(decision), decision.remediate) == (Status.EXEMPT, False)
    assert decision.finding.evidence == {
        "private_dns_enabled": False,
        "exemption": {"tag": EXEMPT_TAG, "value": "all until=2026-12-31", "until": "2026-12-31"},
    }


def test_an_enforced_finding_whose_tag_grants_nothing_is_ticketed_with_the_reason_not_remediated() -> None:
    (decision,) = decide([finding()], ENFORCE, {"vpce-1": {EXEMPT_TAG: "private-dns-disabled"}}, TODAY)

    assert (status_of(decision), decision.remediate, decision.exempt) == (Status.TICKETED, False, False)
    assert decision.finding.evidence["exemption"] == {
        "tag": EXEMPT_TAG,
        "value": "private-dns-disabled",
        "refused": "the tag has no until=YYYY-MM-DD; an exemption must end within 90 days",
    }


def test_a_refused_tag_in_notify_mode_keeps_the_mode_and_still_says_why() -> None:
    config = GuardConfig.from_toml('[modes]\nprivate-dns-disabled = "notify"\n')

    (decision,) = decide([finding()], config, {"vpce-1": {EXEMPT_TAG: "all"}}, TODAY)

    assert (decision.mode, status_of(decision)) == (Mode.NOTIFY, Status.OPEN)
    assert "refused" in decision.finding.evidence["exemption"]


def test_a_tag_naming_other_checks_leaves_the_finding_as_it_is() -> None:
    (decision,) = decide([finding()], ENFORCE, {"vpce-1": {EXEMPT_TAG: "az-coverage"}}, TODAY)

    assert (decision.remediate, decision.finding) == (True, finding())
