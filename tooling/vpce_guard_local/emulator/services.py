"""The endpoint services the emulator offers in a region, and the zones each is offered in.

A region offers moto's default services (with the ones vpce-guard needs and moto lacks added), plus the
endpoint services created in the emulator by any account. Real services are often offered in only some
zones; ``restrict_service_zones`` reproduces that. Restrictions are a property of the region, not of an
account, so they are kept on the EC2 backend of moto's default account for the region: a moto reset wipes
them with everything else.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from moto.core.base_backend import BaseBackend
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ec2.models import EC2Backend, ec2_backends
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

ServiceEntry = dict[str, Any]

_RESTRICTIONS_ATTRIBUTE = "vpce_guard_service_zones"
_defaults_lock = threading.Lock()
_completed: dict[str, list[ServiceEntry]] = {}  # region -> moto's list of its default services, once completed


@dataclass(frozen=True)
class _MissingService:
    """A service AWS offers that moto 5.2's DescribeVpcEndpointServices does not list."""

    key: str
    endpoint_type: str
    private_dns_name: str
    base_dns_name: str


_MISSING_SERVICES = (
    _MissingService(
        "bedrock-agentcore.gateway",
        "Interface",
        "gateway.bedrock-agentcore.{region}.amazonaws.com",
        "gateway.bedrock-agentcore.{region}.vpce.amazonaws.com",
    ),
    _MissingService(
        "dynamodb",
        "Interface",
        "dynamodb.{region}.amazonaws.com",
        "dynamodb.{region}.vpce.amazonaws.com",
    ),
)


@dataclass(frozen=True)
class OfferedService:
    """A service as CreateVpcEndpoint sees it: the endpoint types it offers and the zones it is offered in."""

    name: str
    endpoint_types: frozenset[str]
    zone_names: tuple[str, ...]


def zone_names(region: str) -> list[str]:
    """The availability zones moto knows for ``region``, in moto's order."""
    return [zone.name for zone in RegionsAndZonesBackend.zones.get(region, [])]


def complete_defaults(entries: list[ServiceEntry], region: str) -> None:
    """Make moto's cached default services of ``region`` look like AWS's (idempotent, in place).

    Adds the services of ``_MISSING_SERVICES``, and drops the private DNS name moto gives gateway services:
    AWS offers private DNS only for interface endpoints, so a gateway service reports none. moto keeps one list
    per region for the process, and asks for it on every endpoint call: a list already completed is left as it is.
    """
    with _defaults_lock:
        if _completed.get(region) is entries:
            return
        present = {(entry["ServiceName"], _types(entry)) for entry in entries}
        for missing in _MISSING_SERVICES:
            name = f"com.amazonaws.{region}.{missing.key}"
            if (name, frozenset({missing.endpoint_type})) in present:
                continue
            (entry,) = BaseBackend.default_vpc_endpoint_service_factory(
                region,
                zone_names(region),
                service=missing.key,
                service_type=missing.endpoint_type,
                base_endpoint_dns_names=[missing.base_dns_name.format(region=region)],
            )
            private_dns_name = missing.private_dns_name.format(region=region)
            entry["PrivateDnsName"] = private_dns_name
            entry["PrivateDnsNames"] = [{"PrivateDnsName": private_dns_name}]
            entries.append(entry)
        for entry in entries:
            if _types(entry) == {"Gateway"}:
                for key in ("PrivateDnsName", "PrivateDnsNames", "PrivateDnsNameVerificationState"):
                    entry.pop(key, None)
        _completed[region] = entries


def restrictions(region: str) -> dict[str, list[str]]:
    """Service name -> the only zones it is offered in, for ``region`` (live: callers may update it)."""
    backend = ec2_backends[DEFAULT_ACCOUNT_ID][region]
    restricted: dict[str, list[str]] = backend.__dict__.setdefault(_RESTRICTIONS_ATTRIBUTE, {})
    return restricted


def restrict(entry: ServiceEntry, restricted: Mapping[str, list[str]]) -> ServiceEntry:
    """``entry`` as DescribeVpcEndpointServices reports it, its zones narrowed by any restriction."""
    allowed = restricted.get(entry["ServiceName"])
    if allowed is None:
        return entry
    return {**entry, "AvailabilityZones": [zone for zone in entry["AvailabilityZones"] if zone in allowed]}


def entries_named(backend: EC2Backend, service_name: str) -> list[ServiceEntry]:
    """Every entry (one per endpoint type) for ``service_name`` in the backend's region, unrestricted."""
    region = backend.region_name
    defaults = backend._collect_default_endpoint_services(backend.account_id, region)
    found = [entry for entry in defaults if entry["ServiceName"] == service_name]
    for account_backends in list(ec2_backends.values()):
        regional = dict.get(account_backends, region)
        if regional is None:
            continue
        found += [
            configuration.to_dict()
            for configuration in list(regional.configurations.values())
            if configuration.service_name == service_name
        ]
    return found


def find(backend: EC2Backend, service_name: str) -> OfferedService | None:
    """The service named ``service_name`` in the backend's region, or None if the region has none."""
    restricted = restrictions(backend.region_name)
    entries = [restrict(entry, restricted) for entry in entries_named(backend, service_name)]
    if not entries:
        return None
    zones = dict.fromkeys(zone for entry in entries for zone in entry["AvailabilityZones"])
    return OfferedService(
        name=service_name,
        endpoint_types=frozenset().union(*(_types(entry) for entry in entries)),
        zone_names=tuple(zones),
    )


def restrict_service_zones(region: str, service_name: str, zones: list[str]) -> list[str]:
    """Offer ``service_name`` in ``region`` only in ``zones``; returns the zones, in the region's order.

    Raises ValueError for an unknown region, zone or service, or no zones at all (no service has none).
    """
    known_zones = zone_names(region)
    if not known_zones:
        raise ValueError(f"unknown region {region!r}")
    if not zones:
        raise ValueError("zone_names must name at least one zone")
    unknown = sorted(set(zones) - set(known_zones))
    if unknown:
        raise ValueError(f"not zones of {region}: {', '.join(unknown)}; its zones: {', '.join(known_zones)}")
    backend = ec2_backends[DEFAULT_ACCOUNT_ID][region]
    if not entries_named(backend, service_name):
        raise ValueError(
            f"no endpoint service {service_name!r} in {region} (give the full name, e.g. com.amazonaws.{region}.sts)"
        )
    ordered = [zone for zone in known_zones if zone in zones]
    restrictions(region)[service_name] = ordered
    return ordered


def _types(entry: ServiceEntry) -> frozenset[str]:
    return frozenset(item["ServiceType"] for item in entry["ServiceType"])
