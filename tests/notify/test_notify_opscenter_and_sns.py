"""The AWS channels through the emulator over HTTP: OpsCenter OpsItems (one per finding, deduplicated by the
finding's key, resolved when closed) and SNS (subject, body and filterable attributes)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from msgspec.structs import replace
from notify_support import ACCOUNT, ENDPOINT, REGION, VPC, ticketed_change

from vpce_guard.notify.opscenter import FINDING_KEY, LAST_CHANGE, OpsCenterTickets
from vpce_guard.notify.sns import SnsAnnouncer
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

TICKETED = ticketed_change("7e6d5c4b3a2f4e1d0c9b8a7f6e5d4c3b")
FAILED = replace(TICKETED, event_id="8f7e", old_status="OPEN", new_status="FAILED")
RESOLVED = replace(TICKETED, event_id="9a8f", old_status="TICKETED", new_status="RESOLVED")


@pytest.fixture
def ssm(aws_env: Emulator) -> Any:
    return aws_env.client("ssm", REGION)


@pytest.fixture
def opscenter(ssm: Any) -> OpsCenterTickets:
    return OpsCenterTickets(ssm)


def test_opening_creates_an_opsitem_for_the_finding(ssm: Any, opscenter: OpsCenterTickets) -> None:
    ops_item_id = opscenter.open(TICKETED, retry=False)

    item = ssm.get_ops_item(OpsItemId=ops_item_id)["OpsItem"]
    assert (item["Title"], item["Source"], item["Severity"], item["Category"], item["Status"]) == (
        f"Ticketed: HIGH private-dns-disabled on {ENDPOINT}",
        "vpce-guard",
        "2",
        "Security",
        "Open",
    )
    data = item["OperationalData"]
    assert data[FINDING_KEY] == {"Value": TICKETED.finding_key, "Type": "SearchableString"}
    assert json.loads(data["/aws/dedup"]["Value"]) == {"dedupString": TICKETED.finding_key}
    assert json.loads(data["/aws/resources"]["Value"]) == [
        {"arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-endpoint/{ENDPOINT}"}
    ]


def test_opening_again_while_open_returns_the_same_opsitem(ssm: Any, opscenter: OpsCenterTickets) -> None:
    first = opscenter.open(TICKETED, retry=False)

    assert opscenter.open(TICKETED, retry=True) == first
    assert len(ssm.describe_ops_items()["OpsItemSummaries"]) == 1


def test_a_comment_records_the_latest_change(ssm: Any, opscenter: OpsCenterTickets) -> None:
    ops_item_id = opscenter.open(TICKETED, retry=False)

    opscenter.comment(ops_item_id, FAILED, retry=False)

    item = ssm.get_ops_item(OpsItemId=ops_item_id)["OpsItem"]
    assert item["OperationalData"][LAST_CHANGE]["Value"].startswith("Remediation failed: HIGH private-dns-disabled")
    assert item["Status"] == "Open"


def test_closing_resolves_the_opsitem(ssm: Any, opscenter: OpsCenterTickets) -> None:
    ops_item_id = opscenter.open(TICKETED, retry=False)

    opscenter.close(ops_item_id, RESOLVED, retry=False)

    assert ssm.get_ops_item(OpsItemId=ops_item_id)["OpsItem"]["Status"] == "Resolved"


def test_a_finding_back_after_it_was_resolved_gets_a_new_opsitem(opscenter: OpsCenterTickets) -> None:
    first = opscenter.open(TICKETED, retry=False)
    opscenter.close(first, RESOLVED, retry=False)

    assert opscenter.open(replace(TICKETED, event_id="0b9a"), retry=False) != first


def test_an_opsitem_for_a_vpc_names_the_vpc(ssm: Any, opscenter: OpsCenterTickets) -> None:
    finding = {**TICKETED.finding, "resource_type": "AWS::EC2::VPC", "check_id": "missing-baseline-endpoint"}
    change = replace(TICKETED, resource_id=VPC, check_id="missing-baseline-endpoint", finding=finding)

    item = ssm.get_ops_item(OpsItemId=opscenter.open(change, retry=False))["OpsItem"]

    assert json.loads(item["OperationalData"]["/aws/resources"]["Value"]) == [
        {"arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{VPC}"}
    ]


def test_an_announcement_reaches_topic_subscribers_with_subject_body_and_attributes(aws_env: Emulator) -> None:
    sns, sqs = aws_env.client("sns", REGION), aws_env.client("sqs", REGION)
    topic = sns.create_topic(Name="vpce-guard-notifications")["TopicArn"]
    queue = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    SnsAnnouncer(sns, topic).announce(RESOLVED)

    (message,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    envelope = json.loads(message["Body"])
    assert envelope["Subject"] == f"vpce-guard: Resolved: HIGH private-dns-disabled on {ENDPOINT}"
    assert f"Account: {ACCOUNT}" in envelope["Message"]
    assert RESOLVED.event_id in envelope["Message"]
    assert {name: value["Value"] for name, value in envelope["MessageAttributes"].items()} == {
        "check_id": "private-dns-disabled",
        "severity": "HIGH",
        "status": "RESOLVED",
    }
