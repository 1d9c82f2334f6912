"""The handlers as Lambda runs them, in-process: the template's environment, the emulator over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vpce_guard import lambda_app
from vpce_guard.state import StateStore
from vpce_guard.sweep import SweepJob, SweepLedger
from vpce_guard.vocabulary import Status
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import BuiltVpc, EstateBuilder
from vpce_guard_local.sam.queues import lambda_sqs_event
from vpce_guard_local.samples import (
    SAMPLE_ACCOUNT,
    SAMPLE_ENDPOINT,
    SAMPLE_NETWORK_ACL,
    SAMPLE_VPC,
    load_event,
    retarget,
)

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"


def bad_endpoint(ec2: Any, vpc: BuiltVpc) -> str:
    build = EstateBuilder(ec2, REGION)
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    return build.interface_endpoint(vpc, "ssm", subnet_ids=vpc.private_subnet_ids, group_ids=[group], private_dns=False)


def created_event(endpoint: str, vpc: BuiltVpc) -> dict[str, Any]:
    ids = {SAMPLE_ACCOUNT: ACCOUNT, SAMPLE_ENDPOINT: endpoint, SAMPLE_VPC: vpc.id}
    return retarget(load_event("cloudtrail-create-vpc-endpoint-interface"), ids)


def test_on_change_records_the_finding_of_a_created_endpoint(
    handler_of: Any, ec2: Any, vpc: BuiltVpc, store: StateStore
) -> None:
    endpoint = bad_endpoint(ec2, vpc)

    result = handler_of("on_change")(created_event(endpoint, vpc))

    assert f"{endpoint}/private-dns-disabled" in result["changes"]["opened"]


def test_a_network_acl_rule_denying_https_opens_the_finding_and_its_removal_resolves_it(
    handler_of: Any, ec2: Any, vpc: BuiltVpc, store: StateStore
) -> None:
    build = EstateBuilder(ec2, REGION)
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    endpoint = build.interface_endpoint(vpc, "sts", subnet_ids=vpc.private_subnet_ids, group_ids=[group])
    handler = handler_of("on_change")
    ids = {SAMPLE_ACCOUNT: ACCOUNT, SAMPLE_NETWORK_ACL: build.deny_https(vpc, "10.0.64.0/20")}

    created = handler(retarget(load_event("cloudtrail-create-network-acl-entry"), ids))
    ec2.delete_network_acl_entry(NetworkAclId=ids[SAMPLE_NETWORK_ACL], RuleNumber=90, Egress=False)
    deleted = handler(retarget(load_event("cloudtrail-delete-network-acl-entry"), ids))

    finding = f"{endpoint}/nacl-blocks-https"
    assert finding in created["changes"]["opened"]
    assert deleted["changes"]["resolved"] == [finding]
    (record,) = [
        r for r in store.records(ACCOUNT, REGION) if (r.resource_id, r.check_id) == (endpoint, "nacl-blocks-https")
    ]
    assert record.status is Status.RESOLVED


def test_ten_deliveries_of_one_event_write_one_state_change(
    handler_of: Any, ec2: Any, vpc: BuiltVpc, store: StateStore, aws_env: Emulator
) -> None:
    handler = handler_of("on_change")
    event = created_event(bad_endpoint(ec2, vpc), vpc)
    counter = lambda_app.own_session().counter

    results = [handler(event) for _ in range(10)]

    assert all(result == results[0] for result in results)
    assert counter.calls["TransactWriteItems"] == len(results[0]["changes"]["opened"])


def test_a_failed_call_is_ignored_without_any_aws_call(handler_of: Any) -> None:
    event = retarget(load_event("cloudtrail-create-vpc-endpoint-unauthorized"), {SAMPLE_ACCOUNT: ACCOUNT})

    result = handler_of("on_change")(event)

    assert "failed" in result["ignored"]
    assert lambda_app.session_for(REGION).counter.total == lambda_app.own_session().counter.total == 0


def test_an_unwatched_call_is_ignored(handler_of: Any) -> None:
    result = handler_of("on_change")(retarget(load_event("cloudtrail-run-instances"), {SAMPLE_ACCOUNT: ACCOUNT}))

    assert "not an event vpce-guard watches" in result["ignored"]


def test_sweep_sends_one_job_for_its_account_and_region_which_a_worker_evaluates(
    handler_of: Any, ec2: Any, vpc: BuiltVpc, store: StateStore, aws_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad_endpoint(ec2, vpc)
    sqs = aws_env.client("sqs", REGION)
    queue_url = sqs.create_queue(QueueName="sweep-jobs")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    monkeypatch.setenv("SWEEP_QUEUE_URL", queue_url)
    sweep, worker = handler_of("sweep"), handler_of("sweep_worker")

    fanned_out = sweep(retarget(load_event("schedule-sweep"), {SAMPLE_ACCOUNT: ACCOUNT}))
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    first = worker(lambda_sqs_event(messages, queue_arn))
    second = worker(lambda_sqs_event(messages, queue_arn))

    assert (fanned_out["accounts"], fanned_out["regions"], fanned_out["jobs"]) == (1, [REGION], 1)
    assert [SweepJob.from_message(message["Body"]).account_id for message in messages] == [ACCOUNT]
    assert first == second == {"batchItemFailures": []}
    assert all(record.status is Status.TICKETED for record in store.records(ACCOUNT, REGION))
    [result] = SweepLedger(aws_env.client("dynamodb", REGION), store.table_name).results()
    assert (result.account_id, result.region, result.status, result.state_writes) == (ACCOUNT, REGION, "DONE", 0)
    assert result.findings > 0


def test_ten_deliveries_of_one_event_make_one_change_in_enforce_mode(
    handler_of: Any, ec2: Any, vpc: BuiltVpc, store: StateStore
) -> None:
    handler = handler_of("on_change", '[modes]\nprivate-dns-disabled = "enforce"\n')
    endpoint = bad_endpoint(ec2, vpc)
    event = created_event(endpoint, vpc)

    for _ in range(10):
        handler(event)

    changes = [change for change in store.changes() if change.status == "REMEDIATED"]
    assert [change.resource_id for change in changes] == [endpoint]
    assert lambda_app.session_for(REGION).counter.calls["ModifyVpcEndpoint"] == 1


def test_on_change_records_the_cost_finding_of_a_created_s3_interface_endpoint_beside_its_gateway(
    handler_of: Any, ec2: Any, vpc: BuiltVpc, store: StateStore
) -> None:
    build = EstateBuilder(ec2, REGION)
    build.gateway_endpoint(vpc, "s3", route_table_ids=vpc.private_route_table_ids)
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    endpoint = build.interface_endpoint(
        vpc, "s3", subnet_ids=vpc.private_subnet_ids, group_ids=[group], inbound_resolver_only=False
    )

    result = handler_of("on_change")(created_event(endpoint, vpc))

    assert f"{endpoint}/s3-interface-bypasses-gateway" in result["changes"]["opened"]


@pytest.mark.parametrize(("api_egress", "status"), [("internet", "REMEDIATED"), ("endpoints", "TICKET_ONLY")])
def test_on_change_moves_s3_calls_to_the_gateway_only_where_it_can_read_the_bucket_policies(
    handler_of: Any,
    ec2: Any,
    vpc: BuiltVpc,
    store: StateStore,
    monkeypatch: pytest.MonkeyPatch,
    api_egress: str,
    status: str,
) -> None:
    """With ApiEgress "endpoints" the function has no path to S3: no bucket policy is read, and the change is a
    ticket saying why."""
    monkeypatch.setenv("API_EGRESS", api_egress)
    build = EstateBuilder(ec2, REGION)
    build.gateway_endpoint(vpc, "s3", route_table_ids=vpc.private_route_table_ids)
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    endpoint = build.interface_endpoint(
        vpc, "s3", subnet_ids=vpc.private_subnet_ids, group_ids=[group], inbound_resolver_only=False
    )
    handler = handler_of("on_change", '[modes]\ns3-interface-bypasses-gateway = "enforce"\n')

    handler(created_event(endpoint, vpc))

    (change,) = [c for c in store.changes() if c.check_id == "s3-interface-bypasses-gateway"]
    assert change.status == status
    assert lambda_app.session_for(REGION).counter.calls["ListBuckets"] == (api_egress == "internet")


def test_on_change_records_the_cost_finding_of_a_created_s3_interface_endpoint_a_gateway_would_replace(
    handler_of: Any, ec2: Any, vpc: BuiltVpc, store: StateStore
) -> None:
    build = EstateBuilder(ec2, REGION)
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    endpoint = build.interface_endpoint(
        vpc, "s3", subnet_ids=vpc.private_subnet_ids, group_ids=[group], inbound_resolver_only=False
    )

    result = handler_of("on_change")(created_event(endpoint, vpc))

    assert f"{endpoint}/interface-where-gateway-serves" in result["changes"]["opened"]


def test_the_sweep_finds_an_endpoint_nothing_has_called_in_the_traffic_window(
    handler_of: Any, ec2: Any, vpc: BuiltVpc, store: StateStore, aws_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = EstateBuilder(ec2, REGION)
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    idle, busy = (
        build.interface_endpoint(vpc, key, subnet_ids=vpc.private_subnet_ids, group_ids=[group])
        for key in ("sns", "sts")
    )
    for endpoint in (idle, busy):
        aws_env.set_endpoint_created(endpoint, datetime.now(UTC) - timedelta(days=60))
    aws_env.publish_endpoint_traffic(
        {busy: {datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=2): 4096}}
    )
    sqs = aws_env.client("sqs", REGION)
    queue_url = sqs.create_queue(QueueName="sweep-jobs")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    monkeypatch.setenv("SWEEP_QUEUE_URL", queue_url)

    handler_of("sweep")(retarget(load_event("schedule-sweep"), {SAMPLE_ACCOUNT: ACCOUNT}))
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    handler_of("sweep_worker")(lambda_sqs_event(messages, queue_arn))

    idle_records = [r for r in store.records(ACCOUNT, REGION) if r.check_id == "endpoint-idle"]
    assert [(r.resource_id, r.status) for r in idle_records] == [(idle, Status.TICKETED)]
