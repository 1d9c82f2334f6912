"""Role trust: sts:AssumeRole admits only the callers a role's trust policy admits, as IAM decides it.

moto 5.2's AssumeRole evaluates no trust policy: any caller assumes any role ARN, even one that does not
exist. A hub account's functions assume roles in member accounts whose trust names the hub and requires the
organization, so the emulator has to refuse what AWS refuses. ``install()`` patches moto's STS response
class in this process (the emulator's server and in-process ``moto.mock_aws`` alike): AssumeRole on a role
that does not exist, or whose trust policy does not admit the caller, answers HTTP 403 ``AccessDenied``
"User: <caller> is not authorized to perform: sts:AssumeRole on resource: <role arn>". What it admits, moto
still does: the credentials act in the role's account.

The caller is found from the request's access key, as moto's GetCallerIdentity finds it:

- a role session's key: the role (``aws:PrincipalArn`` is the role's ARN; AccessDenied names the session,
  ``arn:aws:sts::<account>:assumed-role/<role>/<session>``);
- an IAM user's key: the user;
- a key registered as a function's (``register_function_session``: the local run's ``LOCAL-<LogicalId>``
  keys, standing for the session of its execution role that Lambda hands a function): that role, as for a
  role session;
- any other key (moto's default credentials, unregistered ``LOCAL-…`` keys): the account's root
  user, in moto's current account (123456789012, or the account ``Emulator.client(…, account_id=…)``
  names). A Principal of that account (its id or ``arn:aws:iam::<account>:root``) admits it, a role or user
  ARN never does; its ``aws:PrincipalArn`` is ``arn:aws:iam::<account>:root``; AccessDenied names it as
  GetCallerIdentity does (``arn:aws:sts::<account>:user/moto``).

``aws:PrincipalOrgID`` is the id of the organization (moto's Organizations) whose accounts include the
caller's account; the key is absent when there is none.

The evaluator reads the parts of the policy language trust policies use:

- an explicit Deny wins; otherwise an Allow must apply; a statement applies when its Action matches
  ``sts:AssumeRole`` (wildcards, any case: ``sts:*``, ``*``), its Principal admits the caller and all its
  conditions hold;
- Principal ``"*"``, ``{"AWS": …}`` with ``"*"``, an account id, an account root ARN (any principal of the
  account), a role ARN (that role's sessions) or a user ARN; ``Service``, ``Federated`` and
  ``CanonicalUser`` principals never admit an AWS caller;
- condition operators StringEquals, StringNotEquals, StringLike, ArnEquals, ArnLike and their IfExists
  forms, on the keys aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn and sts:ExternalId (a
  missing key fails a positive operator, satisfies StringNotEquals and every IfExists form).

It fails closed: a statement with anything else (another operator or key, ``ForAnyValue:``, NotPrincipal,
NotAction, Resource, another principal form, an unknown Effect) never allows, and denies unless its Effect
is Allow. A document that is not a JSON policy admits no one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from moto.core import errors
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.organizations.models import organizations_backends
from moto.sts.models import sts_backends
from moto.sts.responses import TokenResponse
from moto.utilities.utils import get_partition

from vpce_guard_local.emulator.patching import Patches
from vpce_guard_local.emulator.recording import access_key_in

ACTION = "sts:AssumeRole"
ERROR_CODE = "AccessDenied"
FORBIDDEN_STATUS = 403
ORGANIZATION_ID_KEY = "aws:principalorgid"
ACCOUNT_KEY = "aws:principalaccount"
PRINCIPAL_ARN_KEY = "aws:principalarn"
EXTERNAL_ID_KEY = "sts:externalid"
SUPPORTED_KEYS = frozenset({ORGANIZATION_ID_KEY, ACCOUNT_KEY, PRINCIPAL_ARN_KEY, EXTERNAL_ID_KEY})
UNSUPPORTED_ELEMENTS = ("NotPrincipal", "NotAction", "Resource", "NotResource")
NON_AWS_PRINCIPALS = frozenset({"Service", "Federated", "CanonicalUser"})
ACCOUNT_ID = re.compile(r"^\d{12}$")
IAM_ARN = re.compile(r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):(?P<resource>root|role/.+|user/.+)$")
ARN_PARTS = 6

CallerKind = Literal["root", "role", "user"]


class AccessDenied(ServiceException):
    code = ERROR_CODE


class Unsupported(ValueError):
    """A part of a statement the evaluator does not read: the statement fails closed."""


class Verdict(Enum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True)
class Caller:
    """Who calls AssumeRole, as IAM sees it when it evaluates a trust policy."""

    kind: CallerKind
    account_id: str
    principal_arn: str  # aws:PrincipalArn: the account root, the role (not the session) or the user
    named_arn: str  # what AccessDenied names: moto's default identity, the session or the user
    organization_id: str | None = None
    partition: str = "aws"


# --- The evaluator: pure functions of a policy, a caller and the request's context ---------------------------


def request_context(caller: Caller, external_id: str | None) -> dict[str, str]:
    """The condition keys of an AssumeRole request, by lower-case name; a key with no value is absent."""
    context = {ACCOUNT_KEY: caller.account_id, PRINCIPAL_ARN_KEY: caller.principal_arn}
    if caller.organization_id is not None:
        context[ORGANIZATION_ID_KEY] = caller.organization_id
    if external_id is not None:
        context[EXTERNAL_ID_KEY] = external_id
    return context


def trust_admits(document: str | Mapping[str, Any], caller: Caller, external_id: str | None = None) -> bool:
    """A trust policy admits the caller when no statement denies it and at least one allows it (IAM's
    evaluation logic for a resource policy without identity policies)."""
    try:
        policy = json.loads(document) if isinstance(document, str) else document
    except ValueError:
        return False
    context = request_context(caller, external_id)
    verdicts = [statement_verdict(statement, caller, context) for statement in _statements(policy)]
    return Verdict.DENY not in verdicts and Verdict.ALLOW in verdicts


def statement_verdict(statement: Any, caller: Caller, context: Mapping[str, str]) -> Verdict | None:
    """What one statement says about the request: its Effect if it applies, None if not; a statement with
    parts the evaluator does not read never allows and denies unless its Effect is Allow."""
    effect = statement.get("Effect") if isinstance(statement, dict) else None
    try:
        applies = statement_applies(statement, caller, context)
    except Unsupported:
        return None if effect == Verdict.ALLOW.value else Verdict.DENY
    return Verdict(effect) if applies else None


def statement_applies(statement: Any, caller: Caller, context: Mapping[str, str]) -> bool:
    """Action, Principal and every condition of the statement match the request; raises Unsupported."""
    if not isinstance(statement, dict) or statement.get("Effect") not in {verdict.value for verdict in Verdict}:
        raise Unsupported("a statement is an object with Effect Allow or Deny")
    present = [element for element in UNSUPPORTED_ELEMENTS if element in statement]
    if present:
        raise Unsupported(f"{', '.join(present)} in a trust policy")
    if "Action" not in statement or "Principal" not in statement:
        raise Unsupported("a trust policy statement names an Action and a Principal")
    return (
        action_matches(statement["Action"])
        and principal_admits(statement["Principal"], caller)
        and conditions_hold(statement.get("Condition", {}), context)
    )


def action_matches(action: Any) -> bool:
    """Action names sts:AssumeRole, by wildcard and in any case, as IAM matches action names."""
    return any(_glob(pattern, ignore_case=True).fullmatch(ACTION) for pattern in _strings(action))


def principal_admits(principal: Any, caller: Caller) -> bool:
    """The Principal element admits the caller (see the module's docstring for the forms read)."""
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        raise Unsupported(f"Principal {principal!r}")
    unknown = set(principal) - NON_AWS_PRINCIPALS - {"AWS"}
    if unknown:
        raise Unsupported(f"Principal {', '.join(sorted(unknown))}")
    # Every value is read, so that one the evaluator does not know fails the statement even next to a match.
    matches = [aws_principal_admits(value, caller) for value in _strings(principal.get("AWS", []))]
    return any(matches)


def aws_principal_admits(value: str, caller: Caller) -> bool:
    """One ``AWS`` principal: ``*``, an account (its id or root ARN), a role's sessions or a user."""
    if value == "*":
        return True
    if ACCOUNT_ID.fullmatch(value):
        return value == caller.account_id
    arn = IAM_ARN.fullmatch(value)
    if arn is None:
        raise Unsupported(f"AWS principal {value}")
    if arn["resource"] == "root":
        return (arn["partition"], arn["account"]) == (caller.partition, caller.account_id)
    kind = arn["resource"].split("/", 1)[0]
    return caller.kind == kind and caller.principal_arn == value


def conditions_hold(condition: Any, context: Mapping[str, str]) -> bool:
    """Every operator's every key holds (AND); within a key, any of its values matches (OR)."""
    if not isinstance(condition, dict):
        raise Unsupported("Condition is an object of operators")
    results: list[bool] = []
    for operator, keys in condition.items():
        if not isinstance(keys, dict):
            raise Unsupported(f"{operator} is an object of condition keys")
        results.extend(condition_holds(operator, key, _strings(values), context) for key, values in keys.items())
    return all(results)


def condition_holds(operator: str, key: str, values: list[str], context: Mapping[str, str]) -> bool:
    """One operator on one key, as IAM evaluates it for a single-valued key."""
    base = operator.removesuffix("IfExists")
    if base not in OPERATORS:
        raise Unsupported(f"condition operator {operator}")
    if key.lower() not in SUPPORTED_KEYS:
        raise Unsupported(f"condition key {key}")
    match, negated = OPERATORS[base]
    actual = context.get(key.lower())
    if actual is None:
        return negated or operator.endswith("IfExists")
    matched = any(match(actual, value) for value in values)
    return matched != negated


def string_equals(actual: str, value: str) -> bool:
    return actual == value


def string_like(actual: str, value: str) -> bool:
    """Case-sensitive, with the wildcards ``*`` and ``?``."""
    return _glob(value).fullmatch(actual) is not None


def arn_like(actual: str, value: str) -> bool:
    """Each of the six colon-separated parts matches on its own, wildcards allowed (ArnEquals is the same)."""
    actual_parts, value_parts = actual.split(":", ARN_PARTS - 1), value.split(":", ARN_PARTS - 1)
    if len(actual_parts) != ARN_PARTS or len(value_parts) != ARN_PARTS:
        return False
    return all(string_like(part, pattern) for part, pattern in zip(actual_parts, value_parts, strict=True))


# operator -> (how one value matches, whether the operator is negated)
OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (string_equals, False),
    "StringNotEquals": (string_equals, True),
    "StringLike": (string_like, False),
    "ArnEquals": (arn_like, False),
    "ArnLike": (arn_like, False),
}


def _statements(policy: Any) -> list[Any]:
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        return [statements]
    return list(statements) if isinstance(statements, list) else []


def _strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in values):
        raise Unsupported(f"{value!r} is not a string or a list of strings")
    return values


def _glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    translated = "".join({"*": ".*", "?": "."}.get(char, re.escape(char)) for char in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(translated, flags)


# --- moto's state: the caller, its organization, the role ----------------------------------------------------


# The local functions' access keys, and the execution role each stands for a session of.
FUNCTION_SESSIONS: dict[str, str] = {}


def register_function_session(access_key_id: str, role_arn: str) -> None:
    """Calls signed with ``access_key_id`` come from a session of ``role_arn``, as a Lambda function's do."""
    if IAM_ARN.fullmatch(role_arn) is None or "role/" not in role_arn:
        raise ValueError(f"not a role ARN: {role_arn!r}")
    FUNCTION_SESSIONS[access_key_id] = role_arn


def caller_of(access_key_id: str, account_id: str, region: str) -> Caller:
    """The caller behind an access key, as moto's GetCallerIdentity finds it in ``account_id`` (moto's
    current account: the key's account, else the default or named one)."""
    partition = get_partition(region)
    sts = sts_backends[account_id][partition]
    session = sts.get_assumed_role_from_access_key(access_key_id)
    user = iam_backends[account_id][partition].get_user_from_access_key_id(access_key_id)
    function_role = FUNCTION_SESSIONS.get(access_key_id)
    kind: CallerKind
    if function_role is not None:
        account, role_name = function_role.split(":")[4], function_role.rsplit("/", 1)[-1]
        named_arn = f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{access_key_id}"
        kind, principal_arn = "role", function_role
    elif session is not None:
        kind, account, principal_arn, named_arn = "role", session.account_id, session.role_arn, session.arn
    elif user is not None:
        kind, account, principal_arn, named_arn = "user", user.account_id, user.arn, user.arn
    else:
        _, named_arn, account = sts.get_caller_identity(access_key_id, region)
        kind, principal_arn = "root", f"arn:{partition}:iam::{account}:root"
    return Caller(kind, account, principal_arn, named_arn, organization_of(account, partition), partition)


def organization_of(account_id: str, partition: str) -> str | None:
    """The id of the organization whose accounts (management account included) include ``account_id``."""
    for account_backends in list(organizations_backends.values()):
        backend = dict.get(account_backends, partition)
        if backend is not None and backend.org is not None and account_id in {a.id for a in backend.accounts}:
            return str(backend.org.id)
    return None


def trust_policy_of(role_arn: str) -> str | None:
    """The trust policy of the role ``role_arn`` names exactly, None when there is no such role."""
    arn = IAM_ARN.fullmatch(role_arn or "")
    if arn is None or not arn["resource"].startswith("role/") or arn["account"] not in iam_backends:
        return None
    try:
        role = iam_backends[arn["account"]][arn["partition"]].get_role_by_arn(role_arn)
    except (NotFoundException, KeyError):
        return None
    return str(role.assume_role_policy_document)


def require_trusted(caller: Caller, role_arn: str, external_id: str | None) -> None:
    """AssumeRole succeeds only on an existing role whose trust policy admits the caller.

    AWS answers both a missing role and a refusal alike, HTTP 403 ``AccessDenied`` "User:
    arn:aws:sts::111122223333:assumed-role/hub/session is not authorized to perform: sts:AssumeRole on
    resource: arn:aws:iam::444455556666:role/member". moto lets any caller assume any ARN.
    """
    document = trust_policy_of(role_arn)
    if document is None or not trust_admits(document, caller, external_id):
        raise AccessDenied(f"User: {caller.named_arn} is not authorized to perform: {ACTION} on resource: {role_arn}")


# --- Wiring into moto ----------------------------------------------------------------------------------------


def _assume_role(self: TokenResponse) -> Any:
    try:
        # moto's own reading of the key knows only AKIA/ASIA-shaped keys, not the local functions' LOCAL-…
        access_key_id = access_key_in(self.headers.get("Authorization", "")) or self.get_access_key()
        caller = caller_of(access_key_id, self.current_account, self.region)
        require_trusted(caller, self._get_param("RoleArn"), self._get_param("ExternalId"))
    except AccessDenied as denied:
        _, headers, body = self.serialized(ActionResult(denied))
        headers["status"] = FORBIDDEN_STATUS
        return FORBIDDEN_STATUS, headers, body
    return PATCHES.originals["TokenResponse.assume_role"](self)


PATCHES = Patches(((TokenResponse, "assume_role", _assume_role),))


def install() -> None:
    """Apply the trust check to moto in this process; calling it again changes nothing."""
    PATCHES.install()
    if ERROR_CODE not in errors.COMMON_ERROR_CODES:
        errors.COMMON_ERROR_CODES.append(ERROR_CODE)
