"""The HTML report in headless Chromium (Debian's chromium; `make test` installs it): the demo estate's page loads
with nothing said on the console, shows the estate's zone gaps once its script has run, filters and sorts as a
person types and clicks, and is captured as a screenshot; markup from AWS stays inert text.

Typing and clicking are the browser's own input events (the DevTools protocol's Input domain); a select's
choice is set by script with the change event a choice fires, as a headless browser has no menu to open.
"""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from browser_support import Page, browser
from html_support import parse
from unit.checks.facts_builders import aws_service, facts, interface_endpoint, private_subnets, vpc

from vpce_guard.checks import CheckSettings, run_checks
from vpce_guard.cli import main
from vpce_guard.findings import Severity
from vpce_guard.report_html import records_report_html, scan_report_html
from vpce_guard.sarif import Recorded
from vpce_guard.vocabulary import Status
from vpce_guard_local.demo import REGION, DemoEstate
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.browser

# The screenshot: a laptop's width at 100 % zoom, from the top to the end of the demo's first VPC grid.
WIDTH, SCREENSHOT_HEIGHT = 1366, 1450
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# How far the page is wider than the window: above 0, a laptop reader scrolls sideways.
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# A detail naming resources by ARNs without a space between them: no place to break a line (a bucket's name is up
# to 63 characters, dots included).
BUCKET = "arn:aws:s3:::acme.lake.raw.ingest.partner.exports.archive.landing.zone"
LONG_DETAIL = f"The policy admits {BUCKET},{BUCKET}.copy,{BUCKET}.backup to anyone."
VISIBLE_ROWS = (
    "Array.prototype.filter.call(document.querySelectorAll('#findings-table tbody tr'), function (row) {"
    " return !row.hidden; }).map(function (row) { return row.id; })"
)


def demo_report(emulator: Emulator, directory: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The demo estate's page, as `vpce-guard scan --format html` writes it."""
    assert main(["scan", "--region", REGION, "--endpoint-url", emulator.url, "--format", "html"]) == 0
    report = directory / "report.html"
    report.write_text(capsys.readouterr().out, "ascii")
    return report


def planted(estate: DemoEstate, story: str) -> str:
    (resource_id,) = [planted.resource_id for planted in estate.resources if planted.story.startswith(story)]
    return resource_id


def grid_row(page: Page, endpoint_id: str) -> dict[str, str]:
    """The zone grid's cells of one endpoint in the page's DOM: each zone id's class list."""
    cells: dict[str, str] = page.evaluate(
        f"(function () {{ var cells = {{}}; document.querySelectorAll("
        f"'tr[data-endpoint=\"{endpoint_id}\"] td.cell').forEach(function (cell) {{"
        " cells[cell.getAttribute('data-zone')] = cell.className; }); return cells; })()"
    )
    return cells


def zone_ids(emulator: Emulator) -> list[str]:
    zones = emulator.client("ec2", REGION).describe_availability_zones()["AvailabilityZones"]
    return [zone["ZoneId"] for zone in sorted(zones, key=lambda zone: zone["ZoneName"])]


@pytest.mark.server
def test_the_demo_estates_report_loads_clean_shows_its_zone_gaps_and_is_captured(
    aws_env: Emulator, demo_estate: DemoEstate, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = demo_report(aws_env, tmp_path, capsys)
    screenshot = tmp_path / "report.png"
    sts, gateway = planted(demo_estate, "STS in a single AZ"), planted(demo_estate, "AgentCore gateway")

    with browser(tmp_path / "profile") as chromium:
        page = chromium.open(report.as_uri(), width=WIDTH)
        shown = page.evaluate("document.getElementById('shown').textContent")
        sts_cells, gateway_cells = grid_row(page, sts), grid_row(page, gateway)
        overflow = page.evaluate(OVERFLOW)
        page.screenshot(screenshot, height=SCREENSHOT_HEIGHT)
        said = page.console()

    first, second, third = zone_ids(aws_env)[:3]
    rows = len(parse(report.read_text("ascii")).find("table", id="findings-table").find("tbody").find_all("tr"))
    assert said == []
    assert overflow <= 0
    assert shown == f"{rows} of {rows} shown"
    assert sts_cells == {first: "cell covered", second: "cell missing", third: "cell missing"}
    assert gateway_cells == {first: "cell covered", second: "cell covered", third: "cell not-offered"}
    png = screenshot.read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    assert struct.unpack(">II", png[16:24]) == (WIDTH, SCREENSHOT_HEIGHT)


@pytest.mark.server
def test_the_findings_filter_as_a_person_types_and_chooses_and_sort_as_they_click(
    aws_env: Emulator, demo_estate: DemoEstate, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = demo_report(aws_env, tmp_path, capsys)
    sts = planted(demo_estate, "STS in a single AZ")
    rows = parse(report.read_text("ascii")).find("table", id="findings-table").find("tbody").find_all("tr")

    with browser(tmp_path / "profile") as chromium:
        page = chromium.open(report.as_uri(), width=WIDTH)
        page.type_into("#filter-text", sts.upper())
        typed, typed_count = page.evaluate(VISIBLE_ROWS), page.evaluate("document.getElementById('shown').textContent")
        page.evaluate(
            "(function () { var text = document.getElementById('filter-text'); text.value = '';"
            " text.dispatchEvent(new Event('input')); var check = document.getElementById('filter-check');"
            " check.value = 'missing-baseline-endpoint'; check.dispatchEvent(new Event('change')); })()"
        )
        chosen = page.evaluate(VISIBLE_ROWS)
        page.click("#findings-table thead th:nth-child(1) button")
        ascending = page.evaluate(
            "Array.prototype.map.call(document.querySelectorAll('#findings-table tbody tr'),"
            " function (row) { return row.getAttribute('data-severity'); })"
        )
        page.click("#findings-table thead th:nth-child(2) button")
        by_check = page.evaluate(
            "Array.prototype.map.call(document.querySelectorAll('#findings-table tbody tr'),"
            " function (row) { return row.getAttribute('data-check'); })"
        )
        said = page.console()

    assert said == []
    assert typed == [row["id"] for row in rows if sts in row.text]
    assert typed_count == f"{len(typed)} of {len(rows)} shown"
    assert chosen == [row["id"] for row in rows if row["data-check"] == "missing-baseline-endpoint"]
    assert [Severity(severity).rank for severity in ascending] == sorted(Severity(s).rank for s in ascending)
    assert by_check == sorted(by_check)


def test_the_state_tables_page_fits_the_window_and_filters_by_status(tmp_path: Path) -> None:
    estate = facts(
        endpoints=[interface_endpoint(subnets=private_subnets()[:1], service="sts")], services=[aws_service("sts")]
    )
    (gap,) = run_checks(estate, CheckSettings())
    findings = [gap, msgspec.structs.replace(gap, resource_id="vpce-0fixed00000000001", detail=LONG_DETAIL)]
    seen = "2025-02-28T09:15:00.123456+00:00"
    recorded = [Recorded(Status.TICKETED, seen, seen), Recorded(Status.RESOLVED, seen, seen)]
    report = tmp_path / "report.html"
    report.write_text(
        records_report_html(findings, recorded, source="the state table t (us-east-1)", generated_at=datetime.now(UTC)),
        "ascii",
    )

    with browser(tmp_path / "profile") as chromium:
        page = chromium.open(report.as_uri(), width=WIDTH)
        overflow = page.evaluate(OVERFLOW)
        page.evaluate(
            "(function () { var status = document.getElementById('filter-status'); status.value = 'RESOLVED';"
            " status.dispatchEvent(new Event('change')); })()"
        )
        resolved = page.evaluate(
            f"{VISIBLE_ROWS}.map(function (id) {{ return document.getElementById(id).getAttribute('data-status'); }})"
        )
        said = page.console()

    assert said == []
    assert overflow <= 0
    assert resolved == ["RESOLVED"]


def test_markup_from_aws_stays_inert_text_in_the_browser(tmp_path: Path) -> None:
    markup = '<script>window.ran = 1</script><img src="x" onerror="window.ran = 2">'
    endpoint = msgspec.structs.replace(
        interface_endpoint(subnets=private_subnets()[:1], service="sts"), tags={"Name": markup}
    )
    estate = facts(
        endpoints=[endpoint],
        vpcs=[msgspec.structs.replace(vpc(), tags={"Name": markup})],
        services=[aws_service("sts")],
    )
    findings = run_checks(estate, CheckSettings())
    findings.append(msgspec.structs.replace(findings[0], detail=markup, evidence={"policy": {"Sid": markup}}))
    report = tmp_path / "report.html"
    report.write_text(scan_report_html(findings, [estate], generated_at=datetime.now(UTC)), "ascii")

    with browser(tmp_path / "profile") as chromium:
        page = chromium.open(report.as_uri(), width=WIDTH)
        ran = page.evaluate("window.ran === undefined ? null : window.ran")
        scripts, images = page.evaluate("[document.scripts.length, document.images.length]")
        row = page.evaluate(f"document.querySelector('tr[data-endpoint=\"{endpoint.id}\"]').textContent")
        evidence = page.evaluate(
            "Array.prototype.map.call(document.querySelectorAll('#findings-table pre'), function (pre) {"
            " return pre.textContent; })"
        )
        said = page.console()

    assert said == []
    assert (ran, scripts, images) == (None, 1, 0)
    assert markup in row
    assert {"policy": {"Sid": markup}} in [json.loads(text) for text in evidence]
