"""Fixtures of the notifier's tests: a local receiver standing for Slack and Jira, the state table built from
template.yaml, secrets and a topic in the emulator, and the notifier wired as its function wires it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from notify_support import ACCOUNT

from vpce_guard.aws import AwsSession
from vpce_guard.notify.function import NotifierEnvironment, build_notifier
from vpce_guard.notify.notifier import Notifier
from vpce_guard.state import StateStore
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.receiver import Receiver
from vpce_guard_local.sam.deploy import create_table
from vpce_guard_local.sam.streams import stream_records
from vpce_guard_local.sam.template import SamTemplate

REGION = "us-east-1"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def state_table(aws_env: Emulator, sam_template: SamTemplate) -> str:
    """The state table, created in the emulator from template.yaml's own definition."""
    name = "vpce-guard-StateTable"
    create_table(aws_env.client("dynamodb"), name, sam_template.resources["StateTable"]["Properties"])
    return name


@pytest.fixture
def store(aws_env: Emulator, state_table: str) -> StateStore:
    return StateStore(aws_env.client("dynamodb", REGION), state_table)


@pytest.fixture
def channels(aws_env: Emulator, receiver: Receiver, state_table: str) -> NotifierEnvironment:
    """Every channel on: Slack and Jira at the receiver (through Secrets Manager), OpsCenter, a topic, and the
    account's Security Hub."""
    secrets = aws_env.client("secretsmanager", REGION)
    return NotifierEnvironment(
        region=REGION,
        state_table=state_table,
        topic_arn=aws_env.client("sns", REGION).create_topic(Name="vpce-guard-notifications")["TopicArn"],
        slack_secret_id=secrets.create_secret(Name="slack", SecretString=receiver.slack_webhook_url)["ARN"],
        jira_secret_id=secrets.create_secret(Name="jira", SecretString=receiver.jira_secret())["ARN"],
        opscenter=True,
        security_hub=True,
        account_id=ACCOUNT,
    )


@pytest.fixture
def notifier(channels: NotifierEnvironment, aws_env: Emulator) -> Notifier:
    return build_notifier(channels, AwsSession(REGION, endpoint_url=aws_env.url))


@pytest.fixture
def read_stream(aws_env: Emulator, state_table: str) -> Callable[[], list[dict[str, Any]]]:
    """The state table's stream records not read yet, shaped as Lambda delivers them."""
    stream_arn = aws_env.client("dynamodb", REGION).describe_table(TableName=state_table)["Table"]["LatestStreamArn"]
    after: dict[str, str] = {}

    def read() -> list[dict[str, Any]]:
        shards = stream_records(aws_env.client("dynamodbstreams", REGION), stream_arn, REGION, after)
        for shard_id, records in shards.items():
            after[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
        return [record for records in shards.values() for record in records]

    return read
