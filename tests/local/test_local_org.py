"""``local up --org``: the hub and its members in the emulator, and the application at work across them.

The emulator hosts an organization of three members; the hub is deployed from template.yaml with the org
parameters, and its StackSet deploys member/template.yaml to every member through the emulator's
CloudFormation. A member's API call then takes the path AWS gives it: the member's forwarding rule puts it on
the hub's bus, the hub's rule invokes the on-change function, which reaches the member through the roles the
member stack created (the emulator checks their trust: the function's execution role, inside the
organization).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vpce_guard.cli import main
from vpce_guard.state import StateStore
from vpce_guard.vocabulary import Status
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import plant_private_dns_mistake
from vpce_guard_local.sam.deploy import local_up
from vpce_guard_local.sam.queues import drain_queues
from vpce_guard_local.sam.router import route, send
from vpce_guard_local.sam.stack import LocalStack
from vpce_guard_local.sam.template import SamTemplate
from vpce_guard_local.samples import SAMPLE_ACCOUNT, SAMPLE_ENDPOINT, load_event, retarget

pytestmark = pytest.mark.server

ENFORCE_PRIVATE_DNS = '[modes]\nprivate-dns-disabled = "enforce"\n'


@pytest.fixture
def hub(aws_env: Emulator, sam_template: SamTemplate, stack_file: Path) -> LocalStack:
    return local_up(
        sam_template,
        aws_env.url,
        parameters={"Configuration": ENFORCE_PRIVATE_DNS},
        stack_file=stack_file,
        organization_members=3,
    )


def plant(aws_env: Emulator, stack: LocalStack, account_id: str) -> dict[str, str]:
    """An endpoint with private DNS off in a VPC of ``account_id``; the sample story's ids for it."""
    return plant_private_dns_mistake(
        aws_env.client("ec2", stack.region, account_id=account_id), stack.region
    ).story_ids()


def private_dns(aws_env: Emulator, stack: LocalStack, account_id: str, endpoint: str) -> bool:
    ec2 = aws_env.client("ec2", stack.region, account_id=account_id)
    return bool(ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"][0]["PrivateDnsEnabled"])


def store_of(aws_env: Emulator, stack: LocalStack) -> StateStore:
    return StateStore(aws_env.client("dynamodb", stack.region), stack.physical_id("StateTable"))


def test_up_org_hosts_an_organization_and_deploys_the_member_stack_to_every_member(
    aws_env: Emulator, hub: LocalStack
) -> None:
    assert hub.organization is not None
    members = hub.organization.member_account_ids
    assert len(members) == 3
    listed = aws_env.client("organizations").list_accounts()["Accounts"]
    assert set(members) < {account["Id"] for account in listed}
    for member in members:
        roles = {role["RoleName"] for role in aws_env.client("iam", account_id=member).list_roles()["Roles"]}
        rules = aws_env.client("config", hub.region, account_id=member).describe_config_rules()["ConfigRules"]
        assert {"vpce-guard-read", "vpce-guard-remediate"} <= roles
        assert [rule["Source"]["SourceIdentifier"] for rule in rules] == [hub.functions["ConfigRuleFunction"].arn]


def test_a_mistake_in_a_member_is_found_and_fixed_by_the_hub(aws_env: Emulator, hub: LocalStack) -> None:
    assert hub.organization is not None
    member = hub.organization.member_account_ids[1]
    ids = plant(aws_env, hub, member)
    endpoint = ids[SAMPLE_ENDPOINT]

    (invocation,) = send(hub, retarget(load_event("cloudtrail-create-vpc-endpoint-interface"), ids))

    assert invocation.ok, invocation.error
    assert (invocation.function, invocation.trigger) == ("OnChangeFunction", "HubEndpointApiCallRule")
    assert private_dns(aws_env, hub, member, endpoint)
    [change] = store_of(aws_env, hub).changes()
    assert (change.account_id, change.resource_id, change.status) == (member, endpoint, "REMEDIATED")
    [record] = [r for r in store_of(aws_env, hub).records(member, hub.region) if r.check_id == "private-dns-disabled"]
    assert record.status is Status.REMEDIATED


def test_a_members_config_rule_is_evaluated_by_the_hub_and_reported_in_the_member(
    aws_env: Emulator, hub: LocalStack
) -> None:
    assert hub.organization is not None
    member = hub.organization.member_account_ids[0]
    ids = plant(aws_env, hub, member)
    event = retarget(load_event("config-rule-item-change-vpc-endpoint"), ids)

    (delivery,) = route(hub, event)
    (invocation,) = send(hub, event)

    assert invocation.ok, invocation.error
    assert delivery.event["configRuleName"] == "vpce-guard-org-vpc-endpoints"
    assert invocation.result["evaluations"] == {ids[SAMPLE_ENDPOINT]: "NON_COMPLIANT"}
    member_config = aws_env.client("config", hub.region, account_id=member)
    results = member_config.get_compliance_details_by_config_rule(ConfigRuleName="vpce-guard-org-vpc-endpoints")
    assert [r["ComplianceType"] for r in results["EvaluationResults"]] == ["NON_COMPLIANT"]


def test_the_sweep_covers_the_hub_and_every_member_with_per_account_results(
    aws_env: Emulator, hub: LocalStack, stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hub.organization is not None
    planted = {m: plant(aws_env, hub, m)[SAMPLE_ENDPOINT] for m in hub.organization.member_account_ids}
    sweep_event = retarget(load_event("schedule-sweep"), {SAMPLE_ACCOUNT: hub.account_id})

    (sweep,) = send(hub, sweep_event)
    jobs = drain_queues(hub)
    state = ["--table", hub.physical_id("StateTable"), "--region", hub.region, "--endpoint-url", aws_env.url]
    main(["sweeps", *state, "--format", "json"])
    results = json.loads(capsys.readouterr().out)

    assert sweep.result["jobs"] == 4
    assert [job.result for job in jobs] == [{"batchItemFailures": []}] * 4
    assert {(r["account_id"], r["status"]) for r in results} == {
        (account, "DONE") for account in (hub.account_id, *hub.organization.member_account_ids)
    }
    store = store_of(aws_env, hub)
    for member, endpoint in planted.items():
        assert endpoint in {record.resource_id for record in store.records(member, hub.region)}


def test_an_operator_rolls_back_a_members_change_through_an_administrator_role(
    aws_env: Emulator, hub: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hub.organization is not None
    member = hub.organization.member_account_ids[2]
    ids = plant(aws_env, hub, member)
    send(hub, retarget(load_event("cloudtrail-create-vpc-endpoint-interface"), ids))
    [change] = store_of(aws_env, hub).changes()
    state = ["--table", hub.physical_id("StateTable"), "--region", hub.region, "--endpoint-url", aws_env.url]

    without_role = main(["rollback", change.change_id, *state, "--yes"])
    refusal = capsys.readouterr().err
    with_role = main(["rollback", change.change_id, *state, "--yes", "--role-name", "OrganizationAccountAccessRole"])

    assert without_role == 2
    assert f"was made in account {member}" in refusal
    assert "--role-name" in refusal
    assert with_role == 0
    assert not private_dns(aws_env, hub, member, ids[SAMPLE_ENDPOINT])


def test_local_up_org_through_the_command_line_names_the_organization_and_its_members(
    aws_env: Emulator, stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["local", "up", "--org", "--members", "2", "--endpoint-url", aws_env.url, "--stack-file", str(stack_file)]
    )

    printed = capsys.readouterr().out
    stack = LocalStack.load(stack_file)
    assert code == 0
    assert stack.organization is not None
    assert f"hub of organization {stack.organization.id}" in printed
    assert all(
        f"member {member}: member stack in {stack.region}" in printed
        for member in stack.organization.member_account_ids
    )
    assert len(stack.organization.member_account_ids) == 2


def test_sweeps_without_any_sweep_says_so(
    aws_env: Emulator, hub: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    state = ["--table", hub.physical_id("StateTable"), "--region", hub.region, "--endpoint-url", aws_env.url]

    assert main(["sweeps", *state]) == 0
    assert capsys.readouterr().out.strip() == "No sweep recorded."
