"""Decisions: the configuration file, modes per check, exemptions by tag, dry-run and the change budget."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from vpce_guard.checks import CHECKS
from vpce_guard.decisions import (
    DEFAULT_MAX_CHANGES_PER_HOUR,
    MAX_CHANGE_BUDGET,
    MAX_CHANGES_PER_HOUR,
    ConfigError,
    GuardConfig,
    Mode,
    decide,
)
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


def test_the_first_problem_of_a_bad_file_is_named_with_the_keys_there_are() -> None:
    text = 'colour = "blue"\nchange_budget = -1\n[modes]\nno-such-check = "enforce"\nsg-open-to-world = "fix"\n'

    with pytest.raises(ConfigError) as error:
        GuardConfig.from_toml(text, "vpce-guard.toml")

    assert str(error.value).startswith(
        "vpce-guard.toml: (document): Object contains unknown field `colour`. "
        "Fix: remove or rename it; the keys are dry_run, change_budget, "
    )


def test_an_error_names_the_source_the_field_path_and_the_fix() -> None:
    with pytest.raises(ConfigError) as error:
        GuardConfig.from_toml(
            'trusted_accounts = ["111122223333", "12345"]\n', "SSM parameter /vpce-guard/configuration"
        )

    assert str(error.value) == (
        "SSM parameter /vpce-guard/configuration: "
        "trusted_accounts[1]: '12345' is not an AWS account id: an account id is exactly 12 digits. "
        'Fix: a list of 12-digit account ids in quotes, e.g. trusted_accounts = ["111122223333"]'
    )


def test_trusted_accounts_given_as_one_string_are_refused_not_read_as_its_digits() -> None:
    with pytest.raises(ConfigError, match=r"trusted_accounts: Expected `array`, got `str`"):
        GuardConfig.from_toml('trusted_accounts = "111122223333"\n')


@pytest.mark.parametrize("account", ["abc", "11112222333", "1111222233334", "\uff11" * 12])
def test_a_trusted_account_that_is_not_twelve_digits_is_refused(account: str) -> None:
    with pytest.raises(ConfigError, match=r"trusted_accounts\[0\]: .* is not an AWS account id"):
        GuardConfig.from_toml(f'trusted_accounts = ["{account}"]\n')


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("org_id = 5", r"Expected `str \| null`, got `int`"),
        ('org_id = "o-ABCDEFGHIJ"', "is not an organization id"),
        ('org_id = "o-abc"', "is not an organization id"),
        ('org_id = ""', "is not an organization id"),
    ],
    ids=["a-number", "upper-case", "too-short", "empty"],
)
def test_an_org_id_not_in_the_organizations_format_is_refused(line: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=f"org_id: .*{reason}.*Fix: the organization id in quotes"):
        GuardConfig.from_toml(line)


def test_modes_given_as_a_string_says_that_modes_is_a_table() -> None:
    with pytest.raises(ConfigError, match=r"modes: Expected `object`, got `str`\. Fix: a table: a line \[modes\]"):
        GuardConfig.from_toml('modes = "enforce"\n')


@pytest.mark.parametrize(
    "line",
    ["change_budget = 101", "change_budget = -1", "change_budget = 2.0", 'change_budget = "3"', "change_budget = true"],
)
def test_the_change_budget_is_a_whole_number_up_to_the_cap(line: str) -> None:
    with pytest.raises(
        ConfigError, match=f"change_budget: .*Fix: a whole number of changes from 0 to {MAX_CHANGE_BUDGET}"
    ):
        GuardConfig.from_toml(line)


def test_the_cap_itself_is_a_valid_budget() -> None:
    assert GuardConfig.from_toml(f"change_budget = {MAX_CHANGE_BUDGET}").change_budget == MAX_CHANGE_BUDGET


@pytest.mark.parametrize(
    "line",
    [f"max_changes_per_hour = {MAX_CHANGES_PER_HOUR + 1}", "max_changes_per_hour = -1", 'max_changes_per_hour = "30"'],
)
def test_the_organization_wide_rate_of_changes_is_a_whole_number_up_to_the_cap(line: str) -> None:
    with pytest.raises(
        ConfigError, match=f"max_changes_per_hour: .*Fix: a whole number of changes from 0 to {MAX_CHANGES_PER_HOUR}"
    ):
        GuardConfig.from_toml(line)


def test_the_organization_wide_rate_of_changes_is_thirty_an_hour_unless_set() -> None:
    assert (GuardConfig.from_toml("").max_changes_per_hour, DEFAULT_MAX_CHANGES_PER_HOUR) == (30, 30)
    assert GuardConfig.from_toml(f"max_changes_per_hour = {MAX_CHANGES_PER_HOUR}").max_changes_per_hour == 500


@pytest.mark.parametrize(("line", "given"), [('dry_run = "true"', "str"), ("dry_run = 1", "int")])
def test_dry_run_is_true_or_false_only(line: str, given: str) -> None:
    with pytest.raises(ConfigError, match=f"dry_run: Expected `bool`, got `{given}`"):
        GuardConfig.from_toml(line)


def test_an_unknown_baseline_service_is_refused() -> None:
    with pytest.raises(ConfigError, match="baseline: unknown baseline service"):
        GuardConfig.from_toml('baseline = ["s3", "s4"]\n')


def test_a_file_that_is_not_utf8_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "vpce-guard.toml"
    path.write_bytes('org_id = "o-a1b2c3d4e5"\n'.encode("utf-16"))

    with pytest.raises(ConfigError, match=r"vpce-guard\.toml is not UTF-8"):
        GuardConfig.load(path)


def test_creating_endpoints_cannot_be_enforced() -> None:
    with pytest.raises(ConfigError, match="costs money"):
        GuardConfig.from_toml('[modes]\nmissing-baseline-endpoint = "enforce"\n')


def test_ticket_only_checks_cannot_be_enforced_and_each_refusal_says_why() -> None:
    text = (
        '[modes]\nmissing-baseline-endpoint = "enforce"\nnacl-blocks-https = "enforce"\n'
        'interface-where-gateway-serves = "enforce"\n'
    )

    with pytest.raises(ConfigError) as refused:
        GuardConfig.from_toml(text)

    assert "missing-baseline-endpoint cannot be enforced (creating endpoints costs money)" in str(refused.value)
    assert "nacl-blocks-https cannot be enforced (a network ACL is shared by subnets" in str(refused.value)
    assert "interface-where-gateway-serves cannot be enforced (endpoints are never created or deleted" in str(
        refused.value
    )
    assert GuardConfig.from_toml('[modes]\nnacl-blocks-https = "ticket"\n').mode("nacl-blocks-https") is Mode.TICKET


def test_text_that_is_not_toml_is_an_error() -> None:
    with pytest.raises(ConfigError, match="is not TOML"):
        GuardConfig.from_toml("modes = [", "ssm:/vpce-guard/config")


def test_decisions_follow_modes_and_exemptions() -> None:
    config = GuardConfig.from_toml('[modes]\nprivate-dns-disabled = "enforce"\naz-coverage = "off"\n')
    findings = [finding(), finding(resource_id="vpce-2"), finding("az-coverage")]

    decisions = decide(findings, config, {"vpce-2": {"vpce-guard:exempt": "all until=2026-12-31"}}, TODAY)

    assert [(d.finding.resource_id, d.mode, d.exempt, d.remediate) for d in decisions] == [
        ("vpce-1", Mode.ENFORCE, False, True),
        ("vpce-2", Mode.ENFORCE, True, False),
    ]


def test_a_finding_marked_not_automatic_is_never_remediated() -> None:
    config = GuardConfig.from_toml('[modes]\nprivate-dns-disabled = "enforce"\n')

    (decision,) = decide([finding(automatic=False)], config, {}, TODAY)

    assert decision.remediate is False


# The functions' configuration: the stack's organization, and held when in doubt ------------------------------

STACK_ORG = "o-a1b2c3d4e5"
ENFORCE = '[modes]\nprivate-dns-disabled = "enforce"\nsg-open-to-world = "notify"\naz-coverage = "off"\n'


def test_the_functions_judge_with_the_stacks_organization_when_the_configuration_names_none() -> None:
    config = GuardConfig.for_stack(ENFORCE, "SSM parameter /p", STACK_ORG)

    assert (config.held_because, config.settings.org_ids) == (None, {STACK_ORG})
    assert config.mode("private-dns-disabled") is Mode.ENFORCE


def test_a_configuration_naming_the_stacks_organization_is_not_held() -> None:
    config = GuardConfig.for_stack(f'org_id = "{STACK_ORG}"\n{ENFORCE}', "SSM parameter /p", STACK_ORG)

    assert config.held_because is None


@pytest.mark.parametrize("stack_org", [STACK_ORG, ""], ids=["another-organization", "a-single-account-stack"])
def test_a_configuration_naming_another_organization_is_held_and_judged_with_the_stacks(stack_org: str) -> None:
    config = GuardConfig.for_stack(f'org_id = "o-zzzzzzzzzz"\n{ENFORCE}', "SSM parameter /p", stack_org)

    assert config.held_because is not None
    assert "SSM parameter /p: org_id o-zzzzzzzzzz is not the stack's organization" in config.held_because
    assert config.settings.org_ids == ({stack_org} if stack_org else set())


def test_an_invalid_configuration_is_held_with_the_defaults_and_the_stacks_organization() -> None:
    config = GuardConfig.for_stack(f'trusted_accounts = "111122223333"\n{ENFORCE}', "SSM parameter /p", STACK_ORG)

    assert config.held_because is not None
    assert config.held_because.startswith("SSM parameter /p: trusted_accounts: Expected `array`, got `str`")
    assert (config.settings.org_ids, config.settings.trusted_accounts) == ({STACK_ORG}, set())
    assert config.enabled_checks == tuple(CHECKS)


def test_text_that_is_not_toml_is_held() -> None:
    config = GuardConfig.for_stack("modes = [", "SSM parameter /p", "")

    assert config.held_because is not None
    assert "is not TOML" in config.held_because


def test_a_held_configuration_tickets_what_it_would_enforce_and_keeps_the_other_modes() -> None:
    config = GuardConfig.for_stack(f'org_id = "o-zzzzzzzzzz"\n{ENFORCE}', "SSM parameter /p", STACK_ORG)

    assert [config.mode(c) for c in ("private-dns-disabled", "sg-open-to-world", "az-coverage")] == [
        Mode.TICKET,
        Mode.NOTIFY,
        Mode.OFF,
    ]


def test_nothing_is_remediated_under_a_held_configuration() -> None:
    config = GuardConfig.for_stack(f'org_id = "o-zzzzzzzzzz"\n{ENFORCE}', "SSM parameter /p", STACK_ORG)

    (decision,) = decide([finding()], config, {}, TODAY)

    assert (decision.mode, decision.remediate) == (Mode.TICKET, False)


def test_partner_resources_are_resource_arns_our_principals_may_reach() -> None:
    config = GuardConfig.from_toml('partner_resources = ["arn:aws:s3:::partner-exchange/*"]\n')

    assert config.settings.partner_resources == frozenset({"arn:aws:s3:::partner-exchange/*"})


@pytest.mark.parametrize("value", ["partner-exchange", "arn:aws:s3:::*", "arn:other:s3:::bucket"])
def test_a_partner_resource_that_is_not_a_resource_arn_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="partner_resources"):
        GuardConfig.from_toml(f'partner_resources = ["{value}"]\n')


def test_an_idle_endpoint_cannot_be_enforced_since_endpoints_are_never_deleted() -> None:
    with pytest.raises(ConfigError, match=r"endpoint-idle cannot be enforced \(endpoints are never deleted"):
        GuardConfig.from_toml('[modes]\nendpoint-idle = "enforce"\n')


def test_the_traffic_window_is_two_weeks_unless_set() -> None:
    assert GuardConfig.from_toml("").settings.traffic_days == 14
    assert GuardConfig.from_toml("traffic_days = 30").settings.traffic_days == 30


@pytest.mark.parametrize(
    "line", ["traffic_days = 0", "traffic_days = 456", 'traffic_days = "14"', "traffic_days = 1.5"]
)
def test_the_traffic_window_is_a_whole_number_of_days_cloudwatch_still_holds(line: str) -> None:
    with pytest.raises(ConfigError, match=r"traffic_days: .*Fix: a whole number of days from 1 to 455"):
        GuardConfig.from_toml(line)


def test_cloudwatchs_hourly_retention_itself_is_a_valid_traffic_window() -> None:
    assert GuardConfig.from_toml("traffic_days = 455").settings.traffic_days == 455


def test_the_file_gives_a_regions_prices_for_vpce_guard_cost() -> None:
    config = GuardConfig.from_toml("[prices.eu-west-1]\ninterface_endpoint_zone_hour = 0.011\nnat_gateway_gb = 0\n")

    (override,) = config.prices.values()
    assert list(config.prices) == ["eu-west-1"]
    assert (override.interface_endpoint_zone_hour, override.nat_gateway_gb, override.interface_endpoint_gb) == (
        0.011,
        0.0,
        None,
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "[prices.eu-west-9]\ninterface_endpoint_gb = 0.01\n",
            "prices.eu-west-9: 'eu-west-9' is not a known AWS region",
        ),
        (
            "[prices.eu-west-1]\ninterface_gb = 0.01\n",
            r"prices.eu-west-1: Object contains unknown field `interface_gb`. .* the keys are ",
        ),
        ("[prices.eu-west-1]\ninterface_endpoint_gb = -0.01\n", r"prices.eu-west-1.interface_endpoint_gb: .* >= 0"),
        (
            '[prices.eu-west-1]\ninterface_endpoint_gb = "0.01"\n',
            r"prices.eu-west-1.interface_endpoint_gb: Expected `float \| null`, got `str`",
        ),
    ],
    ids=["unknown-region", "unknown-price", "negative", "quoted"],
)
def test_a_wrong_price_is_refused_naming_it(text: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        GuardConfig.from_toml(text)
