"""Prices from the Price List API's GetProducts: the parser finds each of the catalog's four prices among the
products of a region's families, takes the first tier of a tiered price, and names the usage type and the region
of any price it cannot find or read; the read refuses another partition and names the permission AWS refused."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from price_list_support import CATALOG_US_EAST_1, endpoint_and_nat_products, endpoint_product, nat_product, usd

from vpce_guard.cost import RegionPrices, load_prices
from vpce_guard.decisions import GuardConfig
from vpce_guard.price_list import PriceListError, prices_toml, read_prices, region_prices

READ_ON = dt.date(2026, 12, 7)


def lists(*entries: dict[str, Any]) -> dict[str, list[str]]:
    """GetProducts' PriceList by service code: each entry a JSON string, as AWS sends it."""
    by_code: dict[str, list[str]] = {"AmazonVPC": [], "AmazonEC2": []}
    for entry in entries:
        by_code[entry["serviceCode"]].append(json.dumps(entry))
    return by_code


def us_east_1(**prices: Any) -> list[dict[str, Any]]:
    return endpoint_and_nat_products("us-east-1", **{**CATALOG_US_EAST_1, **prices})


def parsed(*entries: dict[str, Any], region: str = "us-east-1") -> RegionPrices:
    return region_prices(region, lists(*entries), READ_ON)


def test_the_catalogs_products_give_its_four_prices_dated_when_they_took_effect() -> None:
    prices = parsed(*us_east_1())

    catalog = load_prices()["us-east-1"]
    for name in ("interface_endpoint_zone_hour", "interface_endpoint_gb", "nat_gateway_hour", "nat_gateway_gb"):
        price = getattr(prices, name)
        assert price.usd == getattr(catalog, name).usd
        assert (price.date, price.source) == (dt.date(2026, 4, 1), "AWS Price List API, read 2026-12-07")


def test_a_tiered_price_per_gb_is_its_first_tiers_whatever_the_order_of_the_tiers() -> None:
    vpc_hour, gwlbe, _, nat_hour, nat_gb = us_east_1()
    tiers = [("5242880", "Inf", usd(0.004)), ("0", "1048576", usd(0.012)), ("1048576", "5242880", usd(0.006))]
    bytes_ = endpoint_product("us-east-1", "VpcEndpoint-Bytes", "GB", tiers)

    assert parsed(vpc_hour, gwlbe, bytes_, nat_hour, nat_gb).interface_endpoint_gb.usd == 0.012


def test_the_gateway_load_balancer_endpoints_hour_in_the_same_family_is_not_taken() -> None:
    prices = parsed(*us_east_1(zone_hour=0.013))

    assert prices.interface_endpoint_zone_hour.usd == 0.013  # the GWLBE product beside it is priced 0.026


def test_usage_types_with_and_without_the_regions_prefix_are_read() -> None:
    """us-east-1's NAT products carry no prefix (NatGateway-Hours), eu-west-1's do (EU-NatGateway-Hours)."""
    eu = endpoint_and_nat_products("eu-west-1", zone_hour=0.011, gb=(0.01, 0.006, 0.004), nat_hour=0.048, nat_gb=0.049)

    prices = parsed(*eu, region="eu-west-1")

    assert (prices.interface_endpoint_zone_hour.usd, prices.nat_gateway_hour.usd, prices.nat_gateway_gb.usd) == (
        0.011,
        0.048,
        0.049,
    )


def test_a_missing_usage_type_is_an_error_naming_it_and_the_region() -> None:
    without_nat_bytes = us_east_1()[:-1]

    with pytest.raises(PriceListError, match=r"no price for NatGateway-Bytes \(AmazonEC2, NAT Gateway\) in us-east-1"):
        parsed(*without_nat_bytes)


def test_another_regions_products_are_not_taken_for_the_region_asked() -> None:
    with pytest.raises(PriceListError, match=r"no price for VpcEndpoint-Hours .* in eu-west-1"):
        parsed(*us_east_1(), region="eu-west-1")


def test_a_product_without_a_usd_price_is_an_error_naming_the_currencies_it_has() -> None:
    *others, _ = us_east_1()
    in_yuan = nat_product("us-east-1", "NatGateway-Bytes", "GB", 0.3, currency="CNY")

    with pytest.raises(PriceListError, match=r"NatGateway-Bytes .* has no USD price \(only CNY\)"):
        parsed(*others, in_yuan)


def test_two_products_of_one_usage_type_at_different_prices_are_an_error() -> None:
    entries = us_east_1()
    other = nat_product("us-east-1", "NatGateway-Hours", "Hrs", 0.05)
    other["product"]["sku"] = "ANOTHERSKU000001"

    with pytest.raises(PriceListError, match=r"several prices for NatGateway-Hours .*: \$0\.045 from .*, \$0\.05 from"):
        parsed(*entries, other)


def test_a_price_in_another_unit_is_an_error() -> None:
    *others, _ = us_east_1()
    per_hour = nat_product("us-east-1", "NatGateway-Bytes", "Hrs", 0.045)

    with pytest.raises(PriceListError, match="is priced per 'Hrs', not GB"):
        parsed(*others, per_hour)


@pytest.mark.parametrize("price", [-0.045, float("nan")], ids=["negative", "not-a-number"])
def test_a_price_that_is_not_a_number_of_0_or_more_is_an_error_naming_the_usage_type(price: float) -> None:
    with pytest.raises(PriceListError, match=r"NatGateway-Bytes .* has a price that is not a number of 0 or more"):
        parsed(*us_east_1(nat_gb=price))


def test_an_entry_that_is_not_json_is_an_error_naming_the_service_and_region() -> None:
    with pytest.raises(PriceListError, match="a PriceList entry of AmazonVPC for us-east-1 is not JSON"):
        region_prices("us-east-1", {"AmazonVPC": ["{not json"], "AmazonEC2": []}, READ_ON)


class RefusingPricing:
    """A pricing client whose every GetProducts AWS answers with ``code``."""

    def __init__(self, code: str) -> None:
        self.code = code

    def get_paginator(self, name: str) -> RefusingPricing:
        return self

    def paginate(self, **parameters: Any) -> Any:
        raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, "GetProducts")


class Session:
    region = "us-east-1"

    def __init__(self, code: str) -> None:
        self.pricing = RefusingPricing(code)

    def client(self, service: str) -> Any:
        return self.pricing


def test_a_refused_read_names_the_permission() -> None:
    with pytest.raises(PriceListError, match=r"the caller needs pricing:GetProducts"):
        read_prices(Session("AccessDeniedException"), ["us-east-1"], READ_ON)  # type: ignore[arg-type]


def test_another_failure_names_the_call_and_the_error() -> None:
    with pytest.raises(PriceListError, match="GetProducts of AmazonVPC failed in us-east-1: ThrottlingException"):
        read_prices(Session("ThrottlingException"), ["us-east-1"], READ_ON)  # type: ignore[arg-type]


def test_a_region_of_another_partition_is_refused_before_any_call() -> None:
    with pytest.raises(PriceListError, match="cn-north-1 is in aws-cn: give its prices in the configuration"):
        read_prices(Session("AccessDeniedException"), ["cn-north-1"], READ_ON)  # type: ignore[arg-type]


def test_the_prices_written_are_the_configurations_tables_and_read_back_as_they_were() -> None:
    prices = {"us-east-1": parsed(*us_east_1(zone_hour=0.0123))}

    text = prices_toml(prices, READ_ON)

    assert "interface_endpoint_zone_hour = 0.0123  # effective 2026-04-01" in text
    override = GuardConfig.from_toml(text).prices["us-east-1"]
    assert (override.interface_endpoint_zone_hour, override.nat_gateway_gb) == (0.0123, 0.045)
