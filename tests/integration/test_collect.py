"""Facts collection through the emulator over HTTP: what is read, with how many calls, and failures."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from vpce_guard import collect
from vpce_guard.aws import AwsSession
from vpce_guard.collect import CollectionError, collect_snapshot
from vpce_guard.facts import build_facts
from vpce_guard.snapshot import OPERATIONS, Scope
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import EstateBuilder

pytestmark = pytest.mark.server


def _estate(ec2: Any, vpcs: int = 2, endpoints_per_vpc: int = 2) -> list[str]:
    build = EstateBuilder(ec2, REGION)
    vpc_ids = []
    for index in range(vpcs):
        vpc = build.vpc(f"10.{index}.0.0/16", zones=2)
        group = build.security_group(vpc, "vpce", https_from_cidrs=[vpc.cidr])
        for key in ("sts", "logs", "kms", "sqs")[:endpoints_per_vpc]:
            build.interface_endpoint(vpc, key, subnet_ids=vpc.private_subnet_ids, group_ids=[group])
        vpc_ids.append(vpc.id)
    return vpc_ids


def test_region_scan_reads_every_operation_once_plus_dns_attributes_per_vpc(aws_env: Emulator, ec2: Any) -> None:
    _estate(ec2, vpcs=2)
    session = AwsSession(REGION, endpoint_url=aws_env.url)

    snapshot = collect_snapshot(session, Scope(REGION))

    assert set(snapshot.responses) == set(OPERATIONS)
    assert session.counter.calls == {
        "DescribeVpcEndpoints": 1,
        "DescribeVpcEndpointServices": 1,
        "DescribeVpcs": 1,
        "DescribeSubnets": 1,
        "DescribeSecurityGroups": 1,
        "DescribeRouteTables": 1,
        "DescribeVpcAttribute": 4,
    }


def test_endpoints_are_read_in_pages_and_merged(aws_env: Emulator, ec2: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _estate(ec2, vpcs=3, endpoints_per_vpc=4)
    monkeypatch.setattr(collect, "PAGE_SIZE", 5)
    session = AwsSession(REGION, endpoint_url=aws_env.url)

    snapshot = collect_snapshot(session, Scope(REGION))

    assert len(snapshot.response("DescribeVpcEndpoints")["VpcEndpoints"]) == 12
    assert session.counter.calls["DescribeVpcEndpoints"] == 3


def test_vpc_scope_reads_only_that_vpc(aws_env: Emulator, ec2: Any) -> None:
    first, _ = _estate(ec2, vpcs=2)
    session = AwsSession(REGION, endpoint_url=aws_env.url)

    facts = build_facts(collect_snapshot(session, Scope(REGION, vpc_ids=(first,))))

    assert {endpoint.vpc_id for endpoint in facts.endpoints} == {first}
    assert set(facts.vpcs) == {first}
    assert {subnet.vpc_id for subnet in facts.subnets.values()} == {first}


def test_endpoint_scope_reads_the_whole_vpcs_of_those_endpoints(aws_env: Emulator, ec2: Any) -> None:
    _, second = _estate(ec2, vpcs=2)
    in_second = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [second]}])["VpcEndpoints"]
    session = AwsSession(REGION, endpoint_url=aws_env.url)

    snapshot = collect_snapshot(session, Scope(REGION, endpoint_ids=(in_second[0]["VpcEndpointId"],)))

    facts = build_facts(snapshot)
    assert {endpoint.id for endpoint in facts.endpoints} == {e["VpcEndpointId"] for e in in_second}
    assert set(facts.vpcs) == {second}
    assert snapshot.scope.vpc_ids == (second,)


def test_endpoint_scope_of_deleted_endpoints_reads_nothing_more(aws_env: Emulator, ec2: Any) -> None:
    _estate(ec2, vpcs=1)
    session = AwsSession(REGION, endpoint_url=aws_env.url)

    facts = build_facts(collect_snapshot(session, Scope(REGION, endpoint_ids=("vpce-0123456789abcdef0",))))

    assert (facts.endpoints, dict(facts.vpcs)) == ((), {})
    assert session.counter.calls["DescribeSubnets"] == 0


def test_vpc_facts_carry_dns_attributes_zone_ids_and_effective_route_tables(aws_env: Emulator, ec2: Any) -> None:
    build = EstateBuilder(ec2, REGION)
    vpc = build.vpc("10.0.0.0/16", zones=2)
    build.set_vpc_dns(vpc.id, support=True, hostnames=False)
    group = build.security_group(vpc, "vpce", https_from_cidrs=[vpc.cidr])
    build.interface_endpoint(vpc, "sts", subnet_ids=vpc.private_subnet_ids, group_ids=[group])

    facts = build_facts(collect_snapshot(AwsSession(REGION, endpoint_url=aws_env.url), Scope(REGION)))

    assert (facts.vpcs[vpc.id].dns_support, facts.vpcs[vpc.id].dns_hostnames) == (True, False)
    assert all(facts.subnets[subnet].is_public for subnet in vpc.public_subnet_ids)
    assert all(not facts.subnets[subnet].is_public for subnet in vpc.private_subnet_ids)
    assert all(facts.subnets[subnet].zone_id.startswith("use1-az") for subnet in vpc.private_subnet_ids)


class _DeniedSession(AwsSession):
    """Clients whose DescribeSubnets is refused by the service, as for a role lacking the permission."""

    def client(self, service: str) -> Any:
        client = super().client(service)
        client.meta.events.register("before-call.ec2.DescribeSubnets", _deny)
        return client


def _deny(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
    error = {"Code": "UnauthorizedOperation", "Message": "You are not authorized to perform this operation."}
    return AWSResponse("https://ec2", 403, {}, None), {
        "Error": error,
        "ResponseMetadata": {"HTTPStatusCode": 403},
    }


def test_a_refused_describe_is_an_error_naming_the_call_and_the_fix(aws_env: Emulator, ec2: Any) -> None:
    _estate(ec2, vpcs=1)

    with pytest.raises(CollectionError, match=r"DescribeSubnets failed in us-east-1: UnauthorizedOperation") as error:
        collect_snapshot(_DeniedSession(REGION, endpoint_url=aws_env.url), Scope(REGION))

    assert "Grant ec2:DescribeSubnets" in str(error.value)


def test_an_unreachable_api_is_an_error_not_an_empty_scan(aws_env: Emulator) -> None:
    session = AwsSession(REGION, endpoint_url="http://127.0.0.1:9")

    with pytest.raises(CollectionError, match="DescribeVpcEndpoints failed"):
        collect_snapshot(session, Scope(REGION))
