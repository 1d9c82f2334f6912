"""Facts collection through the emulator over HTTP: what is read, with how many calls, and failures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from vpce_guard import collect
from vpce_guard.aws import AwsSession, CollectionError
from vpce_guard.checks import CHECKS, Check, CheckSettings
from vpce_guard.collect import collect_snapshot
from vpce_guard.facts import Facts, build_facts
from vpce_guard.findings import Finding, Severity
from vpce_guard.scan import scan_live, scan_snapshot, traffic_window
from vpce_guard.snapshot import OPERATIONS, Scope, TrafficWindow
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
        "DescribeNetworkAcls": 1,
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


def test_a_vpc_scope_reads_the_network_acls_and_paths_elsewhere_of_that_vpc_only(aws_env: Emulator, ec2: Any) -> None:
    first, second = _estate(ec2, vpcs=2)
    build = EstateBuilder(ec2, REGION)
    for vpc_id in (first, second):
        ec2.create_vpc_endpoint(
            VpcEndpointType="Interface", VpcId=vpc_id, ServiceName=build.service_name("s3"), PrivateDnsEnabled=False
        )
    gateway = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpnGatewayId=gateway, VpcId=first)
    transit = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [second]}])["Subnets"]]
    attachment = ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=transit, VpcId=second, SubnetIds=subnets[:1]
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    session = AwsSession(REGION, endpoint_url=aws_env.url)

    facts = build_facts(collect_snapshot(session, Scope(REGION, vpc_ids=(first,))))

    assert facts.vpcs[first].on_premises_paths == (gateway,)
    assert {acl.vpc_id for acl in facts.network_acls.values()} == {first}
    assert all(subnet.network_acl_id in facts.network_acls for subnet in facts.subnets.values())
    assert build_facts(collect_snapshot(session, Scope(REGION, vpc_ids=(second,)))).vpcs[second].on_premises_paths == (
        attachment,
    )


def test_the_traffic_of_each_interface_endpoint_is_read_in_one_call_over_the_window(
    aws_env: Emulator, ec2: Any
) -> None:
    _estate(ec2, vpcs=1)
    busy, quiet = sorted(
        ec2.describe_vpc_endpoints()["VpcEndpoints"], key=lambda endpoint: endpoint["ServiceName"], reverse=True
    )
    window = traffic_window(datetime.now(UTC), days=14)
    aws_env.publish_endpoint_traffic(
        {
            busy["VpcEndpointId"]: {
                window.end - timedelta(days=days_ago, hours=1): value
                for days_ago, value in ((1, 4096), (3, 1024), (20, 10**9))
            }
        }
    )
    session = AwsSession(REGION, endpoint_url=aws_env.url)

    snapshot = collect_snapshot(session, Scope(REGION, traffic_window=window))

    traffic = build_facts(snapshot).traffic
    assert traffic is not None
    assert traffic.window == window
    assert traffic.bytes_processed == {busy["VpcEndpointId"]: 5120.0, quiet["VpcEndpointId"]: 0.0}
    assert session.counter.calls["GetMetricData"] == 1


def _reads_traffic(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    return iter(())


TRAFFIC_CHECK = Check("traffic-probe", Severity.LOW, "probe", "none", False, _reads_traffic, reads_traffic=True)


def test_a_scan_reads_traffic_only_for_a_check_that_judges_it(aws_env: Emulator, ec2: Any) -> None:
    _estate(ec2, vpcs=1)
    now = datetime(2026, 12, 7, 7, 30, 45, tzinfo=UTC)
    without, with_traffic = (AwsSession(REGION, endpoint_url=aws_env.url) for _ in range(2))

    scan_live(without, Scope(REGION), CheckSettings(), [CHECKS["az-coverage"]], now=now)
    result = scan_live(with_traffic, Scope(REGION), CheckSettings(traffic_days=7), [TRAFFIC_CHECK], now=now)

    assert "GetMetricData" not in without.counter.calls
    assert with_traffic.counter.calls["GetMetricData"] == 1
    assert result.snapshot.scope.traffic_window == TrafficWindow(
        datetime(2026, 11, 30, 7, 30, tzinfo=UTC), now.replace(second=0)
    )


def test_a_traffic_check_on_a_snapshot_without_traffic_is_a_problem(aws_env: Emulator, ec2: Any) -> None:
    _estate(ec2, vpcs=1)
    snapshot = collect_snapshot(AwsSession(REGION, endpoint_url=aws_env.url), Scope(REGION))

    result = scan_snapshot(snapshot, CheckSettings(), [TRAFFIC_CHECK])

    assert [(problem.resource_id, problem.message) for problem in result.problems] == [
        ("traffic-probe", "not judged: the snapshot holds no traffic (it was saved by a scan without traffic-probe)")
    ]


def test_paths_elsewhere_are_read_only_where_a_gateway_endpoint_could_replace_an_interface_one(
    aws_env: Emulator, ec2: Any
) -> None:
    both, interface_only = _estate(ec2, vpcs=2)
    build = EstateBuilder(ec2, REGION)
    for vpc_id in (both, interface_only):
        ec2.create_vpc_endpoint(
            VpcEndpointType="Interface", VpcId=vpc_id, ServiceName=build.service_name("s3"), PrivateDnsEnabled=False
        )
    ec2.create_vpc_endpoint(VpcEndpointType="Gateway", VpcId=both, ServiceName=build.service_name("s3", "Gateway"))
    scans = {vpc_id: AwsSession(REGION, endpoint_url=aws_env.url) for vpc_id in (both, interface_only)}

    for vpc_id, session in scans.items():
        collect_snapshot(session, Scope(REGION, vpc_ids=(vpc_id,)))

    assert "DescribeVpnGateways" not in scans[both].counter.calls
    assert scans[interface_only].counter.calls["DescribeVpnGateways"] == 1
    assert scans[interface_only].counter.calls["DescribeTransitGatewayVpcAttachments"] == 1
