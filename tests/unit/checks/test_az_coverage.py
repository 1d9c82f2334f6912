"""az-coverage: one test per scenario of the module docstring."""

from __future__ import annotations

import pytest
from facts_builders import (
    PUBLIC_TABLE,
    ZONE_NAMES,
    aws_service,
    facts,
    gateway_endpoint,
    interface_endpoint,
    private_subnets,
    public_subnet,
    subnet,
)

from vpce_guard.checks import az_coverage
from vpce_guard.checks.base import CheckSettings
from vpce_guard.facts import Facts, Subnet
from vpce_guard.findings import Finding, Severity

# The default estate: private subnets in use1-az4 (us-east-1a), use1-az6 (us-east-1b), use1-az1 (us-east-1c).
AZ4, AZ6, AZ1 = private_subnets()


def run(estate: Facts) -> list[Finding]:
    return list(az_coverage.evaluate(estate, CheckSettings()))


def estate(
    endpoint_subnets: list[Subnet],
    *,
    subnets: list[Subnet] | None = None,
    zone_names: tuple[str, ...] = ZONE_NAMES,
) -> Facts:
    return facts(
        endpoints=[interface_endpoint(subnets=endpoint_subnets)],
        subnets=subnets,
        services=[aws_service(zone_names=zone_names)],
    )


def test_workload_zone_without_endpoint_subnet_is_medium_finding() -> None:
    (finding,) = run(estate([AZ4, AZ6]))

    assert (finding.check_id, finding.severity, finding.remediation.action) == (
        "az-coverage",
        Severity.MEDIUM,
        "add-endpoint-subnets",
    )
    assert finding.evidence["missing_zone_ids"] == ["use1-az1"]


def test_evidence_lists_zone_ids_sorted() -> None:
    (finding,) = run(estate([AZ6, AZ4]))

    assert finding.evidence == {
        "endpoint_zone_ids": ["use1-az4", "use1-az6"],
        "workload_zone_ids": ["use1-az1", "use1-az4", "use1-az6"],
        "service_zone_ids": ["use1-az1", "use1-az4", "use1-az6"],
        "missing_zone_ids": ["use1-az1"],
    }


def test_detail_names_the_endpoint_and_the_missing_zone() -> None:
    endpoint = interface_endpoint(subnets=[AZ4, AZ6])

    (finding,) = run(facts(endpoints=[endpoint], services=[aws_service()]))

    assert endpoint.id in finding.detail
    assert "use1-az1" in finding.detail


def test_endpoint_in_one_zone_with_service_offered_in_another_vpc_zone_is_a_finding() -> None:
    workloads = [AZ4, public_subnet(1)]

    (finding,) = run(estate([AZ4], subnets=workloads))

    assert finding.evidence["missing_zone_ids"] == ["use1-az6"]
    assert "use1-az4 only" in finding.detail


def test_endpoint_in_every_workload_zone_is_no_finding() -> None:
    assert run(estate([AZ4, AZ6, AZ1])) == []


def test_public_only_zone_is_not_required_when_endpoint_spans_zones() -> None:
    workloads = [AZ4, AZ6, subnet("subnet-0public00000000003", 2, route_table_id=PUBLIC_TABLE, public=True)]

    assert run(estate([AZ4, AZ6], subnets=workloads)) == []


def test_workload_zone_where_service_is_not_offered_is_not_required() -> None:
    assert run(estate([AZ4, AZ6], zone_names=ZONE_NAMES[:2])) == []


def test_undescribed_service_is_no_finding() -> None:
    endpoint = interface_endpoint(name="com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0", subnets=[AZ4])

    assert run(facts(endpoints=[endpoint], services=[aws_service()])) == []


def test_service_listing_no_zones_is_no_finding() -> None:
    assert run(estate([AZ4], zone_names=())) == []


def test_service_offered_in_one_zone_only_is_no_finding() -> None:
    assert run(estate([AZ4], zone_names=ZONE_NAMES[:1])) == []


def test_vpc_with_subnets_in_one_zone_only_is_no_finding() -> None:
    second_in_az4 = subnet("subnet-0private00000000099", 0, index=1)

    assert run(estate([AZ4], subnets=[AZ4, second_in_az4])) == []


def test_two_subnets_in_one_zone_is_still_single_zone() -> None:
    second_in_az4 = subnet("subnet-0private00000000099", 0, index=1)

    (finding,) = run(estate([AZ4, second_in_az4], subnets=[AZ4, second_in_az4, AZ6]))

    assert finding.evidence["endpoint_zone_ids"] == ["use1-az4"]


def test_service_zone_names_are_compared_as_this_accounts_zone_ids() -> None:
    # In this account us-east-1a is use1-az4 and us-east-1c is use1-az1.
    (finding,) = run(estate([AZ4, AZ6], zone_names=("us-east-1c", "us-east-1a")))

    assert (finding.evidence["service_zone_ids"], finding.evidence["missing_zone_ids"]) == (
        ["use1-az1", "use1-az4"],
        ["use1-az1"],
    )


def test_endpoint_subnet_missing_from_facts_is_no_finding() -> None:
    undescribed = subnet("subnet-0elsewhere000000001", 0)

    assert run(estate([undescribed], subnets=[AZ4, AZ6, AZ1])) == []


def test_gateway_endpoint_is_no_finding() -> None:
    assert run(facts(endpoints=[gateway_endpoint()], services=[aws_service("s3", endpoint_type="Gateway")])) == []


@pytest.mark.parametrize("state", ["deleting", "deleted", "failed", "rejected", "expired"])
def test_inactive_endpoint_is_no_finding(state: str) -> None:
    endpoint = interface_endpoint(subnets=[AZ4], state=state)

    assert run(facts(endpoints=[endpoint], services=[aws_service()])) == []
