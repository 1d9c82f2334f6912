"""Event benchmark: what one CloudTrail event costs the on-change function, in API calls and time.

An estate of 1,000 interface endpoints over 50 VPCs is built on the emulator; then, as the function would,
each sample event (retargeted at the estate) is parsed, resolved, evaluated with fresh facts for the VPCs it
touches, and recorded in the state table built from template.yaml. Target: a CreateVpcEndpoint event is
evaluated with at most 9 API calls to EC2 (one VPC's seven describes and its two DNS attributes), and one
CloudWatch GetMetricData for the traffic endpoint-idle judges. Then a DeleteVpcEndpoints naming 1,000
endpoints (the one judged above and 999 more), whose records are read by key in batches: target 5 s, with
bounded calls.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

from scan_benchmark import REGION, build_estate

from vpce_guard.accounts import Accounts
from vpce_guard.aws import AwsSession
from vpce_guard.checks import CHECKS
from vpce_guard.decisions import GuardConfig
from vpce_guard.pipeline import Pipeline
from vpce_guard.snapshot import GET_METRIC_DATA
from vpce_guard.state import KEYS_PER_READ, StateStore
from vpce_guard.trigger import ApiChange, parse_api_change
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import EstateBuilder
from vpce_guard_local.sam.deploy import create_table
from vpce_guard_local.sam.template import SamTemplate
from vpce_guard_local.samples import SAMPLE_ACCOUNT, SAMPLE_ENDPOINT, SAMPLE_GROUP, SAMPLE_VPC, load_event, retarget

ENDPOINTS = 1_000
DELETED = 1_000
ACCOUNT = "123456789012"
TEMPLATE = Path(__file__).parents[1] / "template.yaml"


def state_table(emulator: Emulator) -> str:
    """The state table, as template.yaml declares it."""
    properties = SamTemplate.load(TEMPLATE).resources["StateTable"]["Properties"]
    create_table(emulator.client("dynamodb"), "vpce-guard-state", properties)
    return "vpce-guard-state"


def main() -> None:
    with Emulator(region=REGION) as emulator:
        os.environ.update(emulator.client_environment())
        build_estate(emulator, ENDPOINTS)
        ec2 = emulator.client("ec2")
        builder = EstateBuilder(ec2, REGION)
        vpc = builder.vpc("10.200.0.0/16", zones=2, public_subnet=False)
        group = builder.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
        endpoint = builder.interface_endpoint(
            vpc, "ssm", subnet_ids=vpc.private_subnet_ids, group_ids=[group], private_dns=False
        )
        ids = {
            SAMPLE_ACCOUNT: ACCOUNT,
            SAMPLE_ENDPOINT: endpoint,
            SAMPLE_VPC: vpc.id,
            SAMPLE_GROUP: group,
        }
        session = AwsSession(REGION, endpoint_url=emulator.url)
        pipeline = Pipeline(
            Accounts(lambda region: session),
            StateStore(session.client("dynamodb"), state_table(emulator)),
            GuardConfig(),
        )
        print(f"\nOne event on an estate of {ENDPOINTS:,} interface endpoints over 51 VPCs")
        print("(one warm function: the first event pays for DescribeVpcEndpointServices, later ones reuse it)")
        for sample in (
            "cloudtrail-create-vpc-endpoint-interface",
            "cloudtrail-modify-vpc-endpoint",
            "cloudtrail-authorize-security-group-ingress",
            "cloudtrail-create-vpc-endpoint-interface",
        ):
            change = parse_api_change(retarget(load_event(sample), ids))
            assert isinstance(change, ApiChange)
            before = session.counter.calls.copy()
            started = time.perf_counter()
            pipeline.on_change(change)
            elapsed = time.perf_counter() - started
            calls = session.counter.calls - before
            ec2_calls = {op: n for op, n in calls.items() if op.startswith("Describe")}
            cloudwatch_calls = {op: n for op, n in calls.items() if op == GET_METRIC_DATA}
            state_calls = {op: n for op, n in calls.items() if op not in ec2_calls and op not in cloudwatch_calls}
            print(
                f"  {change.event_name:<30} {elapsed * 1000:6.0f} ms  EC2 calls {sum(ec2_calls.values())} (target ≤ 9)"
            )
            print(f"    EC2:   {', '.join(f'{op} {n}' for op, n in sorted(ec2_calls.items()))}")
            print(f"    CloudWatch: {', '.join(f'{op} {n}' for op, n in sorted(cloudwatch_calls.items())) or 'none'}")
            print(f"    state: {', '.join(f'{op} {n}' for op, n in sorted(state_calls.items()))}")
        ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])
        deleted_ids = (endpoint, *(f"vpce-{n:017x}" for n in range(DELETED - 1)))
        deletion = parse_api_change(retarget(load_event("cloudtrail-delete-vpc-endpoints-several"), ids))
        assert isinstance(deletion, ApiChange)
        deletion = dataclasses.replace(deletion, endpoint_ids=deleted_ids)
        before = session.counter.calls.copy()
        started = time.perf_counter()
        evaluation = pipeline.on_change(deletion)
        elapsed = time.perf_counter() - started
        calls = session.counter.calls - before
        assert evaluation is not None
        bound = -(-DELETED * len(CHECKS) // KEYS_PER_READ)
        print(f"\nDeleteVpcEndpoints naming {DELETED:,} endpoints (the one above, with its records, and the rest)")
        print(
            f"  {elapsed:.2f} s (target 5 s)  state reads: BatchGetItem {calls['BatchGetItem']} "
            f"(bound: ids x {len(CHECKS)} checks / {KEYS_PER_READ} = {bound}), Query {calls['Query']}; "
            f"records resolved {len(evaluation.changes.resolved)} (TransactWriteItems {calls['TransactWriteItems']})"
        )
        print(f"  EC2: {', '.join(f'{op} {n}' for op, n in sorted(calls.items()) if op.startswith('Describe'))}")


if __name__ == "__main__":
    main()
