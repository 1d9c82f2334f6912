"""Properties of the policy boundary and the judge, over generated policies: any document is read or refused
with a PolicyError (never another exception), the policy checks never crash on what was read, and a rewrite
the judge lets through never denies a legitimate request the old policy allowed."""

from __future__ import annotations

import json
from typing import Any

from facts_builders import facts, gateway_endpoint, interface_endpoint
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_builders import with_policy

from vpce_guard.catalog import load_catalog
from vpce_guard.checks import CHECKS, CheckSettings
from vpce_guard.iam import evaluate
from vpce_guard.judge import judge, request_cases
from vpce_guard.perimeter import Perimeter, ServiceProfile, rewrite
from vpce_guard.policy import Policy, PolicyError, parse_policy

ACCOUNT = "111122223333"
ORG = "o-a1b2c3d4e5"
POLICY_CHECKS = ("policy-any-principal", "policy-wildcard-action", "policy-foreign-principal", "policy-any-resource")
KEYS = [
    "aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgPaths",
    "aws:PrincipalIsAWSService", "aws:ResourceOrgID", "aws:ResourceAccount", "aws:SourceVpce", "aws:SourceIp",
]  # fmt: skip
OPERATORS = [
    "StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIfExists",
    "StringNotEqualsIfExists", "ArnLike", "ArnNotLike", "Bool", "BoolIfExists", "Null", "IpAddress",
    "ForAnyValue:StringLike", "ForAllValues:StringEquals", "NumericLessThan", "DateGreaterThan",
]  # fmt: skip
VALUES = [ORG, ACCOUNT, "o-*", "*", "?*", "true", "false", f"arn:aws:iam::{ACCOUNT}:role/app", "10.0.0.0/8", "x"]
ACTIONS = ["*", "s3:*", "s3:?*", "*:*", "s3:GetObject", "s3:Get*", "sts:AssumeRole", "sts:*", "kms:Decrypt"]
PRINCIPALS: list[Any] = ["*", {"AWS": "*"}, {"AWS": ACCOUNT}, {"AWS": "999999999999"}, {"Service": "ec2.amazonaws.com"}]

conditions = st.dictionaries(
    st.sampled_from(OPERATORS),
    st.dictionaries(st.sampled_from(KEYS), st.lists(st.sampled_from(VALUES), min_size=1, max_size=2), min_size=1),
    max_size=2,
)
statements = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Principal": st.sampled_from(PRINCIPALS),
        "Action": st.one_of(st.sampled_from(ACTIONS), st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3)),
        "Resource": st.sampled_from(["*", "arn:aws:s3:::bucket/*", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"]),
    },
    optional={"Condition": conditions},
)
policies = st.fixed_dictionaries(
    {"Version": st.just("2012-10-17"), "Statement": st.lists(statements, min_size=1, max_size=6)}
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
GENERATED = settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])


@GENERATED
@given(st.one_of(st.text(max_size=200), json_values.map(json.dumps), policies.map(json.dumps)))
def test_any_text_is_read_as_a_policy_or_refused_with_a_policy_error(text: str) -> None:
    try:
        read: Policy | PolicyError = parse_policy(text)
    except PolicyError as error:
        read = error
    assert isinstance(read, Policy) or str(read)


@GENERATED
@given(policies, st.sampled_from(["sts", "s3", "bedrock-runtime", "kms"]))
def test_the_policy_checks_judge_every_readable_policy_without_crashing(document: dict[str, Any], service: str) -> None:
    endpoint = gateway_endpoint() if service == "s3" else interface_endpoint(service=service)
    estate = facts(endpoints=[with_policy(endpoint, document)])

    for check in POLICY_CHECKS:
        for finding in CHECKS[check].evaluate(estate, CheckSettings(org_ids=frozenset({ORG}))):
            assert finding.resource_id == endpoint.id


@GENERATED
@given(policies, st.sampled_from(["sts", "s3", "kms"]))
def test_a_rewrite_the_judge_lets_through_denies_no_legitimate_request_the_old_policy_allowed(
    document: dict[str, Any], service: str
) -> None:
    old = parse_policy(document)
    entry = load_catalog().services[service]
    profile = ServiceProfile.of(entry, "aws", "us-east-1")
    perimeter = Perimeter(owner=ACCOUNT, org_id=ORG)
    cases = request_cases(profile, perimeter, partition="aws", region="us-east-1", actions=entry.actions)
    new = parse_policy(rewrite(old, profile, perimeter))

    judgement = judge(old, new, cases)

    if judgement.safe:
        for case in cases:
            if case.legitimate and evaluate(old, case.request).allowed:
                assert evaluate(new, case.request).allowed, case.label
            if not evaluate(old, case.request).allowed:
                assert not evaluate(new, case.request).allowed, case.label
