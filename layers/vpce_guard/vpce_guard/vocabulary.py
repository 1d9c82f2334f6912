"""What every reader and writer of the state table shares: the statuses, one enum each (a finding's, a change
record's, a sweep job's: the values are what the table, the stream, the notifications and the CLI show), and
the table's key scheme.

Keys: a record of a resource is under ``pk`` = ``<account>#<region>#<resource>`` (a finding's ``sk`` is its
check id; a VPC's evaluation marker, a change, a lease and the notifier's deliveries have sort keys of their
own). Finding records alone carry the ``by-scope`` index's keys, ``gsi1pk`` = ``<account>#<region>`` and
``gsi1sk`` = ``<vpc>#<resource>#<check>``: that is how every reader, and the stream's filter, tells a finding
from the table's other items.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A finding's status."""

    OPEN = "OPEN"  # found, and announced only (notify mode) or awaiting its change
    TICKETED = "TICKETED"  # found, and left to people (ticket mode, or no safe automatic change)
    EXEMPT = "EXEMPT"  # found on a resource whose tag exempts it
    REMEDIATED = "REMEDIATED"  # changed automatically and verified
    FAILED = "FAILED"  # the change was refused or did not verify: a ticket, never retried blindly
    RESOLVED = "RESOLVED"  # no longer found

    @property
    def is_closed(self) -> bool:
        """The finding no longer needs anyone: fixed by us, or gone."""
        return self in (Status.REMEDIATED, Status.RESOLVED)


class ChangeStatus(StrEnum):
    """A change record's status."""

    PLANNED = "PLANNED"  # dry-run: recorded, nothing called
    TICKET_ONLY = "TICKET_ONLY"  # no safe automatic change: the record says why
    APPLYING = "APPLYING"  # begun; a run that died here is undone from the snapshot taken before
    REMEDIATED = "REMEDIATED"  # made and read back as made
    FAILED = "FAILED"  # refused by AWS, or not read back as made
    ROLLED_BACK = "ROLLED_BACK"  # undone by a rollback


# A change that was made, or began: a rollback can undo it.
UNDOABLE = frozenset({ChangeStatus.REMEDIATED, ChangeStatus.FAILED, ChangeStatus.APPLYING})


class JobStatus(StrEnum):
    """A sweep job's status."""

    PENDING = "PENDING"  # recorded before the job is queued
    DONE = "DONE"
    FAILED = "FAILED"


SCOPE_INDEX = "by-scope"
# The by-scope index's partition key: finding records have it, no other item of the table does.
FINDING_ATTRIBUTE = "gsi1pk"


def record_key(account_id: str, region: str, resource_id: str) -> str:
    """The partition of everything recorded about one resource (a VPC's marker included)."""
    return f"{account_id}#{region}#{resource_id}"


def scope_key(account_id: str, region: str) -> str:
    """An account and Region: the by-scope index's partition, and a sweep job's sort key."""
    return f"{account_id}#{region}"


def scope_sort_key(vpc_id: str, resource_id: str, check_id: str) -> str:
    return f"{vpc_id}#{resource_id}#{check_id}"
