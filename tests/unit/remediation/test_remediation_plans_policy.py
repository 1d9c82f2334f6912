"""restrict-endpoint-policy: one test per scenario of the playbook's docstring."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from remediation_builders import (
    FOREIGN_ACCOUNT,
    ORG_ID,
    account_policy,
    default_policy_endpoint,
    planned,
    ticketed,
    with_policy,
)
from unit.checks.facts_builders import ACCOUNT_ID, aws_service, facts, gateway_endpoint, interface_endpoint

from vpce_guard.catalog import load_catalog
from vpce_guard.checks import CHECKS, CheckSettings
from vpce_guard.facts import Endpoint, Facts
from vpce_guard.remediation.model import Plan, TicketOnly
from vpce_guard.remediation.plans import plan_for

POLICY_CHECKS = ("policy-any-principal", "policy-wildcard-action", "policy-foreign-principal")
DENY_DELETE = {"Sid": "NoDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "*"}
FOREIGN_ALLOW = {
    "Sid": "Partner",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"},
    "Action": "sqs:SendMessage",
    "Resource": "*",
}


def estate(endpoint: Endpoint, **service: Any) -> Facts:
    return facts(endpoints=[endpoint], services=[aws_service(**service)])


def new_policy(plan: Plan) -> dict[str, Any]:
    (call,) = plan.calls
    assert (call.method, set(call.parameters)) == ("modify_vpc_endpoint", {"VpcEndpointId", "PolicyDocument"})
    document: dict[str, Any] = json.loads(call.parameters["PolicyDocument"])
    return document


def test_the_default_policy_becomes_the_catalog_actions_for_the_owner_account() -> None:
    plan = planned("policy-any-principal", estate(default_policy_endpoint()))

    assert new_policy(plan) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "VpceGuardLeastPrivilege",
                "Effect": "Allow",
                "Principal": "*",
                "Action": list(load_catalog().services["bedrock-runtime"].actions),
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT_ID}},
            }
        ],
    }


def test_with_an_org_id_the_policy_is_bounded_to_the_organization() -> None:
    plan = planned("policy-any-principal", estate(default_policy_endpoint()), org_id=ORG_ID)

    assert new_policy(plan)["Statement"][0]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}


def test_the_originals_deny_statements_are_kept_as_written() -> None:
    endpoint = with_policy(gateway_endpoint(), account_policy(DENY_DELETE))
    wildcard = estate(endpoint, key="s3", endpoint_type="Gateway")

    plan = planned("policy-wildcard-action", wildcard)

    assert new_policy(plan)["Statement"][1:] == [DENY_DELETE]


@pytest.mark.parametrize(
    ("check_id", "document"),
    [
        (
            "policy-any-principal",
            {
                "Version": "2008-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
            },
        ),
        ("policy-wildcard-action", account_policy()),
        ("policy-foreign-principal", {"Version": "2012-10-17", "Statement": [FOREIGN_ALLOW, DENY_DELETE]}),
    ],
)
@pytest.mark.parametrize("org_id", [None, ORG_ID])
def test_the_new_policy_clears_every_policy_check(check_id: str, document: dict[str, Any], org_id: str | None) -> None:
    endpoint = with_policy(interface_endpoint(service="sqs"), document)
    plan = planned(check_id, estate(endpoint, key="sqs"), org_id=org_id)

    fixed = with_policy(endpoint, new_policy(plan))
    settings = CheckSettings(org_ids=frozenset({org_id} if org_id else ()))
    after = estate(fixed, key="sqs")
    assert [f for check in POLICY_CHECKS for f in CHECKS[check].evaluate(after, settings)] == []


def test_a_service_without_policy_support_is_a_ticket() -> None:
    endpoint = default_policy_endpoint()
    finding = CHECKS["policy-any-principal"].endpoint_finding(estate(endpoint), endpoint, "default policy", {})
    unsupported = facts(endpoints=[endpoint], services=[dataclasses.replace(aws_service(), policy_supported=False)])

    outcome = plan_for(finding, unsupported)

    assert isinstance(outcome, TicketOnly)
    assert "does not support endpoint policies" in outcome.reason


def test_bearer_token_callers_are_a_ticket() -> None:
    endpoint = default_policy_endpoint(service="bedrock-agentcore.gateway")
    agentcore = estate(endpoint, key="bedrock-agentcore.gateway")
    finding = CHECKS["policy-any-principal"].endpoint_finding(agentcore, endpoint, "default policy", {})

    outcome = plan_for(finding, agentcore)

    assert isinstance(outcome, TicketOnly)
    assert "bearer tokens" in outcome.reason


def test_a_partner_service_is_a_ticket() -> None:
    name = "com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60001"
    endpoint = with_policy(interface_endpoint(name=name), {"Version": "2012-10-17", "Statement": [FOREIGN_ALLOW]})

    ticket = ticketed("policy-foreign-principal", facts(endpoints=[endpoint]))

    assert f"{name} is a partner service" in ticket.reason


def test_a_service_the_catalog_has_no_actions_for_is_a_ticket() -> None:
    name = "com.amazonaws.us-east-1.not-in-the-catalog"
    endpoint = with_policy(interface_endpoint(name=name), {"Version": "2012-10-17", "Statement": [FOREIGN_ALLOW]})

    ticket = ticketed("policy-foreign-principal", facts(endpoints=[endpoint]))

    assert "a service the catalog knows no action set for" in ticket.reason


def test_without_an_org_id_the_trusted_accounts_keep_their_access() -> None:
    plan = planned("policy-any-principal", estate(default_policy_endpoint()), trusted_accounts=(FOREIGN_ACCOUNT,))

    assert new_policy(plan)["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:PrincipalAccount": sorted([ACCOUNT_ID, FOREIGN_ACCOUNT])}
    }


def test_a_policy_scoping_resources_is_left_to_people() -> None:
    scoped = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "arn:aws:s3:::configs/*"}
    endpoint = with_policy(default_policy_endpoint(), {"Version": "2012-10-17", "Statement": [scoped]})

    assert "scopes resources" in ticketed("policy-any-principal", estate(endpoint)).reason
