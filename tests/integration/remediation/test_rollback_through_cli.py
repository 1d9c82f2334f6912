"""`vpce-guard rollback` through the emulator over HTTP: a rollback undoes exactly what its change altered, in
the order vpce-guard's own changes were made, under the resource's lease, after showing its calls, and only
for a change record whose integrity tag holds.

The estate is the field case: one event, two changes to one endpoint (private DNS turned on; a subnet added
in the zone it was missing).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from evaluation_clock import Clock
from sealed_state import sealed_store

from vpce_guard.accounts import Accounts
from vpce_guard.aws import AwsSession
from vpce_guard.cli import main
from vpce_guard.decisions import GuardConfig
from vpce_guard.pipeline import Pipeline
from vpce_guard.remediation import executor
from vpce_guard.snapshot import Scope
from vpce_guard.state import ChangeRecord, StateStore
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import BuiltVpc, EstateBuilder, least_privilege_policy

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"
ENFORCE = '[modes]\nprivate-dns-disabled = "enforce"\naz-coverage = "enforce"\n'


@dataclass(frozen=True)
class Endpoint:
    """An SSM endpoint planted with private DNS off and in one zone of two, and where it lives."""

    id: str
    vpc: BuiltVpc
    ec2: Any

    @property
    def private_dns(self) -> bool:
        return bool(self.described["PrivateDnsEnabled"])

    @property
    def subnets(self) -> list[str]:
        return sorted(self.described["SubnetIds"])

    @property
    def described(self) -> dict[str, Any]:
        endpoint: dict[str, Any] = self.ec2.describe_vpc_endpoints(VpcEndpointIds=[self.id])["VpcEndpoints"][0]
        return endpoint


@pytest.fixture
def sealed(session: AwsSession, state_table: str) -> StateStore:
    return sealed_store(session.client("dynamodb"), session.client("kms"), state_table)


@pytest.fixture
def endpoint(ec2: Any) -> Endpoint:
    build = EstateBuilder(ec2, REGION)
    vpc = build.vpc("10.0.0.0/16", zones=2, public_subnet=False)
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    endpoint_id = build.interface_endpoint(
        vpc, "ssm", subnet_ids=vpc.private_subnet_ids[:1], group_ids=[group], private_dns=False,
        policy=least_privilege_policy("ssm", ACCOUNT, REGION),
    )  # fmt: skip
    return Endpoint(endpoint_id, vpc, ec2)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def evaluate(session: AwsSession, store: StateStore, endpoint: Endpoint, clock: Clock) -> None:
    guard = Pipeline(Accounts(lambda region: session), store, GuardConfig.from_toml(ENFORCE), clock=clock)
    guard.evaluate(ACCOUNT, Scope(REGION, (endpoint.vpc.id,)))


@pytest.fixture
def two_changes(session: AwsSession, sealed: StateStore, endpoint: Endpoint, clock: Clock) -> dict[str, ChangeRecord]:
    """The two changes one evaluation made, by check id."""
    evaluate(session, sealed, endpoint, clock)
    changes = {change.check_id: change for change in sealed.changes()}
    assert sorted(changes) == ["az-coverage", "private-dns-disabled"]
    assert (endpoint.private_dns, len(endpoint.subnets)) == (True, 2)
    return changes


@pytest.fixture
def cli(aws_env: Emulator, state_table: str, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run `vpce-guard rollback ...` against the state table: the exit code, stdout and stderr."""

    def run(*arguments: str) -> tuple[int, str, str]:
        code = main(["rollback", *arguments, "--table", state_table, "--region", REGION, "--endpoint-url", aws_env.url])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def status(store: StateStore, change: ChangeRecord) -> str:
    found = store.change(change.change_id)
    assert found is not None
    return found.status


# --- Exactly the change's inverse ------------------------------------------------------------------------


def test_rolling_back_the_first_of_two_changes_undoes_only_what_it_altered(
    two_changes: dict[str, ChangeRecord], endpoint: Endpoint, sealed: StateStore, cli: Any
) -> None:
    subnets = endpoint.subnets

    code, _, _ = cli(two_changes["private-dns-disabled"].change_id, "--yes")

    assert (code, endpoint.private_dns, endpoint.subnets) == (0, False, subnets)
    assert status(sealed, two_changes["private-dns-disabled"]) == "ROLLED_BACK"
    assert status(sealed, two_changes["az-coverage"]) == "REMEDIATED"


def test_rollback_all_undoes_every_change_of_the_resource_newest_first(
    two_changes: dict[str, ChangeRecord], endpoint: Endpoint, sealed: StateStore, cli: Any
) -> None:
    code, out, _ = cli("--resource", endpoint.id, "--all", "--yes")

    assert (code, endpoint.private_dns, endpoint.subnets) == (0, False, list(endpoint.vpc.private_subnet_ids[:1]))
    assert out.index("RemoveSubnetIds") < out.index("PrivateDnsEnabled=False")
    assert {status(sealed, change) for change in two_changes.values()} == {"ROLLED_BACK"}


def test_a_later_change_of_vpce_guards_to_the_same_attribute_is_named_with_the_order(
    session: AwsSession, sealed: StateStore, endpoint: Endpoint, clock: Clock, ec2: Any, cli: Any
) -> None:
    evaluate(session, sealed, endpoint, clock)
    (first,) = [change for change in sealed.changes() if change.check_id == "private-dns-disabled"]
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint.id, PrivateDnsEnabled=False)  # someone turns it off
    evaluate(session, sealed, endpoint, clock)  # and vpce-guard turns it on again
    (second,) = [c for c in sealed.changes() if c.check_id == "private-dns-disabled" and c != first]

    code, _, err = cli(first.change_id, "--yes")

    assert (code, endpoint.private_dns) == (1, True)
    assert f"vpce-guard rollback {second.change_id}" in err
    assert f"vpce-guard rollback --resource {endpoint.id} --all" in err


def test_force_restores_an_altered_attribute_changed_since_and_nothing_else(
    two_changes: dict[str, ChangeRecord], endpoint: Endpoint, sealed: StateStore, ec2: Any, cli: Any
) -> None:
    (new_subnet,) = set(endpoint.subnets) - set(endpoint.vpc.private_subnet_ids[:1])
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint.id, PrivateDnsEnabled=False, ResetPolicy=True)

    refused, _, why = cli(two_changes["private-dns-disabled"].change_id, "--yes")
    forced, _, _ = cli(two_changes["private-dns-disabled"].change_id, "--yes", "--force")

    assert (refused, forced) == (1, 0)
    assert "PrivateDnsEnabled: the change left True, now False" in why
    assert "PolicyDocument" not in why
    assert endpoint.described["PolicyDocument"] is not None
    assert json.loads(endpoint.described["PolicyDocument"])["Statement"][0]["Principal"] == "*"  # theirs, kept
    assert new_subnet in endpoint.subnets  # the other change's subnet stays
    assert status(sealed, two_changes["az-coverage"]) == "REMEDIATED"


def test_an_interrupted_change_is_rolled_back_from_its_recorded_before(
    session: AwsSession, sealed: StateStore, endpoint: Endpoint, clock: Clock, monkeypatch: pytest.MonkeyPatch,
    cli: Any,
) -> None:  # fmt: skip
    made_then_died = executor.run_calls

    def dies_after_the_calls(*arguments: Any) -> Any:
        made_then_died(*arguments)
        raise RuntimeError("the run died mid-change")

    with monkeypatch.context() as patched:
        patched.setattr(executor, "run_calls", dies_after_the_calls)
        with pytest.raises(RuntimeError):
            evaluate(session, sealed, endpoint, clock)
    (interrupted,) = sealed.changes()
    assert (interrupted.status, interrupted.after, endpoint.private_dns) == ("APPLYING", None, True)

    code, _, err = cli(interrupted.change_id, "--yes")

    assert (code, endpoint.private_dns) == (0, False), err


# --- Shown before it acts --------------------------------------------------------------------------------


def test_without_a_terminal_or_yes_the_plan_is_printed_and_nothing_changes(
    two_changes: dict[str, ChangeRecord], endpoint: Endpoint, cli: Any
) -> None:
    code, out, err = cli(two_changes["private-dns-disabled"].change_id)

    assert (code, endpoint.private_dns) == (2, True)
    assert f"ModifyVpcEndpoint(VpcEndpointId={endpoint.id}, PrivateDnsEnabled=False)" in out
    assert "pass --yes" in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "code", "private_dns"), [("n", 1, True), ("y", 0, False)])
def test_at_a_terminal_the_rollback_applies_only_what_a_person_confirms(
    two_changes: dict[str, ChangeRecord], endpoint: Endpoint, cli: Any, monkeypatch: pytest.MonkeyPatch,
    answer: str, code: int, private_dns: bool,
) -> None:  # fmt: skip
    monkeypatch.setattr("sys.stdin", Terminal(answer + "\n"))

    assert cli(two_changes["private-dns-disabled"].change_id)[0] == code
    assert endpoint.private_dns is private_dns


# --- Leases and integrity --------------------------------------------------------------------------------


def test_a_rollback_waits_for_a_change_in_flight_on_the_resource(
    two_changes: dict[str, ChangeRecord], endpoint: Endpoint, sealed: StateStore, cli: Any
) -> None:
    assert sealed.acquire_lease(ACCOUNT, REGION, endpoint.id, "a-change-in-flight", datetime.now(UTC))

    code, _, err = cli(two_changes["private-dns-disabled"].change_id, "--yes")

    assert (code, endpoint.private_dns) == (2, True)
    assert "in flight" in err


def test_a_record_edited_in_the_table_is_refused(
    two_changes: dict[str, ChangeRecord], endpoint: Endpoint, sealed: StateStore, cli: Any
) -> None:
    change = two_changes["private-dns-disabled"]
    document = json.loads(change.document or "{}")
    document["before"][endpoint.id]["PolicyDocument"] = {"Statement": [{"Effect": "Allow", "Principal": "*"}]}
    sealed.dynamodb.update_item(
        TableName=sealed.table_name,
        Key={"pk": {"S": f"{ACCOUNT}#{REGION}#{endpoint.id}"}, "sk": {"S": f"change#{change.change_id}"}},
        UpdateExpression="SET document = :document",
        ExpressionAttributeValues={":document": {"S": json.dumps(document, sort_keys=True)}},
    )

    code, _, err = cli(change.change_id, "--yes")

    assert (code, endpoint.private_dns) == (2, True)
    assert f"change {change.change_id} failed its integrity check" in err


def test_a_record_without_an_integrity_tag_is_refused(
    session: AwsSession, store: StateStore, endpoint: Endpoint, clock: Clock, cli: Any
) -> None:
    evaluate(session, store, endpoint, clock)  # a store without the key's seal
    change = store.changes()[0]

    code, _, err = cli(change.change_id, "--yes")

    assert code == 2
    assert "carries no integrity tag" in err
