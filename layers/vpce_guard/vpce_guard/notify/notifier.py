"""Each state change, delivered once to every channel: tickets follow the finding, announcements tell people.

Tickets follow the status the decisions and remediation give a finding (``state.Status``):

- TICKETED (ticket mode, or no safe automatic change) and FAILED (a change was refused or did not verify)
  need a person: the finding gets a ticket on each ticket channel, one per finding, opened if none is open;
- RESOLVED, REMEDIATED and EXEMPT need nobody: the open ticket is closed, saying why;
- OPEN (announced only, in notify mode; or awaiting its change) opens no ticket; an open one
  gets a comment, as it does for every other change, including new content of the finding.

Every change of status is announced (Slack, SNS): a finding appearing, a transition; new content alone is
not, it goes to the ticket only. Every change, new content included, is published (Security Hub), which keeps
one record per finding current.

The guarantee, per (state change, channel): at-least-once delivery, made exactly-once wherever the channel
lets a repeat be recognised. A delivery is claimed in the ledger before the channel is called and marked sent
after the channel accepted (``ledger``); a channel that refuses or cannot be reached is retried with the batch
and reached once it accepts; a delivery marked sent is never repeated, however often the batch is. What is
left is the window between the channel accepting and the mark being written (the reply lost, the function
timing out): the retry then knows an earlier attempt may have got through and looks first where it can. Jira
searches for the finding's open issue and for a comment naming the change, OpsCenter deduplicates OpsItems by
the finding's key and updates are idempotent, a ticket that already records the change is not touched
again, and Security Hub's finding of a change imported again gets the same values. Slack and SNS have nothing
to look in, so there such a window can show a message twice; each carries the change's id, so the repeat is
recognisable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from functools import partial
from typing import Protocol

from vpce_guard.notify.events import CLOSED_STATUSES, ChangeKind, StateChange
from vpce_guard.notify.ledger import DeliveryLedger, Ticket
from vpce_guard.vocabulary import Status

# Statuses whose finding needs a person: it gets a ticket.
NEEDS_A_PERSON = frozenset({Status.TICKETED.value, Status.FAILED.value})
# Statuses whose finding needs nobody: its ticket is closed.
ENDS_THE_TICKET = CLOSED_STATUSES | {Status.EXEMPT.value}

# Outcomes of one channel for one change.
SENT = "sent"
ALREADY_SENT = "already sent"
NOTHING_TO_DO = "nothing to do"


class TicketChannel(Protocol):
    """A ticket system: one ticket per finding. ``retry``: an earlier attempt of this very delivery may have
    reached the system, so look before acting."""

    name: str

    def open(self, change: StateChange, *, retry: bool) -> str: ...

    def comment(self, ticket: str, change: StateChange, *, retry: bool) -> None: ...

    def close(self, ticket: str, change: StateChange, *, retry: bool) -> None: ...


class Announcer(Protocol):
    name: str

    def announce(self, change: StateChange) -> None: ...


class Publisher(Protocol):
    """A record of each finding kept current: every change of a finding it ``covers`` reaches it, new content
    included."""

    name: str

    def covers(self, change: StateChange) -> bool: ...

    def publish(self, change: StateChange) -> None: ...


class DeliveryFailed(RuntimeError):
    """Some channels did not take a change; the others did, and will not be sent it again."""

    def __init__(self, change: StateChange, failures: Mapping[str, str]) -> None:
        self.change = change
        self.failures = dict(failures)
        listed = "; ".join(f"{channel}: {reason}" for channel, reason in sorted(failures.items()))
        super().__init__(f"{change.finding_key} ({change.event_id}) not delivered to {listed}")


class TicketAction(StrEnum):
    OPEN = "open"
    COMMENT = "comment"
    CLOSE = "close"


class Notifier:
    def __init__(
        self,
        ledger: DeliveryLedger,
        tickets: Sequence[TicketChannel],
        announcers: Sequence[Announcer],
        publishers: Sequence[Publisher] = (),
    ) -> None:
        self._ledger = ledger
        self._tickets = tuple(tickets)
        self._announcers = tuple(announcers)
        self._publishers = tuple(publishers)

    @property
    def channels(self) -> tuple[str, ...]:
        channels: tuple[TicketChannel | Announcer | Publisher, ...] = (
            *self._tickets,
            *self._announcers,
            *self._publishers,
        )
        return tuple(channel.name for channel in channels)

    def notify(self, change: StateChange) -> dict[str, str]:
        """Deliver ``change`` to every channel; the outcome per channel. Every channel is tried even when one
        fails; then DeliveryFailed names the failures (the batch retries the change, and the channels that
        took it are skipped)."""
        outcomes: dict[str, str] = {}
        failures: dict[str, str] = {}
        for ticket_channel in self._tickets:
            self._try(ticket_channel.name, partial(self._ticket, ticket_channel, change), outcomes, failures)
        if change.kind is not ChangeKind.UPDATED:
            for announcer in self._announcers:
                self._try(
                    announcer.name, partial(self._once, announcer.name, announcer.announce, change), outcomes, failures
                )
        for publisher in self._publishers:
            if not publisher.covers(change):
                outcomes[publisher.name] = NOTHING_TO_DO
                continue
            self._try(
                publisher.name, partial(self._once, publisher.name, publisher.publish, change), outcomes, failures
            )
        if failures:
            raise DeliveryFailed(change, failures)
        return outcomes

    @staticmethod
    def _try(name: str, deliver: Callable[[], str], outcomes: dict[str, str], failures: dict[str, str]) -> None:
        try:
            outcomes[name] = deliver()
        except Exception as error:  # a channel's failure must not keep the others from the change
            failures[name] = f"{type(error).__name__}: {error}"

    def _once(self, channel: str, deliver: Callable[[StateChange], None], change: StateChange) -> str:
        """Deliver ``change`` to a channel that keeps no ticket, unless the ledger says it was sent."""
        claim = self._ledger.claim(change, channel)
        if claim is None:
            return ALREADY_SENT
        deliver(change)
        self._ledger.sent(change, channel, SENT)
        return SENT

    def _ticket(self, channel: TicketChannel, change: StateChange) -> str:
        ticket = self._ledger.ticket(change, channel.name)
        if ticket is not None and ticket.last_event_id == change.event_id:
            return ALREADY_SENT  # the ticket already records this change
        action = ticket_action(change, ticket)
        if action is None:
            return NOTHING_TO_DO
        claim = self._ledger.claim(change, channel.name)
        if claim is None:
            return ALREADY_SENT
        if action is TicketAction.OPEN:
            key = channel.open(change, retry=claim.retry)
        else:
            assert ticket is not None  # comments and closes need an open ticket (ticket_action)
            key = ticket.key
            if action is TicketAction.CLOSE:
                channel.close(key, change, retry=claim.retry)
            else:
                channel.comment(key, change, retry=claim.retry)
        self._ledger.keep_ticket(change, channel.name, key, is_open=action is not TicketAction.CLOSE)
        self._ledger.sent(change, channel.name, key)
        return SENT


def ticket_action(change: StateChange, ticket: Ticket | None) -> TicketAction | None:
    """What a change does to the finding's ticket (see the module docstring)."""
    has_open_ticket = ticket is not None and ticket.is_open
    if change.new_status in ENDS_THE_TICKET:
        return TicketAction.CLOSE if has_open_ticket else None
    if has_open_ticket:
        return TicketAction.COMMENT
    return TicketAction.OPEN if change.new_status in NEEDS_A_PERSON else None
