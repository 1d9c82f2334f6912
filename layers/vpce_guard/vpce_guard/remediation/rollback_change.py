"""Rolling back a recorded change, as the command line does it: checked, ordered, previewed, leased.

1. The record must be one vpce-guard's functions wrote (its integrity tag, ``integrity``) and one that made
   or began a change (REMEDIATED, FAILED, or APPLYING: a run that died mid-change is undone from its
   ``before``).
2. A later change of vpce-guard's that altered the same value or item comes first: undoing this one would
   undo that one too, which would then still read as REMEDIATED. The refusal names it, and the order.
3. The calls are planned from the configuration now and shown; ``confirm`` decides (a person at a terminal,
   or ``--yes``). Something changed since the change refuses unless forced; forced, only the attributes the
   change altered are touched.
4. Under the resources' leases, as a change takes them, the plan is made again: if it is not the one
   shown, nothing is done. Then the calls, the verification, and the record marked rolled back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec

from vpce_guard.aws import CALL_ERRORS, AwsSession
from vpce_guard.remediation.executor import call_error
from vpce_guard.remediation.integrity import ChangeSeal
from vpce_guard.remediation.model import ApiCall, ResourceRef
from vpce_guard.remediation.rollback import REFUSED, RESTORED, RollbackPlan, Undo, plan_rollback, restore, undo_of
from vpce_guard.state import ChangeRecord, StateStore
from vpce_guard.vocabulary import UNDOABLE, ChangeStatus

# What a change record's status must be for its change to be undone; APPLYING is an interrupted change.
DECLINED = "DECLINED"
HELD = "HELD"  # a change or another rollback holds a lease on a resource
BLOCKED = "BLOCKED"  # a later change of vpce-guard's must be rolled back first
MOVED = "MOVED"  # the configuration changed between the preview and the lease


class RollbackError(Exception):
    """A change that cannot be rolled back as asked, and why: nothing was changed."""


class RollbackOutcome(msgspec.Struct, frozen=True):
    """How one rollback ended: RESTORED, REFUSED (changed since), BLOCKED (``later`` changes first),
    DECLINED, HELD, MOVED, or FAILED (``error``)."""

    change: ChangeRecord
    status: str
    plan: RollbackPlan | None = None
    calls_made: tuple[ApiCall, ...] = ()
    changed_since: tuple[str, ...] = ()
    later: tuple[ChangeRecord, ...] = ()
    error: str | None = None


def undo_of_change(change: ChangeRecord) -> Undo:
    """What rolling back ``change`` means, from its record."""
    if change.status == ChangeStatus.ROLLED_BACK:
        raise RollbackError(f"change {change.change_id} was rolled back at {change.rolled_back_at}")
    if change.status not in UNDOABLE:
        raise RollbackError(
            f"change {change.change_id} is {change.status}: only changes made or begun "
            f"({', '.join(sorted(UNDOABLE))}) can be rolled back"
        )
    if change.after is None and not change.planned_calls:
        raise RollbackError(
            f"change {change.change_id} did not finish and its record does not say which calls it planned: "
            "restore by hand from its recorded before"
        )
    resource = ResourceRef(change.resource_kind, change.resource_id, change.vpc_id, change.account_id, change.region)
    calls = tuple(ApiCall(call["service"], call["method"], call["parameters"]) for call in change.planned_calls)
    before = {rid: dict(configuration) for rid, configuration in change.before.items()}
    after = None if change.after is None else {rid: dict(config) for rid, config in change.after.items()}
    return undo_of(resource, calls, before, after)


def later_changes(store: StateStore, change: ChangeRecord, undo: Undo) -> tuple[ChangeRecord, ...]:
    """vpce-guard's changes made after ``change``, not rolled back, that altered a value or item it altered
    (one query per resource it touched), oldest first."""
    found: dict[str, ChangeRecord] = {}
    for resource in undo.resources:
        for other in store.changes_of(change.account_id, change.region, resource.id):
            if other.order <= change.order or other.status not in UNDOABLE or other.change_id in found:
                continue
            try:
                theirs = undo_of_change(other)
            except (RollbackError, ValueError):
                continue
            if any(mine.overlaps(their) for mine in undo.alterations for their in theirs.alterations):
                found[other.change_id] = other
    return tuple(sorted(found.values(), key=lambda other: other.order))


def roll_back(
    store: StateStore,
    seal: ChangeSeal,
    change: ChangeRecord,
    session: AwsSession,
    *,
    force: bool,
    confirm: Callable[[RollbackPlan], bool],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RollbackOutcome:
    """Roll back one recorded change (see the module's steps). Raises IntegrityError for a record that
    fails its integrity check and RollbackError for one that cannot be rolled back."""
    seal.verify(change.change_id, change.document, change.integrity_tag)
    undo = undo_of_change(change)
    later = later_changes(store, change, undo)
    if later:
        return RollbackOutcome(change, BLOCKED, later=later)
    try:
        shown = plan_rollback(session, undo)
    except CALL_ERRORS as error:
        return RollbackOutcome(change, ChangeStatus.FAILED, error=f"reading the configuration now: {call_error(error)}")
    if shown.changed_since and not force:
        return RollbackOutcome(change, REFUSED, shown, changed_since=shown.changed_since)
    if shown.calls and not confirm(shown):
        return RollbackOutcome(change, DECLINED, shown)
    holder = f"rollback-{uuid.uuid4().hex}"
    leased = [resource.id for resource in undo.resources]
    if not store.acquire_leases(change.account_id, change.region, leased, holder, now()):
        return RollbackOutcome(change, HELD, shown)
    try:
        try:
            planned = plan_rollback(session, undo)
        except CALL_ERRORS as error:
            return RollbackOutcome(
                change, ChangeStatus.FAILED, shown, error=f"reading the configuration: {call_error(error)}"
            )
        if planned.calls != shown.calls or (planned.changed_since and not force):
            return RollbackOutcome(change, MOVED, planned, changed_since=planned.changed_since)
        restored = restore(session, planned, force=force)
    finally:
        store.release_leases(change.account_id, change.region, leased, holder)
    if restored.status != RESTORED:
        return RollbackOutcome(change, ChangeStatus.FAILED, planned, restored.calls_made, error=restored.error)
    store.mark_rolled_back(change, now())
    return RollbackOutcome(change, RESTORED, planned, restored.calls_made)
