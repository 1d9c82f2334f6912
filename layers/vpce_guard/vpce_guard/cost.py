"""What the VPC endpoints cost a month, and what the cost findings would save (``vpce-guard cost``).

Pure: the facts of one account and region with the endpoints' traffic, the cost checks' findings and the
region's prices in; a priced row per endpoint out, and totals per VPC, account, region and organization. No
AWS call, no clock.

The model, from AWS PrivateLink's pricing (seeds 000 and 002 give the figures):

- a month is 730 hours (365 days of 24 hours over 12 months, the month of AWS's pricing calculator);
- an interface endpoint is billed every hour in each zone it has a subnet in (one subnet per zone), whatever
  it carries, and per GB it processes in both directions (CloudWatch's BytesProcessed); a GB is 10^9 bytes
  (should a bill count 2^30, it counts some 7% fewer GB: the estimate errs high);
- the bytes processed over the window read are scaled to a month: bytes x 730 / the window's hours;
- the per-GB price is the first tier's (a Region's first PB a month; AWS charges less per GB above it);
- a gateway endpoint is free (seeds 000, 002); other endpoint types (Gateway Load Balancer, Resource, Service
  Network) are not priced, and inactive endpoints are not billed;
- through NAT: the same bytes at a NAT gateway's per-GB data processing. A NAT gateway's hour is billed per
  gateway and shared by everything behind it, so no share of it is counted: the NAT figure is a floor.

What a cost finding would save, by its check id (``SAVINGS``): ``endpoint-idle`` and
``interface-where-gateway-serves`` the endpoint's hours and data (deleted, or replaced by a free gateway
endpoint); ``s3-interface-bypasses-gateway`` up to its data (only the in-VPC callers move to the free gateway,
and which share of the bytes is theirs is unknown). Where several findings are on one endpoint, the larger
saving counts once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Annotated, Literal

import msgspec

from vpce_guard import identifiers
from vpce_guard.decisions import PRICE_NAMES, PriceOverride
from vpce_guard.facts import GATEWAY, INTERFACE, Facts
from vpce_guard.findings import Finding
from vpce_guard.schemas import problem
from vpce_guard.snapshot import TrafficWindow

PRICES_FILE = "prices.json"
HOURS_PER_MONTH = 730
BYTES_PER_GB = 10**9
CONFIGURED = "the configuration's [prices]"
# What every output says of how it counts.
ASSUMPTIONS = (
    f"a month is {HOURS_PER_MONTH} hours (365 days x 24 hours / 12)",
    "an interface endpoint is billed every hour in each of its zones; a gateway endpoint is free",
    "data is what each interface endpoint processed over the window (CloudWatch BytesProcessed), scaled to a "
    "month, at the first tier's price per GB (a GB is 10^9 bytes)",
    "through NAT: the same bytes at a NAT gateway's price per GB; its hours are per gateway and shared, so "
    "none are counted",
    "would save: endpoint-idle and interface-where-gateway-serves the endpoint's hours and data; "
    "s3-interface-bypasses-gateway up to its data (the in-VPC share of its bytes is unknown)",
)


class Saves(StrEnum):
    """What acting on a cost finding takes off the bill."""

    HOURS_AND_DATA = "hours and data"
    UP_TO_DATA = "up to its data"


SAVINGS: Mapping[str, Saves] = {
    "endpoint-idle": Saves.HOURS_AND_DATA,
    "interface-where-gateway-serves": Saves.HOURS_AND_DATA,
    "s3-interface-bypasses-gateway": Saves.UP_TO_DATA,
}


class PriceError(ValueError):
    """No price for what is asked: the message names the region and the fix."""


class Price(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    usd: Annotated[float, msgspec.Meta(ge=0)]
    # The catalog's: when the price was read; the Price List API's: when it took effect; None for the configuration's.
    date: dt.date | None = None
    source: Annotated[str, msgspec.Meta(min_length=1)]


class RegionPrices(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    currency: Literal["USD"] = "USD"
    interface_endpoint_zone_hour: Price
    interface_endpoint_gb: Price
    nat_gateway_hour: Price
    nat_gateway_gb: Price


class _PricesFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``prices.json``. Each region's prices are read below their partition and region (``_region_prices``),
    since msgspec's path into a table names no key."""

    about: str
    partitions: dict[str, dict[str, object]]


@cache
def load_prices() -> Mapping[str, RegionPrices]:
    """The price catalog (``catalog/prices.json``) by region, validated (with msgspec): a wrong entry is an error
    naming it."""
    text = resources.files("vpce_guard.catalog").joinpath(PRICES_FILE).read_text(encoding="utf-8")
    try:
        document = msgspec.convert(json.loads(text), _PricesFile)
    except json.JSONDecodeError as error:
        raise _unusable(f"not JSON: {error}") from None
    except msgspec.ValidationError as error:
        raise _unusable(problem(error, "(the whole file)")) from None
    return {
        region: _region_prices(partition, region, given)
        for partition, regions in document.partitions.items()
        for region, given in regions.items()
    }


def _region_prices(partition: str, region: str, given: object) -> RegionPrices:
    where = f"partitions.{partition}.{region}"
    try:
        served = identifiers.partition_of(identifiers.region(region))
    except ValueError as error:
        raise _unusable(f"{where}: {error}") from None
    if served != partition:
        raise _unusable(f"{where}: {region} is not a region of the {partition} partition")
    try:
        return msgspec.convert(given, RegionPrices)
    except msgspec.ValidationError as error:
        raise _unusable(problem(error, where, where)) from None


def _unusable(what: str) -> PriceError:
    return PriceError(f"{PRICES_FILE}: {what}; fix vpce_guard/catalog/{PRICES_FILE}")


def prices_for(
    region: str, overrides: Mapping[str, PriceOverride] | None = None, refreshed: RegionPrices | None = None
) -> RegionPrices:
    """The region's prices: the catalog's, or those ``refreshed`` from the Price List API, with the
    configuration's where it gives one. A region the catalog lacks needs every price from the configuration."""
    override = (overrides or {}).get(region, PriceOverride())
    given = {name: value for name in PRICE_NAMES if (value := getattr(override, name)) is not None}
    known = refreshed or load_prices().get(region)
    if known is None and len(given) < len(PRICE_NAMES):
        missing = [name for name in PRICE_NAMES if name not in given]
        raise PriceError(
            f"no prices for {region}: the catalog has {', '.join(sorted(load_prices()))}. Fix: give them in the "
            f"configuration, [prices.{region}] with {', '.join(missing)} (USD)"
        )
    configured = {name: Price(usd=value, source=CONFIGURED) for name, value in given.items()}
    if known is None:
        return msgspec.convert(configured, RegionPrices)
    return msgspec.structs.replace(known, **configured)


class Saving(msgspec.Struct, frozen=True):
    """What acting on one cost finding would save a month; ``up_to``: at most that much."""

    check_id: str
    usd: float
    up_to: bool


class EndpointCost(msgspec.Struct, frozen=True):
    """One endpoint's month: its hours, its data (scaled from the window), what the same bytes would cost
    through NAT where it carried any, and what its cost findings would save. ``bytes_processed`` is over the
    window, None where not read (a gateway endpoint, or CloudWatch did not answer)."""

    account_id: str
    region: str
    vpc_id: str
    endpoint_id: str
    service_name: str | None
    endpoint_type: str
    zones: int
    hours_usd: float
    bytes_processed: float | None
    data_usd: float
    nat_usd: float | None
    savings: tuple[Saving, ...] = ()

    @property
    def total_usd(self) -> float:
        return self.hours_usd + self.data_usd

    @property
    def saving(self) -> Saving | None:
        """The saving that counts: the largest."""
        return max(self.savings, key=lambda saving: saving.usd, default=None)


class Totals(msgspec.Struct, frozen=True):
    """Sums over endpoints. ``would_save_usd`` counts the certain savings; ``would_save_up_to_usd`` adds the
    savings that are at most their figure."""

    endpoints: int
    hours_usd: float
    data_usd: float
    nat_usd: float
    would_save_usd: float
    would_save_up_to_usd: float

    @property
    def total_usd(self) -> float:
        return self.hours_usd + self.data_usd

    @classmethod
    def of(cls, rows: Iterable[EndpointCost]) -> Totals:
        listed = list(rows)
        best = [row.saving for row in listed if row.saving is not None]
        return cls(
            endpoints=len(listed),
            hours_usd=sum(row.hours_usd for row in listed),
            data_usd=sum(row.data_usd for row in listed),
            nat_usd=sum(row.nat_usd or 0.0 for row in listed),
            would_save_usd=sum(saving.usd for saving in best if not saving.up_to),
            would_save_up_to_usd=sum(saving.usd for saving in best),
        )


def monthly_gb(bytes_processed: float, window: TrafficWindow) -> float:
    """The GB a month at the window's rate."""
    return bytes_processed / BYTES_PER_GB * HOURS_PER_MONTH / (window.days * 24)


def price_endpoints(facts: Facts, findings: Iterable[Finding], prices: RegionPrices) -> list[EndpointCost]:
    """A priced row per active interface or gateway endpoint of ``facts``, which must hold the traffic."""
    if facts.traffic is None:
        raise ValueError("pricing endpoints needs their traffic: read it (a window of days) with the facts")
    window = facts.traffic.window
    by_endpoint: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.check_id in SAVINGS:
            by_endpoint.setdefault(finding.resource_id, []).append(finding)
    rows = []
    for endpoint in facts.active_endpoints:
        if endpoint.type not in (INTERFACE, GATEWAY):
            continue
        zones = len(endpoint.subnet_ids) if endpoint.is_interface else 0
        processed = facts.traffic.bytes_processed.get(endpoint.id) if endpoint.is_interface else None
        gb = monthly_gb(processed or 0.0, window)
        hours_usd = zones * HOURS_PER_MONTH * prices.interface_endpoint_zone_hour.usd
        data_usd = gb * prices.interface_endpoint_gb.usd
        savings = tuple(
            Saving(
                finding.check_id,
                data_usd if SAVINGS[finding.check_id] is Saves.UP_TO_DATA else hours_usd + data_usd,
                SAVINGS[finding.check_id] is Saves.UP_TO_DATA,
            )
            for finding in sorted(by_endpoint.get(endpoint.id, []), key=lambda finding: finding.check_id)
        )
        rows.append(
            EndpointCost(
                account_id=endpoint.owner_id,
                region=facts.region,
                vpc_id=endpoint.vpc_id,
                endpoint_id=endpoint.id,
                service_name=endpoint.service_name,
                endpoint_type=endpoint.type,
                zones=zones,
                hours_usd=hours_usd,
                bytes_processed=processed,
                data_usd=data_usd,
                nat_usd=gb * prices.nat_gateway_gb.usd if processed else None,
                savings=savings,
            )
        )
    return sorted(rows, key=lambda row: (row.account_id, row.region, row.vpc_id, row.endpoint_id))


class CostReport(msgspec.Struct, frozen=True):
    """The priced endpoints of every account and region read, over one window, with the prices used."""

    window: TrafficWindow
    prices: Mapping[str, RegionPrices]
    rows: Sequence[EndpointCost]

    def totals_by(self, key: Callable[[EndpointCost], tuple[str, ...]]) -> list[tuple[tuple[str, ...], Totals]]:
        """Totals per group of rows, in the order of ``key``."""
        groups: dict[tuple[str, ...], list[EndpointCost]] = {}
        for row in self.rows:
            groups.setdefault(key(row), []).append(row)
        return [(group, Totals.of(rows)) for group, rows in sorted(groups.items())]

    @property
    def by_vpc(self) -> list[tuple[tuple[str, ...], Totals]]:
        return self.totals_by(lambda row: (row.account_id, row.region, row.vpc_id))

    @property
    def by_account(self) -> list[tuple[tuple[str, ...], Totals]]:
        return self.totals_by(lambda row: (row.account_id,))

    @property
    def by_region(self) -> list[tuple[tuple[str, ...], Totals]]:
        return self.totals_by(lambda row: (row.region,))

    @property
    def organization(self) -> Totals:
        return Totals.of(self.rows)
