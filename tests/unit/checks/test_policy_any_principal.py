"""policy-any-principal: one test per scenario of the module docstring."""

from __future__ import annotations

import json

import msgspec
import pytest
from facts_builders import aws_service, gateway_endpoint, interface_endpoint, service_name
from policy_builders import (
    AGENT_ROLE,
    DEFAULT_POLICY,
    ORG_ID,
    allow,
    deny,
    endpoint_with,
    org_guard,
    policy,
    run,
    with_policy,
)

from vpce_guard.checks.policy_any_principal import CHECK
from vpce_guard.findings import Severity


def test_default_policy_is_a_high_automatic_finding() -> None:
    endpoint = with_policy(interface_endpoint(), DEFAULT_POLICY)

    (finding,) = run(CHECK, endpoint)

    assert (finding.check_id, finding.resource_id, finding.severity) == (
        "policy-any-principal",
        endpoint.id,
        Severity.HIGH,
    )
    assert (finding.remediation.action, finding.remediation.automatic) == ("restrict-endpoint-policy", True)


def test_default_policy_pretty_printed_is_any_principal() -> None:
    endpoint = with_policy(interface_endpoint(), json.dumps(DEFAULT_POLICY, indent=4))

    assert len(run(CHECK, endpoint)) == 1


def test_default_policy_evidence_says_it_is_the_default() -> None:
    (finding,) = run(CHECK, with_policy(interface_endpoint(), DEFAULT_POLICY))

    assert finding.evidence == {"statements": [{"statement": "Statement[0]", "principal": "*"}], "default_policy": True}


def test_detail_names_the_endpoint_and_the_keys_that_bound_callers() -> None:
    endpoint = endpoint_with(allow(sid="Open", action="bedrock:InvokeModel"))

    (finding,) = run(CHECK, endpoint)

    assert endpoint.id in finding.detail
    assert "Open" in finding.detail
    assert "aws:PrincipalOrgID" in finding.detail


def test_aws_wildcard_principal_is_any_principal() -> None:
    assert len(run(CHECK, endpoint_with(allow(principal={"AWS": "*"})))) == 1


def test_aws_list_holding_a_wildcard_is_any_principal() -> None:
    assert len(run(CHECK, endpoint_with(allow(principal={"AWS": [AGENT_ROLE, "*"]})))) == 1


def test_not_principal_in_an_allow_admits_everyone_else() -> None:
    (finding,) = run(CHECK, endpoint_with(allow(NotPrincipal={"AWS": AGENT_ROLE})))

    assert finding.evidence["statements"] == [{"statement": "Statement[0]", "not_principal": {"AWS": AGENT_ROLE}}]


def test_org_condition_bounds_any_principal() -> None:
    endpoint = endpoint_with(allow(condition={"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}))

    assert run(CHECK, endpoint) == []


def test_org_path_condition_bounds_any_principal() -> None:
    path = f"{ORG_ID}/r-ab12/ou-ab12-11111111/*"
    endpoint = endpoint_with(allow(condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": path}}))

    assert run(CHECK, endpoint) == []


def test_account_condition_bounds_any_principal() -> None:
    endpoint = endpoint_with(allow(condition={"StringEquals": {"aws:PrincipalAccount": "111122223333"}}))

    assert run(CHECK, endpoint) == []


def test_principal_arn_condition_bounds_any_principal() -> None:
    endpoint = endpoint_with(allow(condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/app-*"}}))

    assert run(CHECK, endpoint) == []


def test_if_exists_condition_does_not_bound_principal() -> None:
    endpoint = endpoint_with(allow(condition={"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}}))

    assert len(run(CHECK, endpoint)) == 1


def test_negated_condition_in_an_allow_does_not_bound_principal() -> None:
    endpoint = endpoint_with(allow(condition={"StringNotEquals": {"aws:PrincipalAccount": "999988887777"}}))

    assert len(run(CHECK, endpoint)) == 1


def test_for_all_values_condition_does_not_bound_principal() -> None:
    endpoint = endpoint_with(allow(condition={"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": f"{ORG_ID}/*"}}))

    assert len(run(CHECK, endpoint)) == 1


def test_wildcard_condition_value_does_not_bound_principal() -> None:
    endpoint = endpoint_with(allow(condition={"StringLike": {"aws:PrincipalOrgID": "*"}}))

    assert len(run(CHECK, endpoint)) == 1


def test_source_vpce_condition_does_not_bound_principal() -> None:
    endpoint = endpoint_with(allow(condition={"StringEquals": {"aws:SourceVpce": "vpce-0interface000001"}}))

    assert len(run(CHECK, endpoint)) == 1


@pytest.mark.parametrize(
    ("operator", "key", "value"),
    [
        ("StringEquals", "aws:SourceVpc", "vpc-0a1b2c3d4e5f60001"),
        ("IpAddress", "aws:SourceIp", "10.0.0.0/16"),
        ("StringEquals", "aws:ResourceOrgID", ORG_ID),
        ("StringEquals", "aws:ResourceAccount", "111122223333"),
    ],
)
def test_network_and_resource_conditions_do_not_bound_principal(operator: str, key: str, value: str) -> None:
    assert len(run(CHECK, endpoint_with(allow(condition={operator: {key: value}})))) == 1


def test_deny_guard_outside_the_org_bounds_any_principal() -> None:
    assert run(CHECK, endpoint_with(allow(), org_guard())) == []


def test_deny_guard_on_fewer_actions_does_not_bound() -> None:
    guard = deny(action="bedrock:InvokeModel", condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}})

    assert len(run(CHECK, endpoint_with(allow(action="bedrock:*"), guard))) == 1


def test_deny_guard_with_a_network_condition_too_does_not_bound() -> None:
    condition = {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID, "aws:SourceVpc": "vpc-0a1b2c3d4e5f60001"}}

    assert len(run(CHECK, endpoint_with(allow(), deny(condition=condition)))) == 1


def test_named_role_principal_is_not_any_principal() -> None:
    seed_000 = allow(
        principal={"AWS": AGENT_ROLE}, action=["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    )

    assert run(CHECK, endpoint_with(seed_000)) == []


def test_deny_for_everyone_admits_nobody() -> None:
    endpoint = endpoint_with(allow(principal={"AWS": AGENT_ROLE}), deny(action="bedrock:CreateModelCustomizationJob"))

    assert run(CHECK, endpoint) == []


def test_agentcore_gateway_any_principal_is_expected() -> None:
    gateway_arn = "arn:aws:bedrock-agentcore:us-east-1:111122223333:gateway/demo-gateway"
    endpoint = endpoint_with(allow(resource=gateway_arn), service="bedrock-agentcore.gateway")

    assert run(CHECK, endpoint) == []


def test_partner_service_is_not_judged() -> None:
    partner = msgspec.structs.replace(
        interface_endpoint(), service_name="com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60001"
    )

    assert run(CHECK, with_policy(partner, DEFAULT_POLICY)) == []


def test_gateway_endpoint_is_judged() -> None:
    endpoint = with_policy(gateway_endpoint(), policy(allow(action="s3:GetObject", resource="arn:aws:s3:::configs/*")))

    assert len(run(CHECK, endpoint)) == 1


def test_gateway_endpoint_bounded_by_principal_arn_passes() -> None:
    bounded = allow(action="s3:GetObject", condition={"StringEquals": {"aws:PrincipalArn": AGENT_ROLE}})

    assert run(CHECK, with_policy(gateway_endpoint(), policy(bounded))) == []


def test_policy_unsupported_service_is_not_judged() -> None:
    endpoint = with_policy(interface_endpoint(), DEFAULT_POLICY)
    service = msgspec.structs.replace(aws_service(), policy_supported=False)

    assert run(CHECK, endpoint, services=[service]) == []


def test_described_service_supporting_policies_is_judged() -> None:
    endpoint = with_policy(interface_endpoint(), DEFAULT_POLICY)

    assert len(run(CHECK, endpoint, services=[aws_service()])) == 1


def test_endpoint_without_a_policy_is_not_judged() -> None:
    assert run(CHECK, interface_endpoint()) == []


def test_inactive_endpoint_is_not_judged() -> None:
    assert run(CHECK, with_policy(interface_endpoint(state="deleted"), DEFAULT_POLICY)) == []


@pytest.mark.parametrize(
    ("endpoint_type", "name"),
    [
        ("Resource", None),
        ("ServiceNetwork", None),
        ("GatewayLoadBalancer", service_name("vpce-svc-0a1b2c3d4e5f60001", prefix="com.amazonaws.vpce")),
    ],
)
def test_endpoint_types_without_a_policy_are_not_judged(endpoint_type: str, name: str | None) -> None:
    endpoint = msgspec.structs.replace(interface_endpoint(), type=endpoint_type, service_name=name)

    assert run(CHECK, with_policy(endpoint, DEFAULT_POLICY)) == []


def test_several_unbounded_statements_make_one_finding() -> None:
    endpoint = endpoint_with(allow(sid="Invoke", action="bedrock:InvokeModel"), allow(principal={"AWS": "*"}))

    (finding,) = run(CHECK, endpoint)

    assert [item["statement"] for item in finding.evidence["statements"]] == ["Invoke", "Statement[1]"]
