"""`--format html` through the emulator: `scan` writes the demo estate's page, with its zone gaps from the facts,
and one page for every account of an organization; `findings` writes the state table's."""

from __future__ import annotations

import json

import pytest
from html_support import Element, assert_self_contained, grid_cells, parse
from org_support import Hub

from vpce_guard.accounts import Accounts
from vpce_guard.aws import AwsSession
from vpce_guard.cli import main
from vpce_guard.decisions import GuardConfig
from vpce_guard.pipeline import Pipeline
from vpce_guard.snapshot import Scope
from vpce_guard.state import StateStore
from vpce_guard_local.demo import REGION, DemoEstate
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"
ACCESS_ROLE = "OrganizationAccountAccessRole"  # what Organizations creates in the accounts it creates


def planted(estate: DemoEstate, story: str) -> str:
    (resource_id,) = [planted.resource_id for planted in estate.resources if planted.story.startswith(story)]
    return resource_id


def zone_ids(emulator: Emulator) -> list[str]:
    """The region's zone ids in the order of their names: the demo's VPCs take their zones in that order."""
    zones = emulator.client("ec2", REGION).describe_availability_zones()["AvailabilityZones"]
    return [zone["ZoneId"] for zone in sorted(zones, key=lambda zone: zone["ZoneName"])]


def finding_rows(document: Element) -> list[Element]:
    return document.find("table", id="findings-table").find("tbody").find_all("tr")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_scan_writes_a_page_with_every_finding_and_the_demo_estates_zone_gaps(
    aws_env: Emulator, demo_estate: DemoEstate, capsys: pytest.CaptureFixture[str]
) -> None:
    scan = ["scan", "--region", REGION, "--endpoint-url", aws_env.url]
    _, listed = run(capsys, *scan, "--format", "json")
    findings = json.loads(listed)

    code, page = run(capsys, *scan, "--format", "html")

    document = parse(page)
    assert code == 0
    assert_self_contained(document)
    assert sorted(row["data-check"] for row in finding_rows(document)) == sorted(
        finding["check_id"] for finding in findings
    )
    assert document.find("p", cls="totals").text.startswith(f"{len(findings)} findings: ")
    first, second, third = zone_ids(aws_env)[:3]
    sts = planted(demo_estate, "STS in a single AZ")
    assert grid_cells(document, sts) == {first: "covered", second: "missing", third: "missing"}
    gateway = planted(demo_estate, "AgentCore gateway")
    assert grid_cells(document, gateway) == {first: "covered", second: "covered", third: "not offered"}


def test_a_scan_of_every_account_writes_one_page_with_each_accounts_vpcs(
    aws_env: Emulator, hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    planted = [hub.plant(account) for account in hub.organization.account_ids]

    code, page = run(
        capsys, "scan", "--all-accounts", "--endpoint-url", aws_env.url, "--role-name", ACCESS_ROLE,
        "--regions", REGION, "--format", "html",
    )  # fmt: skip

    document = parse(page)
    assert code == 0
    assert f"Scan of {len(planted)} accounts, {REGION}." in document.find("header").text
    for mistake in planted:
        heading = document.find("h3", id=f"vpc-{mistake.vpc.id}")
        assert f"account {mistake.account_id}, {REGION}" in heading.text
        assert document.find("tr", data_endpoint=mistake.endpoint_id)


def evaluated(emulator: Emulator, state_table: str) -> list[str]:
    """The demo estate evaluated into the state table; the arguments that read it back."""
    session = AwsSession(REGION, endpoint_url=emulator.url)
    store = StateStore(session.client("dynamodb"), state_table)
    Pipeline(Accounts(lambda region: session), store, GuardConfig()).evaluate(ACCOUNT, Scope(REGION))
    return ["findings", "--table", state_table, "--region", REGION, "--endpoint-url", emulator.url]


def test_findings_writes_the_state_tables_page_with_zones_from_the_az_coverage_evidence(
    aws_env: Emulator, demo_estate: DemoEstate, state_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = evaluated(aws_env, state_table)
    _, listed = run(capsys, *listing, "--format", "json")
    records = json.loads(listed)

    code, page = run(capsys, *listing, "--format", "html")

    document = parse(page)
    assert code == 0
    assert_self_contained(document)
    assert f"Findings recorded in the state table {state_table} ({REGION})" in document.find("header").text
    assert sorted((row["data-check"], row["data-status"]) for row in finding_rows(document)) == sorted(
        (record["check_id"], record["status"]) for record in records
    )
    first, second, third = zone_ids(aws_env)[:3]
    sts = planted(demo_estate, "STS in a single AZ")
    assert grid_cells(document, sts) == {first: "covered", second: "missing", third: "missing"}
    assert [grid["data-vpc"] for grid in document.find_all("table", cls="grid")] == [
        record["vpc_id"] for record in records if record["check_id"] == "az-coverage"
    ]
