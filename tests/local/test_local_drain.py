"""``local drain``: the state table's stream delivered to the notifier the way Lambda's event source mapping
delivers it, on a stack deployed with every notification channel on (Slack and Jira at a local receiver)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from local_story import build_story, story_event

from vpce_guard.cli import main
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.receiver import Receiver
from vpce_guard_local.sam.deploy import local_up
from vpce_guard_local.sam.router import send
from vpce_guard_local.sam.stack import LocalRunError, LocalStack
from vpce_guard_local.sam.streams import drain, positions_file
from vpce_guard_local.sam.template import SamTemplate

pytestmark = pytest.mark.server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def notifying_stack(aws_env: Emulator, sam_template: SamTemplate, stack_file: Path, receiver: Receiver) -> LocalStack:
    secrets = aws_env.client("secretsmanager")
    channels = {
        "SlackWebhookSecretArn": secrets.create_secret(Name="slack", SecretString=receiver.slack_webhook_url)["ARN"],
        "JiraSecretArn": secrets.create_secret(Name="jira", SecretString=receiver.jira_secret())["ARN"],
        "EnableOpsCenter": "true",
    }
    return local_up(sam_template, aws_env.url, parameters=channels, stack_file=stack_file)


def dead_letters(aws: Emulator, stack: LocalStack) -> list[dict[str, Any]]:
    queue = stack.physical_id("NotifierDeadLetterQueue")
    messages = aws.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def test_the_stream_source_is_recorded_from_the_template(notifying_stack: LocalStack) -> None:
    source = notifying_stack.stream_sources["NotifierFunctionStateChanges"]

    assert source.function == "NotifierFunction"
    assert source.stream_arn == notifying_stack.resources["StateTable"].attributes["StreamArn"]
    assert (source.batch_size, source.report_batch_item_failures, source.bisect_on_error) == (10, True, True)
    assert source.maximum_retry_attempts == 10
    assert source.on_failure_queue_url == notifying_stack.physical_id("NotifierDeadLetterQueue")


def test_findings_recorded_by_a_function_reach_the_channels_once(
    notifying_stack: LocalStack, aws_env: Emulator, stack_file: Path, receiver: Receiver
) -> None:
    ids = build_story(aws_env.client("ec2"), notifying_stack.region, notifying_stack.account_id)
    (sent,) = send(notifying_stack, story_event("cloudtrail-create-vpc-endpoint-interface", ids))
    opened = sent.result["changes"]["opened"]

    first = drain(notifying_stack, positions_file(stack_file))
    again = drain(notifying_stack, positions_file(stack_file))

    assert all(invocation.ok for invocation in first.invocations), first.invocations[0].logs
    assert len(receiver.issues) == len(opened)  # the default mode tickets every finding
    assert len(receiver.slack_messages) == len(opened)
    assert len(aws_env.client("ssm").describe_ops_items()["OpsItemSummaries"]) == len(opened)
    assert (again.records, again.invocations) == (0, [])


def test_a_poison_record_is_given_up_to_the_on_failure_queue_after_the_retries(
    notifying_stack: LocalStack, aws_env: Emulator, stack_file: Path
) -> None:
    aws_env.client("dynamodb").put_item(
        TableName=notifying_stack.physical_id("StateTable"),
        Item={
            "pk": {"S": "123456789012#us-east-1#vpce-0badbadbadbadbad0"},
            "sk": {"S": "private-dns-disabled"},
            "gsi1pk": {"S": "123456789012#us-east-1"},
            "status": {"S": "TICKETED"},
            "finding": {"S": "{not json"},
        },
    )

    report = drain(notifying_stack, positions_file(stack_file))

    assert len(report.invocations) == 1 + 10
    (given_up,) = dead_letters(aws_env, notifying_stack)
    assert given_up == report.given_up[0]
    assert given_up["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert given_up["requestContext"]["approximateInvokeCount"] == 11
    batch = given_up["DDBStreamBatchInfo"]
    assert batch["streamArn"] == notifying_stack.resources["StateTable"].attributes["StreamArn"]
    assert batch["startSequenceNumber"] == batch["endSequenceNumber"]
    assert batch["batchSize"] == 1


def test_drain_through_the_command_line_prints_the_invocations(
    notifying_stack: LocalStack, stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event_file = Path(__file__).parents[2] / "events" / "dynamodb-stream-state-changes.json"
    assert main(["local", "send", str(event_file), "--stack-file", str(stack_file)]) == 0
    capsys.readouterr()

    code = main(["local", "drain", "--stack-file", str(stack_file)])

    output = capsys.readouterr()
    assert code == 0
    assert all(invocation["function"] == "NotifierFunction" for invocation in json.loads(output.out))
    assert "stream record(s)" in output.err


def test_a_stack_without_a_stream_source_says_to_run_local_up(local_stack: LocalStack, stack_file: Path) -> None:
    stale = LocalStack(**{**local_stack.__dict__, "stream_sources": {}})

    with pytest.raises(LocalRunError, match="no DynamoDB stream event source"):
        drain(stale, positions_file(stack_file))


def test_ten_deliveries_of_one_event_record_each_finding_once_and_open_one_ticket_each(
    notifying_stack: LocalStack, aws_env: Emulator, stack_file: Path, receiver: Receiver
) -> None:
    ids = build_story(aws_env.client("ec2"), notifying_stack.region, notifying_stack.account_id)
    event = story_event("cloudtrail-create-vpc-endpoint-interface", ids)

    deliveries = send(notifying_stack, event, times=10)
    drain(notifying_stack, positions_file(stack_file))

    opened = deliveries[0].result["changes"]["opened"]
    assert opened
    assert all(delivery.result == deliveries[0].result for delivery in deliveries)
    assert len(receiver.issues) == len(opened)
