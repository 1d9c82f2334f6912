"""Endpoint policies: one model, parsed once, and the analyses every policy check shares.

An endpoint policy is an IAM resource policy on the endpoint. The analyses here are generic (who a statement
admits, what bounds them, which actions it grants, which accounts it names); each policy check specialises
them for one concern (Cloud Custodian's idea: generic filters, specialised per rule).

The IAM semantics they rely on:

- a positive string or ARN condition on a key that the request lacks is false, so ``StringEquals
  aws:PrincipalOrgID`` admits only callers of that organization. The ``...IfExists`` forms are true when the
  key is absent (anonymous callers carry no principal keys), so they bound nobody; nor does a negated
  operator in an Allow;
- ``aws:SourceVpc``, ``aws:SourceVpce``, ``aws:SourceIp``, ``aws:ResourceOrgID`` and ``aws:ResourceAccount``
  say where a request comes from or goes to, not who sends it;
- a negated condition on an absent key is true (with or without ``IfExists``), so "Deny everyone unless
  aws:PrincipalOrgID is ours" also denies anonymous callers: the common guard that bounds every Allow of a
  policy. Its usual companion ``BoolIfExists aws:PrincipalIsAWSService false`` exempts AWS services acting
  for the account, and keeps the guard a guard;
- condition operators and keys are matched without regard to case, as IAM matches keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, TypeVar

import msgspec

VERSIONS = ("2008-10-17", "2012-10-17")
# The policy AWS attaches to an endpoint created without one, and restores on ResetPolicy.
DEFAULT_ENDPOINT_POLICY: Mapping[str, Any] = {
    "Version": "2008-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}
# AWS refuses an endpoint policy longer than this, white space included.
MAX_POLICY_CHARACTERS = 20_480
ALLOW = "Allow"
DENY = "Deny"
ANY = "*"

PRINCIPAL_ORG_ID = "aws:PrincipalOrgID"
PRINCIPAL_ORG_PATHS = "aws:PrincipalOrgPaths"
PRINCIPAL_ACCOUNT = "aws:PrincipalAccount"
PRINCIPAL_ARN = "aws:PrincipalArn"
PRINCIPAL_IS_AWS_SERVICE = "aws:PrincipalIsAWSService"
RESOURCE_ORG_ID = "aws:ResourceOrgID"
RESOURCE_ORG_PATHS = "aws:ResourceOrgPaths"
RESOURCE_ACCOUNT = "aws:ResourceAccount"
ORG_KEYS = frozenset({PRINCIPAL_ORG_ID, PRINCIPAL_ORG_PATHS})
# The keys that say whose the resource is, by their lower-case form.
_RESOURCE_KEYS = {key.lower(): key for key in (RESOURCE_ORG_ID, RESOURCE_ORG_PATHS, RESOURCE_ACCOUNT)}
# The keys that say who the caller is, by their lower-case form (IAM matches keys without regard to case).
_PRINCIPAL_KEYS = {
    key.lower(): key for key in (PRINCIPAL_ORG_ID, PRINCIPAL_ORG_PATHS, PRINCIPAL_ACCOUNT, PRINCIPAL_ARN)
}

_POSITIVE = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"})
_NEGATED = frozenset({"stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals", "arnnotlike"})
_FOR_ANY_VALUE = "foranyvalue"
_FOR_ALL_VALUES = "forallvalues"
_IF_EXISTS = "ifexists"

# IAM's condition operators, by their lower-case base name (without a set qualifier or IfExists): the
# grammar a policy is read against; vpce_guard.iam evaluates each of them.
CONDITION_OPERATORS = frozenset(
    {
        *("stringequals", "stringnotequals", "stringequalsignorecase", "stringnotequalsignorecase"),
        *("stringlike", "stringnotlike", "arnequals", "arnlike", "arnnotequals", "arnnotlike"),
        *("numericequals", "numericnotequals", "numericlessthan", "numericlessthanequals"),
        *("numericgreaterthan", "numericgreaterthanequals", "dateequals", "datenotequals", "datelessthan"),
        *("datelessthanequals", "dategreaterthan", "dategreaterthanequals", "bool", "binaryequals"),
        *("ipaddress", "notipaddress", "null"),
    }
)
_POLICY_ELEMENTS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_ELEMENTS = frozenset(
    {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_WILDCARD = re.compile(r"[*?]")

T = TypeVar("T")


class PolicyError(ValueError):
    """A policy document that cannot be read as an endpoint policy; the message says what to fix."""


class Condition(msgspec.Struct, frozen=True):
    """One operator and key of a Condition element, as written."""

    operator: str
    key: str
    values: tuple[str, ...]

    @property
    def set_qualifier(self) -> str:
        """``foranyvalue``, ``forallvalues`` or empty."""
        qualifier, _, _ = self.operator.lower().rpartition(":")
        return qualifier

    @property
    def if_exists(self) -> bool:
        return self.operator.lower().endswith(_IF_EXISTS)

    @property
    def base_operator(self) -> str:
        """The lower-case operator without its set qualifier and IfExists: ``stringequals``, ``arnlike``…"""
        return self.operator.lower().rpartition(":")[2].removesuffix(_IF_EXISTS)

    @property
    def principal_key(self) -> str | None:
        """The canonical spelling of the key when it says who the caller is, else None."""
        return _PRINCIPAL_KEYS.get(self.key.lower())


@dataclass(frozen=True)
class Statement:
    """One statement. Principal elements map a principal type (``AWS``, ``Service``, ``Federated``,
    ``CanonicalUser``, or ``*`` for a bare ``"Principal": "*"``) to its values; an element the statement
    does not use is empty."""

    index: int
    sid: str | None
    effect: str
    principal: Mapping[str, tuple[str, ...]]
    not_principal: Mapping[str, tuple[str, ...]]
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    conditions: tuple[Condition, ...]
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def label(self) -> str:
        """How findings name the statement: its Sid, else its position."""
        return self.sid or f"Statement[{self.index}]"

    @property
    def is_allow(self) -> bool:
        return self.effect == ALLOW

    @property
    def applies_to_everyone(self) -> bool:
        """Principal ``"*"``, ``{"AWS": "*"}`` or an AWS list holding ``"*"``."""
        return ANY in self.principal or ANY in _aws_values(self.principal)

    @property
    def admits_any_principal(self) -> bool:
        """An Allow for everyone, or for everyone but the principals NotPrincipal lists."""
        return self.is_allow and (self.applies_to_everyone or bool(self.not_principal))


class Limit(msgspec.Struct, frozen=True):
    """A caller passes when its value of ``key`` matches one of ``values``."""

    key: str
    values: tuple[str, ...]


class Clause(msgspec.Struct, frozen=True):
    """Limits of which a caller must pass at least one. A condition of the Allow itself is a clause of one
    limit; a Deny guard refuses only callers that fail all its conditions, so they form one clause."""

    limits: tuple[Limit, ...]

    def confined_to_orgs(self, org_ids: frozenset[str]) -> bool:
        return all(
            limit.key in ORG_KEYS and all(_org_of(value) in org_ids for value in limit.values) for limit in self.limits
        )


class Bound(msgspec.Struct, frozen=True):
    """What limits who an Allow statement admits: every clause holds (the statement's own principal
    conditions and each Deny guard covering it)."""

    clauses: tuple[Clause, ...] = ()

    @property
    def is_bounded(self) -> bool:
        return bool(self.clauses)

    def values(self, key: str) -> tuple[str, ...]:
        """The values any clause gives ``key``, sorted."""
        values = {
            value for clause in self.clauses for limit in clause.limits if limit.key == key for value in limit.values
        }
        return tuple(sorted(values))

    @property
    def org_ids(self) -> tuple[str, ...]:
        return self.values(PRINCIPAL_ORG_ID)

    @property
    def org_paths(self) -> tuple[str, ...]:
        return self.values(PRINCIPAL_ORG_PATHS)

    @property
    def accounts(self) -> tuple[str, ...]:
        return self.values(PRINCIPAL_ACCOUNT)

    @property
    def principal_arns(self) -> tuple[str, ...]:
        return self.values(PRINCIPAL_ARN)

    @property
    def orgs(self) -> frozenset[str]:
        """The organizations named, directly or as the root of an organization path."""
        return frozenset(_org_of(value) for value in (*self.org_ids, *self.org_paths))

    @property
    def named_accounts(self) -> frozenset[str]:
        """Accounts named by aws:PrincipalAccount values and by the account field of aws:PrincipalArn values."""
        arn_accounts = (_account_of(value) for value in self.principal_arns)
        return frozenset(self.accounts) | {account for account in arn_accounts if account}

    def confined_to_orgs(self, org_ids: frozenset[str]) -> bool:
        """Every admitted caller belongs to one of ``org_ids``."""
        return bool(org_ids) and any(clause.confined_to_orgs(org_ids) for clause in self.clauses)


class Policy(msgspec.Struct, frozen=True, dict=True):
    statements: tuple[Statement, ...]
    version: str | None = None

    @property
    def is_default_full_access(self) -> bool:
        """The policy AWS attaches when none is given: one unconditioned Allow of ``*`` to ``*`` on ``*``."""
        if len(self.statements) != 1:
            return False
        (statement,) = self.statements
        return (
            statement.is_allow
            and statement.applies_to_everyone
            and statement.actions == (ANY,)
            and statement.resources == (ANY,)
            and not statement.conditions
        )

    @property
    def allows(self) -> tuple[Statement, ...]:
        return tuple(statement for statement in self.statements if statement.is_allow)

    @cached_property
    def _guards(self) -> tuple[tuple[Statement, Clause], ...]:
        guards = []
        for statement in self.statements:
            clause = _guard_clause(statement)
            if clause is not None:
                guards.append((statement, clause))
        return tuple(guards)

    def bound(self, statement: Statement) -> Bound:
        """What limits who ``statement`` admits: its own principal conditions, then the Deny guards that
        cover all it allows."""
        return self._bounds[statement.index]

    @cached_property
    def _bounds(self) -> Mapping[int, Bound]:
        """Every Allow's bound, worked out once. Guards of the same actions and clause are one guard, and an
        Allow's actions are matched once against each distinct set of guard actions, so that a policy of
        many statements costs in proportion to its distinct guards, not to Allows times Denies."""
        guards: dict[tuple[str, ...], set[Clause]] = {}
        for deny, clause in self._guards:
            guards.setdefault(deny.actions, set()).add(clause)
        bounds = {}
        for statement in self.statements:
            own = tuple(Clause((limit,)) for limit in _allow_limits(statement))
            guarded = tuple(
                clause
                for actions, clauses in guards.items()
                if _actions_cover(actions, statement)
                for clause in sorted(clauses, key=repr)
            )
            bounds[statement.index] = Bound(own + guarded)
        return bounds


def statements_conditioned_on(policy: Policy, key: str, value: str) -> tuple[Statement, ...]:
    """The statements with a condition on ``key`` (any operator, the key in any case) that names ``value``,
    by a wildcard too: a bucket policy naming an endpoint's id in ``aws:SourceVpce``, whether it allows calls
    only through the endpoint or denies them unless."""
    wanted = key.lower()
    return tuple(
        statement
        for statement in policy.statements
        if any(
            condition.key.lower() == wanted and any(_covers(named, value) for named in condition.values)
            for condition in statement.conditions
        )
    )


class ForeignGrant(msgspec.Struct, frozen=True):
    """An Allow statement admitting principals of accounts or organizations that are not ours."""

    statement: Statement
    accounts: tuple[str, ...]
    orgs: tuple[str, ...]


def parse_policy(document: str | Mapping[str, Any]) -> Policy:
    """Read a policy from its JSON text (compact or pretty-printed, as the API or a file gives it) or from
    an already parsed object. Anything AWS would refuse as an endpoint policy is a PolicyError: more than
    20,480 characters, an element of the wrong type, an empty value, an unknown condition operator.

    Endpoints often share one document (AWS's default, an organization's standard policy): each text is
    parsed once and its policy, immutable, shared, with the analyses it caches."""
    return _parse_text(_json_text(document))


# Distinct policy texts kept parsed (each at most MAX_POLICY_CHARACTERS long), the least recently used dropped.
_PARSED_POLICIES = 1024


@lru_cache(maxsize=_PARSED_POLICIES)
def _parse_text(text: str) -> Policy:
    raw = _json_object(text)
    unknown = sorted(set(raw) - _POLICY_ELEMENTS)
    if unknown:
        raise PolicyError(f"unknown policy element(s) {', '.join(unknown)}; a policy has Version, Id and Statement")
    version = raw.get("Version")
    if version is not None and version not in VERSIONS:
        raise PolicyError(f"Version {version!r} is not one of {', '.join(VERSIONS)}")
    if "Statement" not in raw:
        raise PolicyError("the policy has no Statement element")
    items = raw["Statement"]
    if isinstance(items, Mapping):
        items = [items]
    if not isinstance(items, list):
        raise PolicyError(f"Statement must be an object or a list of objects, not {_json_type(items)}")
    if not items:
        raise PolicyError("Statement is an empty list; a policy needs at least one statement")
    return Policy(tuple(_statement(index, item) for index, item in enumerate(items)), version)


def named_accounts(statement: Statement) -> frozenset[str]:
    """The accounts a statement's Principal names, by account id or by ARN of any partition (``aws``,
    ``aws-cn``, ``aws-us-gov``). Service, Federated and CanonicalUser principals name no account."""
    accounts = set()
    for value in _aws_values(statement.principal):
        account = value if _ACCOUNT_ID.match(value) else _account_of(value)
        if account:
            accounts.add(account)
    return frozenset(accounts)


def unbounded_any_principal_statements(
    policy: Policy, owned_resources: frozenset[str] = frozenset(), federated_actions: tuple[str, ...] = ()
) -> tuple[Statement, ...]:
    """The Allow statements that admit any principal with nothing bounding who. Two data-perimeter statements
    admit anyone by design and are left out: reads of AWS-owned resources (``owned_resources``: package
    repositories and agent buckets, read unauthenticated), and federated callers' actions
    (``federated_actions``, sent unsigned) bounded to roles of known owners by a resource condition."""
    return tuple(
        statement
        for statement in policy.allows
        if statement.admits_any_principal
        and not policy.bound(statement).is_bounded
        and not _only_resources(statement, owned_resources)
        and not (_only_actions(statement, federated_actions) and _bounds_resources(statement))
    )


def _only_resources(statement: Statement, resources: frozenset[str]) -> bool:
    return bool(statement.resources) and not statement.not_resources and set(statement.resources) <= resources


def _only_actions(statement: Statement, actions: tuple[str, ...]) -> bool:
    allowed = {action.lower() for action in actions}
    return bool(statement.actions) and all(action.lower() in allowed for action in statement.actions)


def admits_only_aws_services(statement: Statement) -> bool:
    """An Allow conditioned on ``Bool aws:PrincipalIsAWSService true``: only AWS service principals acting
    for the account pass (the data-perimeter pattern)."""
    return any(limit.key == PRINCIPAL_IS_AWS_SERVICE for limit in _allow_limits(statement))


def unbounded_resource_statements(
    policy: Policy, known_accounts: frozenset[str], owned_resources: frozenset[str]
) -> tuple[Statement, ...]:
    """The Allow statements that reach resources of anyone: no positive condition on aws:ResourceOrgID,
    aws:ResourceOrgPaths or aws:ResourceAccount with literal values, no Resource list of ARNs of
    ``known_accounts`` or of ``owned_resources`` (AWS-owned resources the service needs), and no Deny that
    refuses every resource outside such a bound. Statements for AWS service principals only are left out."""
    guards = tuple(deny for deny in policy.statements if _resource_guard(deny))
    return tuple(
        statement
        for statement in policy.allows
        if not admits_only_aws_services(statement)
        and not _bounds_resources(statement)
        and not _names_known_resources(statement, known_accounts, owned_resources)
        and not any(_actions_cover(deny.actions, statement) for deny in guards)
    )


def wildcard_actions(statement: Statement, iam_prefix: str) -> tuple[str, ...]:
    """The Action patterns of ``statement`` that grant every action of the service: ``*``, ``<prefix>:*``
    (in any case) and their variants such as ``*:*``."""
    return tuple(pattern for pattern in statement.actions if _grants_whole_service(pattern, iam_prefix))


def wildcard_action_statements(policy: Policy, iam_prefix: str) -> tuple[Statement, ...]:
    """The Allow statements granting every action of the service, by wildcard or by NotAction (which grants
    all but the listed)."""
    return tuple(
        statement for statement in policy.allows if statement.not_actions or wildcard_actions(statement, iam_prefix)
    )


def foreign_grants(policy: Policy, own_accounts: frozenset[str], org_ids: frozenset[str]) -> tuple[ForeignGrant, ...]:
    """Allow statements naming accounts outside ``own_accounts`` (in Principal or in a bounding
    aws:PrincipalAccount / aws:PrincipalArn value), or organizations outside ``org_ids`` when given.

    A statement confined to our organizations names no foreign account: whoever it names is in our org.
    NotPrincipal names whom an Allow leaves out, so its accounts are not granted anything.
    """
    grants = []
    for statement in policy.allows:
        bound = policy.bound(statement)
        if bound.confined_to_orgs(org_ids):
            continue
        # Principal "*" grants whoever the bound names; a named Principal grants only those it names.
        granted = bound.named_accounts if statement.admits_any_principal else named_accounts(statement)
        accounts = granted - own_accounts
        orgs = bound.orgs - org_ids if org_ids else frozenset()
        if accounts or orgs:
            grants.append(ForeignGrant(statement, tuple(sorted(accounts)), tuple(sorted(orgs))))
    return tuple(grants)


def _json_text(document: str | Mapping[str, Any]) -> str:
    """The document as JSON text; a parsed one is written as JSON so that findings can quote its statements
    as JSON."""
    try:
        text = document if isinstance(document, str) else json.dumps(document)
    except (TypeError, ValueError, RecursionError) as error:
        raise PolicyError(f"not JSON: {error}") from error
    if len(text) > MAX_POLICY_CHARACTERS:
        raise PolicyError(
            f"the policy has {len(text):,} characters; AWS accepts at most {MAX_POLICY_CHARACTERS:,} in an "
            "endpoint policy"
        )
    return text


def _json_object(text: str) -> Mapping[str, Any]:
    """The text as a plain JSON object."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyError(f"not JSON: {error.msg} at line {error.lineno} column {error.colno}") from error
    except RecursionError as error:
        raise PolicyError("not an endpoint policy: JSON nested too deep to read") from error
    except (TypeError, ValueError) as error:
        raise PolicyError(f"not JSON: {error}") from error
    if not isinstance(raw, dict):
        raise PolicyError(f"a policy is a JSON object, not {_json_type(raw)}")
    return raw


def _statement(index: int, raw: Any) -> Statement:
    where = f"Statement[{index}]"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where} must be an object, not {_json_type(raw)}")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"{where}: Sid must be a string")
    if sid:
        where = f"{where} ({sid})"
    unknown = sorted(set(raw) - _STATEMENT_ELEMENTS)
    if unknown:
        raise PolicyError(f"{where}: unknown element(s) {', '.join(unknown)}")
    effect = raw.get("Effect")
    if effect is None:
        raise PolicyError(f"{where} has no Effect; use Allow or Deny")
    if effect not in (ALLOW, DENY):
        raise PolicyError(f"{where}: Effect {effect!r} is not Allow or Deny")
    principal, not_principal = _pair(raw, "Principal", where, _principal, required=True)
    actions, not_actions = _pair(raw, "Action", where, _strings, required=True)
    resources, not_resources = _pair(raw, "Resource", where, _strings, required=False)
    return Statement(
        index=index,
        sid=sid or None,
        effect=effect,
        principal=principal or {},
        not_principal=not_principal or {},
        actions=actions or (),
        not_actions=not_actions or (),
        resources=resources or (),
        not_resources=not_resources or (),
        conditions=_conditions(raw.get("Condition", {}), where),
        document=raw,
    )


def _pair(
    raw: Mapping[str, Any], element: str, where: str, read: Callable[[Any, str, str], T], *, required: bool
) -> tuple[T | None, T | None]:
    """An element and its Not form: at most one of them, and exactly one when ``required``."""
    negated = f"Not{element}"
    if element in raw and negated in raw:
        raise PolicyError(f"{where} has both {element} and {negated}; keep one")
    if required and element not in raw and negated not in raw:
        raise PolicyError(f"{where} has no {element} (or {negated})")
    return (
        read(raw[element], element, where) if element in raw else None,
        read(raw[negated], negated, where) if negated in raw else None,
    )


def _strings(value: Any, element: str, where: str) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(item, str) for item in values):
        raise PolicyError(f"{where}: {element} must be a string or a list of strings")
    if not values:
        raise PolicyError(f"{where}: {element} is empty")
    if "" in values:
        raise PolicyError(f"{where}: {element} holds an empty string")
    return tuple(values)


def _principal(value: Any, element: str, where: str) -> Mapping[str, tuple[str, ...]]:
    if value == ANY:
        return {ANY: (ANY,)}
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(f'{where}: {element} must be "*" or an object such as {{"AWS": "123456789012"}}')
    return {kind: _strings(values, f"{element}.{kind}", where) for kind, values in value.items()}


def _conditions(value: Any, where: str) -> tuple[Condition, ...]:
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: Condition must be an object of operators")
    conditions = []
    for operator, block in value.items():
        qualifier, _, base = operator.lower().rpartition(":")
        if (
            qualifier not in ("", _FOR_ANY_VALUE, _FOR_ALL_VALUES)
            or base.removesuffix(_IF_EXISTS) not in CONDITION_OPERATORS
        ):
            raise PolicyError(f"{where}: {operator!r} is not a condition operator IAM knows")
        if not isinstance(block, Mapping) or not block:
            raise PolicyError(f"{where}: Condition operator {operator} must map condition keys to values")
        for key, values in block.items():
            conditions.append(Condition(operator, key, _condition_values(values, f"{operator} {key}", where)))
    return tuple(conditions)


def _condition_values(value: Any, element: str, where: str) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise PolicyError(f"{where}: Condition {element} has no value")
    scalars = []
    for item in values:
        if isinstance(item, bool):
            scalars.append("true" if item else "false")
        elif isinstance(item, str) and not item:
            raise PolicyError(f"{where}: Condition {element} holds an empty string")
        elif isinstance(item, str | int | float):
            scalars.append(str(item))
        else:
            raise PolicyError(f"{where}: Condition {element} values must be strings, numbers or booleans")
    return tuple(scalars)


def _allow_limits(statement: Statement) -> Iterator[Limit]:
    """The conditions of an Allow that bound who it admits.

    A positive operator on a principal key with values that name someone; ForAllValues is true when the key
    is absent, so only the plain and ForAnyValue forms count. ``Bool aws:PrincipalIsAWSService true``
    bounds too: it admits only AWS service principals acting for the account (the data-perimeter pattern).
    """
    for condition in statement.conditions:
        if condition.if_exists or condition.set_qualifier == _FOR_ALL_VALUES:
            continue
        key = condition.principal_key
        if key is not None and condition.base_operator in _POSITIVE and _names_someone(key, condition.values):
            yield Limit(key, condition.values)
        elif (
            condition.base_operator == "bool"
            and condition.key.lower() == PRINCIPAL_IS_AWS_SERVICE.lower()
            and tuple(value.lower() for value in condition.values) == ("true",)
        ):
            yield Limit(PRINCIPAL_IS_AWS_SERVICE, ("true",))


def _guard_clause(statement: Statement) -> Clause | None:
    """The clause of a Deny that refuses every principal outside some org, path, account or ARN (and, when it
    says so, AWS services), on every resource, with no other condition; None for any other statement.

    The negated operators, plain or IfExists, are true when the key is absent, so anonymous callers are
    refused too; ForAnyValue forms are false then and do not guard. The conditions of one statement must all
    hold for the Deny to apply, so a caller matching any one limit is let through.
    """
    if (
        statement.is_allow
        or not statement.applies_to_everyone
        or statement.not_actions
        or statement.not_resources
        or not any(_covers(resource, ANY) for resource in statement.resources)
        or not statement.conditions
    ):
        return None
    limits = []
    for condition in statement.conditions:
        if _exempts_aws_services(condition):
            limits.append(Limit(PRINCIPAL_IS_AWS_SERVICE, ("true",)))
            continue
        key = condition.principal_key
        if (
            key is None
            or condition.set_qualifier == _FOR_ANY_VALUE
            or condition.base_operator not in _NEGATED
            or not _names_someone(key, condition.values)
        ):
            return None
        limits.append(Limit(key, condition.values))
    return Clause(tuple(limits))


def _resource_limit(condition: Condition, *, negated: bool) -> bool:
    """A condition on a resource key with literal values, positive (for an Allow) or negated (for a Deny)."""
    key = _RESOURCE_KEYS.get(condition.key.lower())
    if key is None or any(not value.strip("*?") for value in condition.values):
        return False
    if key != RESOURCE_ORG_PATHS and any(_WILDCARD.search(value) for value in condition.values):
        return False
    if negated:
        return condition.base_operator in _NEGATED and condition.set_qualifier != _FOR_ANY_VALUE
    return (
        condition.base_operator in _POSITIVE and not condition.if_exists and condition.set_qualifier != _FOR_ALL_VALUES
    )


def _bounds_resources(statement: Statement) -> bool:
    """A positive resource condition with literal values, or ``Null aws:ResourceAccount true``: only calls
    that name no resource owner match, and they reach no one's resource."""
    return any(
        _resource_limit(condition, negated=False)
        or (
            condition.base_operator == "null"
            and not condition.set_qualifier
            and condition.key.lower() in _RESOURCE_KEYS
            and tuple(value.lower() for value in condition.values) == ("true",)
        )
        for condition in statement.conditions
    )


def _names_known_resources(statement: Statement, accounts: frozenset[str], owned: frozenset[str]) -> bool:
    """A Resource list of ARNs each of a known account (by its literal account field) or AWS-owned."""
    if statement.not_resources or not statement.resources:
        return False
    return all(
        resource in owned or (_literal_account_arn(resource) and _account_of(resource) in accounts)
        for resource in statement.resources
    )


def _resource_guard(statement: Statement) -> bool:
    """A Deny for everyone, on every resource, whose conditions all refuse resources outside a bound (an AWS
    service exemption aside): it bounds the resources of every Allow whose actions it covers."""
    return (
        not statement.is_allow
        and statement.applies_to_everyone
        and not statement.not_actions
        and not statement.not_resources
        and any(_covers(resource, ANY) for resource in statement.resources)
        and bool(statement.conditions)
        and any(_resource_limit(condition, negated=True) for condition in statement.conditions)
        and all(
            _resource_limit(condition, negated=True) or _exempts_aws_services(condition)
            for condition in statement.conditions
        )
    )


def _exempts_aws_services(condition: Condition) -> bool:
    """``BoolIfExists aws:PrincipalIsAWSService false`` in a Deny: the Deny spares AWS service principals.
    Plain ``Bool`` is false when the key is absent, as it is for anonymous callers: such a Deny never applies
    to them, so it guards nothing (and is not taken for a guard)."""
    return (
        condition.if_exists
        and not condition.set_qualifier
        and condition.base_operator == "bool"
        and condition.key.lower() == PRINCIPAL_IS_AWS_SERVICE.lower()
        and tuple(value.lower() for value in condition.values) == ("false",)
    )


def _actions_cover(deny_actions: tuple[str, ...], allow: Statement) -> bool:
    """The Deny's actions cover every action the Allow grants (NotAction grants nearly all: only ``*``
    covers it)."""
    granted = allow.actions or (ANY,)
    return all(any(_covers(pattern, action) for pattern in deny_actions) for action in granted)


def _grants_whole_service(pattern: str, iam_prefix: str) -> bool:
    """``*``, ``<prefix>:*`` and every pattern made of wildcards alone with a ``*`` in it (``?*``, ``s3:?*``,
    ``*:*``): each matches every action name of the service."""
    service, _, action = pattern.partition(":")
    if not action:
        return _only_wildcards(pattern)
    return _covers(service, iam_prefix) and _only_wildcards(action)


def _only_wildcards(pattern: str) -> bool:
    return ANY in pattern and not pattern.strip("*?")


def _covers(pattern: str, text: str) -> bool:
    """Whether IAM wildcard ``pattern`` matches ``text``, case-insensitively; ``text`` may be a pattern too,
    and then True means every name it matches, ``pattern`` matches."""
    return _pattern_regex(pattern).fullmatch(text) is not None


@lru_cache(maxsize=4096)
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    # A `?` stands for one character but never for a `*` of the text: "s3:?" does not cover "s3:*".
    parts = (".*" if char == "*" else "[^*]" if char == "?" else re.escape(char) for char in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _names_someone(key: str, values: tuple[str, ...]) -> bool:
    """Values that name callers: an org id or account without wildcards (``o-*`` matches every org), an org
    path that starts with a literal org id, and a principal ARN whose account is literal (anyone can create
    a role of a given name in an account of their own)."""
    for value in values:
        if key in (PRINCIPAL_ORG_ID, PRINCIPAL_ACCOUNT) and _WILDCARD.search(value):
            return False
        if key == PRINCIPAL_ORG_PATHS and _WILDCARD.search(_org_of(value)):
            return False
        if key == PRINCIPAL_ARN and not _literal_account_arn(value):
            return False
        if not value.strip("*?"):
            return False
    return True


def _literal_account_arn(value: str) -> bool:
    """An ARN whose account is literal and has no wildcard before it: a ``*`` in the partition or region
    field matches across ``:`` and so could reach any account's ARN."""
    parts = value.split(":", 5)
    return (
        len(parts) == 6
        and _ACCOUNT_ID.match(parts[4]) is not None
        and not any(_WILDCARD.search(part) for part in parts[:5])
    )


def _account_of(arn: str) -> str | None:
    """The account field of an ARN (``arn:<partition>:<service>:<region>:<account>:<resource>``)."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[1].startswith("aws") and parts[4]:
        return parts[4]
    return None


def _org_of(value: str) -> str:
    """The organization of an org id or an org path (``o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/``)."""
    return value.split("/", 1)[0]


def _aws_values(principal: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(value for kind, values in principal.items() if kind.upper() == "AWS" for value in values)


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
