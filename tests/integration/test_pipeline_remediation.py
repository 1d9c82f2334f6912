"""The act step through the emulator over HTTP: modes, exemptions, dry-run, budget, leases, failures."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import cloudtrail_support
import msgspec
import pytest
from evaluation_clock import Clock

from vpce_guard.accounts import Accounts
from vpce_guard.aws import AwsSession
from vpce_guard.cli import main
from vpce_guard.collect import ServiceDetailsCache
from vpce_guard.decisions import GuardConfig
from vpce_guard.pipeline import Pipeline
from vpce_guard.remediation.integrity import ChangeSeal, key_alias
from vpce_guard.scan import scan_live
from vpce_guard.snapshot import Scope
from vpce_guard.state import ChangeRecord, Record, StateStore
from vpce_guard.vocabulary import Status
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import BuiltVpc, EstateBuilder, least_privilege_policy

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"
ENFORCE_PRIVATE_DNS = '[modes]\nprivate-dns-disabled = "enforce"\n'


def pipeline(session: AwsSession, store: StateStore, config: str, clock: Clock | None = None) -> Pipeline:
    return Pipeline(Accounts(lambda region: session), store, GuardConfig.from_toml(config), clock=clock or Clock())


def endpoint_without_private_dns(ec2: Any, vpc: BuiltVpc, *, tags: dict[str, str] | None = None) -> str:
    build = EstateBuilder(ec2, REGION)
    group = build.security_group(vpc, f"vpce-{len(vpc.id)}-{id(tags)}", https_from_cidrs=[vpc.cidr])
    endpoint = build.interface_endpoint(
        vpc, "ssm", subnet_ids=vpc.private_subnet_ids, group_ids=[group], private_dns=False,
        policy=least_privilege_policy("ssm", ACCOUNT, REGION),
    )  # fmt: skip
    if tags:
        ec2.create_tags(Resources=[endpoint], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    return endpoint


def status_of(store: StateStore, endpoint: str) -> Status:
    (record,) = [r for r in store.records(ACCOUNT, REGION) if r.resource_id == endpoint]
    return record.status


def private_dns_record(store: StateStore, endpoint: str) -> Record:
    (record,) = [
        r for r in store.records(ACCOUNT, REGION) if (r.resource_id, r.check_id) == (endpoint, "private-dns-disabled")
    ]
    return record


def private_dns(ec2: Any, endpoint: str) -> bool:
    return bool(ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"][0]["PrivateDnsEnabled"])


def test_enforce_applies_verifies_and_records_the_change(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint = endpoint_without_private_dns(ec2, vpc)

    evaluation = pipeline(session, store, ENFORCE_PRIVATE_DNS).evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))

    (change,) = store.changes()
    assert private_dns(ec2, endpoint)
    assert status_of(store, endpoint) is Status.REMEDIATED
    assert store.dynamodb.get_item(
        TableName=store.table_name,
        Key={"pk": {"S": f"{ACCOUNT}#{REGION}#{endpoint}"}, "sk": {"S": "private-dns-disabled"}},
    )["Item"]["change_id"] == {"S": change.change_id}
    assert (change.status, change.resource_id, change.check_id) == ("REMEDIATED", endpoint, "private-dns-disabled")
    assert change.before[endpoint]["PrivateDnsEnabled"] is False
    assert change.after is not None and change.after[endpoint]["PrivateDnsEnabled"] is True  # noqa: PT018
    assert [c["status"] for c in evaluation.to_dict()["remediations"]] == ["REMEDIATED"]  # type: ignore[index]


def test_dry_run_records_the_plan_and_makes_no_mutating_call(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint = endpoint_without_private_dns(ec2, vpc)
    before = session.counter.calls.copy()

    pipeline(session, store, "dry_run = true\n" + ENFORCE_PRIVATE_DNS).evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))

    calls = session.counter.calls - before
    (change,) = store.changes()
    assert [op for op in calls if op.startswith(("Modify", "Authorize", "Revoke"))] == []
    assert (change.status, change.calls) == (
        "PLANNED",
        (f"ModifyVpcEndpoint(VpcEndpointId={endpoint}, PrivateDnsEnabled=True)",),
    )
    assert not private_dns(ec2, endpoint)


def test_an_exempt_resource_is_recorded_exempt_with_its_tag_and_left_alone(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    tag = "private-dns-disabled until=2026-12-31"  # the evaluation clock's day is 2026-11-22
    endpoint = endpoint_without_private_dns(ec2, vpc, tags={"vpce-guard:exempt": tag})

    pipeline(session, store, ENFORCE_PRIVATE_DNS).evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))

    record = private_dns_record(store, endpoint)
    assert (record.status, private_dns(ec2, endpoint), store.changes()) == (Status.EXEMPT, False, [])
    assert record.finding["evidence"]["exemption"] == {
        "tag": "vpce-guard:exempt", "value": tag, "until": "2026-12-31",
        "set_by_unknown": f"no CreateTags of vpce-guard:exempt on {endpoint} in the 90 days of CloudTrail event "
        "history (set earlier, or when the resource was created)",
    }  # fmt: skip


def test_an_exempt_finding_records_who_set_the_tag_and_reads_cloudtrail_again_only_when_the_tag_changes(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc, aws_env: Emulator
) -> None:
    owner, successor = f"arn:aws:iam::{ACCOUNT}:role/network-admin", f"arn:aws:iam::{ACCOUNT}:role/platform"
    first, second = "private-dns-disabled until=2026-12-31", "all until=2026-12-24"
    endpoint = endpoint_without_private_dns(ec2, vpc, tags={"vpce-guard:exempt": first})
    set_at = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    aws_env.record_cloudtrail_events([cloudtrail_support.create_tags(endpoint, first, owner, set_at)])
    clock = Clock()
    scope = Scope(REGION, (vpc.id,))

    def evaluate() -> tuple[dict[str, str], int]:
        aws_env.clear_recorded_calls()
        pipeline(session, store, ENFORCE_PRIVATE_DNS, clock).evaluate(ACCOUNT, scope)
        lookups = sum(call.operation == "LookupEvents" for call in aws_env.recorded_calls())
        return dict(private_dns_record(store, endpoint).finding["evidence"]["exemption"]), lookups

    exemption, lookups = evaluate()
    assert (exemption["set_by"], exemption["set_at"], lookups) == (owner, set_at.isoformat(), 1)
    assert evaluate() == (exemption, 0)  # the tag unchanged: who set it is kept, CloudTrail not asked

    ec2.create_tags(Resources=[endpoint], Tags=[{"Key": "vpce-guard:exempt", "Value": second}])
    aws_env.record_cloudtrail_events(
        [cloudtrail_support.create_tags(endpoint, second, successor, set_at + timedelta(days=1))]
    )
    exemption, lookups = evaluate()
    assert (exemption["value"], exemption["set_by"], lookups) == (second, successor, 1)


@pytest.mark.parametrize(
    ("tag", "why"),
    [
        ("private-dns-disabled", "the tag has no until=YYYY-MM-DD"),
        ("private-dns-disabled until=2027-03-31", "until=2027-03-31 is more than 90 days ahead"),
    ],
    ids=["no-until", "beyond-the-cap"],
)
def test_an_exemption_tag_that_grants_nothing_leaves_the_resource_alone_and_tickets_why(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc, tag: str, why: str
) -> None:
    endpoint = endpoint_without_private_dns(ec2, vpc, tags={"vpce-guard:exempt": tag})

    pipeline(session, store, ENFORCE_PRIVATE_DNS).evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))

    record = private_dns_record(store, endpoint)
    assert (record.status, private_dns(ec2, endpoint), store.changes()) == (Status.TICKETED, False, [])
    assert record.finding["evidence"]["exemption"]["refused"].startswith(why)


@pytest.mark.parametrize(("mode", "status"), [("ticket", Status.TICKETED), ("notify", Status.OPEN)])
def test_ticket_and_notify_modes_change_nothing(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc, mode: str, status: Status
) -> None:
    endpoint = endpoint_without_private_dns(ec2, vpc)

    pipeline(session, store, f'[modes]\nprivate-dns-disabled = "{mode}"\n').evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))

    assert (status_of(store, endpoint), private_dns(ec2, endpoint)) == (status, False)


def test_the_change_budget_caps_changes_per_invocation(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    first, second = endpoint_without_private_dns(ec2, vpc), endpoint_without_private_dns(ec2, vpc, tags={"a": "b"})

    pipeline(session, store, "change_budget = 1\n" + ENFORCE_PRIVATE_DNS).evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))

    assert sorted([private_dns(ec2, first), private_dns(ec2, second)]) == [False, True]


def test_a_change_aws_refuses_becomes_a_ticket_and_is_not_retried_while_nothing_changes(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc, aws_env: Emulator
) -> None:
    # The function's service details say STS is offered in both zones; by the time it acts, AWS offers it in
    # the first zone only and refuses the subnet it adds (InvalidParameter).
    build = EstateBuilder(ec2, REGION)
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    endpoint = build.interface_endpoint(vpc, "sts", subnet_ids=vpc.private_subnet_ids[:1], group_ids=[group])
    guard = pipeline(session, store, '[modes]\naz-coverage = "enforce"\n')
    scope = Scope(REGION, (vpc.id,))
    result = scan_live(session, scope, guard.config.settings)
    assert any(f.check_id == "az-coverage" for f in result.findings)
    aws_env.restrict_service_zones(f"com.amazonaws.{REGION}.sts", [vpc.zone_names[0]])
    guard.service_details.setdefault(ACCOUNT, ServiceDetailsCache()).put(
        REGION, result.snapshot.response("DescribeVpcEndpointServices")
    )

    guard.evaluate(ACCOUNT, scope)
    before = session.counter.calls["ModifyVpcEndpoint"]
    guard.evaluate(ACCOUNT, scope)

    assert status_of_check(store, endpoint, "az-coverage") is Status.FAILED
    assert "InvalidParameter" in (store.changes()[0].error or "")
    assert session.counter.calls["ModifyVpcEndpoint"] == before


def status_of_check(store: StateStore, resource_id: str, check_id: str) -> Status:
    (record,) = [r for r in store.records(ACCOUNT, REGION) if (r.resource_id, r.check_id) == (resource_id, check_id)]
    return record.status


def test_two_concurrent_evaluations_of_one_endpoint_make_one_change(
    aws_env: Emulator, state_table: str, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint = endpoint_without_private_dns(ec2, vpc)
    sessions = [AwsSession(REGION, endpoint_url=aws_env.url) for _ in range(2)]
    guards = [
        pipeline(session, StateStore(session.client("dynamodb"), state_table), ENFORCE_PRIVATE_DNS)
        for session in sessions
    ]

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda guard: guard.evaluate(ACCOUNT, Scope(REGION, (vpc.id,)), claim=True), guards))

    store = StateStore(sessions[0].client("dynamodb"), state_table)
    assert sum(session.counter.calls["ModifyVpcEndpoint"] for session in sessions) == 1
    assert private_dns(ec2, endpoint)
    assert [change.status for change in store.changes()] == ["REMEDIATED"]
    assert status_of(store, endpoint) is Status.REMEDIATED


def test_a_remediated_finding_stays_remediated_when_the_next_evaluation_no_longer_finds_it(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint = endpoint_without_private_dns(ec2, vpc)
    guard = pipeline(session, store, ENFORCE_PRIVATE_DNS)
    guard.evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))

    second = guard.evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))

    assert (status_of(store, endpoint), second.changes.writes) == (Status.REMEDIATED, 0)
    assert msgspec.structs.asdict(second.changes)["resolved"] == []


@pytest.fixture
def remediated(session: AwsSession, state_table: str, ec2: Any, vpc: BuiltVpc) -> tuple[str, ChangeRecord]:
    """An endpoint whose private DNS vpce-guard turned on, and the change it recorded (sealed, as the functions
    seal it, with the stack's HMAC key)."""
    kms = session.client("kms")
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    kms.create_alias(AliasName=key_alias(state_table), TargetKeyId=key["KeyId"])
    store = StateStore(session.client("dynamodb"), state_table, ChangeSeal.for_table(kms, state_table))
    endpoint = endpoint_without_private_dns(ec2, vpc)
    pipeline(session, store, ENFORCE_PRIVATE_DNS).evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))
    (change,) = store.changes()
    return endpoint, change


def state_flags(aws_env: Emulator, state_table: str) -> list[str]:
    return ["--table", state_table, "--region", REGION, "--endpoint-url", aws_env.url]


def test_rollback_restores_exactly_what_the_change_replaced(
    remediated: tuple[str, ChangeRecord], store: StateStore, ec2: Any, aws_env: Emulator, state_table: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    endpoint, change = remediated

    code = main(["rollback", change.change_id, "--yes", *state_flags(aws_env, state_table)])

    assert (code, private_dns(ec2, endpoint)) == (0, False)
    assert store.change(change.change_id).status == "ROLLED_BACK"  # type: ignore[union-attr]


def test_rollback_refuses_when_someone_changed_what_the_change_altered_and_says_what(
    remediated: tuple[str, ChangeRecord], store: StateStore, ec2: Any, aws_env: Emulator, state_table: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    endpoint, change = remediated
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint, PrivateDnsEnabled=False, ResetPolicy=True)

    code = main(["rollback", change.change_id, "--yes", *state_flags(aws_env, state_table)])

    refusal = capsys.readouterr().err
    assert code == 1
    assert "PrivateDnsEnabled: the change left True, now False" in refusal
    assert "PolicyDocument" not in refusal  # the change did not alter the policy


def test_rollback_with_force_restores_anyway(
    remediated: tuple[str, ChangeRecord], store: StateStore, ec2: Any, aws_env: Emulator, state_table: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    endpoint, change = remediated
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint, ResetPolicy=True)

    code = main(["rollback", change.change_id, "--force", "--yes", *state_flags(aws_env, state_table)])

    assert (code, private_dns(ec2, endpoint)) == (0, False)


def test_changes_lists_what_was_done_and_how_it_ended(
    remediated: tuple[str, ChangeRecord], store: StateStore, ec2: Any, aws_env: Emulator, state_table: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    endpoint, _ = remediated

    main(["changes", *state_flags(aws_env, state_table), "--format", "json"])

    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["status"], listed["resource_id"], listed["check_id"]) == (
        "REMEDIATED",
        endpoint,
        "private-dns-disabled",
    )


def test_switching_a_check_from_ticket_to_enforce_fixes_what_was_ticketed(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint = endpoint_without_private_dns(ec2, vpc)
    clock = Clock()
    pipeline(session, store, "", clock).evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))

    pipeline(session, store, ENFORCE_PRIVATE_DNS, clock).evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))

    assert (status_of(store, endpoint), private_dns(ec2, endpoint)) == (Status.REMEDIATED, True)


def test_a_reporting_pipeline_keeps_the_statuses_the_acting_ones_decided(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint = endpoint_without_private_dns(ec2, vpc)
    clock = Clock()
    pipeline(session, store, "", clock).evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))
    reporting = Pipeline(
        Accounts(lambda region: session), store, GuardConfig.from_toml(ENFORCE_PRIVATE_DNS), clock, act=False
    )

    reporting.evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))

    assert (status_of(store, endpoint), private_dns(ec2, endpoint)) == (Status.TICKETED, False)


def test_a_vpc_exempt_from_a_check_is_not_changed_by_its_endpoints_remediation(
    session: AwsSession, store: StateStore, ec2: Any, vpc: BuiltVpc
) -> None:
    endpoint = endpoint_without_private_dns(ec2, vpc)
    EstateBuilder(ec2, REGION).set_vpc_dns(vpc.id, support=True, hostnames=False)
    ec2.create_tags(Resources=[vpc.id], Tags=[{"Key": "vpce-guard:exempt", "Value": "all until=2026-12-31"}])
    config = '[modes]\nprivate-dns-disabled = "enforce"\nvpc-dns-disabled = "enforce"\n'

    pipeline(session, store, config).evaluate(ACCOUNT, Scope(REGION, (vpc.id,)))

    hostnames = ec2.describe_vpc_attribute(VpcId=vpc.id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]
    assert (hostnames["Value"], private_dns(ec2, endpoint)) == (False, False)
