"""What the notifier has delivered, kept in the state table beside the finding it is about.

Two kinds of item share the finding record's partition (``pk`` = ``<account>#<region>#<resource>``); neither
carries ``gsi1pk``, so neither is a finding to any reader of the table (``StateStore``, the stream filter):

- a delivery, ``sk`` = ``delivery#<check>#<stream event id>#<channel>``: ``state`` is ``sending`` from
  before a channel is called until after it accepted, then ``sent``. A delivery claimed twice (a retried
  batch) tells the second claimant that an earlier attempt may have reached the channel; a ``sent`` one is
  never claimed again. Kept for a week (the stream keeps records for 24 hours);
- a ticket, ``sk`` = ``ticket#<check>#<channel>``: the finding's ticket on that channel (Jira issue key,
  OpsItem id), whether it is open, and the last state change that reached it. Kept while open; for 90 days
  once closed, like resolved history.

All writes are UpdateItem and reads are strongly consistent Query on the key, the two calls the notifier's
role grants on the table.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from botocore.exceptions import ClientError

from vpce_guard.notify.events import StateChange

SENDING = "sending"
SENT = "sent"
DELIVERY_HISTORY = timedelta(days=7)
CLOSED_TICKET_HISTORY = timedelta(days=90)


class Claim(msgspec.Struct, frozen=True):
    """The right to deliver one state change to one channel now; ``retry``: an earlier attempt got as far as
    calling the channel, which may have acted on it without the reply arriving."""

    attempt: int

    @property
    def retry(self) -> bool:
        return self.attempt > 1


class Ticket(msgspec.Struct, frozen=True):
    key: str
    is_open: bool
    last_event_id: str


class DeliveryLedger:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def claim(self, change: StateChange, channel: str) -> Claim | None:
        """Mark the delivery as being sent; None when it was sent already."""
        try:
            reply = self._dynamodb.update_item(
                TableName=self._table,
                Key=_key(change.partition_key, f"delivery#{change.check_id}#{change.event_id}#{channel}"),
                UpdateExpression=(
                    "SET #state = :sending, attempts = if_not_exists(attempts, :zero) + :one, "
                    "finding_key = :finding, expires_at = :expires"
                ),
                ConditionExpression="attribute_not_exists(#state) OR #state <> :sent",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":sending": {"S": SENDING},
                    ":sent": {"S": SENT},
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                    ":finding": {"S": change.finding_key},
                    ":expires": {"N": str(int((_now() + DELIVERY_HISTORY).timestamp()))},
                },
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return None
        return Claim(attempt=int(reply["Attributes"]["attempts"]["N"]))

    def sent(self, change: StateChange, channel: str, outcome: str) -> None:
        self._dynamodb.update_item(
            TableName=self._table,
            Key=_key(change.partition_key, f"delivery#{change.check_id}#{change.event_id}#{channel}"),
            UpdateExpression="SET #state = :sent, sent_at = :now, outcome = :outcome",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":sent": {"S": SENT},
                ":now": {"S": _now().isoformat()},
                ":outcome": {"S": outcome},
            },
        )

    def ticket(self, change: StateChange, channel: str) -> Ticket | None:
        reply = self._dynamodb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk = :sk",
            ExpressionAttributeValues={
                ":pk": {"S": change.partition_key},
                ":sk": {"S": _ticket_sort_key(change, channel)},
            },
            ConsistentRead=True,
        )
        items = reply.get("Items", [])
        if not items:
            return None
        item = items[0]
        return Ticket(
            key=item["ticket_key"]["S"],
            is_open=item["ticket_state"]["S"] == "open",
            last_event_id=item["last_event_id"]["S"],
        )

    def keep_ticket(self, change: StateChange, channel: str, key: str, *, is_open: bool) -> None:
        """Record the finding's ticket after ``change`` reached it."""
        values: dict[str, Any] = {
            ":key": {"S": key},
            ":state": {"S": "open" if is_open else "closed"},
            ":event": {"S": change.event_id},
            ":finding": {"S": change.finding_key},
            ":now": {"S": _now().isoformat()},
        }
        expression = "SET ticket_key = :key, ticket_state = :state, last_event_id = :event, finding_key = :finding"
        expression += ", updated_at = :now"
        if is_open:
            expression += " REMOVE expires_at"
        else:
            expression += ", expires_at = :expires"
            values[":expires"] = {"N": str(int((_now() + CLOSED_TICKET_HISTORY).timestamp()))}
        self._dynamodb.update_item(
            TableName=self._table,
            Key=_key(change.partition_key, _ticket_sort_key(change, channel)),
            UpdateExpression=expression,
            ExpressionAttributeValues=values,
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _ticket_sort_key(change: StateChange, channel: str) -> str:
    return f"ticket#{change.check_id}#{channel}"


def _key(partition_key: str, sort_key: str) -> dict[str, Any]:
    return {"pk": {"S": partition_key}, "sk": {"S": sort_key}}
