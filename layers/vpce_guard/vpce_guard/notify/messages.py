"""What a state change says to people, whatever the channel: what was found, where, what was done, and how
to undo it. Each channel lays these parts out in its own format."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from vpce_guard.notify.events import ChangeKind, StateChange
from vpce_guard.vocabulary import Status

ROLLBACK_COMMAND = "vpce-guard rollback"
# What reaching each status means, said as what happened.
_DONE: dict[str, str] = {
    Status.OPEN: "found",
    Status.TICKETED: "ticketed",
    Status.EXEMPT: "exempted by tag",
    Status.REMEDIATED: "remediated automatically",
    Status.FAILED: "remediation failed",
    Status.RESOLVED: "resolved",
}


class Message(msgspec.Struct, frozen=True):
    """The parts of a message about one state change."""

    headline: str  # one line: what was done ("Ticketed", "Remediated automatically", ...), severity, check, endpoint
    detail: str
    facts: tuple[tuple[str, str], ...]  # (label, value), in reading order
    rollback: str | None  # the command that undoes the change, when one was made
    reference: str  # what identifies the message: the finding and the state change
    note: str | None = None  # what the automatic change did or would do, or why none was made


def message(change: StateChange) -> Message:
    action = action_of(change)
    finding = change.finding
    service = str(finding.get("service_name") or "")
    facts = [
        ("Check", change.check_id),
        ("Severity", change.severity),
        ("Endpoint", change.resource_id),
        ("Service", service),
        ("Account", change.account_id),
        ("Region", change.region),
        ("VPC", change.vpc_id),
        ("Status", f"{change.old_status} → {change.new_status}" if change.old_status else change.new_status),
    ]
    return Message(
        headline=f"{action.capitalize()}: {change.severity} {change.check_id} on {change.resource_id}",
        detail=f"{change.title}. {finding.get('detail') or ''}".strip(),
        facts=tuple((label, value) for label, value in facts if value),
        rollback=f"{ROLLBACK_COMMAND} {change.change_id}" if change.change_id else None,
        reference=f"finding {change.finding_key}, state change {change.event_id}",
        note=change.note,
    )


def action_of(change: StateChange) -> str:
    if change.kind is ChangeKind.UPDATED:
        return "updated"
    done = _DONE.get(change.new_status, f"now {change.new_status}")
    return f"{done} again" if change.kind is ChangeKind.APPEARED and change.old_status else done


def shorten(text: str, limit: int) -> str:
    """``text`` within a channel's length limit, an ellipsis showing where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_text(change: StateChange, escape: Callable[[str], str] = str) -> str:
    """The message as plain text (SNS e-mail, ticket comments); ``escape`` makes each part safe for a channel
    that renders markup (Jira)."""
    parts = message(change)
    lines = [escape(parts.headline), "", escape(parts.detail), ""]
    if parts.note:
        lines += [escape(parts.note), ""]
    lines += [f"{label}: {escape(value)}" for label, value in parts.facts]
    if parts.rollback:
        lines += ["", f"Roll back: {escape(parts.rollback)}"]
    lines += ["", f"vpce-guard {escape(parts.reference)}"]
    return "\n".join(lines)
