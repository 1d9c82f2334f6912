"""What every function of the hub's evaluation side shares, so that each handler stays three lines and each
function imports only what it uses (``vpce_guard.functions``: one module per function).

It reads the environment the template gives every function, wires it to AWS (clients made lazily, once per
container; member accounts reached through the roles the hub assumes there), and reports through Powertools:
structured logs naming the account, region and resources, metrics, and traces.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Any

import msgspec
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from vpce_guard import identifiers
from vpce_guard.accounts import Accounts, MemberRoles, OrganizationAccounts, organization_accounts
from vpce_guard.aws import AwsSession

API_EGRESS_INTERNET, API_EGRESS_ENDPOINTS = "internet", "endpoints"

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class ConfigurationError(RuntimeError):
    """The function's environment lacks what the template gives it."""


class Environment(msgspec.Struct, frozen=True):
    region: str
    state_table: str
    idempotency_table: str
    config_parameter: str
    organization_id: str = ""  # the stack's OrganizationId: the one organization the functions may trust
    function_name: str = "vpce-guard"
    member_roles: MemberRoles | None = None  # set on a hub: the roles it assumes in member accounts (the
    # Config rule function is given no remediation role)
    sweep_queue_url: str = ""
    follow_up_queue_url: str = ""  # the on-change function's: follow-ups of busy event windows
    sweep_regions: tuple[str, ...] = ()
    sweep_organizational_units: tuple[str, ...] = ()
    # The stack's ApiEgress: "endpoints" when the functions reach AWS through the stack's endpoints only.
    api_egress: str = API_EGRESS_INTERNET

    @classmethod
    def read(cls, environ: Mapping[str, str] = os.environ) -> Environment:
        names = ("AWS_REGION", "STATE_TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "VPCE_GUARD_CONFIG_PARAMETER")
        missing = [name for name in names if not environ.get(name)]
        if missing:
            raise ConfigurationError(f"missing environment variable(s) {', '.join(missing)}; deploy with template.yaml")
        read_role, remediation_role = environ.get("MEMBER_READ_ROLE_NAME"), environ.get("MEMBER_REMEDIATION_ROLE_NAME")
        if remediation_role and not read_role:
            raise ConfigurationError("MEMBER_REMEDIATION_ROLE_NAME is set without MEMBER_READ_ROLE_NAME")
        organization_id = environ.get("VPCE_GUARD_ORGANIZATION_ID", "")
        if organization_id:
            try:
                identifiers.org_id(organization_id)
            except ValueError as error:
                raise ConfigurationError(f"VPCE_GUARD_ORGANIZATION_ID: {error}") from error
        return cls(
            region=environ["AWS_REGION"],
            state_table=environ["STATE_TABLE_NAME"],
            idempotency_table=environ["IDEMPOTENCY_TABLE_NAME"],
            config_parameter=environ["VPCE_GUARD_CONFIG_PARAMETER"],
            organization_id=organization_id,
            function_name=environ.get("AWS_LAMBDA_FUNCTION_NAME") or "vpce-guard",
            member_roles=MemberRoles(read_role, remediation_role or None) if read_role else None,
            sweep_queue_url=environ.get("SWEEP_QUEUE_URL", ""),
            follow_up_queue_url=environ.get("FOLLOW_UP_QUEUE_URL", ""),
            sweep_regions=_csv(environ.get("SWEEP_REGIONS", "")),
            sweep_organizational_units=_csv(environ.get("SWEEP_ORGANIZATIONAL_UNITS", "")),
            api_egress=environ.get("API_EGRESS") or API_EGRESS_INTERNET,
        )


@cache
def environment() -> Environment:
    return Environment.read()


@cache
def session_for(region: str) -> AwsSession:
    """One session per region for the life of the container: clients are made once, calls counted. These are
    the calls in this account's regions that evaluations make (and the AssumeRole calls into members)."""
    return AwsSession(region)


@cache
def own_session() -> AwsSession:
    """The function's own bookkeeping (configuration, state, idempotency, the sweep queue), counted apart from
    the calls an evaluation makes in the account it judges, so that those count alike for every account."""
    return AwsSession(environment().region)


@cache
def accounts() -> Accounts:
    """The accounts this function reaches; the role sessions it assumes are named after the function."""
    env = environment()
    return Accounts(session_for, env.member_roles, session_name=env.function_name)


@cache
def config_rule_accounts() -> Accounts:
    """The Config rule's accounts. Any account's Config may invoke it: a hub looks the account up in the
    organization's list (read at most every few minutes) before it asks STS for the account's role."""
    env = environment()
    if env.member_roles is None:
        return accounts()
    organization = OrganizationAccounts(lambda: organization_accounts(own_session()))
    return Accounts(session_for, env.member_roles, session_name=env.function_name, organization=organization)


def dropped(message: str, metric: str, reason: str, **where: Any) -> dict[str, Any]:
    """Log and count an input that retrying cannot mend, and let it go."""
    logger.error(message, extra={**where, "reason": reason})
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    return {"ignored": reason}


def _csv(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())
