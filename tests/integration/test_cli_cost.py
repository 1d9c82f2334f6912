"""``vpce-guard cost`` through the emulator over HTTP: an account's endpoints priced from their published
traffic and checked against the hand computation, the configuration's prices, a region without prices, an
organization's totals, and prices refreshed from the Price List API (and written for the configuration)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from org_support import Hub
from price_list_support import CATALOG_US_EAST_1, endpoint_and_nat_products

from vpce_guard.cli import main
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import EstateBuilder

pytestmark = pytest.mark.server

GB = 10**9
ACCESS_ROLE = "OrganizationAccountAccessRole"


def cost(aws_env: Emulator, *arguments: str) -> list[str]:
    return ["cost", "--region", REGION, "--endpoint-url", aws_env.url, *arguments]


def built(aws_env: Emulator, ec2: Any) -> dict[str, str]:
    """A VPC in three zones: a busy STS endpoint (72 GB in the last 30 days), a KMS endpoint made 60 days ago
    that nothing called, and an S3 gateway endpoint."""
    build = EstateBuilder(ec2, REGION)
    vpc = build.vpc("10.0.0.0/16", zones=3, public_subnet=False)
    group = build.security_group(vpc, "vpce", https_from_cidrs=[vpc.cidr])
    busy = build.interface_endpoint(vpc, "sts", subnet_ids=vpc.private_subnet_ids, group_ids=[group])
    idle = build.interface_endpoint(vpc, "kms", subnet_ids=vpc.private_subnet_ids, group_ids=[group])
    gateway = build.gateway_endpoint(vpc, "s3", route_table_ids=vpc.private_route_table_ids)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    aws_env.set_endpoint_created(idle, now - timedelta(days=60))
    aws_env.publish_endpoint_traffic({busy: {now - timedelta(days=day, minutes=7): 12 * GB for day in range(6)}})
    return {"busy": busy, "idle": idle, "gateway": gateway}


def test_an_accounts_endpoints_cost_what_a_hand_computation_says(
    aws_env: Emulator, ec2: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = built(aws_env, ec2)

    code = main(cost(aws_env, "--format", "json"))

    shown = json.loads(capsys.readouterr().out)
    rows = {row["endpoint_id"]: row for row in shown["endpoints"]}
    assert code == 0
    assert shown["window"]["days"] == 30
    # 3 zones x 730 h x $0.01 = $21.90; 72 GB over 30 days = 72 x 730 / 720 = 73 GB a month: $0.73, via NAT $3.285.
    assert rows[ids["busy"]]["bytes_processed"] == 72 * GB
    assert rows[ids["busy"]]["monthly"] == {"hours_usd": 21.9, "data_usd": 0.73, "total_usd": 22.63, "nat_usd": 3.285}
    assert rows[ids["idle"]]["savings"] == [{"check_id": "endpoint-idle", "usd": 21.9, "up_to": False}]
    assert rows[ids["gateway"]]["monthly"] == {"hours_usd": 0.0, "data_usd": 0.0, "total_usd": 0.0, "nat_usd": None}
    assert shown["totals"]["organization"] == {
        "endpoints": 3,
        "hours_usd": 43.8,
        "data_usd": 0.73,
        "total_usd": 44.53,
        "nat_usd": 3.285,
        "would_save_usd": 21.9,
        "would_save_up_to_usd": 21.9,
    }


def test_the_configuration_prices_over_the_catalog(
    aws_env: Emulator, ec2: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = built(aws_env, ec2)
    config = tmp_path / "vpce-guard.toml"
    config.write_text(f"[prices.{REGION}]\ninterface_endpoint_zone_hour = 0.02\n")

    assert main(cost(aws_env, "--config", str(config), "--format", "csv")) == 0

    rows = {row["endpoint_id"]: row for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows[ids["idle"]]["hours_usd"] == "43.8000"


def test_a_shorter_window_reads_fewer_days_and_scales_them_to_a_month(
    aws_env: Emulator, ec2: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = built(aws_env, ec2)

    main(cost(aws_env, "--days", "3", "--format", "json"))

    rows = {row["endpoint_id"]: row for row in json.loads(capsys.readouterr().out)["endpoints"]}
    # 3 days hold 36 GB (days 0, 1, 2): 36 x 730 / 72 = 365 GB a month, $3.65.
    assert (rows[ids["busy"]]["bytes_processed"], rows[ids["busy"]]["monthly"]["data_usd"]) == (36 * GB, 3.65)


def test_a_region_without_prices_is_an_error_before_any_call(
    aws_env: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    aws_env.clear_recorded_calls()

    code = main(["cost", "--region", "eu-west-1", "--endpoint-url", aws_env.url])

    assert code == 2
    assert "no prices for eu-west-1" in capsys.readouterr().err
    assert aws_env.recorded_calls() == []


def test_days_beyond_cloudwatchs_hourly_retention_are_refused(aws_env: Emulator) -> None:
    with pytest.raises(SystemExit) as exited:
        main(cost(aws_env, "--days", "456"))
    assert exited.value.code == 2


def test_an_organizations_endpoints_are_totalled_per_account_and_for_the_organization(
    aws_env: Emulator, hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    planted = {account: hub.plant(account).endpoint_id for account in hub.organization.account_ids}

    code = main(cost(aws_env, "--all-accounts", "--role-name", ACCESS_ROLE, "--format", "csv"))

    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert code == 0
    assert {(row["account_id"], row["endpoint_id"]) for row in rows if row["row"] == "endpoint"} == set(planted.items())
    # Each account's SSM endpoint sits in 2 zones: 2 x 730 h x $0.01 = $14.60 a month.
    assert {row["account_id"]: row["total_usd"] for row in rows if row["row"] == "account"} == dict.fromkeys(
        planted, "14.6000"
    )
    (organization,) = [row for row in rows if row["row"] == "organization"]
    assert organization["total_usd"] == f"{14.6 * len(planted):.4f}"


# Prices refreshed from the Price List API ----------------------------------------------------------------------


def test_prices_refreshed_at_the_catalogs_figures_give_the_catalogs_table(
    aws_env: Emulator, ec2: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    built(aws_env, ec2)
    aws_env.seed_price_list(endpoint_and_nat_products(REGION, **CATALOG_US_EAST_1))
    now = datetime.now(UTC)  # one instant for both runs: each prints its window, to the minute
    main(cost(aws_env), clock=lambda: now)
    from_catalog = capsys.readouterr().out
    aws_env.clear_recorded_calls()

    code = main(cost(aws_env, "--refresh-prices"), clock=lambda: now)

    refreshed = capsys.readouterr().out
    assert code == 0
    assert refreshed.split("Prices:")[0] == from_catalog.split("Prices:")[0]
    assert f"{REGION} nat gateway gb: $0.045 (AWS Price List API, read " in refreshed
    assert ", dated 2026-04-01)" in refreshed
    pricing = [call.operation for call in aws_env.recorded_calls() if call.service == "pricing"]
    assert pricing == ["GetProducts", "GetProducts"]


def test_prices_refreshed_at_other_figures_give_another_total(
    aws_env: Emulator, ec2: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    built(aws_env, ec2)
    aws_env.seed_price_list(
        endpoint_and_nat_products(REGION, zone_hour=0.02, gb=(0.02, 0.01, 0.005), nat_hour=0.05, nat_gb=0.05)
    )

    code = main(cost(aws_env, "--refresh-prices", "--format", "json"))

    shown = json.loads(capsys.readouterr().out)
    assert code == 0
    # 6 endpoint-zones x 730 h x $0.02 = $87.60; 73 GB a month x $0.02 = $1.46, through NAT x $0.05 = $3.65.
    # The idle KMS endpoint's 3 zones would save 3 x 730 h x $0.02 = $43.80.
    assert shown["totals"]["organization"] == {
        "endpoints": 3,
        "hours_usd": 87.6,
        "data_usd": 1.46,
        "total_usd": 89.06,
        "nat_usd": 3.65,
        "would_save_usd": 43.8,
        "would_save_up_to_usd": 43.8,
    }


def test_a_price_the_price_list_lacks_fails_naming_it_before_anything_is_scanned(
    aws_env: Emulator, ec2: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    built(aws_env, ec2)
    aws_env.seed_price_list(endpoint_and_nat_products(REGION, **CATALOG_US_EAST_1)[:-1])
    aws_env.clear_recorded_calls()

    code = main(cost(aws_env, "--refresh-prices"))

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert f"no price for NatGateway-Bytes (AmazonEC2, NAT Gateway) in {REGION}" in captured.err
    assert {call.service for call in aws_env.recorded_calls()} == {"pricing"}


def test_the_prices_read_are_written_for_the_configuration_and_price_alike_from_it(
    aws_env: Emulator, ec2: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    built(aws_env, ec2)
    aws_env.seed_price_list(
        endpoint_and_nat_products(REGION, zone_hour=0.02, gb=(0.02, 0.01, 0.005), nat_hour=0.05, nat_gb=0.05)
    )
    written = tmp_path / "prices.toml"
    main(cost(aws_env, "--refresh-prices", "--write-prices", str(written), "--format", "json"))
    refreshed = json.loads(capsys.readouterr().out)

    code = main(cost(aws_env, "--config", str(written), "--format", "json"))

    configured = json.loads(capsys.readouterr().out)
    assert code == 0
    assert configured["totals"] == refreshed["totals"]
    assert f"[prices.{REGION}]\ninterface_endpoint_zone_hour = 0.02  # effective 2026-04-01" in written.read_text()


def test_write_prices_without_refresh_prices_is_refused(aws_env: Emulator, tmp_path: Path) -> None:
    assert main(cost(aws_env, "--write-prices", str(tmp_path / "prices.toml"))) == 2
