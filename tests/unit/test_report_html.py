"""The HTML report: one page that fetches nothing, shows what came from AWS as text, counts what it is given,
draws each VPC's zones from the facts, and for the state table's findings says what it can and cannot show."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from html_support import Element, assert_self_contained, grid_cells, parse
from unit.checks.facts_builders import (
    ACCOUNT_ID,
    VPC_ID,
    ZONE_NAMES,
    aws_service,
    facts,
    interface_endpoint,
    private_subnets,
    subnet,
    vpc,
)

from vpce_guard.checks import CHECKS, CheckSettings, run_checks
from vpce_guard.facts import Facts
from vpce_guard.findings import CHECKS_ANCHOR, Finding, Severity
from vpce_guard.report_html import RECORDS_GRID_NOTE, SCAN_GRID_NOTE, records_report_html, scan_report_html
from vpce_guard.sarif import Recorded
from vpce_guard.vocabulary import Status

WRITTEN = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
README_URL = "https://github.com/acme/vpce-guard/blob/main/README.md"
AZ4, AZ6, AZ1 = private_subnets()
SINGLE_ZONE = "vpce-0singlezone00001"
TWO_ZONES = "vpce-0twozones000001"
# Markup an attacker could put in a tag, a name or a policy: each would run or fetch if it were not escaped.
SCRIPT = "<script>document.title='pwned'</script>"
IMAGE = '"><img src=https://attacker.example/x onerror=alert(1)>'


def estate() -> Facts:
    """A VPC of three zones: an endpoint in one of them, and one in both zones its service is offered in."""
    return facts(
        endpoints=[
            interface_endpoint(SINGLE_ZONE, service="sts", subnets=[AZ4]),
            interface_endpoint(TWO_ZONES, service="bedrock-agentcore.gateway", subnets=[AZ4, AZ6]),
        ],
        services=[aws_service("sts"), aws_service("bedrock-agentcore.gateway", zone_names=ZONE_NAMES[:2])],
    )


def scan_page(estate: Facts, **options: Any) -> Element:
    findings = run_checks(estate, CheckSettings())
    return parse(scan_report_html(findings, [estate], generated_at=WRITTEN, **options))


def finding(check_id: str, severity: Severity, resource_id: str = SINGLE_ZONE, **changes: Any) -> Finding:
    check = CHECKS[check_id]
    base = Finding(
        check_id=check_id,
        resource_type="AWS::EC2::VPCEndpoint",
        resource_id=resource_id,
        account_id=ACCOUNT_ID,
        region="us-east-1",
        vpc_id=VPC_ID,
        service_name="com.amazonaws.us-east-1.sts",
        severity=severity,
        title=check.title,
        detail=f"{check_id} on {resource_id}",
    )
    return msgspec.structs.replace(base, **changes)


def rows(document: Element) -> list[Element]:
    return document.find("table", id="findings-table").find("tbody").find_all("tr")


def test_the_page_fetches_nothing_and_runs_only_its_own_script() -> None:
    assert_self_contained(scan_page(estate()))


def test_the_checks_link_goes_to_the_readme_only_where_its_address_is_given() -> None:
    linked = scan_page(estate(), readme_url=README_URL)
    unlinked = scan_page(estate())

    assert_self_contained(linked, links=frozenset({f"{README_URL}#{CHECKS_ANCHOR}"}))
    assert {a["href"] for a in linked.find_all("a") if not a["href"].startswith("#")} == {
        f"{README_URL}#{CHECKS_ANCHOR}"
    }
    assert all(a["href"].startswith("#") for a in unlinked.find_all("a"))
    assert 'README.md, "What it finds, and why"' in rows(unlinked)[0].text


@pytest.mark.parametrize("markup", [SCRIPT, IMAGE])
def test_markup_in_a_tag_a_name_or_a_policy_is_shown_as_text(markup: str) -> None:
    tagged = msgspec.structs.replace(
        interface_endpoint(SINGLE_ZONE, service="sts", subnets=[AZ4]), tags={"Name": markup}
    )
    named = msgspec.structs.replace(vpc(), tags={"Name": markup})
    estate = facts(endpoints=[tagged], vpcs=[named], services=[aws_service("sts")])
    findings = [
        *run_checks(estate, CheckSettings()),
        finding("policy-any-principal", Severity.HIGH, detail=markup, evidence={"policy": {"Sid": markup}}),
    ]

    document = parse(scan_report_html(findings, [estate], generated_at=WRITTEN))

    assert_self_contained(document)
    assert not [element for element in document.iter() if any(name.startswith("on") for name in element.attrs)]
    assert markup in document.find("tr", data_endpoint=SINGLE_ZONE).text
    assert markup in document.find("h3", id=f"vpc-{VPC_ID}").text
    policy_row = document.find("tr", data_check="policy-any-principal")
    assert markup in policy_row.text
    assert markup in json.loads(policy_row.find("pre").text)["policy"]["Sid"]


def test_the_page_is_ascii_whatever_the_text_from_aws_holds() -> None:
    tagged = msgspec.structs.replace(interface_endpoint(SINGLE_ZONE, subnets=[AZ4]), tags={"Name": "caf\u00e9 \udc80"})

    page = scan_report_html([], [facts(endpoints=[tagged])], generated_at=WRITTEN)

    assert page.isascii()
    assert "caf&#233; &#56448;" in page


def test_the_summary_counts_the_findings_by_severity_and_by_check() -> None:
    findings = [
        finding("private-dns-disabled", Severity.HIGH),
        finding("private-dns-disabled", Severity.LOW, resource_id=TWO_ZONES),
        finding("az-coverage", Severity.MEDIUM),
        finding("sg-open-to-world", Severity.HIGH),
    ]

    summary = parse(scan_report_html(findings, [estate()], generated_at=WRITTEN)).find("section", id="summary")

    assert summary.find("p", cls="totals").text == "4 findings: 2 HIGH, 1 MEDIUM, 1 LOW"
    table = [[cell.text for cell in row.find_all("td")] for row in summary.find("tbody").find_all("tr")]
    assert table == [
        ["private-dns-disabled", CHECKS["private-dns-disabled"].title, "", "1", "", "1", "2"],
        ["az-coverage", CHECKS["az-coverage"].title, "", "", "1", "", "1"],
        ["sg-open-to-world", CHECKS["sg-open-to-world"].title, "", "1", "", "", "1"],
    ]
    assert [cell.text for cell in summary.find("tfoot").find_all("td")] == ["0", "2", "1", "1", "4"]


def test_the_grid_shows_each_endpoints_zones_from_the_facts() -> None:
    document = scan_page(estate())

    assert grid_cells(document, SINGLE_ZONE) == {"use1-az4": "covered", "use1-az6": "missing", "use1-az1": "missing"}
    assert grid_cells(document, TWO_ZONES) == {"use1-az4": "covered", "use1-az6": "covered", "use1-az1": "not offered"}
    assert [th.text for th in document.find("table", data_vpc=VPC_ID).find_all("th", cls=None)[2:5]] == [
        "us-east-1ause1-az4",
        "us-east-1buse1-az6",
        "us-east-1cuse1-az1",
    ]
    assert SCAN_GRID_NOTE in document.find("section", id="zones").text


def test_the_vpcs_with_the_most_missing_zones_come_first() -> None:
    other = "vpc-0000000000000000a"
    covered = [subnet(f"subnet-0other{zone:012d}", zone, vpc_id=other) for zone in range(3)]
    gapless = facts(
        endpoints=[interface_endpoint("vpce-0covered00000001", vpc_id=other, subnets=covered)],
        vpcs=[vpc(other)],
        subnets=covered,
        services=[aws_service()],
    )
    gapless_and_gappy = msgspec.structs.replace(
        estate(),
        endpoints=(*estate().endpoints, *gapless.endpoints),
        vpcs={**estate().vpcs, **gapless.vpcs},
        subnets={**estate().subnets, **gapless.subnets},
    )

    document = scan_page(gapless_and_gappy)

    assert [grid["data-vpc"] for grid in document.find_all("table", cls="grid")] == [VPC_ID, other]


def test_a_grid_row_links_to_its_endpoints_findings() -> None:
    document = scan_page(estate())

    (link,) = document.find("tr", data_endpoint=SINGLE_ZONE).find_all("a")
    assert link.text == "az-coverage"
    assert document.find("tr", id=link["href"][1:])["data-check"] == "az-coverage"


def test_each_finding_shows_its_detail_evidence_and_remediation() -> None:
    document = scan_page(estate())

    (row,) = rows(document)
    assert row["data-severity"] == "MEDIUM"
    assert row["data-check"] == "az-coverage"
    details = row.find("details")
    assert "add-endpoint-subnets: enforce mode makes the change where it is safe, else opens a ticket." in details.text
    assert json.loads(details.find("pre").text)["missing_zone_ids"] == ["use1-az1", "use1-az6"]


def test_the_findings_can_be_filtered_by_text_severity_and_check_and_sorted_by_column() -> None:
    document = scan_page(estate())

    assert document.find("input", id="filter-text")["type"] == "search"
    assert [option["value"] for option in document.find("select", id="filter-severity").find_all("option")] == [
        "",
        "CRITICAL",
        "HIGH",
        "MEDIUM",
        "LOW",
    ]
    assert [option["value"] for option in document.find("select", id="filter-check").find_all("option")] == [
        "",
        "az-coverage",
    ]
    sortable = document.find("table", id="findings-table").find("thead").find_all("th", aria_sort="none")
    assert [th.text for th in sortable] == ["Severity", "Check", "Resource", "VPC"]


def test_what_could_not_be_judged_is_said_first() -> None:
    page = scan_report_html([], [estate()], generated_at=WRITTEN, problems=["vpce-0x: policy cannot be read"])

    problems = parse(page).find("section", id="problems")
    assert problems["role"] == "alert"
    assert "vpce-0x: policy cannot be read" in problems.text
    assert "exits 2" in problems.text


def test_a_page_without_findings_says_so() -> None:
    document = parse(scan_report_html([], [], generated_at=WRITTEN))

    assert "No findings." in document.find("section", id="findings").text
    assert not document.find_all("table", id="findings-table")
    assert document.find("p", cls="totals").text == "0 findings"


def recorded(status: Status) -> Recorded:
    return Recorded(status, "2025-02-01T08:00:00+00:00", "2025-02-28T09:15:00+00:00")


def test_the_state_tables_page_shows_each_findings_status_and_draws_zones_only_from_open_az_coverage() -> None:
    open_gap = run_checks(estate(), CheckSettings())[0]
    closed_gap = msgspec.structs.replace(open_gap, resource_id="vpce-0fixedlongago01")
    findings = [open_gap, closed_gap, finding("private-dns-disabled", Severity.HIGH)]

    document = parse(
        records_report_html(
            findings,
            [recorded(Status.TICKETED), recorded(Status.REMEDIATED), recorded(Status.OPEN)],
            source="the state table vpce-guard-state (us-east-1)",
            generated_at=WRITTEN,
        )
    )

    assert_self_contained(document)
    assert "Findings recorded in the state table vpce-guard-state (us-east-1)" in document.find("header").text
    assert document.find("p", cls="totals").text == "3 records: 1 HIGH, 2 MEDIUM"
    assert document.find("p", cls="statuses").text == "By status: 1 OPEN, 1 TICKETED, 1 REMEDIATED; 2 unresolved."
    assert RECORDS_GRID_NOTE in document.find("section", id="zones").text
    assert grid_cells(document, SINGLE_ZONE) == {"use1-az1": "missing", "use1-az4": "covered", "use1-az6": "missing"}
    assert not document.find_all("tr", data_endpoint="vpce-0fixedlongago01")
    assert {row["data-status"] for row in rows(document)} == {"TICKETED", "REMEDIATED", "OPEN"}
    assert [option["value"] for option in document.find("select", id="filter-status").find_all("option")][1:] == [
        status.value for status in Status
    ]
    first = rows(document)[0]
    assert "first 2025-02-01T08:00:00+00:00, last 2025-02-28T09:15:00+00:00" in first.text


def test_the_state_tables_page_without_an_open_az_coverage_finding_has_no_grid() -> None:
    page = records_report_html(
        [finding("private-dns-disabled", Severity.HIGH)], [recorded(Status.OPEN)], source="t", generated_at=WRITTEN
    )

    zones = parse(page).find("section", id="zones")
    assert "No VPC to show." in zones.text
    assert not zones.find_all("table")


def test_an_empty_state_tables_page_says_it_holds_no_records() -> None:
    document = parse(records_report_html([], [], source="t", generated_at=WRITTEN))

    assert document.find("p", cls="totals").text == "0 records"
    assert document.find("p", cls="statuses").text == "By status: none; 0 unresolved."
    assert "No findings." in document.find("section", id="findings").text
