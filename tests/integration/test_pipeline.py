"""The pipeline the functions run, fed the sample events retargeted at an estate in the emulator over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from evaluation_clock import Clock

from vpce_guard.accounts import Accounts
from vpce_guard.aws import AwsSession
from vpce_guard.decisions import GuardConfig
from vpce_guard.pipeline import Pipeline
from vpce_guard.snapshot import Scope
from vpce_guard.state import StateStore
from vpce_guard.trigger import ApiChange, parse_api_change
from vpce_guard.vocabulary import Status
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import BuiltVpc, EstateBuilder
from vpce_guard_local.samples import (
    SAMPLE_ACCOUNT,
    SAMPLE_ENDPOINT,
    SAMPLE_GATEWAY,
    SAMPLE_GROUP,
    SAMPLE_NETWORK_ACL,
    SAMPLE_NEW_SUBNET,
    SAMPLE_NEW_TABLE,
    SAMPLE_SUBNETS,
    SAMPLE_VPC,
    load_event,
    retarget,
)

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"


@pytest.fixture
def pipeline(session: AwsSession, store: StateStore) -> Pipeline:
    return Pipeline(Accounts(lambda region: session), store, GuardConfig(), clock=Clock())


@pytest.fixture
def build(ec2: Any) -> EstateBuilder:
    return EstateBuilder(ec2, REGION)


@pytest.fixture
def vpc(build: EstateBuilder) -> BuiltVpc:
    """The samples' VPC: private subnets in us-east-1a and us-east-1b."""
    return build.vpc("10.0.0.0/16", zones=2, public_subnet=False)


@pytest.fixture
def https_group(build: EstateBuilder, vpc: BuiltVpc) -> str:
    return build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])


def change(name: str, **ids: str) -> ApiChange:
    """The sample event ``name``, retargeted: ids maps the samples' ids to the estate's."""
    parsed = parse_api_change(retarget(load_event(name), {SAMPLE_ACCOUNT: ACCOUNT, **ids}))
    assert isinstance(parsed, ApiChange)
    return parsed


def open_checks(store: StateStore) -> set[tuple[str, str]]:
    """What the state table holds as still needing someone (open, ticketed, …: not resolved or remediated)."""
    return {(r.resource_id, r.check_id) for r in store.records(ACCOUNT, REGION) if not r.status.is_closed}


def ssm_without_private_dns(build: EstateBuilder, vpc: BuiltVpc, group: str) -> str:
    return build.interface_endpoint(vpc, "ssm", subnet_ids=vpc.private_subnet_ids, group_ids=[group], private_dns=False)


def test_created_endpoint_without_private_dns_is_recorded(
    pipeline: Pipeline, store: StateStore, build: EstateBuilder, vpc: BuiltVpc, https_group: str
) -> None:
    endpoint = ssm_without_private_dns(build, vpc, https_group)

    pipeline.on_change(
        change("cloudtrail-create-vpc-endpoint-interface", **{SAMPLE_ENDPOINT: endpoint, SAMPLE_VPC: vpc.id})
    )

    assert (endpoint, "private-dns-disabled") in open_checks(store)


def test_a_created_endpoint_is_evaluated_with_at_most_9_ec2_calls(
    pipeline: Pipeline, build: EstateBuilder, vpc: BuiltVpc, https_group: str
) -> None:
    endpoint = ssm_without_private_dns(build, vpc, https_group)
    event = change("cloudtrail-create-vpc-endpoint-interface", **{SAMPLE_ENDPOINT: endpoint, SAMPLE_VPC: vpc.id})

    evaluation = pipeline.on_change(event)

    assert evaluation is not None
    ec2_calls = sum(n for operation, n in evaluation.api_calls.items() if operation.startswith("Describe"))
    assert ec2_calls <= 9


def test_a_subnet_in_a_new_zone_gives_the_vpcs_endpoints_an_az_coverage_finding(
    pipeline: Pipeline, store: StateStore, build: EstateBuilder, vpc: BuiltVpc, https_group: str, ec2: Any
) -> None:
    endpoint = build.interface_endpoint(vpc, "sts", subnet_ids=vpc.private_subnet_ids, group_ids=[https_group])
    pipeline.on_change(change("cloudtrail-modify-vpc-endpoint", **{SAMPLE_ENDPOINT: endpoint}))
    assert (endpoint, "az-coverage") not in open_checks(store)
    subnet = ec2.create_subnet(VpcId=vpc.id, CidrBlock="10.0.200.0/24", AvailabilityZone="us-east-1c")["Subnet"]

    pipeline.on_change(
        change("cloudtrail-create-subnet", **{SAMPLE_VPC: vpc.id, SAMPLE_NEW_SUBNET: subnet["SubnetId"]})
    )

    assert (endpoint, "az-coverage") in open_checks(store)


def test_dns_hostnames_turned_off_is_found_on_the_vpcs_interface_endpoints(
    pipeline: Pipeline, store: StateStore, build: EstateBuilder, vpc: BuiltVpc, https_group: str
) -> None:
    endpoint = build.interface_endpoint(vpc, "sts", subnet_ids=vpc.private_subnet_ids, group_ids=[https_group])
    build.set_vpc_dns(vpc.id, support=True, hostnames=False)

    pipeline.on_change(change("cloudtrail-modify-vpc-attribute-dns-hostnames-off", **{SAMPLE_VPC: vpc.id}))

    assert (endpoint, "vpc-dns-disabled") in open_checks(store)


def test_a_rule_change_on_an_endpoint_group_evaluates_that_vpc(
    pipeline: Pipeline, store: StateStore, build: EstateBuilder, vpc: BuiltVpc, ec2: Any
) -> None:
    group = build.security_group(vpc, "vpce-world", https_from_cidrs=["0.0.0.0/0"])
    endpoint = build.interface_endpoint(vpc, "sts", subnet_ids=vpc.private_subnet_ids, group_ids=[group])

    pipeline.on_change(change("cloudtrail-authorize-security-group-ingress", **{SAMPLE_GROUP: group}))

    assert (endpoint, "sg-open-to-world") in open_checks(store)


def test_a_rule_change_on_a_group_no_endpoint_uses_is_dropped_after_one_call(
    pipeline: Pipeline, session: AwsSession, build: EstateBuilder, vpc: BuiltVpc
) -> None:
    unrelated = build.security_group(vpc, "web", https_from_cidrs=["0.0.0.0/0"])
    before = session.counter.total

    evaluation = pipeline.on_change(change("cloudtrail-authorize-security-group-ingress", **{SAMPLE_GROUP: unrelated}))

    assert (evaluation, session.counter.total - before) == (None, 1)


def test_a_route_table_change_evaluates_the_gateway_endpoint_of_that_vpc(
    pipeline: Pipeline, store: StateStore, build: EstateBuilder, vpc: BuiltVpc
) -> None:
    gateway = build.gateway_endpoint(vpc, "s3", route_table_ids=vpc.private_route_table_ids[:1])

    pipeline.on_change(
        change(
            "cloudtrail-associate-route-table",
            **{SAMPLE_NEW_TABLE: vpc.private_route_table_ids[1], SAMPLE_NEW_SUBNET: vpc.private_subnet_ids[1]},
        )
    )

    assert (gateway, "gateway-route-coverage") in open_checks(store)


@pytest.mark.parametrize(
    "sample",
    [
        "cloudtrail-create-network-acl-entry",
        "cloudtrail-replace-network-acl-entry",
        "cloudtrail-delete-network-acl-entry",
        "cloudtrail-replace-network-acl-association",
    ],
)
def test_a_network_acl_change_evaluates_the_vpc_of_that_network_acl(
    sample: str, pipeline: Pipeline, store: StateStore, build: EstateBuilder, vpc: BuiltVpc, https_group: str
) -> None:
    endpoint = build.interface_endpoint(vpc, "sts", subnet_ids=vpc.private_subnet_ids, group_ids=[https_group])
    acl_id = build.deny_https(vpc, "10.0.64.0/20")

    evaluation = pipeline.on_change(change(sample, **{SAMPLE_NETWORK_ACL: acl_id}))

    assert evaluation is not None
    assert evaluation.judged.vpc_ids == (vpc.id,)
    assert (endpoint, "nacl-blocks-https") in open_checks(store)


def test_a_change_to_a_network_acl_deleted_since_is_dropped_after_one_call(
    pipeline: Pipeline, session: AwsSession, ec2: Any, vpc: BuiltVpc
) -> None:
    acl_id = ec2.create_network_acl(VpcId=vpc.id)["NetworkAcl"]["NetworkAclId"]
    ec2.delete_network_acl(NetworkAclId=acl_id)
    before = session.counter.total

    evaluation = pipeline.on_change(change("cloudtrail-create-network-acl-entry", **{SAMPLE_NETWORK_ACL: acl_id}))

    assert (evaluation, session.counter.total - before) == (None, 1)


def test_deleting_an_endpoint_resolves_its_findings(
    pipeline: Pipeline, store: StateStore, build: EstateBuilder, vpc: BuiltVpc, https_group: str, ec2: Any
) -> None:
    endpoint = ssm_without_private_dns(build, vpc, https_group)
    pipeline.on_change(
        change("cloudtrail-create-vpc-endpoint-interface", **{SAMPLE_ENDPOINT: endpoint, SAMPLE_VPC: vpc.id})
    )
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])

    pipeline.on_change(change("cloudtrail-delete-vpc-endpoints-one", **{SAMPLE_GATEWAY: endpoint}))

    assert not {check for resource, check in open_checks(store) if resource == endpoint}


def test_deleting_an_endpoint_aws_no_longer_lists_resolves_its_findings(
    pipeline: Pipeline, store: StateStore, build: EstateBuilder, vpc: BuiltVpc, https_group: str
) -> None:
    endpoint = ssm_without_private_dns(build, vpc, https_group)
    evaluation = pipeline.on_change(
        change("cloudtrail-create-vpc-endpoint-interface", **{SAMPLE_ENDPOINT: endpoint, SAMPLE_VPC: vpc.id})
    )
    assert evaluation is not None
    gone = "vpce-0aaaaaaaaaaaaaaaa"
    store.record(evaluation.judged, [msgspec.structs.replace(f, resource_id=gone) for f in evaluation.result.findings])

    pipeline.on_change(change("cloudtrail-delete-vpc-endpoints-one", **{SAMPLE_GATEWAY: gone}))

    assert not {check for resource, check in open_checks(store) if resource == gone}


def test_deleting_a_subnet_re_evaluates_vpcs_with_open_coverage_findings(
    pipeline: Pipeline, store: StateStore, build: EstateBuilder, vpc: BuiltVpc, https_group: str, ec2: Any
) -> None:
    endpoint = build.interface_endpoint(vpc, "sts", subnet_ids=vpc.private_subnet_ids, group_ids=[https_group])
    extra = ec2.create_subnet(VpcId=vpc.id, CidrBlock="10.0.200.0/24", AvailabilityZone="us-east-1c")["Subnet"]
    pipeline.on_change(change("cloudtrail-create-subnet", **{SAMPLE_VPC: vpc.id, SAMPLE_NEW_SUBNET: extra["SubnetId"]}))
    ec2.delete_subnet(SubnetId=extra["SubnetId"])

    pipeline.on_change(change("cloudtrail-delete-subnet", **{SAMPLE_SUBNETS[0]: extra["SubnetId"]}))

    assert (endpoint, "az-coverage") not in open_checks(store)


def test_deleting_the_subnet_a_gateway_endpoint_missed_re_evaluates_the_s3_interface_finding(
    session: AwsSession, store: StateStore, build: EstateBuilder, vpc: BuiltVpc, https_group: str, ec2: Any
) -> None:
    others_off = '[modes]\naz-coverage = "off"\ngateway-route-coverage = "off"\nmissing-baseline-endpoint = "off"\n'
    guard = Pipeline(Accounts(lambda region: session), store, GuardConfig.from_toml(others_off), clock=Clock())
    build.gateway_endpoint(vpc, "s3", route_table_ids=vpc.private_route_table_ids)
    endpoint = build.interface_endpoint(
        vpc, "s3", subnet_ids=vpc.private_subnet_ids, group_ids=[https_group], inbound_resolver_only=False
    )
    extra = ec2.create_subnet(VpcId=vpc.id, CidrBlock="10.0.200.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    table = ec2.create_route_table(VpcId=vpc.id)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=extra["SubnetId"])
    guard.on_change(change("cloudtrail-create-subnet", **{SAMPLE_VPC: vpc.id, SAMPLE_NEW_SUBNET: extra["SubnetId"]}))
    before = uncovered_tables(store, endpoint)
    ec2.delete_subnet(SubnetId=extra["SubnetId"])

    guard.on_change(change("cloudtrail-delete-subnet", **{SAMPLE_SUBNETS[0]: extra["SubnetId"]}))

    assert list(before) == [table]
    assert uncovered_tables(store, endpoint) == {}


def uncovered_tables(store: StateStore, endpoint: str) -> Any:
    (record,) = [
        r
        for r in store.records(ACCOUNT, REGION)
        if (r.resource_id, r.check_id) == (endpoint, "s3-interface-bypasses-gateway")
    ]
    return record.finding["evidence"]["route_tables_without_gateway"]


def test_an_unchanged_sweep_writes_nothing(
    pipeline: Pipeline, session: AwsSession, build: EstateBuilder, vpc: BuiltVpc, https_group: str
) -> None:
    ssm_without_private_dns(build, vpc, https_group)
    first = pipeline.evaluate(ACCOUNT, Scope(REGION))
    writes_before = session.counter.calls["PutItem"]

    second = pipeline.evaluate(ACCOUNT, Scope(REGION))

    assert first.changes.writes > 0
    assert (second.changes.writes, session.counter.calls["PutItem"] - writes_before) == (0, 0)


def test_an_endpoint_idle_over_the_window_is_ticketed_and_resolves_once_it_carries_traffic(
    pipeline: Pipeline, store: StateStore, build: EstateBuilder, vpc: BuiltVpc, https_group: str, aws_env: Emulator
) -> None:
    """The pipeline's clock stands at 2026-11-22 12:00: the window is the two weeks before it."""
    endpoint = build.interface_endpoint(vpc, "sts", subnet_ids=vpc.private_subnet_ids, group_ids=[https_group])
    aws_env.set_endpoint_created(endpoint, datetime(2026, 10, 1, tzinfo=UTC))

    pipeline.on_change(change("cloudtrail-modify-vpc-endpoint", **{SAMPLE_ENDPOINT: endpoint, SAMPLE_VPC: vpc.id}))

    (record,) = [r for r in store.records(ACCOUNT, REGION) if r.check_id == "endpoint-idle"]
    assert (record.resource_id, record.status) == (endpoint, Status.TICKETED)
    aws_env.publish_endpoint_traffic({endpoint: {datetime(2026, 11, 20, 9, 0, tzinfo=UTC): 2048}})

    pipeline.evaluate(ACCOUNT, Scope(REGION))

    assert (endpoint, "endpoint-idle") not in open_checks(store)
