"""Scan benchmark: estates of 1,000 and 5,000 interface endpoints over 50 VPCs on the local emulator.

Prints, per estate: wall time by phase, API calls by operation, and the API-call floor — the calls no
scanner of these facts can avoid: ⌈endpoints / 1,000⌉ DescribeVpcEndpoints pages, one each of
DescribeVpcEndpointServices, DescribeVpcs, DescribeSubnets, DescribeSecurityGroups, DescribeRouteTables and
DescribeNetworkAcls, DescribeVpnGateways and DescribeTransitGatewayVpcAttachments filtered to the VPCs with an S3
or DynamoDB interface endpoint and no gateway endpoint of it (where there are any), and two DescribeVpcAttribute
calls per VPC with interface endpoints (the API has no batched form), and, since endpoint-idle judges traffic,
⌈interface endpoints / 500⌉ CloudWatch GetMetricData calls (500 queries a call). Every other endpoint carries
traffic, published as AWS PrivateLink publishes it.
Target: all the checks with API calls at most 1.2 times the floor, wall time dominated by the emulator's responses.

Then, on an estate of 2,000 endpoints, the scan against its floor in wall time: a plain boto3 script making
exactly the calls ``collect_snapshot`` makes for a whole region (same operations, same page sizes, the
DescribeVpcAttribute calls in a thread pool of the same width) and nothing else, against vpce-guard's scan
(collect, then facts and checks, as ``scan_live`` runs them). Both on the same emulator and estate, each
with its client made beforehand, in turns (which goes first alternates); the median of each is printed with
their ratio. Target: at most 1.15 times the plain script. The two must make the same calls by operation
(asserted). Both leave out the traffic read (one GetMetricData per 500 endpoints, alike for both).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from vpce_guard.aws import ApiCallCounter, AwsSession
from vpce_guard.checks import CheckSettings, run_checks
from vpce_guard.collect import ATTRIBUTE_WORKERS, DNS_ATTRIBUTES, PAGE_SIZE, collect_snapshot, vpcs_needing_paths
from vpce_guard.facts import build_facts
from vpce_guard.scan import scan_snapshot, traffic_window
from vpce_guard.snapshot import Scope
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import EstateBuilder, least_privilege_policy

REGION = "us-east-1"
VPCS = 50
ESTATES = (1_000, 5_000)
REGION_WIDE_DESCRIBES = 6
FLOOR_ESTATE = 2_000
FLOOR_RUNS = 6
FLOOR_TARGET = 1.15
METRIC_QUERIES_PER_CALL = 500


def build_estate(emulator: Emulator, endpoints: int) -> None:
    """50 VPCs, each with private subnets in 3 zones and endpoints to distinct services; every seventh
    endpoint has private DNS off and every eleventh sits in one zone, so the checks have work to do; every
    other endpoint carried traffic an hour ago."""
    ec2 = emulator.client("ec2")
    an_hour_ago = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    build = EstateBuilder(ec2, REGION)
    details = ec2.describe_vpc_endpoint_services()["ServiceDetails"]
    services = sorted(
        {
            detail["ServiceName"]
            for detail in details
            if {"ServiceType": "Interface"} in detail["ServiceType"]
            and detail["ServiceName"].startswith("com.amazonaws.us-east-1.")
        }
    )
    # S3 and DynamoDB interface endpoints with private DNS answer only on-premises queries unless told otherwise,
    # which AWS refuses in a VPC without their gateway endpoint (these VPCs have none).
    with_gateway = {detail["ServiceName"] for detail in details if {"ServiceType": "Gateway"} in detail["ServiceType"]}
    per_vpc = endpoints // VPCS
    if per_vpc > len(services):
        raise SystemExit(f"the emulator offers {len(services)} interface services; {per_vpc} per VPC needed")
    created = 0
    busy: dict[str, dict[datetime, int]] = {}
    for index in range(VPCS):
        vpc = build.vpc(f"10.{index}.0.0/16", zones=3, name=f"bench-{index}")
        group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
        policy = least_privilege_policy("sts", vpc.owner_id, REGION)
        for service in services[:per_vpc]:
            subnets = vpc.private_subnet_ids[:1] if created % 11 == 0 else vpc.private_subnet_ids
            private_dns = created % 7 != 0
            answers_all = service in with_gateway and private_dns
            endpoint = ec2.create_vpc_endpoint(
                VpcEndpointType="Interface",
                VpcId=vpc.id,
                ServiceName=service,
                SubnetIds=list(subnets),
                SecurityGroupIds=[group],
                PrivateDnsEnabled=private_dns,
                PolicyDocument=json.dumps(policy),
                **({"DnsOptions": {"PrivateDnsOnlyForInboundResolverEndpoint": False}} if answers_all else {}),
            )["VpcEndpoint"]["VpcEndpointId"]
            if created % 2 == 0:
                busy[endpoint] = {an_hour_ago: 4096 + created}
            created += 1
        print(f"  built {created}/{endpoints} endpoints", end="\r", file=sys.stderr, flush=True)
    emulator.publish_endpoint_traffic(busy)
    print(file=sys.stderr)


def measure(emulator: Emulator, endpoints: int) -> None:
    emulator.reset()
    started = time.perf_counter()
    build_estate(emulator, endpoints)
    print(f"\n{endpoints:,} interface endpoints over {VPCS} VPCs (built in {time.perf_counter() - started:.0f} s)")

    session = AwsSession(REGION, endpoint_url=emulator.url)
    started = time.perf_counter()
    scope = Scope(REGION, traffic_window=traffic_window(datetime.now(UTC), CheckSettings().traffic_days))
    snapshot = collect_snapshot(session, scope)
    collected = time.perf_counter()
    facts = build_facts(snapshot)
    built = time.perf_counter()
    findings = run_checks(facts, CheckSettings())
    checked = time.perf_counter()

    total = checked - started
    paths = 2 if vpcs_needing_paths(snapshot.response("DescribeVpcEndpoints")["VpcEndpoints"]) else 0
    metric_calls = math.ceil(endpoints / METRIC_QUERIES_PER_CALL)
    floor = math.ceil(endpoints / 1000) + REGION_WIDE_DESCRIBES + paths + 2 * VPCS + metric_calls
    calls = session.counter
    print(f"  wall time        {total:6.2f} s")
    print(
        f"    collection     {collected - started:6.2f} s  "
        f"({(collected - started) / total:.0%}: API round trips to the emulator)"
    )
    print(f"    facts          {built - collected:6.2f} s")
    print(f"    checks         {checked - built:6.2f} s  ({len(findings):,} findings)")
    print(f"  API calls        {calls.total}  (floor {floor}: ratio {calls.total / floor:.2f}, target ≤ 1.20)")
    for operation, count in sorted(calls.calls.items()):
        print(f"    {operation:<30} {count}")


def plain_boto3_scan(ec2: Any) -> None:
    """The floor: the calls ``collect_snapshot`` makes for a whole region, with boto3 alone, every page kept
    and nothing else done with the answers."""

    def pages(method: str, **parameters: Any) -> list[Any]:
        return list(ec2.get_paginator(method).paginate(**parameters))

    paging = {"PaginationConfig": {"PageSize": PAGE_SIZE}}
    endpoints = [item for page in pages("describe_vpc_endpoints", **paging) for item in page["VpcEndpoints"]]
    pages("describe_vpc_endpoint_services", **paging)
    for method in (
        "describe_vpcs",
        "describe_subnets",
        "describe_security_groups",
        "describe_route_tables",
        "describe_network_acls",
    ):
        pages(method)
    needing_paths = vpcs_needing_paths(endpoints)
    if needing_paths:
        ec2.describe_vpn_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": needing_paths}])
        pages("describe_transit_gateway_vpc_attachments", Filters=[{"Name": "vpc-id", "Values": needing_paths}])
    vpc_ids = sorted({endpoint["VpcId"] for endpoint in endpoints if endpoint["VpcEndpointType"] == "Interface"})
    requests = [(vpc_id, attribute) for vpc_id in vpc_ids for attribute in DNS_ATTRIBUTES]
    with ThreadPoolExecutor(max_workers=ATTRIBUTE_WORKERS) as pool:
        list(pool.map(lambda request: ec2.describe_vpc_attribute(VpcId=request[0], Attribute=request[1]), requests))


def timed_plain_scan(emulator: Emulator) -> tuple[float, Counter[str]]:
    counter = ApiCallCounter()
    ec2 = counter.watch(boto3.Session(region_name=REGION).client("ec2", endpoint_url=emulator.url))
    started = time.perf_counter()
    plain_boto3_scan(ec2)
    return time.perf_counter() - started, counter.calls


def timed_scan(emulator: Emulator) -> tuple[float, float, Counter[str]]:
    """vpce-guard's scan of the whole region: its wall time, the collection's part of it, and its calls."""
    session = AwsSession(REGION, endpoint_url=emulator.url)
    session.client("ec2")
    started = time.perf_counter()
    snapshot = collect_snapshot(session, Scope(REGION))
    collected = time.perf_counter()
    scan_snapshot(snapshot, CheckSettings())
    return time.perf_counter() - started, collected - started, session.counter.calls


def measure_against_floor(emulator: Emulator, endpoints: int) -> None:
    emulator.reset()
    build_estate(emulator, endpoints)
    plain: list[float] = []
    scans: list[tuple[float, float]] = []
    for run in range(FLOOR_RUNS):
        if run % 2:  # each goes first as often as the other
            scan_wall, collection, scan_calls = timed_scan(emulator)
            plain_wall, plain_calls = timed_plain_scan(emulator)
        else:
            plain_wall, plain_calls = timed_plain_scan(emulator)
            scan_wall, collection, scan_calls = timed_scan(emulator)
        assert scan_calls == plain_calls, f"the scan made {dict(scan_calls)}, the plain script {dict(plain_calls)}"
        plain.append(plain_wall)
        scans.append((scan_wall, collection))
    floor, scan = statistics.median(plain), statistics.median(wall for wall, _ in scans)
    collection = statistics.median(collection for _, collection in scans)
    checks = statistics.median(wall - collection for wall, collection in scans)
    print(f"\nThe scan against a plain boto3 script making the same calls: {endpoints:,} endpoints over {VPCS} VPCs,")
    print(f"median of {FLOOR_RUNS} runs each, alternating which goes first")
    print(f"  plain boto3 script  {floor:6.2f} s  ({sum(plain_calls.values())} API calls, the same by operation)")
    print(f"  vpce-guard scan     {scan:6.2f} s  (collection {collection:.2f} s, facts and checks {checks:.2f} s)")
    print(f"  ratio               {scan / floor:6.2f}x (target ≤ {FLOOR_TARGET:.2f}x)")


def main() -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    with Emulator(region=REGION) as emulator:
        os.environ.update(emulator.client_environment())
        for endpoints in ESTATES:
            measure(emulator, endpoints)
        measure_against_floor(emulator, FLOOR_ESTATE)


if __name__ == "__main__":
    main()
