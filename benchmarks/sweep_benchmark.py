"""Sweep benchmark: the scheduled sweep of an organization, run as the deployed application runs it.

The emulator hosts an organization of 20 member accounts, each with an estate of 100 interface endpoints over
5 VPCs; template.yaml is deployed as its hub (``local up --org``: the member stacks through the StackSet).
The sweep function then queues one job per (account, region) and the sweep worker, run locally as Lambda
runs it, works them off one per invocation. Prints the fan-out, and per job the time and API calls (the
worker's own count, as the sweep ledger records it), then what that means for a 500-account organization:
jobs of one region-wide evaluation each, so every job stays far inside the worker's time limit, and the
sweep's length is set by the concurrency limit.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from vpce_guard.sweep import SweepLedger
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import EstateBuilder, least_privilege_policy
from vpce_guard_local.sam.deploy import local_up
from vpce_guard_local.sam.queues import drain_queues
from vpce_guard_local.sam.router import send
from vpce_guard_local.sam.template import SamTemplate
from vpce_guard_local.samples import SAMPLE_ACCOUNT, load_event, retarget

REGION = "us-east-1"
MEMBERS = 20
VPCS_PER_ACCOUNT = 5
ENDPOINTS_PER_VPC = 20
ORGANIZATION_SIZE = 500
WORKER_TIMEOUT_SECONDS = 120  # template.yaml's SweepWorkerFunction
CONCURRENCY = 10  # template.yaml's SweepConcurrency default


def build_account_estate(ec2: Any, account_id: str) -> None:
    build = EstateBuilder(ec2, REGION)
    services = sorted(
        detail["ServiceName"]
        for detail in ec2.describe_vpc_endpoint_services()["ServiceDetails"]
        if {"ServiceType": "Interface"} in detail["ServiceType"]
        and detail["ServiceName"].startswith(f"com.amazonaws.{REGION}.")
    )[:ENDPOINTS_PER_VPC]
    for index in range(VPCS_PER_ACCOUNT):
        vpc = build.vpc(f"10.{index}.0.0/16", zones=3, public_subnet=False, name=f"bench-{index}")
        group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
        for number, service in enumerate(services):
            ec2.create_vpc_endpoint(
                VpcEndpointType="Interface",
                VpcId=vpc.id,
                ServiceName=service,
                SubnetIds=vpc.private_subnet_ids,
                SecurityGroupIds=[group],
                PrivateDnsEnabled=number % 7 != 0,
                PolicyDocument=json.dumps(least_privilege_policy("sts", account_id, REGION)),
            )


def main() -> None:
    with Emulator(region=REGION) as emulator, tempfile.TemporaryDirectory() as workdir:
        os.environ.update(emulator.client_environment())
        started = time.perf_counter()
        hub = local_up(
            SamTemplate.load(),
            emulator.url,
            region=REGION,
            stack_file=Path(workdir) / "local-stack.json",
            organization_members=MEMBERS,
        )
        assert hub.organization is not None
        members = hub.organization.member_account_ids
        deployed = time.perf_counter() - started
        for member in members:
            build_account_estate(emulator.client("ec2", account_id=member), member)
        endpoints = MEMBERS * VPCS_PER_ACCOUNT * ENDPOINTS_PER_VPC
        print(f"\nOrganization of {MEMBERS} members and the hub; {endpoints:,} endpoints in the members")
        print(f"  hub and {len(members)} member stacks deployed in {deployed:.1f} s")

        started = time.perf_counter()
        (sweep,) = send(hub, retarget(load_event("schedule-sweep"), {SAMPLE_ACCOUNT: hub.account_id}))
        fanned_out = time.perf_counter() - started
        print(
            f"  sweep function: {sweep.result['jobs']} jobs queued in {sweep.duration_ms:.0f} ms "
            f"({fanned_out:.1f} s with the container's start)"
        )

        started = time.perf_counter()
        jobs = drain_queues(hub)
        worked_off = time.perf_counter() - started
        failed = [job for job in jobs if not job.ok or job.result.get("batchItemFailures")]
        results = SweepLedger(emulator.client("dynamodb"), hub.physical_id("StateTable")).results()
        member_results = [result for result in results if result.account_id in members]
        seconds = [job.duration_ms / 1000 for job in jobs]
        calls = [result.api_calls for result in member_results]
        print(f"  sweep worker: {len(jobs)} jobs in {worked_off:.1f} s, one at a time; {len(failed)} failed")
        print(
            f"    per job: {statistics.median(seconds):.2f} s median, {max(seconds):.2f} s max "
            f"(limit {WORKER_TIMEOUT_SECONDS} s)"
        )
        print(
            f"    per member job ({VPCS_PER_ACCOUNT * ENDPOINTS_PER_VPC} endpoints, {VPCS_PER_ACCOUNT} VPCs): "
            f"{statistics.median(calls):.0f} API calls median (the account's AssumeRole included: one an hour)"
        )
        jobs_at_scale = ORGANIZATION_SIZE
        wall = jobs_at_scale * statistics.median(seconds) / CONCURRENCY
        print(
            f"  {ORGANIZATION_SIZE} accounts, one region: {jobs_at_scale} jobs; at SweepConcurrency {CONCURRENCY} "
            f"about {wall / 60:.1f} min at this job time, each job within its own {WORKER_TIMEOUT_SECONDS} s"
        )


if __name__ == "__main__":
    main()
