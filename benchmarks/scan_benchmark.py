"""Scan benchmark: estates of 1,000 and 5,000 interface endpoints over 50 VPCs on the local emulator.

Prints, per estate: wall time by phase, API calls by operation, and the API-call floor — the calls no
scanner of these facts can avoid: ⌈endpoints / 1,000⌉ DescribeVpcEndpoints pages, one each of
DescribeVpcEndpointServices, DescribeVpcs, DescribeSubnets, DescribeSecurityGroups, DescribeRouteTables,
DescribeNetworkAcls, DescribeVpnGateways and DescribeTransitGatewayVpcAttachments,
and two DescribeVpcAttribute calls per VPC with interface endpoints (the API has no batched form).
Target: all ten checks with API calls at most 1.2 times the floor, wall time dominated by the emulator's responses.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from typing import Any

from vpce_guard.aws import AwsSession
from vpce_guard.checks import CheckSettings, run_checks
from vpce_guard.collect import collect_snapshot
from vpce_guard.facts import build_facts
from vpce_guard.snapshot import Scope
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import EstateBuilder, least_privilege_policy

REGION = "us-east-1"
VPCS = 50
ESTATES = (1_000, 5_000)
REGION_WIDE_DESCRIBES = 8


def build_estate(ec2: Any, endpoints: int) -> None:
    """50 VPCs, each with private subnets in 3 zones and endpoints to distinct services; every seventh
    endpoint has private DNS off and every eleventh sits in one zone, so the checks have work to do."""
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
    for index in range(VPCS):
        vpc = build.vpc(f"10.{index}.0.0/16", zones=3, name=f"bench-{index}")
        group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
        policy = least_privilege_policy("sts", vpc.owner_id, REGION)
        for service in services[:per_vpc]:
            subnets = vpc.private_subnet_ids[:1] if created % 11 == 0 else vpc.private_subnet_ids
            private_dns = created % 7 != 0
            answers_all = service in with_gateway and private_dns
            ec2.create_vpc_endpoint(
                VpcEndpointType="Interface",
                VpcId=vpc.id,
                ServiceName=service,
                SubnetIds=list(subnets),
                SecurityGroupIds=[group],
                PrivateDnsEnabled=private_dns,
                PolicyDocument=json.dumps(policy),
                **({"DnsOptions": {"PrivateDnsOnlyForInboundResolverEndpoint": False}} if answers_all else {}),
            )
            created += 1
        print(f"  built {created}/{endpoints} endpoints", end="\r", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def measure(emulator: Emulator, endpoints: int) -> None:
    emulator.reset()
    started = time.perf_counter()
    build_estate(emulator.client("ec2"), endpoints)
    print(f"\n{endpoints:,} interface endpoints over {VPCS} VPCs (built in {time.perf_counter() - started:.0f} s)")

    session = AwsSession(REGION, endpoint_url=emulator.url)
    started = time.perf_counter()
    snapshot = collect_snapshot(session, Scope(REGION))
    collected = time.perf_counter()
    facts = build_facts(snapshot)
    built = time.perf_counter()
    findings = run_checks(facts, CheckSettings())
    checked = time.perf_counter()

    total = checked - started
    floor = math.ceil(endpoints / 1000) + REGION_WIDE_DESCRIBES + 2 * VPCS
    calls = session.counter
    print(f"  wall time        {total:6.2f} s")
    print(
        f"    collection     {collected - started:6.2f} s  "
        f"({(collected - started) / total:.0%}: API round trips to the emulator)"
    )
    print(f"    facts          {built - collected:6.2f} s")
    print(f"    ten checks     {checked - built:6.2f} s  ({len(findings):,} findings)")
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
