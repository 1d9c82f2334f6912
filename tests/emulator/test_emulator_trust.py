"""The trust policy evaluator behind AssumeRole, as pure functions: what IAM admits for the parts of the policy
language trust policies use, failing closed on the rest; and the check in an in-process ``mock_aws``."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from vpce_guard_local.emulator import trust
from vpce_guard_local.emulator.trust import Caller, trust_admits

ORG = "o-exampleorg1"
HUB_ARN = "arn:aws:iam::111111111111:role/hub"
OTHER_ARN = "arn:aws:iam::111111111111:role/other"
ALICE_ARN = "arn:aws:iam::111111111111:user/alice"
HUB = Caller("role", "111111111111", HUB_ARN, "arn:aws:sts::111111111111:assumed-role/hub/s", ORG)
OTHER_ROLE = Caller("role", "111111111111", OTHER_ARN, "arn:aws:sts::111111111111:assumed-role/other/s", ORG)
ALICE = Caller("user", "111111111111", ALICE_ARN, ALICE_ARN, ORG)
DEFAULT = Caller("root", "123456789012", "arn:aws:iam::123456789012:root", "arn:aws:sts::123456789012:user/moto")


def allow(principal: Any = "*", action: Any = "sts:AssumeRole", **elements: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **elements}


def deny(principal: Any = "*", **elements: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": "sts:AssumeRole", **elements}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def admits_with(condition: dict[str, Any], caller: Caller = HUB, external_id: str | None = None) -> bool:
    return trust_admits(policy(allow(Condition=condition)), caller, external_id)


# --- Principals ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "caller", "admitted"),
    [
        ("*", DEFAULT, True),
        ({"AWS": "*"}, HUB, True),
        ({"AWS": "111111111111"}, HUB, True),
        ({"AWS": "arn:aws:iam::111111111111:root"}, ALICE, True),
        ({"AWS": "arn:aws:iam::222222222222:root"}, HUB, False),
        ({"AWS": HUB_ARN}, HUB, True),
        ({"AWS": HUB_ARN}, OTHER_ROLE, False),
        ({"AWS": [HUB_ARN, OTHER_ARN]}, OTHER_ROLE, True),
        ({"AWS": ALICE_ARN}, ALICE, True),
        ({"AWS": ALICE_ARN}, HUB, False),
        ({"Service": "lambda.amazonaws.com"}, HUB, False),
        ({"Service": "lambda.amazonaws.com", "AWS": HUB_ARN}, HUB, True),
    ],
)
def test_a_principal_admits_the_callers_it_names(principal: Any, caller: Caller, admitted: bool) -> None:
    assert trust_admits(policy(allow(principal)), caller) is admitted


@pytest.mark.parametrize(
    ("principal", "admitted"),
    [
        ({"AWS": "123456789012"}, True),
        ({"AWS": "arn:aws:iam::123456789012:root"}, True),
        ({"AWS": "arn:aws:iam::123456789012:role/hub"}, False),
        ({"AWS": "arn:aws:iam::123456789012:user/moto"}, False),
        ({"AWS": "111111111111"}, False),
    ],
)
def test_the_default_caller_is_its_accounts_root(principal: Any, admitted: bool) -> None:
    assert trust_admits(policy(allow(principal)), DEFAULT) is admitted


# --- Actions and effects -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "admitted"),
    [
        ("sts:AssumeRole", True),
        ("STS:assumerole", True),
        ("sts:*", True),
        ("*", True),
        ("sts:Assume*", True),
        (["sts:TagSession", "sts:AssumeRole"], True),
        ("sts:AssumeRoleWithSAML", False),
        ("sts:TagSession", False),
    ],
)
def test_an_allow_applies_to_actions_matching_sts_assume_role(action: Any, admitted: bool) -> None:
    assert trust_admits(policy(allow(action=action)), HUB) is admitted


def test_an_explicit_deny_wins_over_an_allow() -> None:
    assert not trust_admits(policy(allow({"AWS": HUB_ARN}), deny({"AWS": "111111111111"})), HUB)


def test_a_deny_of_someone_else_leaves_the_allow() -> None:
    assert trust_admits(policy(allow({"AWS": HUB_ARN}), deny({"AWS": OTHER_ARN})), HUB)


@pytest.mark.parametrize(
    "document",
    [
        policy(),
        policy(deny({"AWS": "222222222222"})),
        "not json{",
        {"Statement": "Allow everyone"},
    ],
)
def test_without_an_allow_no_one_is_admitted(document: Any) -> None:
    assert not trust_admits(document, HUB)


def test_a_single_statement_object_and_a_json_string_are_read() -> None:
    assert trust_admits(json.dumps({"Statement": allow({"AWS": HUB_ARN})}), HUB)


# --- Conditions ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "caller", "admitted"),
    [
        ({"StringEquals": {"aws:PrincipalOrgID": ORG}}, HUB, True),
        ({"StringEquals": {"aws:PrincipalOrgID": "o-otherorg999"}}, HUB, False),
        ({"StringEquals": {"aws:PrincipalOrgID": ORG}}, DEFAULT, False),
        ({"StringEquals": {"aws:PrincipalOrgID": ["o-otherorg999", ORG]}}, HUB, True),
        ({"StringEquals": {"AWS:principalorgid": ORG}}, HUB, True),
        ({"StringLike": {"aws:PrincipalOrgID": "o-example*"}}, HUB, True),
        ({"StringLike": {"aws:PrincipalOrgID": "o-EXAMPLE*"}}, HUB, False),
        ({"StringNotEquals": {"aws:PrincipalOrgID": "o-otherorg999"}}, HUB, True),
        ({"StringNotEquals": {"aws:PrincipalOrgID": ORG}}, HUB, False),
        ({"StringNotEquals": {"aws:PrincipalOrgID": ORG}}, DEFAULT, True),
        ({"StringEquals": {"aws:PrincipalAccount": "111111111111"}}, HUB, True),
        ({"StringEquals": {"aws:PrincipalAccount": "123456789012"}}, DEFAULT, True),
        ({"ArnEquals": {"aws:PrincipalArn": HUB_ARN}}, HUB, True),
        ({"ArnEquals": {"aws:PrincipalArn": HUB_ARN}}, OTHER_ROLE, False),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/h?b"}}, HUB, True),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/h?b"}}, OTHER_ROLE, False),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:*"}}, ALICE, True),
        ({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:root"}}, DEFAULT, True),
        ({"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:PrincipalAccount": "222222222222"}}, HUB, False),
        ({"StringEquals": {"aws:PrincipalOrgID": ORG}, "ArnEquals": {"aws:PrincipalArn": HUB_ARN}}, HUB, True),
        ({"StringEquals": {"aws:PrincipalOrgID": ORG}, "ArnEquals": {"aws:PrincipalArn": HUB_ARN}}, OTHER_ROLE, False),
        ({"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}, DEFAULT, True),
        ({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-otherorg999"}}, HUB, False),
        ({"ArnLikeIfExists": {"aws:PrincipalArn": "arn:aws:iam::*:role/hub"}}, HUB, True),
    ],
)
def test_every_condition_must_hold(condition: dict[str, Any], caller: Caller, admitted: bool) -> None:
    assert admits_with(condition, caller) is admitted


@pytest.mark.parametrize(
    ("operator", "external_id", "admitted"),
    [
        ("StringEquals", "vpce-guard-7f3a", True),
        ("StringEquals", "wrong", False),
        ("StringEquals", None, False),
        ("StringEqualsIfExists", None, True),
        ("StringEqualsIfExists", "wrong", False),
    ],
)
def test_an_external_id_condition_reads_the_requests_external_id(
    operator: str, external_id: str | None, admitted: bool
) -> None:
    assert admits_with({operator: {"sts:ExternalId": "vpce-guard-7f3a"}}, external_id=external_id) is admitted


# --- Failing closed ------------------------------------------------------------------------------------------

UNREADABLE = [
    pytest.param({"Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0123"}}}, id="unsupported key"),
    pytest.param({"Condition": {"NumericEquals": {"aws:PrincipalAccount": "1"}}}, id="unsupported operator"),
    pytest.param({"Condition": {"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": ORG}}}, id="set operator"),
    pytest.param({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}, id="Bool"),
    pytest.param({"Condition": {"StringEquals": {"aws:PrincipalOrgID": True}}}, id="non-string value"),
    pytest.param({"Resource": "*"}, id="Resource"),
    pytest.param({"NotAction": "sts:TagSession"}, id="NotAction"),
    pytest.param({"Principal": {"AWS": "arn:aws:sts::111111111111:assumed-role/hub/s"}}, id="session principal"),
    pytest.param({"Principal": {"AWS": ["*", "hub"]}}, id="unknown principal beside a match"),
    pytest.param({"Principal": {"Anonymous": "*"}}, id="unknown principal kind"),
]


@pytest.mark.parametrize("elements", UNREADABLE)
def test_an_allow_the_evaluator_cannot_read_does_not_apply(elements: dict[str, Any]) -> None:
    assert not trust_admits(policy(allow(**elements)), HUB)


@pytest.mark.parametrize("elements", UNREADABLE)
def test_a_deny_the_evaluator_cannot_read_denies(elements: dict[str, Any]) -> None:
    assert not trust_admits(policy(allow({"AWS": HUB_ARN}), deny(**elements)), HUB)


def test_a_statement_of_unknown_effect_denies() -> None:
    assert not trust_admits(policy(allow({"AWS": HUB_ARN}), {**allow(), "Effect": "Maybe"}), HUB)


# --- In process ----------------------------------------------------------------------------------------------


def test_in_process_mock_aws_refuses_a_role_that_does_not_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    trust.install()
    role_arn = "arn:aws:iam::111111111111:role/missing"

    with mock_aws(), pytest.raises(ClientError) as caught:
        boto3.client("sts", region_name="us-east-1").assume_role(RoleArn=role_arn, RoleSessionName="in-process")

    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
