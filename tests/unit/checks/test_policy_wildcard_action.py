"""policy-wildcard-action: one test per scenario of the module docstring."""

from __future__ import annotations

import msgspec
import pytest
from facts_builders import aws_service, gateway_endpoint, interface_endpoint, service_name
from policy_builders import AGENT_ROLE, DEFAULT_POLICY, allow, deny, endpoint_with, policy, run, with_policy

from vpce_guard.catalog import load_catalog
from vpce_guard.checks.policy_wildcard_action import CHECK
from vpce_guard.findings import Severity

BEDROCK_RUNTIME_ACTIONS = list(load_catalog().services["bedrock-runtime"].actions)
ORG_ID = "o-a1b2c3d4e5"
ROLE = {"AWS": AGENT_ROLE}


def test_default_policy_on_a_catalogued_service_is_a_medium_automatic_finding() -> None:
    endpoint = with_policy(interface_endpoint(), DEFAULT_POLICY)

    (finding,) = run(CHECK, endpoint)

    assert (finding.check_id, finding.resource_id, finding.severity) == (
        "policy-wildcard-action",
        endpoint.id,
        Severity.MEDIUM,
    )
    assert (finding.remediation.action, finding.remediation.automatic) == ("restrict-endpoint-policy", True)


def test_evidence_suggests_the_catalog_actions() -> None:
    (finding,) = run(CHECK, with_policy(interface_endpoint(), DEFAULT_POLICY))

    assert finding.evidence == {
        "statements": [{"statement": "Statement[0]", "actions": ["*"]}],
        "suggested_actions": BEDROCK_RUNTIME_ACTIONS,
    }


def test_detail_names_the_endpoint_and_the_actions_to_grant() -> None:
    endpoint = with_policy(interface_endpoint(), DEFAULT_POLICY)

    (finding,) = run(CHECK, endpoint)

    assert endpoint.id in finding.detail
    assert "bedrock:InvokeModelWithResponseStream" in finding.detail


@pytest.mark.parametrize("service", ["sts", "logs", "ecr.dkr", "secretsmanager"])
def test_default_policy_on_other_catalogued_services_is_a_finding(service: str) -> None:
    assert len(run(CHECK, with_policy(interface_endpoint(service=service), DEFAULT_POLICY))) == 1


@pytest.mark.parametrize("service", ["sts", "logs", "ecr.dkr", "secretsmanager", "kms"])
def test_action_star_bounded_to_the_organization_on_a_broad_service_is_the_recommended_pattern(service: str) -> None:
    bounded = allow(condition={"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})

    assert run(CHECK, endpoint_with(bounded, service=service)) == []


def test_action_star_bounded_to_the_organization_on_a_complete_service_is_a_finding() -> None:
    bounded = allow(condition={"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})

    assert len(run(CHECK, endpoint_with(bounded))) == 1


def test_service_prefix_wildcard_is_a_wildcard() -> None:
    (finding,) = run(CHECK, endpoint_with(allow(principal=ROLE, action="bedrock:*")))

    assert finding.evidence["statements"] == [{"statement": "Statement[0]", "actions": ["bedrock:*"]}]


def test_service_prefix_wildcard_matches_without_regard_to_case() -> None:
    assert len(run(CHECK, endpoint_with(allow(principal=ROLE, action="Bedrock:*")))) == 1


def test_any_service_any_action_pattern_is_a_wildcard() -> None:
    assert len(run(CHECK, endpoint_with(allow(principal=ROLE, action="*:*")))) == 1


def test_not_action_in_an_allow_is_a_wildcard() -> None:
    statement = allow(principal=ROLE, NotAction="bedrock:CreateModelCustomizationJob")

    (finding,) = run(CHECK, endpoint_with(statement))

    assert finding.evidence["statements"] == [
        {"statement": "Statement[0]", "not_actions": ["bedrock:CreateModelCustomizationJob"]}
    ]


def test_catalog_actions_are_not_a_wildcard() -> None:
    assert run(CHECK, endpoint_with(allow(principal=ROLE, action=BEDROCK_RUNTIME_ACTIONS))) == []


def test_narrower_pattern_is_not_a_wildcard() -> None:
    endpoint = with_policy(gateway_endpoint(), policy(allow(action="s3:Get*", resource="arn:aws:s3:::configs/*")))

    assert run(CHECK, endpoint) == []


def test_wildcard_in_a_deny_grants_nothing() -> None:
    endpoint = endpoint_with(
        allow(principal=ROLE, action="bedrock:InvokeModel"),
        deny(action="*", condition={"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}),
    )

    assert run(CHECK, endpoint) == []


def test_another_services_wildcard_grants_nothing_through_this_endpoint() -> None:
    assert run(CHECK, endpoint_with(allow(principal=ROLE, action="s3:*"))) == []


def test_agentcore_gateway_wildcards_are_expected() -> None:
    gateway_arn = "arn:aws:bedrock-agentcore:us-east-1:111122223333:gateway/demo-gateway"
    endpoint = endpoint_with(allow(resource=gateway_arn), service="bedrock-agentcore.gateway")

    assert run(CHECK, endpoint) == []


def test_partner_service_is_not_judged() -> None:
    partner = msgspec.structs.replace(
        interface_endpoint(), service_name=service_name("vpce-svc-0a1b2c3d4e5f60001", prefix="com.amazonaws.vpce")
    )

    assert run(CHECK, with_policy(partner, DEFAULT_POLICY)) == []


def test_service_unknown_to_the_catalog_is_not_judged() -> None:
    assert run(CHECK, with_policy(interface_endpoint(service="glue"), DEFAULT_POLICY)) == []


def test_gateway_endpoint_is_judged() -> None:
    seed_002 = allow(action="s3:*", resource=["arn:aws:s3:::my-private-bucket", "arn:aws:s3:::my-private-bucket/*"])

    (finding,) = run(CHECK, with_policy(gateway_endpoint(), policy(seed_002)))

    assert finding.evidence["suggested_actions"] == list(load_catalog().services["s3"].actions)


def test_policy_unsupported_service_is_not_judged() -> None:
    service = msgspec.structs.replace(aws_service(), policy_supported=False)

    assert run(CHECK, with_policy(interface_endpoint(), DEFAULT_POLICY), services=[service]) == []


def test_endpoint_without_a_policy_is_not_judged() -> None:
    assert run(CHECK, interface_endpoint()) == []


def test_inactive_endpoint_is_not_judged() -> None:
    assert run(CHECK, with_policy(interface_endpoint(state="failed"), DEFAULT_POLICY)) == []


@pytest.mark.parametrize("endpoint_type", ["Resource", "ServiceNetwork", "GatewayLoadBalancer"])
def test_endpoint_types_without_a_policy_are_not_judged(endpoint_type: str) -> None:
    endpoint = msgspec.structs.replace(interface_endpoint(), type=endpoint_type)

    assert run(CHECK, with_policy(endpoint, DEFAULT_POLICY)) == []


def test_several_wildcard_statements_make_one_finding() -> None:
    endpoint = endpoint_with(
        allow(sid="Everything", principal=ROLE, action="*"),
        allow(principal=ROLE, action=["bedrock:InvokeModel", "BEDROCK:*"]),
    )

    (finding,) = run(CHECK, endpoint)

    assert finding.evidence["statements"] == [
        {"statement": "Everything", "actions": ["*"]},
        {"statement": "Statement[1]", "actions": ["BEDROCK:*"]},
    ]
