"""Scan benchmark: estates of 1,000 and 5,000 interface endpoints over 50 VPCs on the local emulator.

Prints, per estate: wall time by phase, API calls by operation, and the API-call floor — the calls no
scanner of these facts can avoid: ⌈endpoints / 1,000⌉ DescribeVpcEndpoints pages, one each of
DescribeVpcEndpointServices, DescribeVpcs, DescribeSubnets, DescribeSecurityGroups, DescribeRouteTables and
DescribeNetworkAcls, two DescribeVpcAttribute calls per VPC with interface endpoints (the API has no batched
form), and, since endpoint-idle judges traffic, ⌈interface endpoints / 500⌉ CloudWatch GetMetricData calls
(500 queries a call). Every other endpoint carries traffic, published as AWS PrivateLink publishes it.
Target: all the checks with API calls at most 1.2 times the floor, wall time dominated by the emulator's responses.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from datetime import UTC, datetime, timedelta

from vpce_guard.aws import AwsSession
from vpce_guard.checks import CheckSettings, run_checks
from vpce_guard.collect import collect_snapshot
from vpce_guard.facts import build_facts
from vpce_guard.scan import traffic_window
from vpce_guard.snapshot import Scope
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import EstateBuilder, least_privilege_policy

REGION = "us-east-1"
VPCS = 50
ESTATES = (1_000, 5_000)
REGION_WIDE_DESCRIBES = 6
METRIC_QUERIES_PER_CALL = 500


def build_estate(emulator: Emulator, endpoints: int) -> None:
    """50 VPCs, each with private subnets in 3 zones and endpoints to distinct services; every seventh
    endpoint has private DNS off and every eleventh sits in one zone, so the checks have work to do; every
    other endpoint carried traffic an hour ago."""
    ec2 = emulator.client("ec2")
    build = EstateBuilder(ec2, REGION)
    an_hour_ago = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    services = sorted(
        {
            detail["ServiceName"]
            for detail in ec2.describe_vpc_endpoint_services()["ServiceDetails"]
            if {"ServiceType": "Interface"} in detail["ServiceType"]
            and detail["ServiceName"].startswith("com.amazonaws.us-east-1.")
        }
    )
    per_vpc = endpoints // VPCS
    if per_vpc > len(services):
        raise SystemExit(f"the emulator offers {len(services)} interface services; {per_vpc} per VPC needed")
    created = 0
    for index in range(VPCS):
        vpc = build.vpc(f"10.{index}.0.0/16", zones=3, name=f"bench-{index}")
        group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
        policy = least_privilege_policy("sts", vpc.owner_id, REGION)
        busy = {}
        for service in services[:per_vpc]:
            subnets = vpc.private_subnet_ids[:1] if created % 11 == 0 else vpc.private_subnet_ids
            endpoint = ec2.create_vpc_endpoint(
                VpcEndpointType="Interface",
                VpcId=vpc.id,
                ServiceName=service,
                SubnetIds=list(subnets),
                SecurityGroupIds=[group],
                PrivateDnsEnabled=created % 7 != 0,
                PolicyDocument=json.dumps(policy),
            )["VpcEndpoint"]["VpcEndpointId"]
            if created % 2 == 0:
                busy[endpoint] = {an_hour_ago: 4096 + created}
            created += 1
        emulator.publish_endpoint_traffic(busy)
        print(f"  built {created}/{endpoints} endpoints", end="\r", file=sys.stderr, flush=True)
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
    floor = (
        math.ceil(endpoints / 1000) + REGION_WIDE_DESCRIBES + 2 * VPCS + math.ceil(endpoints / METRIC_QUERIES_PER_CALL)
    )
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


def main() -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    with Emulator(region=REGION) as emulator:
        os.environ.update(emulator.client_environment())
        for endpoints in ESTATES:
            measure(emulator, endpoints)


if __name__ == "__main__":
    main()
