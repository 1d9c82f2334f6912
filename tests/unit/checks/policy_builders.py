"""Builders for endpoint policies and the endpoints that carry them, so that each policy check test states
only the statements its scenario is about. Endpoints come from facts_builders (us-east-1, account
111122223333); a policy is attached the way build_facts attaches one, through parse_policy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from facts_builders import facts, interface_endpoint

from vpce_guard.checks.base import Check, CheckSettings
from vpce_guard.facts import Endpoint, Service
from vpce_guard.findings import Finding
from vpce_guard.policy import parse_policy

FOREIGN_ACCOUNT = "999988887777"
TRUSTED_ACCOUNT = "444455556666"
ORG_ID = "o-a1b2c3d4e5"
FOREIGN_ORG_ID = "o-f9e8d7c6b5"
AGENT_ROLE = "arn:aws:iam::111122223333:role/agent-role"
DEFAULT_POLICY: dict[str, Any] = {
    "Version": "2008-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


def allow(
    *,
    principal: Any = "*",
    action: Any = "*",
    resource: Any = "*",
    condition: Mapping[str, Any] | None = None,
    sid: str | None = None,
    **elements: Any,
) -> dict[str, Any]:
    """An Allow statement; ``elements`` adds or replaces any other element (NotPrincipal, NotAction…)."""
    return _statement("Allow", principal, action, resource, condition, sid, elements)


def deny(
    *,
    principal: Any = "*",
    action: Any = "*",
    resource: Any = "*",
    condition: Mapping[str, Any] | None = None,
    sid: str | None = None,
    **elements: Any,
) -> dict[str, Any]:
    return _statement("Deny", principal, action, resource, condition, sid, elements)


def org_guard(org_id: str = ORG_ID) -> dict[str, Any]:
    """The usual perimeter guard: deny every principal outside the organization."""
    return deny(sid="DenyOutsideOrg", condition={"StringNotEquals": {"aws:PrincipalOrgID": org_id}})


def policy(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def with_policy(endpoint: Endpoint, document: str | Mapping[str, Any]) -> Endpoint:
    return msgspec.structs.replace(endpoint, policy=parse_policy(document))


def endpoint_with(*statements: Mapping[str, Any], service: str = "bedrock-runtime") -> Endpoint:
    """An interface endpoint of ``service`` whose policy holds ``statements``."""
    return with_policy(interface_endpoint(service=service), policy(*statements))


def run(
    check: Check,
    *endpoints: Endpoint,
    services: Iterable[Service] = (),
    settings: CheckSettings | None = None,
) -> list[Finding]:
    """The findings of ``check`` on the default estate holding ``endpoints``."""
    return list(check.evaluate(facts(endpoints=endpoints, services=services), settings or CheckSettings()))


def _statement(
    effect: str,
    principal: Any,
    action: Any,
    resource: Any,
    condition: Mapping[str, Any] | None,
    sid: str | None,
    elements: Mapping[str, Any],
) -> dict[str, Any]:
    raw: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource}
    if condition is not None:
        raw["Condition"] = dict(condition)
    if sid is not None:
        raw["Sid"] = sid
    for name, value in elements.items():
        for replaced in (name.removeprefix("Not"), f"Not{name}"):
            raw.pop(replaced, None)
        raw[name] = value
    return raw
