"""The hub at work in member accounts, through the emulator over HTTP: the member side deployed by the member
StackSet, the hub's functions reaching each member through the roles it trusts them with, and no one else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from evaluation_clock import Clock
from org_support import (
    ACTOR,
    OUTSIDER,
    READER,
    ROLES,
    Hub,
    create_role,
    created,
    deploy_members,
)

from vpce_guard.accounts import AccountAccessError, Accounts, MemberRoles
from vpce_guard.decisions import GuardConfig
from vpce_guard.pipeline import Pipeline
from vpce_guard.state import StateStore
from vpce_guard.vocabulary import Status
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

ENFORCE_PRIVATE_DNS = GuardConfig.from_toml('[modes]\nprivate-dns-disabled = "enforce"\n')


@pytest.fixture
def hub_store(hub: Hub, state_table: str) -> StateStore:
    """The state table in the hub account, as the hub's functions reach it."""
    return StateStore(hub.session_of(ACTOR, REGION).client("dynamodb"), state_table)


def private_dns_of(hub: Hub, account_id: str, endpoint: str) -> bool:
    ec2 = hub.member_client("ec2", account_id)
    (described,) = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"]
    return bool(described["PrivateDnsEnabled"])


def test_an_event_from_a_member_is_evaluated_and_remediated_in_that_member_by_the_hub(
    hub: Hub, hub_store: StateStore
) -> None:
    member = hub.organization.member_account_ids[0]
    mistake = hub.plant(member)
    endpoint = mistake.endpoint_id
    accounts = hub.accounts(ACTOR)

    evaluation = Pipeline(accounts, hub_store, ENFORCE_PRIVATE_DNS, clock=Clock()).on_change(created(mistake))

    assert evaluation is not None
    assert private_dns_of(hub, member, endpoint)
    [change] = evaluation.remediations
    assert (change.account_id, change.region, change.resource_id, change.status) == (
        member, REGION, endpoint, "REMEDIATED",
    )  # fmt: skip
    [record] = [r for r in hub_store.records(member, REGION) if r.check_id == "private-dns-disabled"]
    assert (record.account_id, record.region, record.status) == (member, REGION, Status.REMEDIATED)
    assert hub_store.records(hub.account_id, REGION) == []
    assert hub.session_of(ACTOR, REGION).client("ec2").describe_vpc_endpoints()["VpcEndpoints"] == []


def test_the_hub_assumes_each_member_role_once_for_many_evaluations(hub: Hub, hub_store: StateStore) -> None:
    member = hub.organization.member_account_ids[1]
    change = created(hub.plant(member))
    pipeline = Pipeline(hub.accounts(ACTOR), hub_store, GuardConfig(), clock=Clock())

    evaluations = [pipeline.on_change(change) for _ in range(3)]

    home_calls = hub.session_of(ACTOR, REGION).counter.calls
    assert (home_calls["AssumeRole"], home_calls["GetCallerIdentity"]) == (1, 1)  # the read role, once
    assert [e.api_calls.get("AssumeRole", 0) for e in evaluations if e is not None] == [1, 0, 0]


def test_a_role_is_assumed_once_for_every_region_and_again_before_its_credentials_expire(hub: Hub) -> None:
    member = hub.organization.member_account_ids[0]
    now = [datetime.now(UTC)]
    accounts = Accounts(lambda region: hub.session_of(ACTOR, region), ROLES, clock=lambda: now[0])
    home = hub.session_of(ACTOR, REGION)

    for region in (REGION, "eu-west-1", REGION):
        accounts.reader(member, region).client("ec2").describe_vpcs()
    assumed_at_first = home.counter.calls["AssumeRole"]
    now[0] += timedelta(minutes=50)  # 10 of the credentials' 60 minutes left: less than one invocation may need
    renewed = accounts.reader(member, REGION)

    assert assumed_at_first == 1
    assert home.counter.calls["AssumeRole"] == 2
    assert renewed.counter.calls["AssumeRole"] == 2  # counted for the member's evaluations, too


def test_what_a_region_offers_is_read_once_per_account(hub: Hub, hub_store: StateStore) -> None:
    """Zone names are each account's own mapping, and services may be shared with some accounts only."""
    accounts = hub.accounts(ACTOR)
    pipeline = Pipeline(accounts, hub_store, GuardConfig(), clock=Clock())
    members = hub.organization.member_account_ids[:2]
    changes = [created(hub.plant(member)) for member in members]

    for change in changes * 2:
        pipeline.on_change(change)

    for member in members:
        assert accounts.reader(member, REGION).counter.calls["DescribeVpcEndpointServices"] == 1


def test_findings_are_attributed_to_the_member_and_region_they_are_in(hub: Hub, hub_store: StateStore) -> None:
    first, second = hub.organization.member_account_ids[:2]
    pipeline = Pipeline(hub.accounts(ACTOR), hub_store, GuardConfig(), clock=Clock())
    mistakes = [hub.plant(account) for account in (first, second)]

    for mistake in mistakes:
        pipeline.on_change(created(mistake))

    for mistake in mistakes:
        records = hub_store.records(mistake.account_id, REGION)
        assert {(r.account_id, r.region, r.vpc_id) for r in records} == {(mistake.account_id, REGION, mistake.vpc.id)}
        assert {r.finding["account_id"] for r in records} == {mistake.account_id}
        assert mistake.endpoint_id in {r.resource_id for r in records}


def test_a_hub_role_not_trusted_to_remediate_ends_the_change_failed_with_the_reason(
    hub: Hub, hub_store: StateStore
) -> None:
    member = hub.organization.member_account_ids[2]
    mistake = hub.plant(member)
    endpoint = mistake.endpoint_id

    evaluation = Pipeline(hub.accounts(READER), hub_store, ENFORCE_PRIVATE_DNS, clock=Clock()).on_change(
        created(mistake)
    )

    assert evaluation is not None
    [change] = evaluation.remediations
    assert change.status == "FAILED"
    assert f"arn:aws:iam::{member}:role/{ROLES.remediate}" in (change.error or "")
    assert not private_dns_of(hub, member, endpoint)
    [record] = [r for r in hub_store.records(member, REGION) if r.check_id == "private-dns-disabled"]
    assert record.status is Status.FAILED


def test_a_remediation_role_out_of_reach_for_a_moment_fails_the_evaluation_for_a_retry(
    hub: Hub, hub_store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Throttled or unreachable STS says nothing about the role: no FAILED ticket, the trigger retries."""
    member = hub.organization.member_account_ids[0]
    mistake = hub.plant(member)
    accounts = hub.accounts(ACTOR)
    throttled = ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "AssumeRole")

    def out_of_reach(account_id: str, region: str) -> Any:
        raise AccountAccessError(account_id, hub.role_arn(ROLES.remediate or "", account_id), region, throttled)

    monkeypatch.setattr(accounts, "actor", out_of_reach)

    with pytest.raises(AccountAccessError, match="Throttling"):
        Pipeline(accounts, hub_store, ENFORCE_PRIVATE_DNS, clock=Clock()).on_change(created(mistake))

    assert hub_store.changes() == []
    assert not private_dns_of(hub, member, mistake.endpoint_id)


def test_a_member_role_refuses_a_principal_from_outside_the_organization(hub: Hub, aws_env: Emulator) -> None:
    """The outsider's role has the hub role's very name, in an account outside the organization."""
    member = hub.organization.member_account_ids[0]
    create_role(aws_env, OUTSIDER, ACTOR)
    outsider = hub.accounts(ACTOR, account_id=OUTSIDER)

    with pytest.raises(AccountAccessError) as refused:
        outsider.reader(member, REGION)

    assert refused.value.code == "AccessDenied"
    assert f"account {member} is out of reach" in str(refused.value)
    assert "member/template.yaml" in str(refused.value)


def test_a_member_role_refuses_the_very_hub_role_it_names_once_that_role_is_outside_the_organization(
    hub: Hub, aws_env: Emulator
) -> None:
    """Principal and aws:PrincipalArn both name the outsider's role: only aws:PrincipalOrgID refuses it."""
    member = hub.organization.member_account_ids[0]
    create_role(aws_env, OUTSIDER, ACTOR)
    named_roles = MemberRoles(read="vpce-guard-read-named", remediate="vpce-guard-remediate-named")
    deploy_members(hub, OUTSIDER, named_roles, name="members-naming-an-outsider")
    outsider = Accounts(lambda region: hub.session_of(ACTOR, region, OUTSIDER), named_roles)

    with pytest.raises(AccountAccessError) as refused:
        outsider.reader(member, REGION)

    assert refused.value.code == "AccessDenied"


def test_an_account_without_the_member_stack_is_out_of_reach_and_says_why(hub: Hub, aws_env: Emulator) -> None:
    stranger = aws_env.client("organizations").create_account(AccountName="new", Email="new@example.org")
    account_id = stranger["CreateAccountStatus"]["AccountId"]

    with pytest.raises(AccountAccessError, match=f"account {account_id} is out of reach"):
        hub.accounts(ACTOR).reader(account_id, REGION)


def test_the_hub_account_itself_is_read_with_the_hub_functions_own_credentials(hub: Hub) -> None:
    accounts = hub.accounts(ACTOR)

    session: Any = accounts.reader(hub.account_id, REGION)

    assert session is hub.session_of(ACTOR, REGION)
