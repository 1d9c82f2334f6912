"""The two gateway cost checks through the emulator over HTTP. s3-interface-bypasses-gateway: found on a built
estate, changed by the pipeline in enforce mode (once the account's bucket policies are read: never on a scan
or in ticket mode) and read back, rolled back exactly with `vpce-guard rollback`, a ticket when a route table
lacks the gateway endpoint, when a bucket policy names the interface endpoint in aws:SourceVpce, or when the
functions have no path to S3, a plan only in dry-run, and AWS's refusal when the gateway endpoint is gone.
interface-where-gateway-serves: found, silenced by a path from on premises, never changed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from evaluation_clock import Clock
from integration.remediation.sealed_state import sealed_store

from vpce_guard.accounts import Accounts
from vpce_guard.aws import AwsSession
from vpce_guard.bucket_policies import read_bucket_policies
from vpce_guard.checks import CheckSettings
from vpce_guard.cli import main
from vpce_guard.decisions import GuardConfig
from vpce_guard.pipeline import Pipeline
from vpce_guard.remediation.executor import apply
from vpce_guard.remediation.model import Plan
from vpce_guard.remediation.plans import plan_for
from vpce_guard.scan import scan_live
from vpce_guard.snapshot import Scope
from vpce_guard.state import StateStore
from vpce_guard.vocabulary import ChangeStatus, Status
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import BuiltVpc, EstateBuilder

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"
BYPASS = "s3-interface-bypasses-gateway"
SERVES = "interface-where-gateway-serves"
ENFORCE = f'[modes]\n{BYPASS} = "enforce"\n'
INBOUND_ONLY = "PrivateDnsOnlyForInboundResolverEndpoint"


def s3_interface_beside_gateway(ec2: Any, vpc: BuiltVpc, route_table_ids: tuple[str, ...] | None = None) -> str:
    """An S3 gateway endpoint (on every route table unless told) and an S3 interface endpoint whose private DNS
    answers every resolver in the VPC."""
    build = EstateBuilder(ec2, REGION)
    tables = vpc.private_route_table_ids if route_table_ids is None else route_table_ids
    build.gateway_endpoint(vpc, "s3", route_table_ids=tables)
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    return build.interface_endpoint(
        vpc, "s3", subnet_ids=vpc.private_subnet_ids, group_ids=[group], inbound_resolver_only=False
    )


def inbound_only(ec2: Any, endpoint_id: str) -> bool:
    (endpoint,) = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
    return bool(endpoint["DnsOptions"][INBOUND_ONLY])


def evaluate(
    session: AwsSession, store: StateStore, vpc: BuiltVpc, config: str = ENFORCE, *, reaches_s3: bool = True
) -> None:
    guard = Pipeline(
        Accounts(lambda region: session), store, GuardConfig.from_toml(config), clock=Clock(), reaches_s3=reaches_s3
    )
    guard.evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))


def bucket(s3: Any, name: str, policy: dict[str, Any] | None = None) -> None:
    s3.create_bucket(Bucket=name)
    if policy is not None:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))


def only_through(endpoint_id: str, name: str) -> dict[str, Any]:
    """A bucket policy denying every call that does not come through ``endpoint_id``."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyThroughTheEndpoint",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                "Condition": {"StringNotEquals": {"aws:SourceVpce": endpoint_id}},
            }
        ],
    }


def status_of(store: StateStore, endpoint_id: str) -> Status:
    (record,) = [r for r in store.records(ACCOUNT, REGION) if (r.resource_id, r.check_id) == (endpoint_id, BYPASS)]
    return record.status


def test_the_check_finds_the_interface_endpoint_beside_its_gateway(
    session: AwsSession, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint_id = s3_interface_beside_gateway(ec2, vpc)

    result = scan_live(session, Scope(REGION, (vpc.id,)), CheckSettings())

    (finding,) = [f for f in result.findings if f.check_id == BYPASS]
    assert finding.resource_id == endpoint_id
    assert finding.evidence["route_tables_without_gateway"] == {}


def test_enforce_turns_the_option_on_and_the_rollback_turns_it_back_off(
    session: AwsSession, ec2: Any, vpc: BuiltVpc, state_table: str, aws_env: Emulator
) -> None:
    sealed = sealed_store(session.client("dynamodb"), session.client("kms"), state_table)
    endpoint_id = s3_interface_beside_gateway(ec2, vpc)
    s3 = session.client("s3")
    bucket(s3, "logs")
    bucket(s3, "data", only_through("vpce-0another00000001", "data"))

    evaluate(session, sealed, vpc)
    (change,) = [c for c in sealed.changes() if c.check_id == BYPASS]
    reads = (session.counter.calls["ListBuckets"], session.counter.calls["GetBucketPolicy"])
    changed = inbound_only(ec2, endpoint_id)
    code = main(
        [
            "rollback",
            change.change_id,
            "--yes",
            "--table",
            state_table,
            "--region",
            REGION,
            "--endpoint-url",
            aws_env.url,
        ]
    )

    assert (change.status, changed, status_of(sealed, endpoint_id)) == ("REMEDIATED", True, Status.REMEDIATED)
    assert reads == (1, 2)
    assert change.after is not None
    assert (change.before[endpoint_id][INBOUND_ONLY], change.after[endpoint_id][INBOUND_ONLY]) == (False, True)
    assert code == 0
    assert inbound_only(ec2, endpoint_id) is False
    rolled_back = sealed.change(change.change_id)
    assert rolled_back is not None
    assert rolled_back.status == "ROLLED_BACK"


def test_a_route_table_without_the_gateway_endpoint_is_a_ticket_naming_it(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    covered, missing = vpc.private_route_table_ids
    endpoint_id = s3_interface_beside_gateway(ec2, vpc, route_table_ids=(covered,))

    evaluate(session, store, vpc)

    (ticket,) = [c for c in store.changes() if c.check_id == BYPASS]
    assert ticket.status == "TICKET_ONLY"
    assert missing in (ticket.error or "")
    assert status_of(store, endpoint_id) is Status.TICKETED
    assert inbound_only(ec2, endpoint_id) is False
    assert session.counter.calls["ListBuckets"] == 0  # the route table stands in the way: no bucket policy read


def test_a_bucket_policy_naming_the_interface_endpoint_is_a_ticket_naming_it_and_nothing_changes(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint_id = s3_interface_beside_gateway(ec2, vpc)
    s3 = session.client("s3")
    bucket(s3, "logs")
    bucket(s3, "data", only_through(endpoint_id, "data"))

    evaluate(session, store, vpc)

    (ticket,) = [c for c in store.changes() if c.check_id == BYPASS]
    assert ticket.status == "TICKET_ONLY"
    assert f"bucket policies name {endpoint_id} in aws:SourceVpce" in (ticket.error or "")
    assert "data (OnlyThroughTheEndpoint)" in (ticket.error or "")
    assert status_of(store, endpoint_id) is Status.TICKETED
    assert inbound_only(ec2, endpoint_id) is False
    assert session.counter.calls["ModifyVpcEndpoint"] == 0


def test_a_scan_and_a_ticket_mode_evaluation_read_no_bucket_policy(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint_id = s3_interface_beside_gateway(ec2, vpc)
    session.client("s3").create_bucket(Bucket="logs")

    scan_live(session, Scope(REGION, (vpc.id,)), CheckSettings())
    evaluate(session, store, vpc, f'[modes]\n{BYPASS} = "ticket"\n')

    assert (session.counter.calls["ListBuckets"], session.counter.calls["GetBucketPolicy"]) == (0, 0)
    assert status_of(store, endpoint_id) is Status.TICKETED


def test_without_a_path_to_s3_no_bucket_policy_is_read_and_the_change_is_a_ticket(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint_id = s3_interface_beside_gateway(ec2, vpc)

    evaluate(session, store, vpc, reaches_s3=False)

    (ticket,) = [c for c in store.changes() if c.check_id == BYPASS]
    assert "the functions have no path to S3" in (ticket.error or "")
    assert session.counter.calls["ListBuckets"] == 0
    assert inbound_only(ec2, endpoint_id) is False


def test_dry_run_records_the_planned_call_and_changes_nothing(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint_id = s3_interface_beside_gateway(ec2, vpc)

    evaluate(session, store, vpc, "dry_run = true\n" + ENFORCE)

    (planned,) = [c for c in store.changes() if c.check_id == BYPASS]
    assert planned.status == "PLANNED"
    assert [call["parameters"] for call in planned.planned_calls] == [
        {"VpcEndpointId": endpoint_id, "DnsOptions": {INBOUND_ONLY: True}}
    ]
    assert inbound_only(ec2, endpoint_id) is False


def test_the_gateway_endpoint_deleted_before_the_change_fails_with_the_aws_error(
    session: AwsSession, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint_id = s3_interface_beside_gateway(ec2, vpc)
    result = scan_live(session, Scope(REGION, (vpc.id,)), CheckSettings())
    (finding,) = [f for f in result.findings if f.check_id == BYPASS]
    plan = plan_for(finding, result.facts, bucket_policies=lambda: read_bucket_policies(session, max_buckets=10))
    assert isinstance(plan, Plan)
    ec2.delete_vpc_endpoints(VpcEndpointIds=finding.evidence["gateway_endpoint_ids"])

    applied = apply(session, plan)

    assert applied.status == ChangeStatus.FAILED
    assert "must have a Gateway endpoint for the service" in (applied.error or "")
    assert inbound_only(ec2, endpoint_id) is False


def test_interface_where_gateway_serves_is_found_and_a_path_from_on_premises_silences_it(
    session: AwsSession, ec2: Any, vpc: BuiltVpc
) -> None:
    build = EstateBuilder(ec2, REGION)
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    endpoint_id = build.interface_endpoint(
        vpc, "s3", subnet_ids=vpc.private_subnet_ids, group_ids=[group], inbound_resolver_only=False
    )
    scope = Scope(REGION, (vpc.id,))

    found = [f for f in scan_live(session, scope, CheckSettings()).findings if f.check_id == SERVES]
    gateway = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpcId=vpc.id, VpnGatewayId=gateway)
    after = [f for f in scan_live(session, scope, CheckSettings()).findings if f.check_id == SERVES]

    assert [(f.resource_id, f.evidence["route_table_ids"]) for f in found] == [
        (endpoint_id, sorted(vpc.private_route_table_ids))
    ]
    assert after == []


def test_interface_where_gateway_serves_is_a_ticket_and_changes_nothing(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    build = EstateBuilder(ec2, REGION)
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    endpoint_id = build.interface_endpoint(
        vpc, "dynamodb", subnet_ids=vpc.private_subnet_ids, group_ids=[group], inbound_resolver_only=False
    )

    evaluate(session, store, vpc, f'[modes]\n{SERVES} = "ticket"\n')

    (record,) = [r for r in store.records(ACCOUNT, REGION) if (r.resource_id, r.check_id) == (endpoint_id, SERVES)]
    assert record.status is Status.TICKETED
    assert [c for c in store.changes() if c.check_id == SERVES] == []
    assert [
        operation for operation in session.counter.calls if operation.startswith(("Modify", "Create", "Delete"))
    ] == []


def test_private_dns_turned_on_for_an_s3_interface_endpoint_without_a_gateway_answers_every_in_vpc_caller(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    build = EstateBuilder(ec2, REGION)
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    endpoint_id = build.interface_endpoint(
        vpc, "s3", subnet_ids=vpc.private_subnet_ids, group_ids=[group], private_dns=False
    )

    evaluate(session, store, vpc, '[modes]\nprivate-dns-disabled = "enforce"\n')

    (endpoint,) = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
    assert endpoint["PrivateDnsEnabled"] is True
    assert endpoint["DnsOptions"][INBOUND_ONLY] is False
    assert [(c.check_id, c.status) for c in store.changes()] == [("private-dns-disabled", ChangeStatus.REMEDIATED)]
