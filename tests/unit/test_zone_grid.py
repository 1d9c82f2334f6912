"""The zone grid: each interface endpoint against its VPC's zones, each cell covered, missing, not offered or
unknown, from a scan's facts or from the evidence of recorded az-coverage findings."""

from __future__ import annotations

import msgspec
from unit.checks.facts_builders import (
    ACCOUNT_ID,
    REGION,
    VPC_ID,
    ZONE_NAMES,
    aws_service,
    facts,
    gateway_endpoint,
    interface_endpoint,
    private_subnets,
    public_subnet,
    subnet,
)

from vpce_guard.checks import CheckSettings, az_coverage
from vpce_guard.facts import Facts, Vpc
from vpce_guard.findings import Finding
from vpce_guard.zone_grid import Cell, GridRow, VpcGrid, Zone, grids_of, grids_of_findings

# The default estate's zones, as its account names them: us-east-1a is use1-az4, 1b use1-az6, 1c use1-az1.
AZ4, AZ6, AZ1 = private_subnets()
COVERED, MISSING, NOT_OFFERED, UNKNOWN = Cell.COVERED, Cell.MISSING, Cell.NOT_OFFERED, Cell.UNKNOWN


def row(estate: Facts, endpoint_id: str) -> tuple[Cell, ...]:
    (grid,) = grids_of(estate)
    (found,) = [each for each in grid.rows if each.endpoint_id == endpoint_id]
    return found.cells


def test_each_zone_is_covered_where_the_endpoint_has_a_subnet_and_missing_where_the_service_is_offered() -> None:
    estate = facts(endpoints=[interface_endpoint(subnets=[AZ4])], services=[aws_service()])

    assert row(estate, "vpce-0interface000001") == (COVERED, MISSING, MISSING)


def test_a_zone_the_service_is_not_offered_in_is_not_offered_never_missing() -> None:
    estate = facts(
        endpoints=[interface_endpoint(subnets=[AZ4, AZ6])], services=[aws_service(zone_names=ZONE_NAMES[:2])]
    )

    assert row(estate, "vpce-0interface000001") == (COVERED, COVERED, NOT_OFFERED)


def test_a_service_not_described_leaves_the_zones_without_a_subnet_unknown() -> None:
    estate = facts(endpoints=[interface_endpoint(subnets=[AZ4])], services=[])

    assert row(estate, "vpce-0interface000001") == (COVERED, UNKNOWN, UNKNOWN)


def test_an_endpoint_subnet_missing_from_the_facts_leaves_the_other_zones_unknown() -> None:
    endpoint = msgspec.structs.replace(
        interface_endpoint(subnets=[AZ4]), subnet_ids=(AZ4.id, "subnet-0notread00000001")
    )

    estate = facts(endpoints=[endpoint], services=[aws_service()])

    assert row(estate, endpoint.id) == (COVERED, UNKNOWN, UNKNOWN)


def test_the_zones_are_the_vpcs_by_name_each_with_its_id_and_whether_workloads_run_there() -> None:
    subnets = [AZ6, subnet("subnet-0public0000000001", 0, public=True, route_table_id="rtb-0public0000000001")]

    (grid,) = grids_of(facts(subnets=subnets))

    assert grid.zones == (Zone("use1-az4", "us-east-1a", workload=False), Zone("use1-az6", "us-east-1b", workload=True))


def test_a_vpc_grid_names_the_vpc_its_account_and_region_and_lists_endpoints_by_id() -> None:
    named = Vpc(id=VPC_ID, owner_id=ACCOUNT_ID, cidrs=("10.0.0.0/16",), tags={"Name": "workloads"})
    estate = facts(
        vpcs=[named],
        endpoints=[interface_endpoint("vpce-0b"), interface_endpoint("vpce-0a", subnets=[AZ1])],
        services=[aws_service()],
    )

    (grid,) = grids_of(estate)

    assert (grid.account_id, grid.region, grid.vpc_id, grid.name) == (ACCOUNT_ID, REGION, VPC_ID, "workloads")
    assert grid.rows == (
        GridRow("vpce-0a", "com.amazonaws.us-east-1.bedrock-runtime", "", (MISSING, MISSING, COVERED)),
        GridRow("vpce-0b", "com.amazonaws.us-east-1.bedrock-runtime", "", (COVERED, COVERED, COVERED)),
    )


def test_gateway_endpoints_are_listed_beside_the_grid_and_inactive_endpoints_not_at_all() -> None:
    estate = facts(
        endpoints=[gateway_endpoint(), interface_endpoint(state="deleted")],
        services=[aws_service()],
    )

    (grid,) = grids_of(estate)

    assert grid.rows == ()
    assert grid.other_endpoints == (("vpce-0gateway00000001", "Gateway"),)


def test_a_vpc_without_subnets_has_no_zones() -> None:
    (grid,) = grids_of(facts(subnets=[]))

    assert grid.zones == ()


def az_finding(estate: Facts) -> Finding:
    (finding,) = az_coverage.evaluate(estate, CheckSettings())
    return finding


def test_a_recorded_az_coverage_finding_gives_its_endpoints_row_from_its_evidence() -> None:
    finding = az_finding(
        facts(endpoints=[interface_endpoint(subnets=[AZ4])], services=[aws_service(zone_names=ZONE_NAMES[:2])])
    )

    (grid,) = grids_of_findings([finding])

    assert grid == VpcGrid(
        account_id=ACCOUNT_ID,
        region=REGION,
        vpc_id=VPC_ID,
        name="",
        zones=(Zone("use1-az1", workload=True), Zone("use1-az4", workload=True), Zone("use1-az6", workload=True)),
        rows=(GridRow(finding.resource_id, finding.service_name, "", (NOT_OFFERED, COVERED, MISSING)),),
    )


def test_a_single_zone_finding_names_the_zone_its_vpc_has_beside_its_workloads() -> None:
    finding = az_finding(
        facts(endpoints=[interface_endpoint(subnets=[AZ4])], subnets=[AZ4, public_subnet(1)], services=[aws_service()])
    )

    (grid,) = grids_of_findings([finding])

    assert grid.zones == (Zone("use1-az4", workload=True), Zone("use1-az6", workload=False))
    assert grid.rows[0].cells == (COVERED, MISSING)


def test_a_zone_another_findings_evidence_names_is_unknown_for_this_one() -> None:
    one = az_finding(facts(endpoints=[interface_endpoint("vpce-0one", subnets=[AZ4])], services=[aws_service()]))
    other = msgspec.structs.replace(one, resource_id="vpce-0other", evidence={**one.evidence, "workload_zone_ids": []})
    other = msgspec.structs.replace(other, evidence={**other.evidence, "missing_zone_ids": ["use1-az6"]})

    (grid,) = grids_of_findings([one, other])

    assert [each.cells for each in grid.rows] == [(MISSING, COVERED, MISSING), (UNKNOWN, COVERED, MISSING)]


def test_findings_of_other_checks_give_no_grid() -> None:
    finding = az_finding(facts(endpoints=[interface_endpoint(subnets=[AZ4])], services=[aws_service()]))

    assert grids_of_findings([msgspec.structs.replace(finding, check_id="private-dns-disabled")]) == []
