"""missing-baseline-endpoint: one test per scenario of the module docstring."""

from __future__ import annotations

import pytest
from facts_builders import (
    VPC_ID,
    aws_service,
    facts,
    gateway_endpoint,
    interface_endpoint,
    private_subnets,
    public_subnet,
    service_name,
    subnet,
    vpc,
)

from vpce_guard.catalog import BaselineEntry
from vpce_guard.checks import missing_baseline_endpoint
from vpce_guard.checks.base import CheckSettings
from vpce_guard.facts import GATEWAY, INTERFACE, Endpoint, Facts, Service
from vpce_guard.findings import VPC_RESOURCE, Finding, Severity

# Seed 002's production minimum, as the default settings hold it.
BASELINE = (
    ("s3", GATEWAY),
    ("ecr.api", INTERFACE),
    ("ecr.dkr", INTERFACE),
    ("sts", INTERFACE),
    ("logs", INTERFACE),
    ("ssm", INTERFACE),
    ("ssmmessages", INTERFACE),
    ("ec2messages", INTERFACE),
)
# Seed 003: the China regions name some services cn.com.amazonaws.<region>.<svc>, others com.amazonaws.
CHINA_NAMES = {
    "s3": "com.amazonaws.cn-north-1.s3",
    "ecr.api": "cn.com.amazonaws.cn-north-1.ecr.api",
    "ecr.dkr": "cn.com.amazonaws.cn-north-1.ecr.dkr",
    "sts": "cn.com.amazonaws.cn-north-1.sts",
    "logs": "com.amazonaws.cn-north-1.logs",
    "ssm": "com.amazonaws.cn-north-1.ssm",
    "ssmmessages": "com.amazonaws.cn-north-1.ssmmessages",
    "ec2messages": "com.amazonaws.cn-north-1.ec2messages",
}


def run(estate: Facts, settings: CheckSettings | None = None) -> list[Finding]:
    return list(missing_baseline_endpoint.evaluate(estate, settings or CheckSettings()))


def endpoint(key: str, endpoint_type: str, *, name: str | None = None, state: str = "available") -> Endpoint:
    endpoint_id = f"vpce-0{key.replace('.', '')}".ljust(22, "0")
    if endpoint_type == GATEWAY:
        return gateway_endpoint(endpoint_id, service=key, name=name, state=state)
    return interface_endpoint(endpoint_id, service=key, name=name, state=state)


def baseline_endpoints(*, without: tuple[str, ...] = ()) -> list[Endpoint]:
    return [endpoint(key, endpoint_type) for key, endpoint_type in BASELINE if key not in without]


def offered(*, without: tuple[str, ...] = ()) -> list[Service]:
    return [aws_service(key, endpoint_type=endpoint_type) for key, endpoint_type in BASELINE if key not in without]


def missing_keys(finding: Finding) -> list[str]:
    return [item["service"] for item in finding.evidence["missing"]]


def test_private_vpc_without_baseline_endpoints_is_low_ticket_on_the_vpc() -> None:
    (finding,) = run(facts(services=offered()))

    assert (finding.resource_type, finding.resource_id, finding.service_name) == (VPC_RESOURCE, VPC_ID, None)
    assert (finding.severity, finding.remediation.action, finding.remediation.automatic) == (
        Severity.LOW,
        "create-endpoint",
        False,
    )


def test_evidence_lists_missing_entries_sorted_with_expected_names() -> None:
    (finding,) = run(facts(endpoints=baseline_endpoints(without=("sts", "ecr.api", "s3")), services=offered()))

    assert finding.evidence["missing"] == [
        {"service": "ecr.api", "type": INTERFACE, "service_name": "com.amazonaws.us-east-1.ecr.api"},
        {"service": "s3", "type": GATEWAY, "service_name": "com.amazonaws.us-east-1.s3"},
        {"service": "sts", "type": INTERFACE, "service_name": "com.amazonaws.us-east-1.sts"},
    ]


def test_evidence_lists_present_service_keys_sorted() -> None:
    present = [endpoint("sts", INTERFACE), endpoint("bedrock-runtime", INTERFACE), endpoint("s3", GATEWAY)]

    (finding,) = run(facts(endpoints=present, services=offered()))

    assert finding.evidence["present"] == ["bedrock-runtime", "s3", "sts"]


def test_detail_names_the_vpc_and_each_missing_service() -> None:
    (finding,) = run(facts(endpoints=baseline_endpoints(without=("logs",)), services=offered()))

    assert VPC_ID in finding.detail
    assert "com.amazonaws.us-east-1.logs (Interface)" in finding.detail


def test_every_baseline_endpoint_present_is_no_finding() -> None:
    assert run(facts(endpoints=baseline_endpoints(), services=offered())) == []


def test_s3_interface_endpoint_satisfies_the_s3_gateway_entry() -> None:
    endpoints = [*baseline_endpoints(without=("s3",)), endpoint("s3", INTERFACE)]

    assert run(facts(endpoints=endpoints, services=offered())) == []


def test_china_region_service_names_satisfy_baseline() -> None:
    endpoints = [endpoint(key, endpoint_type, name=CHINA_NAMES[key]) for key, endpoint_type in BASELINE]

    assert run(facts(endpoints=endpoints, region="cn-north-1")) == []


def test_china_region_expected_names_carry_each_services_prefix() -> None:
    (finding,) = run(facts(region="cn-north-1"))

    assert {item["service"]: item["service_name"] for item in finding.evidence["missing"]} == CHINA_NAMES


def test_endpoint_for_another_regions_service_does_not_count() -> None:
    other_region = endpoint("sts", INTERFACE, name=service_name("sts", region="us-west-2"))

    (finding,) = run(facts(endpoints=[*baseline_endpoints(without=("sts",)), other_region], services=offered()))

    assert missing_keys(finding) == ["sts"]


def test_non_aws_prefix_does_not_count() -> None:
    lookalike = endpoint("sts", INTERFACE, name="com.example.us-east-1.sts")

    (finding,) = run(facts(endpoints=[*baseline_endpoints(without=("sts",)), lookalike], services=offered()))

    assert missing_keys(finding) == ["sts"]


@pytest.mark.parametrize("state", ["deleting", "deleted", "failed", "rejected", "expired"])
def test_inactive_endpoint_does_not_count(state: str) -> None:
    inactive = endpoint("sts", INTERFACE, state=state)

    (finding,) = run(facts(endpoints=[*baseline_endpoints(without=("sts",)), inactive], services=offered()))

    assert missing_keys(finding) == ["sts"]


def test_endpoint_in_another_vpc_does_not_count() -> None:
    elsewhere = interface_endpoint(service="sts", vpc_id="vpc-0other0000000001")

    (finding,) = run(facts(endpoints=[*baseline_endpoints(without=("sts",)), elsewhere], services=offered()))

    assert missing_keys(finding) == ["sts"]


def test_service_the_region_does_not_offer_is_not_required() -> None:
    endpoints = baseline_endpoints(without=("ecr.api", "ecr.dkr"))

    assert run(facts(endpoints=endpoints, services=offered(without=("ecr.api", "ecr.dkr")))) == []


def test_every_entry_is_required_when_services_were_not_collected() -> None:
    (finding,) = run(facts())

    assert sorted(missing_keys(finding)) == sorted(key for key, _ in BASELINE)


def test_default_vpc_with_only_public_subnets_needs_no_baseline() -> None:
    default_vpc = vpc(cidrs=("172.31.0.0/16",))
    public = [public_subnet(zone) for zone in (0, 1, 2)]

    assert run(facts(vpcs=[default_vpc], subnets=public, services=offered())) == []


def test_one_private_subnet_among_public_ones_is_enough_to_judge() -> None:
    subnets = [public_subnet(0), public_subnet(1), *private_subnets([2])]

    assert len(run(facts(subnets=subnets, services=offered()))) == 1


def test_vpc_without_subnets_needs_no_baseline() -> None:
    assert run(facts(subnets=[], services=offered())) == []


def test_configured_baseline_replaces_the_default() -> None:
    settings = CheckSettings(baseline=(BaselineEntry("secretsmanager", INTERFACE),))

    (finding,) = run(facts(services=[*offered(), aws_service("secretsmanager")]), settings)

    assert missing_keys(finding) == ["secretsmanager"]


def test_each_private_vpc_gets_its_own_finding_in_vpc_order() -> None:
    second_vpc = "vpc-00000000000000002"
    estate = facts(
        vpcs=[vpc(), vpc(second_vpc, cidrs=("10.1.0.0/16",))],
        subnets=[*private_subnets(), subnet("subnet-0second000000001", 0, vpc_id=second_vpc)],
        services=offered(),
    )

    assert [finding.resource_id for finding in run(estate)] == sorted([VPC_ID, second_vpc])
