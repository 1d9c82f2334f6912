"""Rollback: the inverse of one change, and nothing more.

A change alters some attributes of some resources: a value it set (private DNS, a policy, a VPC DNS
attribute) or items it added to or removed from a list (subnets, route tables, groups, inbound rules).
``undo_of`` finds them from the change's calls and its snapshots: with ``after`` (the change finished, or
failed part way), what the calls addressed and really moved; without it (APPLYING: the run died mid-change),
what the calls set out to move from ``before``. Everything else on the resource is left alone, even when
forced, so rolling back one change never undoes another, vpce-guard's or anyone's.

``plan_rollback`` reads the resources now and gives the calls that put each altered value back and take
each added item out and each removed item back, and what changed since the change (an altered value that
no longer reads as the change left it, an added item gone, a removed item back). ``restore`` makes the
calls, unless something changed since and it is not forced, then reads again: restored means every altered
attribute reads as before the change.

Order matters to AWS, so turning on comes before what depends on it and turning off after: the VPC's DNS
attributes are turned on first (support before hostnames) and off last (hostnames before support), with the
endpoints and then the groups between; a group gets its rules back before the rules added are revoked, so
its clients are never cut off in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from vpce_guard.aws import CALL_ERRORS, AwsSession
from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY
from vpce_guard.remediation.configuration import (
    DNS_HOSTNAMES,
    DNS_SUPPORT,
    INBOUND_RESOLVER_ONLY,
    Configurations,
    describe_rule,
    read_configurations,
    rule_key,
)
from vpce_guard.remediation.executor import call_error, require_region, run_calls
from vpce_guard.remediation.model import ENDPOINT, SECURITY_GROUP, VPC, ApiCall, ResourceRef
from vpce_guard.remediation.runbooks import (
    authorize_ingress,
    expectations,
    modify_endpoint,
    revoke_ingress,
    set_vpc_attribute,
)
from vpce_guard.vocabulary import ChangeStatus

RESTORED = "RESTORED"
REFUSED = "REFUSED"
_ENDPOINT_LISTS = ("SubnetIds", "RouteTableIds", "SecurityGroupIds")
_LISTS = (*_ENDPOINT_LISTS, "IpPermissions")


class Alteration(msgspec.Struct, frozen=True):
    """One attribute of one resource a change altered: a value (``before`` -> ``after``), or the items of a
    list it ``added`` and ``removed``."""

    resource_id: str
    key: str
    before: Any = None
    after: Any = None
    added: tuple[Any, ...] = ()
    removed: tuple[Any, ...] = ()

    @property
    def is_list(self) -> bool:
        return self.key in _LISTS

    def overlaps(self, other: Alteration) -> bool:
        """Both alter the same value, or the same item of the same list."""
        if (self.resource_id, self.key) != (other.resource_id, other.key):
            return False
        if not self.is_list:
            return True
        mine = {rule_key(item) for item in (*self.added, *self.removed)}
        return bool(mine & {rule_key(item) for item in (*other.added, *other.removed)})

    def describe(self) -> str:
        if not self.is_list:
            return f"{self.resource_id} {self.key}: {_shown(self.before)} -> {_shown(self.after)}"
        items = [f"+{_item(item)}" for item in self.added] + [f"-{_item(item)}" for item in self.removed]
        return f"{self.resource_id} {self.key}: {', '.join(items)}"


class Undo(msgspec.Struct, frozen=True):
    """What rolling back one change means: the resource it was about, every resource it touched, what it
    altered on them, and whether it was interrupted (which of its calls were made is then unknown)."""

    resource: ResourceRef
    resources: tuple[ResourceRef, ...]
    alterations: tuple[Alteration, ...]
    interrupted: bool = False


class RollbackPlan(msgspec.Struct, frozen=True):
    """The calls that undo a change from the configuration read now, and what changed since the change
    (``changed_since``: one line per altered value or item that no longer reads as the change left it)."""

    undo: Undo
    calls: tuple[ApiCall, ...]
    changed_since: tuple[str, ...]


class Restored(msgspec.Struct, frozen=True):
    """The outcome of a rollback: ``differences_refused`` lists what changed since (REFUSED only);
    ``calls_made`` are the calls AWS accepted; ``error`` says what failed (FAILED only)."""

    status: str
    differences_refused: tuple[str, ...] | None
    calls_made: tuple[ApiCall, ...]
    error: str | None = None


def undo_of(
    resource: ResourceRef,
    calls: Sequence[ApiCall],
    before: Configurations,
    after: Configurations | None,
) -> Undo:
    """The attributes a change altered: those its ``calls`` address, as they moved from ``before`` to
    ``after`` (None: interrupted, so as the calls would move them). A record without its calls (written
    before they were kept) is read from ``before`` and ``after`` alone."""
    resources = tuple(resource if rid == resource.id else resource.related(rid) for rid in before)
    if not calls:
        if after is None:
            raise ValueError(f"the change about {resource.id} recorded neither its calls nor an after")
        return Undo(resource, resources, _from_snapshots(before, after))
    found: dict[tuple[str, str], Alteration] = {}
    for call in calls:
        for expectation in expectations(call):
            rid, key = expectation.resource_id, expectation.key
            if rid not in before:
                continue
            old = before[rid][key]
            earlier = found.get((rid, key))
            if expectation.relation == "is":
                new = after[rid][key] if after is not None else expectation.value
                if new != old:
                    found[(rid, key)] = Alteration(rid, key, before=old, after=new)
                continue
            present = {rule_key(item) for item in old}
            ending = None if after is None else {rule_key(item) for item in after[rid][key]}
            added = list(earlier.added) if earlier else []
            removed = list(earlier.removed) if earlier else []
            for item in expectation.value:
                text = rule_key(item)
                if expectation.relation == "includes" and text not in present and (ending is None or text in ending):
                    added.append(item)
                if expectation.relation == "excludes" and text in present and (ending is None or text not in ending):
                    removed.append(item)
            if added or removed:
                found[(rid, key)] = Alteration(rid, key, added=tuple(added), removed=tuple(removed))
    return Undo(resource, resources, tuple(found.values()), interrupted=after is None)


def _from_snapshots(before: Configurations, after: Configurations) -> tuple[Alteration, ...]:
    found = []
    for rid, old in before.items():
        for key, value in old.items():
            new = after.get(rid, {}).get(key)
            if new == value:
                continue
            if key not in _LISTS:
                found.append(Alteration(rid, key, before=value, after=new))
                continue
            old_items = {rule_key(item): item for item in value}
            new_items = {rule_key(item): item for item in new or []}
            added = tuple(item for text, item in new_items.items() if text not in old_items)
            removed = tuple(item for text, item in old_items.items() if text not in new_items)
            found.append(Alteration(rid, key, added=added, removed=removed))
    return tuple(found)


def plan_rollback(session: AwsSession, undo: Undo) -> RollbackPlan:
    """Read the touched resources now: the calls that undo the change, and what changed since. Raises the
    botocore error of a read AWS refuses (a resource deleted since)."""
    require_region(session, undo.resource)
    now = read_configurations(session, undo.resources)
    return RollbackPlan(undo, inverse_calls(undo, now), tuple(changed_since(undo, now)))


def inverse_calls(undo: Undo, now: Configurations) -> tuple[ApiCall, ...]:
    """The calls that take each altered attribute from ``now`` back to before the change (none when it
    already reads so), in the order AWS needs."""
    calls: list[ApiCall] = []
    for resource in undo.resources:
        altered = [a for a in undo.alterations if a.resource_id == resource.id]
        if not altered:
            continue
        if resource.kind == ENDPOINT:
            calls += _endpoint_calls(resource.id, altered, now[resource.id])
        elif resource.kind == VPC:
            calls += _vpc_calls(resource.id, altered, now[resource.id])
        elif resource.kind == SECURITY_GROUP:
            calls += _group_calls(resource.id, altered, now[resource.id])
        else:
            raise ValueError(f"no rollback for a resource of kind {resource.kind!r} ({resource.id})")
    return _in_order(calls)


def changed_since(undo: Undo, now: Configurations) -> list[str]:
    """What no longer reads as the change left it. An interrupted change left nothing known: only a value
    that is neither the one before nor the one the change set counts."""
    lines = []
    for alteration in undo.alterations:
        current = now[alteration.resource_id][alteration.key]
        where = f"{alteration.resource_id} {alteration.key}"
        if not alteration.is_list:
            if current != alteration.after and not (undo.interrupted and current == alteration.before):
                lines.append(f"{where}: the change left {_shown(alteration.after)}, now {_shown(current)}")
            continue
        if undo.interrupted:
            continue
        present = {rule_key(item) for item in current}
        gone = [_item(item) for item in alteration.added if rule_key(item) not in present]
        back = [_item(item) for item in alteration.removed if rule_key(item) in present]
        lines += [f"{where}: {item}, which the change added, is gone" for item in gone]
        lines += [f"{where}: {item}, which the change removed, is back" for item in back]
    return lines


def restore(session: AwsSession, plan: RollbackPlan, *, force: bool) -> Restored:
    """Make the plan's calls, unless something changed since the change and ``force`` is not set; then
    read again and verify that every altered attribute reads as before the change."""
    if plan.changed_since and not force:
        return Restored(REFUSED, plan.changed_since, ())
    made, failure = run_calls(session, plan.calls)
    if failure is not None:
        return Restored(ChangeStatus.FAILED, None, made, failure)
    try:
        restored = read_configurations(session, plan.undo.resources)
    except CALL_ERRORS as error:
        return Restored(
            ChangeStatus.FAILED, None, made, f"reading the configuration after the rollback: {call_error(error)}"
        )
    left = not_restored(plan.undo, restored)
    if left:
        return Restored(
            ChangeStatus.FAILED, None, made, f"the rollback did not restore the snapshot: {'; '.join(left)}"
        )
    return Restored(RESTORED, None, made)


def not_restored(undo: Undo, configurations: Configurations) -> list[str]:
    """The altered attributes that do not read as before the change."""
    lines = []
    for alteration in undo.alterations:
        current = configurations[alteration.resource_id][alteration.key]
        where = f"{alteration.resource_id} {alteration.key}"
        if not alteration.is_list:
            if current != alteration.before:
                lines.append(f"{where}: expected {_shown(alteration.before)}, read {_shown(current)}")
            continue
        present = {rule_key(item) for item in current}
        lines += [f"{where}: {_item(i)} still there" for i in alteration.added if rule_key(i) in present]
        lines += [f"{where}: {_item(i)} still missing" for i in alteration.removed if rule_key(i) not in present]
    return lines


def _endpoint_calls(endpoint_id: str, altered: Iterable[Alteration], now: Mapping[str, Any]) -> list[ApiCall]:
    """One ModifyVpcEndpoint; the default policy comes back through ResetPolicy, which is how AWS restores it."""
    options: dict[str, Any] = {}
    add: dict[str, list[str]] = {}
    remove: dict[str, list[str]] = {}
    for alteration in altered:
        if alteration.key == "PrivateDnsEnabled" and now["PrivateDnsEnabled"] != alteration.before:
            options["private_dns"] = alteration.before
        elif alteration.key == INBOUND_RESOLVER_ONLY and now[INBOUND_RESOLVER_ONLY] != alteration.before:
            if alteration.before is not None:
                options["inbound_resolver_only"] = alteration.before
        elif alteration.key == "PolicyDocument" and now["PolicyDocument"] != alteration.before:
            if alteration.before == DEFAULT_ENDPOINT_POLICY:
                options["reset_policy"] = True
            elif alteration.before is not None:
                options["policy"] = alteration.before
        elif alteration.key in _ENDPOINT_LISTS:
            present = set(now[alteration.key])
            add[alteration.key] = sorted(item for item in alteration.removed if item not in present)
            remove[alteration.key] = sorted(item for item in alteration.added if item in present)
    call = modify_endpoint(endpoint_id, add=add, remove=remove, **options)
    return [call] if len(call.parameters) > 1 else []


def _vpc_calls(vpc_id: str, altered: Iterable[Alteration], now: Mapping[str, Any]) -> list[ApiCall]:
    values = {a.key: a.before for a in altered if now[a.key] != a.before}
    changed = [(name, values[name]) for name in (DNS_SUPPORT, DNS_HOSTNAMES) if name in values]
    turned_on = [set_vpc_attribute(vpc_id, name, True) for name, value in changed if value]
    turned_off = [set_vpc_attribute(vpc_id, name, False) for name, value in reversed(changed) if not value]
    return [*turned_on, *turned_off]


def _group_calls(group_id: str, altered: Iterable[Alteration], now: Mapping[str, Any]) -> list[ApiCall]:
    present = {rule_key(rule) for rule in now["IpPermissions"]}
    rules = [a for a in altered if a.key == "IpPermissions"]
    missing = [rule for a in rules for rule in a.removed if rule_key(rule) not in present]
    extra = [rule for a in rules for rule in a.added if rule_key(rule) in present]
    return [
        *([authorize_ingress(group_id, missing)] if missing else []),
        *([revoke_ingress(group_id, extra)] if extra else []),
    ]


def _in_order(calls: Iterable[ApiCall]) -> tuple[ApiCall, ...]:
    """VPC attributes turned on, endpoints, groups, VPC attributes turned off (stable within each)."""

    def rank(call: ApiCall) -> int:
        if call.method == "modify_vpc_attribute":
            (value,) = (setting["Value"] for name, setting in call.parameters.items() if name != "VpcId")
            return 0 if value else 3
        return 1 if call.method == "modify_vpc_endpoint" else 2

    return tuple(sorted(calls, key=rank))


def _item(item: Any) -> str:
    return describe_rule(item) if isinstance(item, Mapping) else str(item)


def _shown(value: Any) -> str:
    return rule_key(value) if isinstance(value, Mapping) else str(value)
