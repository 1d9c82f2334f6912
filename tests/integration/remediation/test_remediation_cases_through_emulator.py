"""Remediation cases beyond the plain cycle, through the emulator over HTTP: options that change a plan, the
findings that become tickets, AWS refusing a call, and a rollback refused after someone else's change."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from remediation_estates import KEEP_DENY, ORG_ID, Estate, Planted, rolled_back

from vpce_guard.aws import AwsSession
from vpce_guard.checks import CheckSettings
from vpce_guard.remediation.configuration import read_configurations
from vpce_guard.remediation.executor import Applied, apply
from vpce_guard.remediation.model import Plan
from vpce_guard.remediation.plans import TicketOnly, plan_for
from vpce_guard.remediation.rollback import REFUSED, RESTORED
from vpce_guard.remediation.runbooks import set_vpc_attribute
from vpce_guard.vocabulary import ChangeStatus
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import least_privilege_policy

pytestmark = pytest.mark.server


@pytest.fixture
def estate(ec2: Any) -> Estate:
    return Estate(ec2)


@pytest.fixture
def session(aws_env: Emulator) -> AwsSession:
    return AwsSession(REGION, endpoint_url=aws_env.url)


def planned(estate: Estate, session: AwsSession, planted: Planted, **options: Any) -> Plan:
    finding, facts = estate.find(session, planted)
    plan = plan_for(finding, facts, **options)
    assert isinstance(plan, Plan)
    return plan


def ticket(estate: Estate, session: AwsSession, planted: Planted) -> TicketOnly:
    finding, facts = estate.find(session, planted)
    outcome = plan_for(finding, facts)
    assert isinstance(outcome, TicketOnly)
    return outcome


def mutating_calls(session: AwsSession) -> int:
    """The calls that are not reads: describes, and the traffic a scan reads (GetMetricData)."""
    return sum(count for name, count in session.counter.calls.items() if not name.startswith(("Describe", "Get")))


# --- Options ---------------------------------------------------------------------------------------------


def test_a_policy_bounded_to_the_org_passes_an_org_scan(session: AwsSession, estate: Estate) -> None:
    planted = estate.plant("policy-any-principal")
    settings = CheckSettings(org_ids=frozenset({ORG_ID}))

    applied = apply(session, planned(estate, session, planted, org_id=ORG_ID))

    assert applied.status == ChangeStatus.REMEDIATED
    findings, _ = estate.scan(session, settings)
    assert not [f for f in findings if f.resource_id == planted.resource_id and f.check_id.startswith("policy-")]


def test_the_new_policy_keeps_the_original_deny(session: AwsSession, estate: Estate) -> None:
    planted = estate.plant("policy-foreign-principal")

    applied = apply(session, planned(estate, session, planted))

    assert applied.after[planted.resource_id]["PolicyDocument"]["Statement"][-1] == KEEP_DENY


def test_private_dns_after_the_vpc_dns_attributes_when_those_are_enforced(session: AwsSession, estate: Estate) -> None:
    planted = estate.plant("private-dns-disabled")
    estate.build.set_vpc_dns(estate.vpc.id, support=False, hostnames=False)
    plan = planned(estate, session, planted, fix_vpc_dns=True)

    applied = apply(session, plan)

    assert applied.status == ChangeStatus.REMEDIATED
    assert applied.after[estate.vpc.id] == {"EnableDnsSupport": True, "EnableDnsHostnames": True}
    findings, _ = estate.scan(session)
    assert not [f for f in findings if f.resource_id == planted.resource_id]


def test_rolling_back_private_dns_and_vpc_dns_restores_both(session: AwsSession, estate: Estate) -> None:
    planted = estate.plant("private-dns-disabled")
    estate.build.set_vpc_dns(estate.vpc.id, support=False, hostnames=False)
    plan = planned(estate, session, planted, fix_vpc_dns=True)
    applied = apply(session, plan)

    restored = rolled_back(session, plan, applied, force=False)

    assert restored.status == RESTORED
    assert read_configurations(session, plan.resources) == applied.before


# --- Tickets ---------------------------------------------------------------------------------------------


def test_a_missing_baseline_endpoint_is_a_ticket(session: AwsSession, estate: Estate) -> None:
    assert "costs money" in ticket(estate, session, estate.plant("missing-baseline-endpoint")).reason


def test_a_network_acl_blocking_https_is_a_ticket_and_nothing_is_changed(session: AwsSession, estate: Estate) -> None:
    outcome = ticket(estate, session, estate.plant("nacl-blocks-https"))

    assert "never changed automatically" in outcome.reason
    assert "inbound 90" in outcome.reason
    assert mutating_calls(session) == 0


def test_private_dns_held_by_another_endpoint_is_a_ticket(session: AwsSession, estate: Estate) -> None:
    holder = estate.endpoint("bedrock-runtime")
    spare = estate.endpoint("bedrock-runtime", private_dns=False, subnet_ids=estate.vpc.private_subnet_ids[:1])

    assert holder in ticket(estate, session, Planted("private-dns-disabled", spare, estate.vpc.id)).reason


def test_private_dns_in_a_vpc_with_dns_hostnames_off_is_a_ticket(session: AwsSession, estate: Estate) -> None:
    planted = estate.plant("private-dns-disabled")
    estate.build.set_vpc_dns(estate.vpc.id, support=True, hostnames=False)

    assert "EnableDnsHostnames" in ticket(estate, session, planted).reason


def test_https_blocked_on_the_shared_default_group_is_a_ticket(session: AwsSession, estate: Estate) -> None:
    on_default_group = estate.endpoint("logs", group_ids=[])

    outcome = ticket(estate, session, Planted("sg-https-blocked", on_default_group, estate.vpc.id))

    assert "shared default group" in outcome.reason


# --- AWS refuses -----------------------------------------------------------------------------------------


def test_a_subnet_in_a_zone_the_service_left_fails_with_the_aws_error(
    session: AwsSession, estate: Estate, aws_env: Emulator
) -> None:
    planted = estate.plant("az-coverage")
    plan = planned(estate, session, planted)
    service_name = estate.build.service_name("sts")
    aws_env.restrict_service_zones(service_name, list(estate.vpc.zone_names[:1]))

    applied = apply(session, plan)

    assert (applied.status, applied.calls_made) == (ChangeStatus.FAILED, ())
    assert applied.error is not None
    assert "ModifyVpcEndpoint" in applied.error
    assert "InvalidParameter" in applied.error
    assert applied.after == applied.before


def test_a_group_that_vanished_fails_with_the_aws_error_and_no_change(
    session: AwsSession, estate: Estate, ec2: Any
) -> None:
    planted = estate.plant("sg-https-blocked")
    plan = planned(estate, session, planted)
    ec2.delete_security_group(GroupId=plan.resource.id)

    applied = apply(session, plan)

    assert applied.status == ChangeStatus.FAILED
    assert applied.error is not None
    assert "InvalidGroup.NotFound" in applied.error
    assert mutating_calls(session) == 0


def test_a_failure_after_some_calls_reports_them_and_rolls_back(
    session: AwsSession, estate: Estate, aws_env: Emulator
) -> None:
    planted = estate.plant("az-coverage")
    estate.build.set_vpc_dns(estate.vpc.id, support=True, hostnames=False)
    plan = planned(estate, session, planted)
    aws_env.restrict_service_zones(estate.build.service_name("sts"), list(estate.vpc.zone_names[:1]))
    hostnames = set_vpc_attribute(estate.vpc.id, "EnableDnsHostnames", True)
    two_steps = Plan(plan.finding, plan.resource, (hostnames, *plan.calls), plan.summary)

    applied = apply(session, two_steps)
    restored = rolled_back(session, two_steps, applied, force=False)

    assert (applied.status, applied.calls_made) == (ChangeStatus.FAILED, (hostnames,))
    assert restored.status == RESTORED
    assert read_configurations(session, two_steps.resources) == applied.before


# --- Rollback after someone else's change ----------------------------------------------------------------


@dataclass(frozen=True)
class ChangedSince:
    estate: Estate
    planted: Planted
    plan: Plan
    applied: Applied


@pytest.fixture
def changed_since(session: AwsSession, estate: Estate, ec2: Any) -> ChangedSince:
    """A remediated default policy, whose endpoint someone has since given a policy of their own."""
    planted = estate.plant("policy-any-principal")
    plan = planned(estate, session, planted)
    applied = apply(session, plan)
    theirs = least_privilege_policy("secretsmanager", estate.account, REGION)
    theirs["Statement"][0]["Sid"] = "TheirOwnChange"
    ec2.modify_vpc_endpoint(VpcEndpointId=planted.resource_id, PolicyDocument=json.dumps(theirs))
    return ChangedSince(estate, planted, plan, applied)


def test_a_rollback_after_a_third_party_change_is_refused_with_the_differences(
    session: AwsSession, changed_since: ChangedSince
) -> None:
    plan, applied = changed_since.plan, changed_since.applied
    made_before = mutating_calls(session)

    restored = rolled_back(session, plan, applied, force=False)

    assert (restored.status, restored.calls_made) == (REFUSED, ())
    assert restored.differences_refused is not None
    assert [line.split(":")[0] for line in restored.differences_refused] == [f"{plan.resource.id} PolicyDocument"]
    assert mutating_calls(session) == made_before


def test_a_forced_rollback_restores_the_snapshot(session: AwsSession, changed_since: ChangedSince) -> None:
    plan, applied = changed_since.plan, changed_since.applied

    restored = rolled_back(session, plan, applied, force=True)

    assert restored.status == RESTORED
    assert read_configurations(session, plan.resources) == applied.before


def test_the_default_policy_comes_back_through_reset_policy(session: AwsSession, changed_since: ChangedSince) -> None:
    plan, applied = changed_since.plan, changed_since.applied

    restored = rolled_back(session, plan, applied, force=True)

    assert [call.parameters.get("ResetPolicy") for call in restored.calls_made] == [True]
    assert changed_since.estate.still_found(session, changed_since.planted)
