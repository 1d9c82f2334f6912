"""Rollback: restore exactly the configuration a change started from.

``rollback_calls`` is the pure core: the calls that take one resource from its configuration now back to the
snapshot. ``restore`` reads the configuration now and refuses, with the differences, when it is no longer
what the change left (someone changed the resource since, and undoing our change would undo theirs too),
unless forced. After the calls it reads again: restored means equal to the snapshot, attribute for attribute.

Order matters to AWS, so turning on comes before what depends on it and turning off after: the VPC's DNS
attributes are turned on first (support before hostnames) and off last (hostnames before support), with the
endpoints and then the groups between; a group gets its rules back before the rules added are revoked, so
its clients are never cut off in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vpce_guard.aws import AwsSession
from vpce_guard.collect import CALL_ERRORS
from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY
from vpce_guard.remediation.configuration import (
    DNS_HOSTNAMES,
    DNS_SUPPORT,
    Configurations,
    differences,
    read_configurations,
    rule_key,
)
from vpce_guard.remediation.executor import FAILED, call_error, require_region, run_calls
from vpce_guard.remediation.model import ENDPOINT, SECURITY_GROUP, VPC, ApiCall, ResourceRef
from vpce_guard.remediation.runbooks import authorize_ingress, modify_endpoint, revoke_ingress, set_vpc_attribute

RESTORED = "RESTORED"
REFUSED = "REFUSED"
_ID_LISTS = ("SubnetIds", "RouteTableIds", "SecurityGroupIds")


@dataclass(frozen=True)
class Restored:
    """The outcome of a rollback: ``differences_refused`` lists what someone changed since (REFUSED only);
    ``calls_made`` are the calls AWS accepted; ``error`` says what failed (FAILED only)."""

    status: str
    differences_refused: tuple[str, ...] | None
    calls_made: tuple[ApiCall, ...]
    error: str | None = None


def rollback_calls(resource: ResourceRef, before: Mapping[str, Any], now: Mapping[str, Any]) -> tuple[ApiCall, ...]:
    """The calls that take ``resource`` from ``now`` back to ``before`` (none when they are equal)."""
    if resource.kind == ENDPOINT:
        return _endpoint_calls(resource.id, before, now)
    if resource.kind == VPC:
        return _vpc_calls(resource.id, before, now)
    if resource.kind == SECURITY_GROUP:
        return _group_calls(resource.id, before, now)
    raise ValueError(f"no rollback for a resource of kind {resource.kind!r} ({resource.id})")


def restore(
    session: AwsSession, resource: ResourceRef, before: Configurations, after: Configurations, *, force: bool
) -> Restored:
    """Put every resource of ``before`` (the snapshot of a change about ``resource``) back as it was,
    unless its configuration now differs from ``after`` (what the change left) and ``force`` is not set."""
    require_region(session, resource)
    resources = [resource if resource_id == resource.id else resource.related(resource_id) for resource_id in before]
    try:
        now = read_configurations(session, resources)
    except CALL_ERRORS as error:
        return Restored(FAILED, None, (), f"reading the configuration now: {call_error(error)}")
    changed = differences(after, now)
    if changed and not force:
        return Restored(REFUSED, tuple(changed), ())
    calls = _in_order(call for item in resources for call in rollback_calls(item, before[item.id], now[item.id]))
    made, failure = run_calls(session, calls)
    if failure is not None:
        return Restored(FAILED, None, made, failure)
    try:
        restored = read_configurations(session, resources)
    except CALL_ERRORS as error:
        return Restored(FAILED, None, made, f"reading the configuration after the rollback: {call_error(error)}")
    left = differences(before, restored)
    if left:
        return Restored(FAILED, None, made, f"the rollback did not restore the snapshot: {'; '.join(left)}")
    return Restored(RESTORED, None, made)


def _endpoint_calls(endpoint_id: str, before: Mapping[str, Any], now: Mapping[str, Any]) -> tuple[ApiCall, ...]:
    """One ModifyVpcEndpoint undoing every difference; the default policy comes back through ResetPolicy,
    which is how AWS restores it."""
    options: dict[str, Any] = {}
    if before["PrivateDnsEnabled"] != now["PrivateDnsEnabled"]:
        options["private_dns"] = before["PrivateDnsEnabled"]
    policy = before["PolicyDocument"]
    if policy is not None and policy != now["PolicyDocument"]:
        options.update({"reset_policy": True} if policy == DEFAULT_ENDPOINT_POLICY else {"policy": policy})
    add = {key: sorted(set(before[key]) - set(now[key])) for key in _ID_LISTS}
    remove = {key: sorted(set(now[key]) - set(before[key])) for key in _ID_LISTS}
    call = modify_endpoint(endpoint_id, add=add, remove=remove, **options)
    return (call,) if len(call.parameters) > 1 else ()


def _vpc_calls(vpc_id: str, before: Mapping[str, Any], now: Mapping[str, Any]) -> tuple[ApiCall, ...]:
    changed = [(name, before[name]) for name in (DNS_SUPPORT, DNS_HOSTNAMES) if before[name] != now[name]]
    turned_on = [set_vpc_attribute(vpc_id, name, True) for name, value in changed if value]
    turned_off = [set_vpc_attribute(vpc_id, name, False) for name, value in reversed(changed) if not value]
    return (*turned_on, *turned_off)


def _group_calls(group_id: str, before: Mapping[str, Any], now: Mapping[str, Any]) -> tuple[ApiCall, ...]:
    wanted = {rule_key(rule): rule for rule in before["IpPermissions"]}
    present = {rule_key(rule): rule for rule in now["IpPermissions"]}
    missing = [rule for key, rule in wanted.items() if key not in present]
    extra = [rule for key, rule in present.items() if key not in wanted]
    return (
        *([authorize_ingress(group_id, missing)] if missing else []),
        *([revoke_ingress(group_id, extra)] if extra else []),
    )


def _in_order(calls: Iterable[ApiCall]) -> tuple[ApiCall, ...]:
    """VPC attributes turned on, endpoints, groups, VPC attributes turned off (stable within each)."""

    def rank(call: ApiCall) -> int:
        if call.method == "modify_vpc_attribute":
            (value,) = (setting["Value"] for name, setting in call.parameters.items() if name != "VpcId")
            return 0 if value else 3
        return 1 if call.method == "modify_vpc_endpoint" else 2

    return tuple(sorted(calls, key=rank))
