"""Prices read from the AWS Price List Query API (GetProducts), for ``vpce-guard cost --refresh-prices``.

Where AWS answers: the Price List Query API has endpoints in us-east-1, eu-central-1 and ap-south-1 only
(cn-northwest-1 for the China partition, in yuan); each prices every region of its partition. vpce-guard reads
the aws partition's through us-east-1, as the caller, who needs ``pricing:GetProducts`` (it takes no resource:
``"Resource": "*"``). Prices are in USD, as the catalog's; a region of another partition is an error naming it.

What is read, per region: one GetProducts per service code (every page), filtered (TERM_MATCH) on the region
(``regionCode``) and the product family:

- AmazonVPC, family ``VpcEndpoint``: an interface endpoint's hour in one zone (usage type
  ``<prefix>VpcEndpoint-Hours``, unit Hrs) and its GB processed (``<prefix>VpcEndpoint-Bytes``, unit GB, in
  tiers: the first is taken, as ``vpce_guard.cost`` counts);
- AmazonEC2, family ``NAT Gateway``: a NAT gateway's hour (``<prefix>NatGateway-Hours``) and its GB processed
  (``<prefix>NatGateway-Bytes``).

Usage types carry a prefix naming the region (``USE1-``, ``EU-``; none on us-east-1's EC2 products) that AWS
documents per region nowhere vpce-guard can rely on, so they are not filtered on: a product is recognised by
its family and region, and by its usage type once the prefix is set aside. ``VpcEndpoint-Hours`` must match
whole: the Gateway Load Balancer endpoint's hour (``VpcEndpoint-GWLBE-Hours``) shares the family.

Each entry of GetProducts' PriceList is a JSON document in a string: the product (``productFamily``,
``attributes``, ``sku``) and its terms; a price is the ``pricePerUnit`` in USD of the on-demand term's price
dimension that begins at 0. A price that cannot be found or read is an error naming the usage type and the
region (no such product, two at different prices, not one on-demand term, no dimension from 0, another unit,
no USD price): a price is never invented. Each price keeps the date AWS gives it effect from (its term's
``effectiveDate``) and says where it came from: "AWS Price List API, read <date>".
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from vpce_guard import identifiers
from vpce_guard.aws import CALL_ERRORS, AwsSession, error_code_and_reason
from vpce_guard.cost import Price, PriceError, RegionPrices
from vpce_guard.decisions import PRICE_NAMES

PRICING_REGION = "us-east-1"
PARTITION = "aws"
REGION_FIELD = "regionCode"
FAMILY_FIELD = "productFamily"
FIRST_TIER = "0"
CURRENCY = "USD"
PERMISSION = "pricing:GetProducts"
# A usage type's region prefix: capitals and digits, then a hyphen (USE1-, EU-, APS3-).
_REGION_PREFIX = re.compile(r"^[A-Z0-9]+-")


class PriceListError(PriceError):
    """The Price List API could not give a price: the message names the usage type and the region, or the
    call that failed."""


class Product(msgspec.Struct, frozen=True):
    """Where one of the catalog's prices is in the price list."""

    price: str  # the catalog's name for it (``cost.PRICE_NAMES``)
    service_code: str
    family: str
    usage_type: str  # without the region's prefix
    unit: str


PRODUCTS = (
    Product("interface_endpoint_zone_hour", "AmazonVPC", "VpcEndpoint", "VpcEndpoint-Hours", "Hrs"),
    Product("interface_endpoint_gb", "AmazonVPC", "VpcEndpoint", "VpcEndpoint-Bytes", "GB"),
    Product("nat_gateway_hour", "AmazonEC2", "NAT Gateway", "NatGateway-Hours", "Hrs"),
    Product("nat_gateway_gb", "AmazonEC2", "NAT Gateway", "NatGateway-Bytes", "GB"),
)
# One query per service code: its products share a family.
QUERIES = {product.service_code: product.family for product in PRODUCTS}


def filters(region: str, family: str) -> list[dict[str, str]]:
    """GetProducts' filters for a family's products in ``region``."""
    return [
        {"Type": "TERM_MATCH", "Field": REGION_FIELD, "Value": region},
        {"Type": "TERM_MATCH", "Field": FAMILY_FIELD, "Value": family},
    ]


def read_prices(session: AwsSession, regions: Iterable[str], read_on: dt.date) -> dict[str, RegionPrices]:
    """Each region's four prices from the Price List API (``session``: the caller's, in ``PRICING_REGION``),
    two GetProducts per region; PriceListError naming what is missing, or the call that failed."""
    prices = {}
    for region in regions:
        if identifiers.partition_of(region) != PARTITION:
            raise PriceListError(
                f"--refresh-prices reads the {PARTITION} partition's prices (USD); {region} is in "
                f"{identifiers.partition_of(region)}: give its prices in the configuration, [prices.{region}]"
            )
        price_lists = {code: _products(session, code, filters(region, family)) for code, family in QUERIES.items()}
        prices[region] = region_prices(region, price_lists, read_on)
    return prices


def _products(session: AwsSession, service_code: str, chosen: list[dict[str, str]]) -> list[str]:
    try:
        pages = (
            session.client("pricing").get_paginator("get_products").paginate(ServiceCode=service_code, Filters=chosen)
        )
        return [entry for page in pages for entry in page["PriceList"]]
    except CALL_ERRORS as error:
        code, reason = error_code_and_reason(error)
        if code in ("AccessDenied", "AccessDeniedException"):
            raise PriceListError(
                f"the Price List API refused GetProducts ({reason}): the caller needs {PERMISSION} "
                "(on \"*\"); or run without --refresh-prices for the catalog's and the configuration's prices"
            ) from error
        raise PriceListError(f"GetProducts of {service_code} failed in {session.region}: {reason}") from error


def region_prices(region: str, price_lists: Mapping[str, Sequence[str]], read_on: dt.date) -> RegionPrices:
    """The region's four prices from GetProducts' PriceList entries (JSON strings) by service code."""
    source = f"AWS Price List API, read {read_on.isoformat()}"
    entries = {code: [_entry(code, region, text) for text in texts] for code, texts in price_lists.items()}
    found = {
        product.price: _price(product, region, entries.get(product.service_code, []), source) for product in PRODUCTS
    }
    return msgspec.convert({name: found[name] for name in PRICE_NAMES}, RegionPrices)


def _entry(service_code: str, region: str, text: str) -> Mapping[str, Any]:
    try:
        entry = json.loads(text)
    except (TypeError, ValueError) as error:
        raise PriceListError(f"a PriceList entry of {service_code} for {region} is not JSON: {error}") from None
    if not isinstance(entry, dict) or not isinstance(entry.get("product"), dict):
        raise PriceListError(f"a PriceList entry of {service_code} for {region} has no product")
    return entry


def usage_type_of(entry: Mapping[str, Any]) -> str:
    """The entry's usage type without its region's prefix."""
    usage = str(entry["product"].get("attributes", {}).get("usagetype", ""))
    return _REGION_PREFIX.sub("", usage, count=1)


def _price(product: Product, region: str, entries: Sequence[Mapping[str, Any]], source: str) -> Price:
    what = f"{product.usage_type} ({product.service_code}, {product.family}) in {region}"
    matching = [
        entry
        for entry in entries
        if usage_type_of(entry) == product.usage_type
        and entry["product"].get("productFamily") == product.family
        and entry["product"].get("attributes", {}).get(REGION_FIELD) == region
    ]
    if not matching:
        raise PriceListError(f"the Price List API has no price for {what}")
    prices = {_first_tier(product, what, entry) for entry in matching}
    if len({usd for usd, _ in prices}) > 1:
        listed = ", ".join(sorted(f"${usd:g} from {date}" for usd, date in prices))
        raise PriceListError(f"the Price List API has several prices for {what}: {listed}")
    usd, date = max(prices, key=lambda price: price[1])  # one price: the latest date it was given
    return Price(usd=usd, date=date, source=source)


def _first_tier(product: Product, what: str, entry: Mapping[str, Any]) -> tuple[float, dt.date]:
    """The price per unit of the on-demand term's dimension that begins at 0, and the term's effective date."""
    sku = entry["product"].get("sku", "?")
    terms = entry.get("terms", {}).get("OnDemand", {})
    if not isinstance(terms, dict) or len(terms) != 1:
        raise PriceListError(f"{what}: product {sku} has {len(terms) or 'no'} on-demand terms, not one")
    (term,) = terms.values()
    first = [
        dimension for dimension in term.get("priceDimensions", {}).values() if dimension.get("beginRange") == FIRST_TIER
    ]
    if len(first) != 1:
        raise PriceListError(f"{what}: product {sku} has {len(first) or 'no'} price dimensions from 0, not one")
    (dimension,) = first
    if dimension.get("unit") != product.unit:
        raise PriceListError(f"{what}: product {sku} is priced per {dimension.get('unit')!r}, not {product.unit}")
    per_unit = dimension.get("pricePerUnit", {})
    if CURRENCY not in per_unit:
        raise PriceListError(f"{what}: product {sku} has no {CURRENCY} price (only {', '.join(sorted(per_unit))})")
    try:
        usd = float(per_unit[CURRENCY])
        effective = dt.datetime.fromisoformat(str(term["effectiveDate"])).date()
    except (KeyError, ValueError) as error:
        raise PriceListError(f"{what}: product {sku} cannot be read: {error}") from None
    if not usd >= 0:  # also NaN, which float() reads from "NaN" and which compares false with every number
        raise PriceListError(f"{what}: product {sku} has a price that is not a number of 0 or more, {usd}")
    return usd, effective


def prices_toml(prices: Mapping[str, RegionPrices], read_on: dt.date) -> str:
    """The prices as the configuration's ``[prices.<region>]`` tables, each line with the date AWS gives the
    price effect from: what ``--write-prices`` writes, for a person to keep in the configuration."""
    lines = [
        f"# Read from the AWS Price List API on {read_on.isoformat()} by vpce-guard cost --refresh-prices (USD).",
        "# Copy the tables into the vpce-guard configuration to keep these prices.",
    ]
    for region, priced in sorted(prices.items()):
        lines += ["", f"[prices.{region}]"]
        for name in PRICE_NAMES:
            price: Price = getattr(priced, name)
            effective = f"  # effective {price.date.isoformat()}" if price.date else ""
            lines.append(f"{name} = {price.usd!r}{effective}")
    return "\n".join(lines) + "\n"
