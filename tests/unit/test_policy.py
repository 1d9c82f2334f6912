"""The endpoint policy model: parsing forms and errors, and the principal, condition and Deny semantics the
policy checks build on."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from vpce_guard.policy import (
    Policy,
    PolicyError,
    Statement,
    foreign_grants,
    named_accounts,
    parse_policy,
    unbounded_any_principal_statements,
    wildcard_action_statements,
    wildcard_actions,
)

OWNER = "111122223333"
FOREIGN = "999988887777"
ORG = "o-a1b2c3d4e5"
ROLE = f"arn:aws:iam::{OWNER}:role/agent-role"
FULL_ACCESS = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}


def statement(**elements: Any) -> dict[str, Any]:
    """A full-access Allow with ``elements`` replacing or adding elements; None removes one."""
    raw = {**FULL_ACCESS, **elements}
    return {name: value for name, value in raw.items() if value is not None}


def parse(*statements: dict[str, Any]) -> Policy:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)})


def only(raw: dict[str, Any]) -> Statement:
    return parse(raw).statements[0]


def is_bounded(*statements: dict[str, Any]) -> bool:
    """Whether the first statement of a policy of ``statements`` is bounded."""
    policy = parse(*statements)
    return policy.bound(policy.statements[0]).is_bounded


def condition(operator: str, key: str, value: Any) -> dict[str, Any]:
    return statement(Condition={operator: {key: value}})


def org_deny(**elements: Any) -> dict[str, Any]:
    guard = {"Effect": "Deny", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}}
    return statement(**{**guard, **elements})


# Parsing: the forms a policy comes in.


def test_compact_and_pretty_printed_text_read_alike() -> None:
    document = {"Statement": [FULL_ACCESS]}

    assert parse_policy(json.dumps(document)) == parse_policy(json.dumps(document, indent=2))


def test_parsed_object_reads_like_its_text() -> None:
    document = {"Version": "2008-10-17", "Statement": [FULL_ACCESS]}

    assert parse_policy(document) == parse_policy(json.dumps(document))


def test_one_text_is_parsed_once_and_its_policy_shared() -> None:
    text = json.dumps({"Statement": [FULL_ACCESS]})

    assert parse_policy(text) is parse_policy(text)


def test_single_statement_object_is_a_statement_list_of_one() -> None:
    assert len(parse_policy({"Statement": FULL_ACCESS}).statements) == 1


def test_string_and_list_values_read_alike() -> None:
    assert only(statement(Action="s3:GetObject")).actions == only(statement(Action=["s3:GetObject"])).actions


def test_boolean_and_number_condition_values_read_as_strings() -> None:
    conditions = only(
        statement(Condition={"Bool": {"aws:SecureTransport": True}, "NumericLessThan": {"s3:max-keys": 10}})
    ).conditions

    assert [item.values for item in conditions] == [("true",), ("10",)]


def test_statement_keeps_its_document_for_evidence() -> None:
    raw = statement(Sid="Read", Action="s3:GetObject")

    assert only(raw).document == raw


def test_statement_is_labelled_by_sid_else_by_position() -> None:
    policy = parse(statement(Sid="Invoke"), statement())

    assert [item.label for item in policy.statements] == ["Invoke", "Statement[1]"]


@pytest.mark.parametrize("version", ["2008-10-17", "2012-10-17", None])
def test_default_full_access_is_recognised_in_every_version(version: str | None) -> None:
    document = {"Statement": [FULL_ACCESS]} | ({"Version": version} if version else {})

    assert parse_policy(document).is_default_full_access


def test_full_access_with_a_condition_is_not_the_default() -> None:
    policy = parse(condition("StringEquals", "aws:PrincipalOrgID", ORG))

    assert not policy.is_default_full_access


# Parsing: documents that cannot be read, each with a message saying what is wrong.


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "not JSON"),
        ("[]", "a policy is a JSON object, not a list"),
        ('{"Version": "2012-10-17"}', "no Statement"),
        ('{"Statement": "Allow"}', "Statement must be an object or a list of objects"),
        ('{"Statement": ["Allow"]}', "Statement[0] must be an object"),
        ('{"Version": "2020-01-01", "Statement": []}', "Version '2020-01-01' is not one of"),
        ('{"Statment": []}', "unknown policy element(s) Statment"),
        ('{"Version": "2012-10-17", "Statement": []}', "Statement is an empty list"),
        ('{"Statement": ' + "[" * 1000 + "]" * 1000 + "}", "nested too deep"),
        (json.dumps({"Statement": [FULL_ACCESS], "Id": "x" * 20_480}), "AWS accepts at most 20,480"),
    ],
    ids=[
        "not-json",
        "list",
        "no-statement",
        "string-statement",
        "string-item",
        "version",
        "typo",
        "empty",
        "deep",
        "too-long",
    ],
)
def test_unreadable_document_is_a_policy_error(document: str, message: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(message)):
        parse_policy(document)


@pytest.mark.parametrize(
    ("elements", "message"),
    [
        ({"Effect": None}, "has no Effect"),
        ({"Effect": "allow"}, "Effect 'allow' is not Allow or Deny"),
        ({"NotAction": "s3:DeleteObject"}, "both Action and NotAction"),
        ({"NotPrincipal": {"AWS": ROLE}}, "both Principal and NotPrincipal"),
        ({"NotResource": "arn:aws:s3:::logs/*"}, "both Resource and NotResource"),
        ({"Principal": None}, "has no Principal"),
        ({"Action": None}, "has no Action"),
        ({"Action": []}, "Action is empty"),
        ({"Action": ["s3:GetObject", 7]}, "Action must be a string or a list of strings"),
        ({"Principal": ["*"]}, 'Principal must be "*" or an object'),
        ({"Principals": "*"}, "unknown element"),
        ({"Condition": {"StringEquals": "o-1"}}, "must map condition keys to values"),
        ({"Condition": {"StringEquals": {"aws:PrincipalOrgID": {"o": 1}}}}, "values must be strings"),
        ({"Sid": 3}, "Sid must be a string"),
        ({"Action": ""}, "Action holds an empty string"),
        ({"Resource": ["arn:aws:s3:::b/*", ""]}, "Resource holds an empty string"),
        ({"Principal": {"AWS": ""}}, "Principal.AWS holds an empty string"),
        ({"Condition": {"StringEquals": {"aws:PrincipalOrgID": ""}}}, "holds an empty string"),
        ({"Condition": {"StringEqualz": {"aws:PrincipalOrgID": ORG}}}, "'StringEqualz' is not a condition operator"),
        ({"Condition": {"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}}}, "not a condition operator"),
    ],
)
def test_malformed_statement_is_a_policy_error(elements: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(message)):
        parse(statement(**elements))


def test_error_names_the_statement_by_position_and_sid() -> None:
    with pytest.raises(PolicyError, match=r"Statement\[1\] \(Broken\)"):
        parse(statement(), statement(Sid="Broken", Effect=None))


def test_policy_error_is_a_value_error() -> None:
    assert issubclass(PolicyError, ValueError)


# Principals.


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": [ROLE, "*"]}])
def test_any_principal_forms_admit_any_principal(principal: Any) -> None:
    assert only(statement(Principal=principal)).admits_any_principal


def test_not_principal_in_an_allow_admits_any_principal() -> None:
    assert only(statement(Principal=None, NotPrincipal={"AWS": ROLE})).admits_any_principal


def test_named_principal_does_not_admit_any_principal() -> None:
    assert not only(statement(Principal={"AWS": ROLE})).admits_any_principal


def test_deny_admits_nobody() -> None:
    assert not only(statement(Effect="Deny")).admits_any_principal


def test_named_accounts_come_from_ids_and_arns_of_every_partition() -> None:
    principal = {
        "AWS": [
            "123456789012",
            f"arn:aws:iam::{OWNER}:role/x",
            "arn:aws-cn:iam::210987654321:root",
            "arn:aws-us-gov:sts::444455556666:assumed-role/ops/session",
        ]
    }

    assert named_accounts(only(statement(Principal=principal))) == {
        "123456789012",
        OWNER,
        "210987654321",
        "444455556666",
    }


@pytest.mark.parametrize(
    "principal",
    [
        {"Service": "ec2.amazonaws.com"},
        {"Federated": f"arn:aws:iam::{FOREIGN}:saml-provider/corp"},
        {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
    ],
)
def test_non_aws_principals_name_no_account(principal: dict[str, str]) -> None:
    assert named_accounts(only(statement(Principal=principal))) == frozenset()


# Conditions that bound who an Allow admits.


@pytest.mark.parametrize(
    ("operator", "key", "value"),
    [
        ("StringEquals", "aws:PrincipalOrgID", ORG),
        ("StringEqualsIgnoreCase", "aws:PrincipalOrgID", ORG),
        ("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", f"{ORG}/r-ab12/*"),
        ("StringEquals", "aws:PrincipalAccount", [OWNER, "444455556666"]),
        ("ArnEquals", "aws:PrincipalArn", ROLE),
        ("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{OWNER}:role/app-*"),
    ],
)
def test_positive_principal_condition_bounds(operator: str, key: str, value: Any) -> None:
    assert is_bounded(condition(operator, key, value))


def test_condition_operator_and_key_match_without_regard_to_case() -> None:
    assert is_bounded(condition("stringequals", "AWS:PRINCIPALORGID", ORG))


def test_principal_is_aws_service_bounds_to_service_principals() -> None:
    assert is_bounded(condition("Bool", "aws:PrincipalIsAWSService", "true"))


@pytest.mark.parametrize(
    ("operator", "key", "value"),
    [
        ("StringEqualsIfExists", "aws:PrincipalOrgID", ORG),
        ("ForAnyValue:StringLikeIfExists", "aws:PrincipalOrgPaths", f"{ORG}/*"),
        ("ForAllValues:StringLike", "aws:PrincipalOrgPaths", f"{ORG}/*"),
        ("StringNotEquals", "aws:PrincipalAccount", FOREIGN),
        ("StringLike", "aws:PrincipalOrgID", "*"),
        ("StringEquals", "aws:PrincipalAccount", [OWNER, "*"]),
        ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/admin"),
        ("Bool", "aws:PrincipalIsAWSService", "false"),
    ],
    ids=[
        "if-exists",
        "set-if-exists",
        "for-all-values",
        "negated",
        "wildcard-value",
        "wildcard-among-values",
        "arn-in-any-account",
        "not-a-service",
    ],
)
def test_condition_that_admits_anonymous_or_anyone_does_not_bound(operator: str, key: str, value: Any) -> None:
    assert not is_bounded(condition(operator, key, value))


@pytest.mark.parametrize(
    ("operator", "key", "value"),
    [
        ("StringEquals", "aws:SourceVpce", "vpce-0a1b2c3d4e5f60001"),
        ("StringEquals", "aws:SourceVpc", "vpc-0a1b2c3d4e5f60001"),
        ("IpAddress", "aws:SourceIp", "10.0.0.0/16"),
        ("StringEquals", "aws:ResourceOrgID", ORG),
        ("StringEquals", "aws:ResourceAccount", OWNER),
    ],
)
def test_network_and_resource_conditions_do_not_bound(operator: str, key: str, value: str) -> None:
    assert not is_bounded(condition(operator, key, value))


def test_bound_lists_the_values_it_admits() -> None:
    policy = parse(
        statement(
            Condition={
                "StringEquals": {"aws:PrincipalOrgID": ORG, "aws:PrincipalAccount": OWNER},
                "ArnLike": {"aws:PrincipalArn": ROLE},
            }
        )
    )

    bound = policy.bound(policy.statements[0])

    assert (bound.org_ids, bound.accounts, bound.principal_arns) == ((ORG,), (OWNER,), (ROLE,))


# Deny guards: a Deny for everyone outside some principals bounds every Allow it covers.


def test_deny_outside_the_org_bounds_every_allow() -> None:
    policy = parse(statement(Action="s3:GetObject"), statement(Action="s3:PutObject"), org_deny())

    assert unbounded_any_principal_statements(policy) == ()


def test_deny_with_for_all_values_on_org_paths_bounds() -> None:
    guard = statement(Effect="Deny", Condition={"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}})

    assert is_bounded(statement(), guard)


def test_deny_with_if_exists_negation_bounds_since_anonymous_callers_are_denied_too() -> None:
    assert is_bounded(statement(), org_deny(Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}}))


def test_data_perimeter_guard_sparing_aws_services_bounds() -> None:
    guard = org_deny(
        Condition={
            "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
        }
    )

    assert is_bounded(statement(), guard)


def test_deny_with_plain_bool_sparing_aws_services_does_not_bound_since_it_never_applies_to_anonymous_callers() -> None:
    guard = org_deny(
        Condition={
            "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
            "Bool": {"aws:PrincipalIsAWSService": "false"},
        }
    )

    assert not is_bounded(statement(), guard)


@pytest.mark.parametrize(
    "arn",
    ["arn:aws:iam:*:111122223333:role/app", "arn:*:iam::111122223333:role/app", "arn:aws:*:111122223333:role/app"],
)
def test_principal_arn_with_a_wildcard_before_its_account_does_not_bound(arn: str) -> None:
    assert not is_bounded(condition("StringLike", "aws:PrincipalArn", arn))


@pytest.mark.parametrize(
    "condition",
    [
        {"StringLike": {"aws:PrincipalOrgID": "o-*"}},
        {"StringLike": {"aws:PrincipalAccount": "1*"}},
        {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-*/r-ab12/*"}},
    ],
    ids=["org-wildcard", "account-wildcard", "org-path-wildcard-org"],
)
def test_wildcard_that_matches_anyone_does_not_bound(condition: dict[str, Any]) -> None:
    assert not is_bounded(statement(Condition=condition))


def test_deny_whose_action_pattern_covers_the_allow_bounds() -> None:
    assert is_bounded(statement(Action=["s3:GetObject", "s3:List*"]), org_deny(Action="S3:*"))


@pytest.mark.parametrize(
    "guard",
    [
        org_deny(Condition={"ForAnyValue:StringNotLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}}),
        org_deny(Condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG, "aws:SourceVpc": "vpc-1"}}),
        org_deny(Condition={"StringNotEquals": {"aws:PrincipalOrgID": "*"}}),
        org_deny(Action="s3:GetObject"),
        org_deny(Resource="arn:aws:s3:::configs/*"),
        org_deny(Resource=None, NotResource="arn:aws:s3:::configs/*"),
        org_deny(Principal={"AWS": ROLE}),
        org_deny(Action=None, NotAction="s3:DeleteObject"),
        statement(Effect="Deny"),
    ],
    ids=[
        "for-any-value",
        "network-condition-too",
        "wildcard-value",
        "fewer-actions",
        "some-resources",
        "not-resource",
        "named-principal",
        "not-action",
        "no-condition",
    ],
)
def test_deny_that_does_not_refuse_every_outsider_does_not_bound(guard: dict[str, Any]) -> None:
    assert not is_bounded(statement(Action=["s3:GetObject", "s3:PutObject"]), guard)


def test_not_action_allow_is_bounded_only_by_a_deny_of_every_action() -> None:
    allow_all_but = statement(Action=None, NotAction="s3:DeleteBucket")

    assert (is_bounded(allow_all_but, org_deny(Action="s3:*")), is_bounded(allow_all_but, org_deny())) == (False, True)


def test_deny_with_two_principal_conditions_admits_either() -> None:
    guard = statement(
        Effect="Deny", Condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG, "aws:PrincipalAccount": FOREIGN}}
    )

    (grant,) = foreign_grants(parse(statement(), guard), frozenset({OWNER}), frozenset({ORG}))

    assert grant.accounts == (FOREIGN,)


# Actions.


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("*", True),
        ("s3:*", True),
        ("S3:*", True),
        ("*:*", True),
        ("s*:*", True),
        ("s3:?*", True),
        ("*:?*", True),
        ("?*", True),
        ("s3:?", False),
        ("s3:Get*", False),
        ("ec2:*", False),
    ],
)
def test_wildcard_actions_grant_every_action_of_the_service(action: str, expected: bool) -> None:
    assert bool(wildcard_actions(only(statement(Action=action)), "s3")) is expected


def test_not_action_allow_is_a_wildcard_statement() -> None:
    policy = parse(statement(Action=None, NotAction="s3:DeleteBucket"))

    assert wildcard_action_statements(policy, "s3") == policy.statements


def test_wildcard_in_a_deny_is_not_a_wildcard_statement() -> None:
    policy = parse(statement(Action="s3:GetObject"), statement(Effect="Deny", Action="s3:*"))

    assert wildcard_action_statements(policy, "s3") == ()


# Foreign grants.


def test_own_accounts_are_not_foreign() -> None:
    policy = parse(statement(Principal={"AWS": [ROLE, FOREIGN]}))

    (grant,) = foreign_grants(policy, frozenset({OWNER}), frozenset())

    assert grant.accounts == (FOREIGN,)


def test_statement_confined_to_our_org_grants_no_foreign_account() -> None:
    policy = parse(statement(Principal={"AWS": FOREIGN}, Condition={"StringEquals": {"aws:PrincipalOrgID": ORG}}))

    assert foreign_grants(policy, frozenset({OWNER}), frozenset({ORG})) == ()
