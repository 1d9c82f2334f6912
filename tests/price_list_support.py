"""Price List entries as AWS's GetProducts returns them (decoded from the JSON string of each), for the emulator
to serve and the parser to read: the product (family, attributes, SKU), one on-demand term with its price
dimensions, the version and the publication date, as the API reference's example response shows them.

``endpoint_and_nat_products`` gives a region's products as the price list holds them: AmazonVPC's interface
endpoint hour and tiered GB (product family ``VpcEndpoint``, group ``VPCE:VpcEndpoint``) beside a Gateway Load
Balancer endpoint's hour of the same family, and AmazonEC2's NAT gateway hour and GB (family ``NAT Gateway``,
group ``NGW:NatGateway``). Usage types carry the region's prefix (``USE1-VpcEndpoint-Hours``, ``EU-...``) but
for EC2's in us-east-1 (``NatGateway-Hours``), which carry none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

ON_DEMAND_TERM = "JRTCKXETXF"  # the offer term code of on-demand terms
RATE_CODES = ("6YS6EN2CT7", "3ZB8AWQ9G6", "8EEUB22XNJ")  # a product's price dimensions, one per tier
EFFECTIVE = "2026-04-01T00:00:00Z"
# The GB tiers of interface endpoints, in GB a month per Region: the first PB, the next 4 PB, above 5 PB.
GB_TIERS = (("0", "1048576"), ("1048576", "5242880"), ("5242880", "Inf"))
# Per region: the price list's location, and the prefix of its usage types in AmazonVPC and in AmazonEC2.
REGIONS = {
    "us-east-1": ("US East (N. Virginia)", "USE1-", ""),
    "eu-west-1": ("EU (Ireland)", "EU-", "EU-"),
}
# What the catalog (vpce_guard/catalog/prices.json) gives us-east-1.
CATALOG_US_EAST_1 = {"zone_hour": 0.01, "gb": (0.01, 0.006, 0.004), "nat_hour": 0.045, "nat_gb": 0.045}


def usd(price: float) -> str:
    """A price as the price list writes it: ten decimals."""
    return f"{price:.10f}"


def entry(
    service_code: str,
    product_family: str,
    attributes: Mapping[str, str],
    unit: str,
    prices: Sequence[tuple[str, str, str]],
    *,
    effective_date: str = EFFECTIVE,
    currency: str = "USD",
    description: str = "",
) -> dict[str, Any]:
    """One entry: its SKU made from the service code and usage type, one on-demand term whose price dimensions
    are ``prices`` (beginRange, endRange, price per unit as written), in ``currency``."""
    sku = hashlib.sha1(f"{service_code}/{attributes.get('usagetype')}".encode()).hexdigest()[:16].upper()
    term = f"{sku}.{ON_DEMAND_TERM}"
    dimensions = {
        f"{term}.{code}": {
            "unit": unit,
            "endRange": end,
            "description": description,
            "appliesTo": [],
            "rateCode": f"{term}.{code}",
            "beginRange": begin,
            "pricePerUnit": {currency: price},
        }
        for code, (begin, end, price) in zip(RATE_CODES[: len(prices)], prices, strict=True)
    }
    return {
        "product": {"productFamily": product_family, "attributes": dict(attributes), "sku": sku},
        "serviceCode": service_code,
        "terms": {
            "OnDemand": {
                term: {
                    "priceDimensions": dimensions,
                    "sku": sku,
                    "effectiveDate": effective_date,
                    "offerTermCode": ON_DEMAND_TERM,
                    "termAttributes": {},
                }
            }
        },
        "version": "20260401000000",
        "publicationDate": "2026-04-01T00:00:00Z",
    }


def endpoint_product(region: str, usage: str, unit: str, prices: Sequence[tuple[str, str, str]], **options: Any) -> Any:
    """An AmazonVPC product of family VpcEndpoint; ``usage`` without the region's prefix."""
    location, prefix, _ = REGIONS[region]
    attributes = {
        "servicecode": "AmazonVPC",
        "location": location,
        "locationType": "AWS Region",
        "group": "VPCE:VpcEndpoint",
        "usagetype": prefix + usage,
        "operation": "VpcEndpoint",
        "regionCode": region,
        "servicename": "Amazon Virtual Private Cloud",
        "endpointType": "GatewayLoadBalancer" if "GWLBE" in usage else "PrivateLink",
    }
    return entry("AmazonVPC", "VpcEndpoint", attributes, unit, prices, **options)


def nat_product(region: str, usage: str, unit: str, price: float, **options: Any) -> Any:
    """An AmazonEC2 product of family NAT Gateway; ``usage`` without the region's prefix."""
    location, _, prefix = REGIONS[region]
    attributes = {
        "servicecode": "AmazonEC2",
        "location": location,
        "locationType": "AWS Region",
        "group": "NGW:NatGateway",
        "usagetype": prefix + usage,
        "operation": "NatGateway",
        "regionCode": region,
        "servicename": "Amazon Elastic Compute Cloud",
    }
    return entry("AmazonEC2", "NAT Gateway", attributes, unit, [("0", "Inf", usd(price))], **options)


def endpoint_and_nat_products(
    region: str,
    *,
    zone_hour: float,
    gb: tuple[float, float, float],
    nat_hour: float,
    nat_gb: float,
    effective_date: str = EFFECTIVE,
) -> list[dict[str, Any]]:
    """The region's five products vpce-guard's prices come from or must not be taken from (the Gateway Load
    Balancer endpoint's hour shares the interface endpoint's family)."""
    dated = {"effective_date": effective_date}
    return [
        endpoint_product(region, "VpcEndpoint-Hours", "Hrs", [("0", "Inf", usd(zone_hour))], **dated),
        endpoint_product(region, "VpcEndpoint-GWLBE-Hours", "Hrs", [("0", "Inf", usd(zone_hour * 2))], **dated),
        endpoint_product(
            region,
            "VpcEndpoint-Bytes",
            "GB",
            [(*tier, usd(price)) for tier, price in zip(GB_TIERS, gb, strict=True)],
            **dated,
        ),
        nat_product(region, "NatGateway-Hours", "Hrs", nat_hour, **dated),
        nat_product(region, "NatGateway-Bytes", "GB", nat_gb, **dated),
    ]
