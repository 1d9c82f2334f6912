"""restrict-endpoint-policy: one test per scenario of the playbook's docstring, and the rewrite judged for every
service an organization's endpoints commonly serve."""

from __future__ import annotations

import json
from typing import Any

import msgspec
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
from vpce_guard.judge import Activity, SeenCall, judge, request_cases
from vpce_guard.perimeter import Perimeter, ServiceProfile
from vpce_guard.policy import parse_policy
from vpce_guard.remediation.model import Plan, TicketOnly
from vpce_guard.remediation.plans import plan_for

POLICY_CHECKS = ("policy-any-principal", "policy-wildcard-action", "policy-foreign-principal", "policy-any-resource")
DENY_DELETE = {"Sid": "NoDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "*"}
FOREIGN_ALLOW = {
    "Sid": "Partner",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"},
    "Action": "*",
    "Resource": "*",
}
PARTNER_SERVICE = "com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60001"
# The services of the list, each as (catalog key or partner name, endpoint type).
SERVICES = [
    ("sts", "Interface"),
    ("s3", "Gateway"),
    ("s3", "Interface"),
    ("dynamodb", "Gateway"),
    ("ecr.api", "Interface"),
    ("ecr.dkr", "Interface"),
    ("ssm", "Interface"),
    ("kms", "Interface"),
    ("logs", "Interface"),
    ("secretsmanager", "Interface"),
    ("bedrock-runtime", "Interface"),
    (PARTNER_SERVICE, "Interface"),
]


def estate(endpoint: Endpoint, **service: Any) -> Facts:
    return facts(endpoints=[endpoint], services=[aws_service(**service)])


def endpoint_of(service: str, endpoint_type: str, document: dict[str, Any] | None = None) -> tuple[Endpoint, Facts]:
    """An endpoint of ``service`` carrying ``document`` (AWS's default when None), in its estate."""
    if service == PARTNER_SERVICE:
        endpoint = with_policy(interface_endpoint(name=PARTNER_SERVICE), document or default_document())
        return endpoint, facts(endpoints=[endpoint])
    bare = gateway_endpoint(service=service) if endpoint_type == "Gateway" else interface_endpoint(service=service)
    endpoint = with_policy(bare, document or default_document())
    return endpoint, estate(endpoint, key=service, endpoint_type=endpoint_type)


def default_document() -> dict[str, Any]:
    return {
        "Version": "2008-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    }


def new_policy(plan: Plan) -> dict[str, Any]:
    (call,) = plan.calls
    assert (call.method, set(call.parameters)) == ("modify_vpc_endpoint", {"VpcEndpointId", "PolicyDocument"})
    document: dict[str, Any] = json.loads(call.parameters["PolicyDocument"])
    return document


def sids(document: dict[str, Any]) -> list[str]:
    return [statement["Sid"] for statement in document["Statement"]]


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(item for item in document["Statement"] if item.get("Sid") == sid)


def test_the_default_s3_gateway_policy_becomes_the_data_perimeter_policy() -> None:
    _, s3 = endpoint_of("s3", "Gateway")

    document = new_policy(planned("policy-any-principal", s3, org_id=ORG_ID))

    assert statement(document, "OrganizationPrincipalsToOrganizationResources") == {
        "Sid": "OrganizationPrincipalsToOrganizationResources",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID, "aws:ResourceOrgID": ORG_ID}},
    }
    assert statement(document, "AwsServicePrincipals")["Condition"] == {"Bool": {"aws:PrincipalIsAWSService": "true"}}
    owned = statement(document, "AwsOwnedResources")
    assert (owned["Principal"], owned["Action"], "Condition" in owned) == ("*", ["s3:GetObject"], False)
    assert "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*" in owned["Resource"]
    assert "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*" in owned["Resource"]


def test_without_an_org_id_the_owner_and_trusted_accounts_are_the_perimeter() -> None:
    _, s3 = endpoint_of("s3", "Gateway")

    document = new_policy(planned("policy-any-principal", s3, trusted_accounts=(FOREIGN_ACCOUNT,)))

    accounts = sorted([ACCOUNT_ID, FOREIGN_ACCOUNT])
    assert statement(document, "AccountsPrincipalsToAccountsResources")["Condition"] == {
        "StringEquals": {"aws:PrincipalAccount": accounts, "aws:ResourceAccount": accounts}
    }


def test_with_an_org_id_trusted_accounts_and_partner_resources_keep_their_access() -> None:
    _, s3 = endpoint_of("s3", "Gateway")
    partner_bucket = "arn:aws:s3:::partner-exchange/*"

    document = new_policy(
        planned(
            "policy-any-principal",
            s3,
            org_id=ORG_ID,
            trusted_accounts=(FOREIGN_ACCOUNT,),
            partner_resources=(partner_bucket,),
        )
    )

    assert {
        "OrganizationPrincipalsToOrganizationResources",
        "OrganizationPrincipalsToTrustedAccountsResources",
        "TrustedAccountsPrincipalsToOrganizationResources",
        "OrganizationPrincipalsToPartnerResources",
    } <= set(sids(document))
    assert statement(document, "OrganizationPrincipalsToPartnerResources")["Resource"] == partner_bucket


def test_sts_keeps_federated_callers_assuming_the_organizations_roles() -> None:
    _, sts = endpoint_of("sts", "Interface")

    federated = statement(
        new_policy(planned("policy-any-principal", sts, org_id=ORG_ID)), "FederatedPrincipalsToOrganizationRoles"
    )

    assert "sts:AssumeRoleWithWebIdentity" in federated["Action"]
    assert "sts:AssumeRoleWithSAML" in federated["Action"]
    assert federated["Condition"] == {"StringEquals": {"aws:ResourceOrgID": ORG_ID}}


def test_a_service_that_cannot_bound_resources_gets_a_principal_bound_only() -> None:
    _, ecr = endpoint_of("ecr.dkr", "Interface")

    document = new_policy(planned("policy-any-principal", ecr, org_id=ORG_ID))

    assert statement(document, "OrganizationPrincipals")["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": ORG_ID}
    }


def test_the_originals_deny_statements_are_kept_as_written() -> None:
    _, s3 = endpoint_of(
        "s3", "Gateway", {"Version": "2012-10-17", "Statement": [*default_document()["Statement"], DENY_DELETE]}
    )

    document = new_policy(planned("policy-any-principal", s3, org_id=ORG_ID))

    assert document["Statement"][-1] == DENY_DELETE


def test_wildcard_action_on_a_complete_catalog_set_narrows_to_it() -> None:
    _, bedrock = endpoint_of("bedrock-runtime", "Interface")

    document = new_policy(planned("policy-wildcard-action", bedrock, org_id=ORG_ID))

    assert "bedrock:InvokeModel" in statement(document, "OrganizationPrincipals")["Action"]


def test_wildcard_action_on_a_broad_service_without_evidence_is_a_ticket_carrying_the_proposal() -> None:
    endpoint = with_policy(interface_endpoint(service="sts"), default_document())
    sts = estate(endpoint, key="sts")

    ticket = ticketed("policy-wildcard-action", sts, org_id=ORG_ID)

    assert "CloudTrail shows no complete record" in ticket.reason
    assert ticket.preview is not None
    assert ticket.preview["proposed"]["Statement"][0]["Action"] != "*"


def test_wildcard_action_on_sts_with_complete_evidence_narrows_to_the_actions_seen() -> None:
    endpoint = with_policy(interface_endpoint(service="sts"), default_document())
    sts = estate(endpoint, key="sts")
    seen = Activity(
        calls=(SeenCall("AssumedRole", f"arn:aws:iam::{ACCOUNT_ID}:role/app", ACCOUNT_ID, "sts:AssumeRole"),),
        days=30,
        partial=False,
        cannot_see="data events",
    )

    document = new_policy(planned("policy-wildcard-action", sts, org_id=ORG_ID, activity={endpoint.id: seen}))

    assert statement(document, "OrganizationPrincipalsToOrganizationResources")["Action"] == ["sts:AssumeRole"]


def test_a_rewrite_that_would_deny_a_caller_seen_in_cloudtrail_is_a_ticket_naming_caller_and_action() -> None:
    endpoint, sts = endpoint_of("sts", "Interface")
    outsider_role = "arn:aws:iam::444455556666:role/ci-runner"
    seen = Activity(
        calls=(SeenCall("AssumedRole", outsider_role, "444455556666", "sts:GetCallerIdentity"),),
        days=30,
        partial=False,
        cannot_see="data events",
    )

    ticket = ticketed("policy-any-principal", sts, org_id=ORG_ID, activity={endpoint.id: seen})

    assert f"{outsider_role} (seen in CloudTrail): sts:GetCallerIdentity" in ticket.reason
    assert ticket.preview is not None
    assert ticket.preview["judgement"]["lost"][0]["caller"] == f"{outsider_role} (seen in CloudTrail)"


def test_a_policy_scoping_resources_more_narrowly_is_a_ticket() -> None:
    scoped = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "arn:aws:s3:::configs/*"}
    _, s3 = endpoint_of("s3", "Gateway", {"Version": "2012-10-17", "Statement": [scoped]})

    ticket = ticketed("policy-any-principal", s3, org_id=ORG_ID)

    assert "it would newly allow" in ticket.reason


def test_a_rewrite_over_awss_size_limit_is_a_ticket() -> None:
    denies: list[dict[str, Any]] = []
    document = default_document()
    while len(json.dumps({**document, "Statement": [*document["Statement"], *denies]})) < 20_000:
        denies.append({**DENY_DELETE, "Sid": f"NoDelete{len(denies)}", "Resource": f"arn:aws:s3:::b{len(denies):04}/*"})
    _, s3 = endpoint_of("s3", "Gateway", {**document, "Statement": [*document["Statement"], *denies]})

    ticket = ticketed("policy-any-principal", s3, org_id=ORG_ID)

    assert "over AWS's 20,480" in ticket.reason


def test_a_partner_service_is_bounded_to_the_organizations_principals() -> None:
    endpoint, partner = endpoint_of(PARTNER_SERVICE, "Interface")
    finding = CHECKS["policy-any-principal"].endpoint_finding(partner, endpoint, "default policy", {})

    plan = plan_for(finding, partner, org_id=ORG_ID)

    assert isinstance(plan, Plan)
    assert statement(new_policy(plan), "OrganizationPrincipals")["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": ORG_ID}
    }


def test_a_rewrite_that_would_admit_principals_the_old_policy_did_not_is_a_ticket() -> None:
    _, partner = endpoint_of(PARTNER_SERVICE, "Interface", {"Version": "2012-10-17", "Statement": [FOREIGN_ALLOW]})

    ticket = ticketed("policy-foreign-principal", partner, org_id=ORG_ID)

    assert f"it would newly allow a principal of {ORG_ID}" in ticket.reason


def test_a_service_the_catalog_does_not_know_is_a_ticket() -> None:
    name = "com.amazonaws.us-east-1.not-in-the-catalog"
    endpoint = with_policy(interface_endpoint(name=name), {"Version": "2012-10-17", "Statement": [FOREIGN_ALLOW]})

    ticket = ticketed("policy-foreign-principal", facts(endpoints=[endpoint]))

    assert "a service the catalog does not know" in ticket.reason


def test_a_service_without_policy_support_is_a_ticket() -> None:
    endpoint = default_policy_endpoint()
    finding = CHECKS["policy-any-principal"].endpoint_finding(estate(endpoint), endpoint, "default policy", {})
    unsupported = facts(endpoints=[endpoint], services=[msgspec.structs.replace(aws_service(), policy_supported=False)])

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


@pytest.mark.parametrize(("service", "endpoint_type"), SERVICES, ids=[f"{s}-{t}" for s, t in SERVICES])
@pytest.mark.parametrize("org_id", [None, ORG_ID])
def test_the_rewrite_admits_every_legitimate_request_and_denies_the_outsider(
    service: str, endpoint_type: str, org_id: str | None
) -> None:
    endpoint, found = endpoint_of(service, endpoint_type)
    finding = CHECKS["policy-any-principal"].endpoint_finding(found, endpoint, "default policy", {})

    plan = plan_for(finding, found, org_id=org_id, trusted_accounts=(FOREIGN_ACCOUNT,))

    assert isinstance(plan, Plan), plan
    judgement = plan.preview["judgement"] if plan.preview else {}
    assert judgement["lost"] == []
    assert judgement["gained"] == []
    refused = {(shift["caller"], shift["action"]) for shift in judgement["refused"]}
    assert any(caller == "an outsider's principal" for caller, _ in refused)


@pytest.mark.parametrize(("service", "endpoint_type"), SERVICES[:-1], ids=[f"{s}-{t}" for s, t in SERVICES[:-1]])
@pytest.mark.parametrize("org_id", [None, ORG_ID])
def test_the_rewrite_clears_every_policy_check(service: str, endpoint_type: str, org_id: str | None) -> None:
    endpoint, found = endpoint_of(service, endpoint_type)
    finding = CHECKS["policy-any-principal"].endpoint_finding(found, endpoint, "default policy", {})
    plan = plan_for(finding, found, org_id=org_id)
    assert isinstance(plan, Plan), plan

    fixed = with_policy(endpoint, new_policy(plan))
    after = estate(fixed, key=service, endpoint_type=endpoint_type)
    settings = CheckSettings(org_ids=frozenset({org_id} if org_id else ()))
    assert [f for check in POLICY_CHECKS for f in CHECKS[check].evaluate(after, settings)] == []


def test_an_account_bounded_policy_with_wildcard_actions_on_a_broad_service_is_not_a_finding() -> None:
    endpoint = with_policy(gateway_endpoint(), account_policy())

    assert (
        list(
            CHECKS["policy-wildcard-action"].evaluate(
                estate(endpoint, key="s3", endpoint_type="Gateway"), CheckSettings()
            )
        )
        == []
    )


def test_calls_that_name_no_resource_stay_allowed_for_the_organizations_principals() -> None:
    _, sts = endpoint_of("sts", "Interface")

    document = new_policy(planned("policy-any-principal", sts, org_id=ORG_ID))

    assert statement(document, "OrganizationPrincipalsWithoutResource")["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": ORG_ID},
        "Null": {"aws:ResourceAccount": "true"},
    }


def test_the_judge_catches_a_rewrite_that_would_deny_calls_naming_no_resource() -> None:
    _, sts = endpoint_of("sts", "Interface")
    document = new_policy(planned("policy-any-principal", sts, org_id=ORG_ID))
    without = [s for s in document["Statement"] if s.get("Sid") != "OrganizationPrincipalsWithoutResource"]
    entry = load_catalog().services["sts"]
    profile = ServiceProfile.of(entry, "aws", "us-east-1")
    cases = request_cases(
        profile, Perimeter(ACCOUNT_ID, ORG_ID), partition="aws", region="us-east-1", actions=entry.actions
    )

    judgement = judge(parse_policy(default_document()), parse_policy({**document, "Statement": without}), cases)

    assert f"a principal of {ORG_ID} naming no resource: sts:GetCallerIdentity on *" in {
        s.case.label for s in judgement.lost
    }
