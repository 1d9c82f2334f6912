"""The notifier end to end on the emulator: state changes written by the real StateStore into the state table
built from template.yaml, read back from the table's DynamoDB stream, delivered as the function delivers a
batch (Powertools batch processing), and retried as Lambda retries a batch that reports failed items. Slack
and Jira are the local receiver over real HTTP; OpsCenter and SNS are the emulator's."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from notify_support import (
    ACCOUNT,
    ENDPOINT,
    OTHER_ENDPOINT,
    REGION,
    deliver_like_lambda,
    dns_finding,
    record,
)

from vpce_guard.notify.function import deliver_batch
from vpce_guard.notify.function import logger as function_logger
from vpce_guard.notify.notifier import Notifier
from vpce_guard.state import StateStore
from vpce_guard.vocabulary import Status
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.receiver import Receiver

pytestmark = pytest.mark.server

Reader = Callable[[], list[dict[str, Any]]]


def ticketed_updated_resolved(store: StateStore) -> None:
    """A finding ticketed, then seen with new evidence, then gone."""
    record(store, [dns_finding()], minutes=0)
    record(store, [dns_finding(names=("ssm.us-east-1.amazonaws.com", "*.ssm.us-east-1.amazonaws.com"))], minutes=5)
    record(store, [], minutes=20)


def slack_events(receiver: Receiver) -> Counter[str]:
    """How many Slack messages each state change got (its id is in the message's footer)."""
    return Counter(
        message["blocks"][-1]["elements"][0]["text"].rsplit(" ", 1)[-1] for message in receiver.slack_messages
    )


def ops_items(aws: Emulator) -> list[dict[str, Any]]:
    return list(aws.client("ssm", REGION).describe_ops_items()["OpsItemSummaries"])


def test_one_ticket_per_finding_is_opened_updated_and_closed_when_resolved(
    store: StateStore, read_stream: Reader, notifier: Notifier, receiver: Receiver, aws_env: Emulator
) -> None:
    ticketed_updated_resolved(store)

    responses = deliver_like_lambda(read_stream(), notifier)

    assert responses == [{"batchItemFailures": []}]
    (issue,) = receiver.issues.values()
    assert issue.status == "Done"
    assert [comment.split(":")[0] for comment in issue.comments] == ["Updated", "Resolved"]
    (item,) = ops_items(aws_env)
    assert item["Status"] == "Resolved"
    headers = [message["blocks"][0]["text"]["text"].split(":")[0] for message in receiver.slack_messages]
    assert headers == ["Ticketed", "Resolved"]  # new content alone is not announced


def test_two_findings_get_two_tickets(
    store: StateStore, read_stream: Reader, notifier: Notifier, receiver: Receiver
) -> None:
    record(store, [dns_finding(), dns_finding(OTHER_ENDPOINT)], minutes=0)

    deliver_like_lambda(read_stream(), notifier)

    assert sorted(issue.fields["summary"].rsplit(" ", 1)[-1] for issue in receiver.issues.values()) == sorted(
        [ENDPOINT, OTHER_ENDPOINT]
    )


def test_an_announced_only_finding_gets_no_ticket(
    store: StateStore, read_stream: Reader, notifier: Notifier, receiver: Receiver, aws_env: Emulator
) -> None:
    """OPEN is notify mode's status (or awaiting an automatic change): announced, not ticketed."""
    record(store, [dns_finding()], minutes=0, status=Status.OPEN)

    deliver_like_lambda(read_stream(), notifier)

    assert receiver.issues == {}
    assert ops_items(aws_env) == []
    assert [m["blocks"][0]["text"]["text"].split(":")[0] for m in receiver.slack_messages] == ["Found"]


def test_a_remediated_finding_closes_its_ticket_and_says_how_to_roll_back(
    store: StateStore, read_stream: Reader, notifier: Notifier, receiver: Receiver, aws_env: Emulator, state_table: str
) -> None:
    record(store, [dns_finding()], minutes=0)
    # As the remediation executor records a verified change: the status, and the change that made it.
    aws_env.client("dynamodb", REGION).update_item(
        TableName=state_table,
        Key={"pk": {"S": f"{ACCOUNT}#{REGION}#{ENDPOINT}"}, "sk": {"S": "private-dns-disabled"}},
        UpdateExpression="SET #status = :remediated, change_id = :change",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":remediated": {"S": "REMEDIATED"}, ":change": {"S": "chg-20260301-0001"}},
    )

    deliver_like_lambda(read_stream(), notifier)

    (issue,) = receiver.issues.values()
    assert issue.status == "Done"
    last = receiver.slack_messages[-1]
    assert last["blocks"][0]["text"]["text"].startswith("Remediated automatically")
    assert "vpce-guard rollback chg-20260301-0001" in json.dumps(last)


@pytest.mark.parametrize("failure", ["error", "drop"])
def test_a_receiver_failing_half_the_time_still_gets_every_message_exactly_once(
    store: StateStore,
    read_stream: Reader,
    notifier: Notifier,
    receiver: Receiver,
    aws_env: Emulator,
    failure: str,
) -> None:
    receiver.fail_every, receiver.failure = 2, failure
    ticketed_updated_resolved(store)
    record(store, [dns_finding(OTHER_ENDPOINT)], minutes=30)
    records = read_stream()

    responses = deliver_like_lambda(records, notifier)

    assert len(responses) > 1, "the receiver failed nothing: the test proves nothing"
    assert any(request.status in (0, 500) for request in receiver.requests)
    changes = [r["eventID"] for r in records if r["dynamodb"]["Keys"]["sk"]["S"] == "private-dns-disabled"]
    appeared, _updated, resolved, other = changes
    assert slack_events(receiver) == Counter({appeared: 1, resolved: 1, other: 1})
    first, second = receiver.issues.values()
    assert (first.status, second.status) == ("Done", "To Do")
    assert [comment.split(":")[0] for comment in first.comments] == ["Updated", "Resolved"]
    assert second.comments == []
    assert sorted(item["Status"] for item in ops_items(aws_env)) == ["Open", "Resolved"]


def test_a_redelivered_batch_sends_nothing_twice(
    store: StateStore, read_stream: Reader, notifier: Notifier, receiver: Receiver, aws_env: Emulator
) -> None:
    ticketed_updated_resolved(store)
    records = read_stream()
    deliver_like_lambda(records, notifier)
    requests, items = len(receiver.requests), ops_items(aws_env)

    assert deliver_batch({"Records": records}, notifier) == {"batchItemFailures": []}

    assert len(receiver.requests) == requests
    assert ops_items(aws_env) == items


def test_the_notifiers_own_writes_stream_nothing_to_deliver(
    store: StateStore, read_stream: Reader, notifier: Notifier, receiver: Receiver
) -> None:
    record(store, [dns_finding()], minutes=0)
    deliver_like_lambda(read_stream(), notifier)
    requests = len(receiver.requests)
    own = read_stream()

    assert own, "the ledger's writes should be on the stream"
    assert deliver_batch({"Records": own}, notifier) == {"batchItemFailures": []}
    assert len(receiver.requests) == requests


def test_a_poison_record_is_reported_failed_and_the_others_are_delivered(
    store: StateStore, read_stream: Reader, notifier: Notifier, receiver: Receiver, aws_env: Emulator, state_table: str
) -> None:
    record(store, [dns_finding()], minutes=0)
    aws_env.client("dynamodb", REGION).put_item(
        TableName=state_table,
        Item={
            "pk": {"S": f"{ACCOUNT}#{REGION}#vpce-0badbadbadbadbad0"},
            "sk": {"S": "private-dns-disabled"},
            "gsi1pk": {"S": f"{ACCOUNT}#{REGION}"},
            "gsi1sk": {"S": "vpc-0#vpce-0badbadbadbadbad0#private-dns-disabled"},
            "status": {"S": "TICKETED"},
            "finding": {"S": "{not json"},
        },
    )
    *good, poison = read_stream()

    response = deliver_batch({"Records": [*good, poison]}, notifier)

    assert response == {"batchItemFailures": [{"itemIdentifier": poison["dynamodb"]["SequenceNumber"]}]}
    assert len(receiver.issues) == 1
    assert len(receiver.slack_messages) == 1


def test_a_later_change_of_a_finding_waits_for_its_undelivered_earlier_change(
    store: StateStore, read_stream: Reader, notifier: Notifier, receiver: Receiver
) -> None:
    receiver.fail_every = 1  # Slack and Jira refuse everything
    record(store, [dns_finding()], minutes=0)
    record(store, [dns_finding(OTHER_ENDPOINT)], minutes=5)
    record(store, [], minutes=10)
    records = read_stream()

    response = deliver_batch({"Records": records}, notifier)

    assert {f["itemIdentifier"] for f in response["batchItemFailures"]} == {
        r["dynamodb"]["SequenceNumber"] for r in records if r["dynamodb"]["Keys"]["sk"]["S"] == "private-dns-disabled"
    }
    slack_posts = [r for r in receiver.requests if r.path.startswith("/slack/")]
    # the first change of each finding was tried; the resolutions waited for them
    assert len(slack_posts) == 2


def test_failures_are_logged_without_secrets(
    store: StateStore, read_stream: Reader, notifier: Notifier, receiver: Receiver
) -> None:
    """The function's logs (Powertools, JSON lines) say what failed, and show no secret."""
    receiver.fail_every = 1
    record(store, [dns_finding()], minutes=0)
    logs = io.StringIO()
    previous = function_logger.registered_handler.setStream(logs)
    try:
        deliver_batch({"Records": read_stream()}, notifier)
    finally:
        function_logger.registered_handler.setStream(previous)

    logged = logs.getvalue()
    assert "Slack webhook: HTTP 500" in logged
    assert "local-webhook-token" not in logged
    assert "local-jira-token" not in logged


def test_lost_replies_make_no_second_ticket_or_comment_and_at_most_one_repeat_on_slack(
    store: StateStore, read_stream: Reader, notifier: Notifier, receiver: Receiver, aws_env: Emulator
) -> None:
    """The receiver acts on every second request and then loses the reply: the notifier cannot tell that from
    a failure. Jira is looked up before acting again; Slack has nothing to look in (the stated guarantee)."""
    receiver.fail_every, receiver.failure = 2, "lost_reply"
    ticketed_updated_resolved(store)
    records = read_stream()

    deliver_like_lambda(records, notifier)

    (issue,) = receiver.issues.values()
    assert issue.status == "Done"
    assert [comment.split(":")[0] for comment in issue.comments] == ["Updated", "Resolved"]
    appeared, _updated, resolved = (record["eventID"] for record in records)
    assert set(slack_events(receiver)) == {appeared, resolved}
    assert max(slack_events(receiver).values()) <= 2
    (item,) = ops_items(aws_env)
    assert item["Status"] == "Resolved"
