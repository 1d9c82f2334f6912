"""IAM's evaluation of one request against one resource policy: the logic the policy judge and the policy
checks share, written once.

An endpoint policy is a resource policy: a request through the endpoint goes on only when the policy allows
it. The rules implemented here are AWS's documented ones:

- an explicit Deny that matches wins; else an Allow that matches allows; else the request is implicitly
  denied;
- a statement matches when its Principal (or NotPrincipal), Action (or NotAction), Resource (or NotResource)
  and every condition match. ``"Principal": "*"`` and ``{"AWS": "*"}`` both match everyone, anonymous callers
  included; an account (id or ``:root`` ARN) matches every principal of the account; a role ARN matches the
  role's sessions (their ``aws:PrincipalArn``);
- actions match without regard to case, resources with regard to it; ``*`` matches any run of characters
  (``:`` included), ``?`` any one;
- conditions: every operator of a statement, and every key of an operator, must hold; the values of one key
  are alternatives. A key the request lacks makes a positive operator false and a negated one
  (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress``, ...) true; ``...IfExists`` makes any operator true
  then, and ``Null`` tests presence itself. ``ForAnyValue`` needs one request value to match (false when the
  key is absent); ``ForAllValues`` needs every request value to match (true when the key is absent or
  empty). Policy variables (``${aws:PrincipalAccount}``) take the request's value; an absent one matches
  nothing.

Condition keys are matched without regard to case, as IAM matches them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache

import msgspec

from vpce_guard.policy import Condition, Policy, Statement

ANY = "*"
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL_VARIABLES = {"*": "*", "?": "?", "$": "$"}


class Outcome(StrEnum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "denied by a Deny statement"
    IMPLICIT_DENY = "denied: no Allow statement matches"

    @property
    def allowed(self) -> bool:
        return self is Outcome.ALLOWED


class Caller(msgspec.Struct, frozen=True):
    """Who signs a request: ``kind`` is the Principal element's type (``AWS``, ``Service``, ``Federated``)
    and ``identifier`` what that type names: the principal's ARN (a role, not its session), the service
    (``ec2.amazonaws.com``) or the identity provider."""

    kind: str
    identifier: str
    account: str | None = None


@dataclass(frozen=True)
class Request:
    """One request through the endpoint. ``caller`` is None for an anonymous (unsigned) request; ``keys``
    holds the request's condition keys, each with its values (one for a single-valued key)."""

    action: str
    resource: str
    caller: Caller | None
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _by_lower_key: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_lower_key", {key.lower(): values for key, values in self.keys.items()})

    def value(self, key: str) -> tuple[str, ...] | None:
        """The values of ``key``, matched without regard to case; None when the request lacks it."""
        return self._by_lower_key.get(key.lower())


class Evaluation(msgspec.Struct, frozen=True):
    outcome: Outcome
    statement: str | None  # the label of the deciding statement

    @property
    def allowed(self) -> bool:
        return self.outcome.allowed


def evaluate(policy: Policy, request: Request) -> Evaluation:
    """What ``policy`` decides for ``request``: the first matching Deny, else the first matching Allow."""
    allowed_by = None
    for statement in policy.statements:
        if not statement_matches(statement, request):
            continue
        if not statement.is_allow:
            return Evaluation(Outcome.EXPLICIT_DENY, statement.label)
        if allowed_by is None:
            allowed_by = statement.label
    if allowed_by is not None:
        return Evaluation(Outcome.ALLOWED, allowed_by)
    return Evaluation(Outcome.IMPLICIT_DENY, None)


def statement_matches(statement: Statement, request: Request) -> bool:
    return (
        _principal_matches(statement, request.caller)
        and _element_matches(statement.actions, statement.not_actions, request.action, action_matches)
        and _element_matches(statement.resources, statement.not_resources, request.resource, resource_matches)
        and all(condition_holds(condition, request) for condition in statement.conditions)
    )


def action_matches(pattern: str, action: str) -> bool:
    """IAM's action match: wildcards, no regard to case."""
    return _glob(pattern, ignore_case=True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """IAM's resource match: wildcards, with regard to case."""
    return _glob(pattern, ignore_case=False).fullmatch(resource) is not None


def condition_holds(condition: Condition, request: Request) -> bool:
    """Whether one operator-and-key of a Condition element holds for ``request``."""
    operator = OPERATORS.get(condition.base_operator)
    if operator is None:
        # An operator IAM does not know matches nothing: the statement never applies.
        return False
    values = request.value(condition.key)
    if condition.base_operator == "null":
        wanted = {value.lower() for value in condition.values}
        return ("true" if values is None else "false") in wanted
    if values is None:
        if condition.if_exists:
            return True
        if condition.set_qualifier == "forallvalues":
            return True
        if condition.set_qualifier == "foranyvalue":
            return False
        return operator.negated
    policy_values = tuple(_substitute(value, request) for value in condition.values)

    def matches_one(value: str) -> bool:
        return any(pattern is not None and operator.test(value, pattern) for pattern in policy_values)

    if condition.set_qualifier == "forallvalues":
        return all(matches_one(value) != operator.negated for value in values)
    if condition.set_qualifier == "foranyvalue":
        return any(matches_one(value) != operator.negated for value in values)
    if operator.negated:
        return not any(matches_one(value) for value in values)
    return any(matches_one(value) for value in values)


class _Operator(msgspec.Struct, frozen=True):
    """A condition operator's positive test of one request value against one policy value; ``negated``
    operators hold when no value passes it."""

    test: Callable[[str, str], bool]
    negated: bool = False


def _principal_matches(statement: Statement, caller: Caller | None) -> bool:
    if statement.principal:
        return _names(statement.principal, caller)
    return not _names(statement.not_principal, caller)


def _names(principal: Mapping[str, tuple[str, ...]], caller: Caller | None) -> bool:
    """Whether a Principal element names ``caller``."""
    for kind, values in principal.items():
        if kind == ANY or (kind.upper() == "AWS" and ANY in values):
            return True
        if caller is None or kind.upper() != caller.kind.upper():
            continue
        for value in values:
            if value == caller.identifier:
                return True
            if (
                caller.kind.upper() == "AWS"
                and caller.account is not None
                and _account_principal(value) == caller.account
            ):
                return True
    return False


def _account_principal(value: str) -> str | None:
    """The account a Principal value names as a whole: ``123456789012`` or ``arn:<partition>:iam::<id>:root``."""
    if _ACCOUNT_ID.match(value):
        return value
    parts = value.split(":")
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[5] == "root":
        return parts[4]
    return None


def _element_matches(
    patterns: tuple[str, ...], not_patterns: tuple[str, ...], value: str, match: Callable[[str, str], bool]
) -> bool:
    if not_patterns:
        return not any(match(pattern, value) for pattern in not_patterns)
    if not patterns:
        # An element a statement leaves out (Resource in some endpoint policies) covers everything.
        return True
    return any(match(pattern, value) for pattern in patterns)


def _substitute(value: str, request: Request) -> str | None:
    """The policy value with its variables replaced by the request's values; None when one is absent."""
    if "${" not in value:
        return value
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name = match[1]
        if name in _SPECIAL_VARIABLES:
            return _SPECIAL_VARIABLES[name]
        found = request.value(name)
        if found is None or len(found) != 1:
            missing = True
            return ""
        return found[0]

    substituted = _VARIABLE.sub(replace, value)
    return None if missing else substituted


@lru_cache(maxsize=4096)
def _glob(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile("".join(parts), (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def _string_like(value: str, pattern: str) -> bool:
    return _glob(pattern, ignore_case=False).fullmatch(value) is not None


def _arn_like(value: str, pattern: str) -> bool:
    """ARN operators compare the six colon-separated fields one by one, each with wildcards."""
    value_parts, pattern_parts = value.split(":", 5), pattern.split(":", 5)
    if len(value_parts) != 6 or len(pattern_parts) != 6:
        return False
    return all(_string_like(part, glob) for part, glob in zip(value_parts, pattern_parts, strict=True))


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def test(value: str, pattern: str) -> bool:
        left, right = _number(value), _number(pattern)
        return left is not None and right is not None and compare(left, right)

    return test


def _instant(value: str) -> datetime | None:
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _date(compare: Callable[[datetime, datetime], bool]) -> Callable[[str, str], bool]:
    def test(value: str, pattern: str) -> bool:
        left, right = _instant(value), _instant(pattern)
        return left is not None and right is not None and compare(left, right)

    return test


def _in_network(value: str, pattern: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return False


OPERATORS: Mapping[str, _Operator] = {
    "stringequals": _Operator(lambda value, pattern: value == pattern),
    "stringnotequals": _Operator(lambda value, pattern: value == pattern, negated=True),
    "stringequalsignorecase": _Operator(lambda value, pattern: value.casefold() == pattern.casefold()),
    "stringnotequalsignorecase": _Operator(lambda value, pattern: value.casefold() == pattern.casefold(), negated=True),
    "stringlike": _Operator(_string_like),
    "stringnotlike": _Operator(_string_like, negated=True),
    "arnequals": _Operator(_arn_like),
    "arnlike": _Operator(_arn_like),
    "arnnotequals": _Operator(_arn_like, negated=True),
    "arnnotlike": _Operator(_arn_like, negated=True),
    "numericequals": _Operator(_numeric(lambda left, right: left == right)),
    "numericnotequals": _Operator(_numeric(lambda left, right: left == right), negated=True),
    "numericlessthan": _Operator(_numeric(lambda left, right: left < right)),
    "numericlessthanequals": _Operator(_numeric(lambda left, right: left <= right)),
    "numericgreaterthan": _Operator(_numeric(lambda left, right: left > right)),
    "numericgreaterthanequals": _Operator(_numeric(lambda left, right: left >= right)),
    "dateequals": _Operator(_date(lambda left, right: left == right)),
    "datenotequals": _Operator(_date(lambda left, right: left == right), negated=True),
    "datelessthan": _Operator(_date(lambda left, right: left < right)),
    "datelessthanequals": _Operator(_date(lambda left, right: left <= right)),
    "dategreaterthan": _Operator(_date(lambda left, right: left > right)),
    "dategreaterthanequals": _Operator(_date(lambda left, right: left >= right)),
    "bool": _Operator(lambda value, pattern: value.lower() == pattern.lower()),
    "binaryequals": _Operator(lambda value, pattern: value == pattern),
    "ipaddress": _Operator(_in_network),
    "notipaddress": _Operator(_in_network, negated=True),
    "null": _Operator(lambda value, pattern: False),
}
