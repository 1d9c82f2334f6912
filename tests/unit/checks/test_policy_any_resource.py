"""policy-any-resource: one test per scenario of the module docstring."""

from __future__ import annotations

from typing import Any

import pytest
from facts_builders import ACCOUNT_ID, gateway_endpoint, interface_endpoint
from policy_builders import DEFAULT_POLICY, ORG_ID, TRUSTED_ACCOUNT, allow, deny, policy, run, with_policy

from vpce_guard.checks.base import CheckSettings
from vpce_guard.checks.policy_any_resource import CHECK
from vpce_guard.findings import Severity

ORG_BOUND = {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}
AMAZON_LINUX = "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*"


def s3_gateway(*statements: dict[str, Any]) -> Any:
    return with_policy(gateway_endpoint(), policy(*statements))


def test_the_default_policy_on_an_s3_gateway_endpoint_is_a_medium_automatic_finding() -> None:
    endpoint = with_policy(gateway_endpoint(), DEFAULT_POLICY)

    (finding,) = run(CHECK, endpoint)

    assert (finding.check_id, finding.resource_id, finding.severity) == (
        "policy-any-resource",
        endpoint.id,
        Severity.MEDIUM,
    )
    assert (finding.remediation.action, finding.remediation.automatic) == ("restrict-endpoint-policy", True)


def test_principals_bounded_to_the_organization_still_reach_anyones_resources() -> None:
    (finding,) = run(CHECK, s3_gateway(allow(sid="OrgOnly", condition=ORG_BOUND)))

    assert finding.evidence == {"statements": ["OrgOnly"]}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("aws:ResourceOrgID", ORG_ID),
        ("aws:ResourceOrgPaths", f"{ORG_ID}/r-ab12/*"),
        ("aws:ResourceAccount", ACCOUNT_ID),
    ],
)
def test_a_positive_resource_condition_bounds(key: str, value: str) -> None:
    condition = {"StringEquals" if key != "aws:ResourceOrgPaths" else "ForAnyValue:StringLike": {key: value}}

    assert run(CHECK, s3_gateway(allow(condition=condition))) == []


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEqualsIfExists": {"aws:ResourceOrgID": ORG_ID}},
        {"ForAllValues:StringEquals": {"aws:ResourceOrgID": ORG_ID}},
        {"StringNotEquals": {"aws:ResourceOrgID": ORG_ID}},
        {"StringLike": {"aws:ResourceOrgID": "o-*"}},
    ],
    ids=["if-exists", "for-all-values", "negated", "wildcard"],
)
def test_a_resource_condition_that_admits_anyones_resources_does_not_bound(condition: dict[str, Any]) -> None:
    assert len(run(CHECK, s3_gateway(allow(condition=condition)))) == 1


def test_resource_arns_of_known_accounts_bound() -> None:
    queue = with_policy(
        interface_endpoint(service="sqs"),
        policy(
            allow(resource=[f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:jobs", f"arn:aws:sqs:us-east-1:{TRUSTED_ACCOUNT}:x"])
        ),
    )

    assert run(CHECK, queue, settings=CheckSettings(trusted_accounts=frozenset({TRUSTED_ACCOUNT}))) == []


def test_aws_owned_resources_do_not_count_as_unbounded() -> None:
    assert run(CHECK, s3_gateway(allow(action="s3:GetObject", resource=AMAZON_LINUX))) == []


def test_a_bucket_arn_names_no_account_and_does_not_bound() -> None:
    assert len(run(CHECK, s3_gateway(allow(resource="arn:aws:s3:::someone-elses-bucket/*")))) == 1


def test_a_deny_of_every_resource_outside_the_organization_bounds() -> None:
    guard = deny(sid="OutsideResources", condition={"StringNotEquals": {"aws:ResourceOrgID": ORG_ID}})

    assert run(CHECK, s3_gateway(allow(), guard)) == []


def test_a_statement_for_aws_service_principals_only_is_not_judged() -> None:
    services = allow(condition={"Bool": {"aws:PrincipalIsAWSService": "true"}})

    assert run(CHECK, s3_gateway(services)) == []


@pytest.mark.parametrize("service", ["ecr.dkr", "bedrock-runtime", "bedrock-agentcore.gateway"])
def test_a_service_that_cannot_bound_resources_is_not_judged(service: str) -> None:
    assert run(CHECK, with_policy(interface_endpoint(service=service), DEFAULT_POLICY)) == []


def test_partner_and_unknown_services_are_not_judged() -> None:
    partner = interface_endpoint(name="com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60001")
    unknown = interface_endpoint("vpce-0interface000002", name="com.amazonaws.us-east-1.not-in-the-catalog")

    assert run(CHECK, with_policy(partner, DEFAULT_POLICY), with_policy(unknown, DEFAULT_POLICY)) == []


def test_several_unbounded_statements_make_one_finding() -> None:
    (finding,) = run(CHECK, s3_gateway(allow(sid="A", action="s3:GetObject"), allow(sid="B", action="s3:PutObject")))

    assert finding.evidence == {"statements": ["A", "B"]}


def test_partner_resources_the_configuration_names_bound() -> None:
    partner = "arn:aws:s3:::partner-exchange/*"
    settings = CheckSettings(partner_resources=frozenset({partner}))

    assert run(CHECK, s3_gateway(allow(resource=partner)), settings=settings) == []
