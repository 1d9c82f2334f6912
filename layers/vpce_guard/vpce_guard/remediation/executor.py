"""The executor: snapshot, apply a plan's calls in order, read again, verify.

The "before" snapshot is read first, so that every change can be rolled back exactly.
Only the plan's calls are made, through ``session.client(service)`` so that they are counted. A call AWS
rejects (permissions, a private hosted zone conflict, a service not offered in a zone) ends the apply as
FAILED with the AWS error, never as an exception: the finding then becomes a ticket instead of a retry loop.
The "after" snapshot is read even then, so a change left half-made can be rolled back too.

Verified means every call reads back as intended (``runbooks.expectations``): a value set reads as set
(private DNS on, the VPC attribute on, the policy the plan wrote), the subnets, route tables and rules added
are present and those revoked are gone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from botocore.exceptions import ClientError

from vpce_guard.aws import CALL_ERRORS, AwsSession
from vpce_guard.remediation.configuration import Configurations, read_configurations
from vpce_guard.remediation.model import ApiCall, Plan, ResourceRef
from vpce_guard.remediation.runbooks import expectations
from vpce_guard.vocabulary import ChangeStatus

UNNEEDED = "UNNEEDED"  # the configuration already reads as the plan would leave it (a concurrent change)


class Applied(msgspec.Struct, frozen=True):
    """The outcome of one plan: ``before`` and ``after`` map each resource id to its configuration;
    ``calls_made`` are the calls AWS accepted, in order; ``error`` says what failed and how AWS put it."""

    status: str
    before: Configurations
    after: Configurations
    error: str | None
    calls_made: tuple[ApiCall, ...]


def apply(session: AwsSession, plan: Plan, before_change: Callable[[Configurations], None] | None = None) -> Applied:
    """Snapshot, make the plan's calls, read again and verify. ``before_change`` gets the snapshot before any
    call is made (to record it first); a configuration that already reads as the plan would leave it is
    UNNEEDED and no call is made."""
    require_region(session, plan.resource)
    try:
        before = read_configurations(session, plan.resources)
    except CALL_ERRORS as error:
        return Applied(
            ChangeStatus.FAILED, {}, {}, f"reading the configuration before the change: {call_error(error)}", ()
        )
    if all(expectation.met(before) for call in plan.calls for expectation in expectations(call)):
        return Applied(UNNEEDED, before, before, None, ())
    if before_change is not None:
        before_change(before)
    made, failure = run_calls(session, plan.calls)
    try:
        after = read_configurations(session, plan.resources)
    except CALL_ERRORS as error:
        reread = f"reading the configuration after the change: {call_error(error)}"
        return Applied(ChangeStatus.FAILED, before, {}, f"{failure}; {reread}" if failure else reread, made)
    if failure is not None:
        return Applied(ChangeStatus.FAILED, before, after, failure, made)
    unmet = [
        expectation.describe(after)
        for call in plan.calls
        for expectation in expectations(call)
        if not expectation.met(after)
    ]
    if unmet:
        return Applied(
            ChangeStatus.FAILED, before, after, f"the change did not read back as made: {'; '.join(unmet)}", made
        )
    return Applied(ChangeStatus.REMEDIATED, before, after, None, made)


def run_calls(session: AwsSession, calls: tuple[ApiCall, ...]) -> tuple[tuple[ApiCall, ...], str | None]:
    """Make ``calls`` in order until one fails: the calls made, and the failure (None when all went)."""
    made: list[ApiCall] = []
    for call in calls:
        try:
            invoke(session, call)
        except CALL_ERRORS as error:
            return tuple(made), f"{call.operation} on {call.resource_id} failed: {call_error(error)}"
        made.append(call)
    return tuple(made), None


def invoke(session: AwsSession, call: ApiCall) -> Any:
    return getattr(session.client(call.service), call.method)(**call.parameters)


def call_error(error: Exception) -> str:
    """The AWS error code and message, or the client-side failure."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'Unknown')}: {details.get('Message', '')}"
    return f"{type(error).__name__}: {error}"


def require_region(session: AwsSession, resource: ResourceRef) -> None:
    """A session of another region would find nothing, or the wrong resource: a caller's mistake."""
    if session.region != resource.region:
        raise ValueError(f"{resource.id} is in {resource.region}; the session is for {session.region}")
