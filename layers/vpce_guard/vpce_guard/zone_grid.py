"""The availability-zone grid of the HTML report: per VPC, each interface endpoint against the VPC's zones.

A cell says, for one endpoint and one zone: covered (the endpoint has a subnet there), missing (the service is
offered there and the endpoint has no subnet), not offered (the service is not offered in that zone, so there
is nothing to add), or unknown (the facts do not say: the service was not described, or an endpoint subnet
is not among the facts). Zones are zone ids (zone names are shuffled per account), shown with this account's
names where the facts hold them.

A scan's facts give every VPC and every active interface endpoint. The state table keeps findings, not the
facts they were found in: from its records the grid holds only the endpoints with an unresolved az-coverage
finding, as that finding's evidence last saw them, by zone id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

import msgspec

from vpce_guard.facts import Endpoint, Facts
from vpce_guard.findings import Finding

AZ_COVERAGE = "az-coverage"


class Cell(StrEnum):
    COVERED = "covered"
    MISSING = "missing"
    NOT_OFFERED = "not offered"
    UNKNOWN = "unknown"


class Zone(msgspec.Struct, frozen=True):
    """A zone of a VPC: its id, this account's name for it (None where only the id is known), and whether
    the VPC's workloads run there (its private subnets; all subnets of a VPC without one); None: not known."""

    id: str
    name: str | None = None
    workload: bool | None = None


class GridRow(msgspec.Struct, frozen=True):
    """One endpoint: a cell per zone of its grid, in the grid's order."""

    endpoint_id: str
    service_name: str | None
    name: str
    cells: tuple[Cell, ...]


class VpcGrid(msgspec.Struct, frozen=True):
    """A VPC's zones and its interface endpoints; ``other_endpoints`` are its endpoints that are not placed in
    zones by subnet (gateway endpoints are routes), as (id, type)."""

    account_id: str
    region: str
    vpc_id: str
    name: str
    zones: tuple[Zone, ...]
    rows: tuple[GridRow, ...]
    other_endpoints: tuple[tuple[str, str], ...] = ()


def grids_of(facts: Facts) -> list[VpcGrid]:
    """The grid of every VPC of a scan's facts, by VPC id."""
    grids = []
    for vpc_id in sorted(facts.vpcs):
        vpc = facts.vpcs[vpc_id]
        names = {subnet.zone_id: subnet.zone_name for subnet in facts.subnets_in(vpc_id)}
        workload = {subnet.zone_id for subnet in facts.workload_subnets(vpc_id)}
        zones = tuple(Zone(zone_id, names[zone_id], zone_id in workload) for zone_id in _by_name(names))
        endpoints = sorted(facts.endpoints_in(vpc_id), key=lambda endpoint: endpoint.id)
        grids.append(
            VpcGrid(
                account_id=vpc.owner_id,
                region=facts.region,
                vpc_id=vpc_id,
                name=vpc.tags.get("Name", ""),
                zones=zones,
                rows=tuple(_row(facts, endpoint, zones) for endpoint in endpoints if endpoint.is_interface),
                other_endpoints=tuple((e.id, e.type) for e in endpoints if not e.is_interface),
            )
        )
    return grids


def _by_name(names: Mapping[str, str]) -> list[str]:
    """Zone ids in the order of their names (us-east-1a, us-east-1b, ...), as the console lists them."""
    return sorted(names, key=lambda zone_id: (names[zone_id], zone_id))


def _row(facts: Facts, endpoint: Endpoint, zones: Sequence[Zone]) -> GridRow:
    subnets = [facts.subnets.get(subnet_id) for subnet_id in endpoint.subnet_ids]
    covered = {subnet.zone_id for subnet in subnets if subnet is not None}
    service = facts.service_of(endpoint)
    offered = (
        None
        if service is None or None in subnets
        else {zone_id for name in service.zone_names if (zone_id := facts.zone_id(name)) is not None}
    )
    return GridRow(
        endpoint_id=endpoint.id,
        service_name=endpoint.service_name,
        name=endpoint.tags.get("Name", ""),
        cells=tuple(_cell(zone.id, covered, offered) for zone in zones),
    )


def _cell(zone_id: str, covered: set[str], offered: set[str] | None) -> Cell:
    if zone_id in covered:
        return Cell.COVERED
    if offered is None:
        return Cell.UNKNOWN
    return Cell.MISSING if zone_id in offered else Cell.NOT_OFFERED


class _Evidence(msgspec.Struct, frozen=True):
    """The zones an az-coverage finding's evidence names, by zone id."""

    endpoint: frozenset[str]
    workload: frozenset[str]
    service: frozenset[str]
    missing: frozenset[str]

    @classmethod
    def of(cls, evidence: Mapping[str, Any]) -> _Evidence:
        def zone_ids(key: str) -> frozenset[str]:
            value = evidence.get(key)
            return (
                frozenset(item for item in value if isinstance(item, str)) if isinstance(value, list) else frozenset()
            )

        return cls(
            zone_ids("endpoint_zone_ids"),
            zone_ids("workload_zone_ids"),
            zone_ids("service_zone_ids"),
            zone_ids("missing_zone_ids"),
        )

    @property
    def named(self) -> frozenset[str]:
        return self.endpoint | self.workload | self.missing

    def cell(self, zone_id: str) -> Cell:
        """Covered and missing as the evidence says; a zone it names that the service is not offered in is
        not offered; a zone it does not name is unknown."""
        if zone_id in self.endpoint:
            return Cell.COVERED
        if zone_id in self.missing:
            return Cell.MISSING
        if zone_id in self.named and zone_id not in self.service:
            return Cell.NOT_OFFERED
        return Cell.UNKNOWN


def grids_of_findings(findings: Iterable[Finding]) -> list[VpcGrid]:
    """The grids the evidence of az-coverage findings gives, one per account, region and VPC; the caller
    passes only the findings still open. Zones are known by id only."""
    by_vpc: defaultdict[tuple[str, str, str], list[tuple[Finding, _Evidence]]] = defaultdict(list)
    for finding in findings:
        if finding.check_id == AZ_COVERAGE:
            by_vpc[(finding.account_id, finding.region, finding.vpc_id)].append(
                (finding, _Evidence.of(finding.evidence))
            )
    grids = []
    for (account_id, region, vpc_id), rows in sorted(by_vpc.items()):
        zone_ids = sorted(set().union(*(evidence.named for _, evidence in rows)))
        workload = set().union(*(evidence.workload for _, evidence in rows))
        grids.append(
            VpcGrid(
                account_id=account_id,
                region=region,
                vpc_id=vpc_id,
                name="",
                zones=tuple(Zone(zone_id, workload=zone_id in workload) for zone_id in zone_ids),
                rows=tuple(
                    GridRow(
                        endpoint_id=finding.resource_id,
                        service_name=finding.service_name,
                        name="",
                        cells=tuple(evidence.cell(zone_id) for zone_id in zone_ids),
                    )
                    for finding, evidence in sorted(rows, key=lambda row: row[0].resource_id)
                ),
            )
        )
    return grids
