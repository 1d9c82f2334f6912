"""vpce-guard cost: the price catalog, an endpoint's month, what each cost finding would save, and the totals.

Every figure is checked against the hand computation it stands for: an interface endpoint in 3 zones is
3 x 730 h x $0.01 = $21.90 a month; 72 GB over 30 days is 72 x 730 / 720 = 73 GB a month, $0.73 at $0.01 and
$3.285 through NAT at $0.045.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest
from unit.checks.facts_builders import (
    ACCOUNT_ID,
    REGION,
    VPC_ID,
    facts,
    gateway_endpoint,
    interface_endpoint,
    private_subnets,
)

from vpce_guard.cost import (
    CONFIGURED,
    CostReport,
    EndpointCost,
    PriceError,
    Totals,
    load_prices,
    price_endpoints,
    prices_for,
)
from vpce_guard.decisions import PriceOverride
from vpce_guard.facts import Endpoint, Facts, Traffic
from vpce_guard.findings import ENDPOINT_RESOURCE, Finding, Severity
from vpce_guard.render import cost_csv, cost_json, cost_table
from vpce_guard.snapshot import TrafficWindow

END = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
WINDOW = TrafficWindow(END - timedelta(days=30), END)
GB = 10**9
BUSY = "vpce-0busy00000000001"
IDLE = "vpce-0idle00000000001"
PRICES = prices_for(REGION)


def endpoint(endpoint_id: str, zones: int = 3, **options: str) -> Endpoint:
    return interface_endpoint(endpoint_id, subnets=private_subnets(range(zones)), **options)


def estate(*endpoints: Endpoint, processed: dict[str, float] | None = None) -> Facts:
    traffic = Traffic(WINDOW, processed if processed is not None else {e.id: 0.0 for e in endpoints})
    return msgspec.structs.replace(facts(endpoints=endpoints), traffic=traffic)


def finding(check_id: str, resource_id: str) -> Finding:
    """A finding as the cost checks make them, built by hand (two of them live on other branches)."""
    return Finding(
        check_id=check_id, resource_type=ENDPOINT_RESOURCE, resource_id=resource_id, account_id=ACCOUNT_ID,
        region=REGION, vpc_id=VPC_ID, service_name=None, severity=Severity.LOW, title="t", detail="d",
    )  # fmt: skip


def priced(facts_: Facts, *findings: Finding) -> dict[str, EndpointCost]:
    return {row.endpoint_id: row for row in price_endpoints(facts_, findings, PRICES)}


# The prices ------------------------------------------------------------------------------------------------


def test_the_catalog_prices_us_east_1_as_the_write_ups_do_each_price_with_its_date_and_source() -> None:
    prices = load_prices()["us-east-1"]

    assert (
        prices.interface_endpoint_zone_hour.usd,
        prices.interface_endpoint_gb.usd,
        prices.nat_gateway_hour.usd,
        prices.nat_gateway_gb.usd,
    ) == (0.01, 0.01, 0.045, 0.045)
    assert prices.interface_endpoint_zone_hour.date == date(2026, 2, 25)
    assert "seed 002" in prices.interface_endpoint_zone_hour.source
    assert "seed 000" in prices.nat_gateway_gb.source


def test_a_region_without_prices_is_an_error_naming_it_and_the_fix() -> None:
    with pytest.raises(PriceError, match=r"no prices for eu-west-1: .* Fix: .*\[prices\.eu-west-1\]"):
        prices_for("eu-west-1")


def test_the_configuration_replaces_a_price_and_is_named_its_source() -> None:
    prices = prices_for(REGION, {REGION: PriceOverride(interface_endpoint_gb=0.006)})

    assert (prices.interface_endpoint_gb.usd, prices.interface_endpoint_gb.source) == (0.006, CONFIGURED)
    assert prices.interface_endpoint_zone_hour == PRICES.interface_endpoint_zone_hour


def test_the_configuration_prices_a_region_the_catalog_lacks_when_it_gives_every_price() -> None:
    given = PriceOverride(
        interface_endpoint_zone_hour=0.011, interface_endpoint_gb=0.01, nat_gateway_hour=0.048, nat_gateway_gb=0.048
    )

    assert prices_for("eu-west-1", {"eu-west-1": given}).interface_endpoint_zone_hour.usd == 0.011
    with pytest.raises(PriceError, match="with nat_gateway_hour, nat_gateway_gb"):
        prices_for(
            "eu-west-1", {"eu-west-1": PriceOverride(interface_endpoint_zone_hour=0.011, interface_endpoint_gb=0.01)}
        )


# An endpoint's month ----------------------------------------------------------------------------------------


def test_an_interface_endpoint_pays_every_hour_of_a_730_hour_month_in_each_zone() -> None:
    row = priced(estate(endpoint(IDLE, zones=3)))[IDLE]

    assert row.zones == 3
    assert row.hours_usd == pytest.approx(21.90)


def test_the_bytes_of_the_window_are_scaled_to_a_month_and_priced_per_gb_and_through_nat() -> None:
    row = priced(estate(endpoint(BUSY), processed={BUSY: 72 * GB}))[BUSY]

    assert row.bytes_processed == 72 * GB
    assert row.data_usd == pytest.approx(0.73)
    assert row.total_usd == pytest.approx(22.63)
    assert row.nat_usd == pytest.approx(3.285)


def test_an_endpoint_without_traffic_has_no_nat_figure() -> None:
    row = priced(estate(endpoint(IDLE)))[IDLE]

    assert (row.bytes_processed, row.data_usd, row.nat_usd) == (0.0, 0.0, None)


def test_a_gateway_endpoint_is_free() -> None:
    gateway = gateway_endpoint()

    row = priced(estate(gateway, processed={}))[gateway.id]

    assert (row.zones, row.hours_usd, row.data_usd, row.bytes_processed, row.nat_usd) == (0, 0.0, 0.0, None, None)


def test_an_endpoint_whose_traffic_was_not_read_counts_its_hours_and_says_so() -> None:
    row = priced(estate(endpoint(BUSY), processed={}))[BUSY]

    assert (row.bytes_processed, row.data_usd, row.hours_usd) == (None, 0.0, pytest.approx(21.90))


def test_inactive_endpoints_and_other_types_are_not_priced() -> None:
    deleted = endpoint("vpce-0deleted000000001", state="deleted")
    balancer = endpoint("vpce-0gwlb0000000000001", endpoint_type="GatewayLoadBalancer")

    assert priced(estate(deleted, balancer)) == {}


def test_pricing_needs_the_traffic() -> None:
    with pytest.raises(ValueError, match="needs their traffic"):
        price_endpoints(facts(endpoints=[endpoint(BUSY)]), [], PRICES)


# What the findings would save ---------------------------------------------------------------------------------


@pytest.mark.parametrize("check_id", ["endpoint-idle", "interface-where-gateway-serves"])
def test_an_idle_endpoint_or_one_a_free_gateway_would_serve_saves_its_hours_and_data(check_id: str) -> None:
    row = priced(estate(endpoint(BUSY), processed={BUSY: 72 * GB}), finding(check_id, BUSY))[BUSY]

    assert row.saving is not None
    assert (row.saving.check_id, row.saving.usd, row.saving.up_to) == (check_id, pytest.approx(22.63), False)


def test_an_s3_interface_bypassing_its_gateway_saves_up_to_its_data() -> None:
    row = priced(estate(endpoint(BUSY), processed={BUSY: 72 * GB}), finding("s3-interface-bypasses-gateway", BUSY))[
        BUSY
    ]

    assert row.saving is not None
    assert (row.saving.usd, row.saving.up_to) == (pytest.approx(0.73), True)


def test_two_cost_findings_on_one_endpoint_count_the_larger_saving_once() -> None:
    row = priced(
        estate(endpoint(BUSY), processed={BUSY: 72 * GB}),
        finding("s3-interface-bypasses-gateway", BUSY),
        finding("interface-where-gateway-serves", BUSY),
    )[BUSY]

    assert [saving.check_id for saving in row.savings] == [
        "interface-where-gateway-serves",
        "s3-interface-bypasses-gateway",
    ]
    assert row.saving is not None
    assert (row.saving.check_id, row.saving.usd) == ("interface-where-gateway-serves", pytest.approx(22.63))


def test_a_finding_of_another_check_saves_nothing() -> None:
    assert priced(estate(endpoint(BUSY)), finding("az-coverage", BUSY))[BUSY].savings == ()


# Totals and what is shown ---------------------------------------------------------------------------------


def report() -> CostReport:
    """A busy endpoint (72 GB over 30 days), an idle one with its finding, a gateway, and one that may save up to
    its data, in one VPC."""
    bypass = endpoint("vpce-0s3iface000000001", zones=2)
    estate_ = estate(
        endpoint(BUSY),
        endpoint(IDLE),
        bypass,
        gateway_endpoint(),
        processed={BUSY: 72 * GB, IDLE: 0.0, bypass.id: 144 * GB},
    )
    findings = [finding("endpoint-idle", IDLE), finding("s3-interface-bypasses-gateway", bypass.id)]
    return CostReport(WINDOW, {REGION: PRICES}, price_endpoints(estate_, findings, PRICES))


def test_totals_add_up_the_hours_the_data_nat_and_the_certain_and_possible_savings() -> None:
    totals = report().organization

    # hours: (3 + 3 + 2) x 730 x 0.01 = 58.40; data: (73 + 146) GB x 0.01 = 2.19; NAT: 219 x 0.045 = 9.855;
    # saved for sure: the idle endpoint's 21.90; up to: also the bypassing endpoint's 1.46 of data.
    assert msgspec.structs.astuple(totals) == pytest.approx((4, 58.40, 2.19, 9.855, 21.90, 23.36))
    assert totals.total_usd == pytest.approx(60.59)


def test_totals_are_given_per_vpc_account_and_region() -> None:
    shown = report()

    assert [key for key, _ in shown.by_vpc] == [(ACCOUNT_ID, REGION, VPC_ID)]
    assert [key for key, _ in shown.by_account] == [(ACCOUNT_ID,)]
    assert [key for key, _ in shown.by_region] == [(REGION,)]
    assert shown.by_vpc[0][1] == shown.organization


def test_no_endpoints_total_nothing() -> None:
    assert Totals.of([]) == Totals(0, 0.0, 0.0, 0.0, 0.0, 0.0)


def test_the_table_shows_each_endpoint_the_totals_the_prices_and_how_it_counts() -> None:
    table = cost_table(report())

    assert "from 2026-11-07 07:00 to 2026-12-07 07:00 UTC (30 days) scaled to a month of 730 hours" in table
    busy = next(line for line in table.splitlines() if BUSY in line)
    assert busy.split() == [BUSY, "bedrock-runtime", "3", "21.90", "72.000", "0.73", "22.63", "3.29"]
    idle = next(line for line in table.splitlines() if IDLE in line)
    assert idle.endswith("21.90 (endpoint-idle)")
    assert "up to 1.46 (s3-interface-bypasses-gateway)" in table
    assert "s3 (Gateway)" in table
    organization = next(line for line in table.splitlines() if line.startswith("all "))
    assert organization.split()[1:] == ["58.40", "2.19", "60.59", "9.86", "21.90,", "up", "to", "23.36"]
    assert "us-east-1 interface endpoint zone hour: $0.01 (seed 002" in table
    assert "  - a month is 730 hours (365 days x 24 hours / 12)" in table


def test_the_json_holds_the_window_the_prices_each_endpoint_and_every_total() -> None:
    shown = json.loads(cost_json(report()))

    assert (shown["month_hours"], shown["bytes_per_gb"], shown["window"]["days"]) == (730, GB, 30)
    assert shown["prices"][REGION]["nat_gateway_gb"] == {
        "usd": 0.045,
        "date": "2026-04-14",
        "source": PRICES.nat_gateway_gb.source,
    }
    busy = next(row for row in shown["endpoints"] if row["endpoint_id"] == BUSY)
    assert busy["monthly"] == {"hours_usd": 21.9, "data_usd": 0.73, "total_usd": 22.63, "nat_usd": 3.285}
    idle = next(row for row in shown["endpoints"] if row["endpoint_id"] == IDLE)
    assert idle["would_save"] == {"usd": 21.9, "up_to": False}
    assert shown["totals"]["organization"] == {
        "endpoints": 4,
        "hours_usd": 58.4,
        "data_usd": 2.19,
        "total_usd": 60.59,
        "nat_usd": 9.855,
        "would_save_usd": 21.9,
        "would_save_up_to_usd": 23.36,
    }
    assert [len(shown["totals"][key]) for key in ("vpcs", "accounts", "regions")] == [1, 1, 1]


def test_the_csv_has_a_row_per_endpoint_then_the_totals() -> None:
    rows = list(csv.DictReader(io.StringIO(cost_csv(report()))))

    assert [row["row"] for row in rows] == ["endpoint"] * 4 + ["vpc", "account", "region", "organization"]
    bypass = next(row for row in rows if row["endpoint_id"] == "vpce-0s3iface000000001")
    assert (bypass["data_usd"], bypass["would_save_usd"], bypass["would_save_up_to_usd"]) == ("1.4600", "", "1.4600")
    assert (rows[-1]["total_usd"], rows[-1]["would_save_usd"]) == ("60.5900", "21.9000")
