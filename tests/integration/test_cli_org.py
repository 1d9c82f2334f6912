"""The command line across an organization, through the emulator: ``scan --all-accounts`` from the management
account's workstation, ``findings`` and ``changes`` filtered by account and region."""

from __future__ import annotations

import json

import pytest
from evaluation_clock import Clock
from org_support import ACTOR, Hub, created

from vpce_guard.cli import main
from vpce_guard.decisions import GuardConfig
from vpce_guard.pipeline import Pipeline
from vpce_guard.state import StateStore
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

ACCESS_ROLE = "OrganizationAccountAccessRole"  # what Organizations creates in the accounts it creates
OTHER_REGION = "eu-west-1"


def scan_all(aws_env: Emulator, *arguments: str) -> list[str]:
    return ["scan", "--all-accounts", "--endpoint-url", aws_env.url, "--format", "json", *arguments]


def test_scan_all_accounts_covers_every_account_and_region_through_the_role(
    aws_env: Emulator, hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    planted = {account: hub.plant(account).endpoint_id for account in hub.organization.account_ids}

    code = main(scan_all(aws_env, "--role-name", ACCESS_ROLE, "--regions", f"{REGION},{OTHER_REGION}"))

    captured = capsys.readouterr()
    findings = json.loads(captured.out)
    assert code == 0
    found = {
        (f["account_id"], f["region"], f["resource_id"]) for f in findings if f["check_id"] == "private-dns-disabled"
    }
    assert found == {(account, REGION, endpoint) for account, endpoint in planted.items()}
    assert "scanned 8 of 8 account-region(s)" in captured.err


def test_an_account_out_of_reach_is_reported_and_the_others_scanned(
    aws_env: Emulator, hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    unreachable, *reachable = hub.organization.member_account_ids
    aws_env.client("iam", account_id=unreachable).delete_role(RoleName=ACCESS_ROLE)
    planted = {account: hub.plant(account).endpoint_id for account in reachable}

    code = main(scan_all(aws_env, "--role-name", ACCESS_ROLE, "--regions", REGION))

    captured = capsys.readouterr()
    assert code == 2
    assert {f["account_id"] for f in json.loads(captured.out)} == set(planted)
    assert f"error: {unreachable} {REGION}: account {unreachable} is out of reach" in captured.err
    assert "scanned 3 of 4 account-region(s)" in captured.err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "--all-accounts needs --role-name"),
        (("--role-name", "r", "--vpc-id", "vpc-1"), "drop --vpc-id"),
    ],
)
def test_scan_all_accounts_refuses_arguments_that_do_not_fit(
    aws_env: Emulator, arguments: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(scan_all(aws_env, *arguments)) == 2
    assert message in capsys.readouterr().err


def test_role_name_without_all_accounts_is_refused(aws_env: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--region", REGION, "--endpoint-url", aws_env.url, "--role-name", "r"]) == 2
    assert "--role-name goes with --all-accounts" in capsys.readouterr().err


def test_findings_and_changes_filter_by_account_and_region(
    aws_env: Emulator, hub: Hub, state_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = hub.organization.member_account_ids[:2]
    store = StateStore(hub.session_of(ACTOR, REGION).client("dynamodb"), state_table)
    enforce = GuardConfig.from_toml('[modes]\nprivate-dns-disabled = "enforce"\n')
    pipeline = Pipeline(hub.accounts(ACTOR), store, enforce, clock=Clock())
    for account in (first, second):
        pipeline.on_change(created(hub.plant(account)))
    state = ["--table", state_table, "--region", REGION, "--endpoint-url", aws_env.url, "--format", "json"]

    main(["findings", *state, "--accounts", first])
    only_first = json.loads(capsys.readouterr().out)
    main(["changes", *state, "--accounts", f"{first},{second}", "--regions", REGION])
    both = json.loads(capsys.readouterr().out)
    main(["findings", *state, "--regions", OTHER_REGION])
    elsewhere = json.loads(capsys.readouterr().out)

    assert only_first
    assert {record["account_id"] for record in only_first} == {first}
    assert {change["account_id"] for change in both} == {first, second}
    assert elsewhere == []
