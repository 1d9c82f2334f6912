"""IAM's evaluation logic, case by case as AWS documents it (the policy evaluation logic and the condition
operators pages of the IAM User Guide)."""

from __future__ import annotations

from typing import Any

import pytest

from vpce_guard.iam import OPERATORS, Caller, Outcome, Request, evaluate
from vpce_guard.policy import CONDITION_OPERATORS, parse_policy

ORG = "o-a1b2c3d4e5"
ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
APP = Caller("AWS", ROLE, ACCOUNT)
ORG_KEYS = {"aws:PrincipalOrgID": (ORG,), "aws:PrincipalAccount": (ACCOUNT,), "aws:PrincipalArn": (ROLE,)}


def policy(*statements: dict[str, Any]) -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)})


def allow(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", **extra}


def deny(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*", **extra}


def request(
    action: str = "s3:GetObject",
    resource: str = "arn:aws:s3:::bucket/key",
    caller: Caller | None = APP,
    **keys: tuple[str, ...],
) -> Request:
    context = dict(ORG_KEYS) if caller is APP else {}
    context.update({key.replace("__", ":"): values for key, values in keys.items()})
    return Request(action, resource, caller, context)


def test_no_matching_allow_is_an_implicit_deny() -> None:
    assert evaluate(policy(allow(Action="sqs:*")), request()).outcome is Outcome.IMPLICIT_DENY


def test_an_explicit_deny_wins_over_any_allow() -> None:
    result = evaluate(policy(allow(), deny(Sid="NoGets", Action="s3:Get*")), request())

    assert (result.outcome, result.statement) == (Outcome.EXPLICIT_DENY, "NoGets")


def test_actions_match_without_regard_to_case_resources_with_it() -> None:
    assert evaluate(policy(allow(Action="S3:getobject")), request()).allowed
    assert not evaluate(policy(allow(Resource="arn:aws:s3:::BUCKET/*")), request()).allowed


def test_a_star_in_a_resource_matches_across_colons_and_a_question_mark_one_character() -> None:
    assert evaluate(policy(allow(Resource="arn:*/key")), request()).allowed
    assert evaluate(policy(allow(Resource="arn:aws:s3:::bucke?/key")), request()).allowed
    assert not evaluate(policy(allow(Resource="arn:aws:s3:::buck?/key")), request()).allowed


def test_not_action_allows_everything_but_the_listed() -> None:
    statement = {"Effect": "Allow", "Principal": "*", "NotAction": "s3:Delete*", "Resource": "*"}

    assert evaluate(policy(statement), request()).allowed
    assert not evaluate(policy(statement), request("s3:DeleteObject")).allowed


def test_not_resource_allows_everything_but_the_listed() -> None:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "*", "NotResource": "arn:aws:s3:::bucket/*"}

    assert not evaluate(policy(statement), request()).allowed
    assert evaluate(policy(statement), request(resource="arn:aws:s3:::other/key")).allowed


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}])
def test_both_forms_of_everyone_match_anonymous_callers(principal: Any) -> None:
    assert evaluate(policy(allow(Principal=principal)), request(caller=None)).allowed


@pytest.mark.parametrize("principal", [ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", ROLE])
def test_an_account_or_role_principal_matches_the_role(principal: str) -> None:
    assert evaluate(policy(allow(Principal={"AWS": principal})), request()).allowed


def test_a_named_principal_matches_no_anonymous_caller_and_no_other_account() -> None:
    statement = allow(Principal={"AWS": ACCOUNT})

    assert not evaluate(policy(statement), request(caller=None)).allowed
    assert not evaluate(
        policy(statement), request(caller=Caller("AWS", "arn:aws:iam::999999999999:role/x", "999999999999"))
    ).allowed


def test_service_and_federated_principals_match_by_type_and_name() -> None:
    service = Caller("Service", "ec2.amazonaws.com")
    federated = Caller("Federated", "cognito-identity.amazonaws.com")

    assert evaluate(policy(allow(Principal={"Service": "ec2.amazonaws.com"})), request(caller=service)).allowed
    assert not evaluate(policy(allow(Principal={"Service": "ec2.amazonaws.com"})), request(caller=federated)).allowed
    assert evaluate(
        policy(allow(Principal={"Federated": "cognito-identity.amazonaws.com"})), request(caller=federated)
    ).allowed


def test_not_principal_matches_everyone_it_does_not_list_anonymous_included() -> None:
    statement = {"Effect": "Allow", "NotPrincipal": {"AWS": ROLE}, "Action": "*", "Resource": "*"}

    assert not evaluate(policy(statement), request()).allowed
    assert evaluate(policy(statement), request(caller=None)).allowed


def test_a_positive_operator_on_an_absent_key_is_false() -> None:
    statement = allow(Condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})

    assert evaluate(policy(statement), request()).allowed
    assert not evaluate(policy(statement), request(caller=None)).allowed


def test_a_negated_operator_on_an_absent_key_is_true() -> None:
    guard = deny(Condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG}})

    assert evaluate(policy(allow(), guard), request(caller=None)).outcome is Outcome.EXPLICIT_DENY
    assert evaluate(policy(allow(), guard), request()).allowed


def test_if_exists_makes_an_absent_key_true() -> None:
    statement = allow(Condition={"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}})

    assert evaluate(policy(statement), request(caller=None)).allowed
    assert not evaluate(policy(statement), request(aws__PrincipalOrgID=("o-other000000",))).allowed


def test_plain_bool_on_an_absent_key_is_false_so_such_a_deny_spares_anonymous_callers() -> None:
    guard = deny(Condition={"Bool": {"aws:PrincipalIsAWSService": "false"}})

    assert evaluate(policy(allow(), guard), request(caller=None)).allowed
    assert not evaluate(policy(allow(), guard), request(aws__PrincipalIsAWSService=("false",))).allowed


def test_null_tests_presence() -> None:
    absent = allow(Condition={"Null": {"aws:PrincipalOrgID": "true"}})

    assert evaluate(policy(absent), request(caller=None)).allowed
    assert not evaluate(policy(absent), request()).allowed


def test_the_values_of_one_key_are_alternatives_and_keys_must_all_hold() -> None:
    statement = allow(
        Condition={"StringEquals": {"aws:PrincipalOrgID": ["o-other000000", ORG], "aws:PrincipalAccount": ACCOUNT}}
    )

    assert evaluate(policy(statement), request()).allowed
    assert not evaluate(policy(statement), request(aws__PrincipalAccount=("444455556666",))).allowed


def test_a_negated_operator_holds_only_when_no_value_matches() -> None:
    statement = allow(Condition={"StringNotEquals": {"aws:PrincipalAccount": ["444455556666", ACCOUNT]}})

    assert not evaluate(policy(statement), request()).allowed


def test_for_any_value_needs_one_match_and_is_false_on_an_absent_key() -> None:
    statement = allow(Condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/r-ab12/ou-1/*"}})
    paths = (f"{ORG}/r-ab12/ou-2/", f"{ORG}/r-ab12/ou-1/ou-3/")

    assert evaluate(policy(statement), request(aws__PrincipalOrgPaths=paths)).allowed
    assert not evaluate(policy(statement), request(caller=None)).allowed


def test_for_all_values_needs_every_value_to_match_and_is_true_on_an_absent_key() -> None:
    statement = allow(Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}})

    assert evaluate(policy(statement), request(aws__TagKeys=("team",))).allowed
    assert not evaluate(policy(statement), request(aws__TagKeys=("team", "owner"))).allowed
    assert evaluate(policy(statement), request()).allowed


def test_string_like_wildcards_and_ignore_case_operators() -> None:
    assert evaluate(
        policy(allow(Condition={"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app"}})), request()
    ).allowed
    assert evaluate(
        policy(allow(Condition={"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": ORG.upper()}})), request()
    ).allowed


def test_arn_operators_match_field_by_field() -> None:
    statement = allow(Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}})

    assert evaluate(policy(statement), request()).allowed
    assert not evaluate(policy(statement), request(aws__PrincipalArn=(f"arn:aws:iam::{ACCOUNT}:user/u",))).allowed


def test_ip_numeric_and_date_operators() -> None:
    assert evaluate(
        policy(allow(Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})), request(aws__SourceIp=("10.1.2.3",))
    ).allowed
    assert evaluate(
        policy(allow(Condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}})), request(aws__SourceIp=("192.0.2.1",))
    ).allowed
    assert (
        evaluate(
            policy(allow(Condition={"NumericLessThan": {"s3:max-keys": "10"}})), request(s3__max_keys=("3",))
        ).outcome
        is Outcome.IMPLICIT_DENY
    )  # the key is s3:max-keys, not s3:max_keys: absent, so false
    assert evaluate(
        policy(allow(Condition={"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}})),
        request(aws__CurrentTime=("2026-12-07T01:00:00Z",)),
    ).allowed


def test_condition_keys_match_without_regard_to_case() -> None:
    statement = allow(Condition={"stringequals": {"AWS:PRINCIPALORGID": ORG}})

    assert evaluate(policy(statement), request()).allowed


def test_a_policy_variable_takes_the_requests_value() -> None:
    statement = allow(Condition={"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}})

    assert evaluate(policy(statement), request(aws__ResourceAccount=(ACCOUNT,))).allowed
    assert not evaluate(policy(statement), request(aws__ResourceAccount=("444455556666",))).allowed
    assert not evaluate(policy(statement), request(caller=None, aws__ResourceAccount=(ACCOUNT,))).allowed


def test_every_operator_the_policy_grammar_accepts_is_evaluated() -> None:
    assert set(OPERATORS) == CONDITION_OPERATORS
