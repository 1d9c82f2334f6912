"""Stream records read as state changes (vpce_guard.notify.events): the scenarios of its docstring, on the
sample batch events/dynamodb-stream-state-changes.json and variations of it. No AWS."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from vpce_guard.notify.events import ChangeKind, MalformedRecord, StateChange, state_change
from vpce_guard_local.samples import load_event

SAMPLE = "dynamodb-stream-state-changes"
MARKER, APPEARED, UPDATED, RESOLVED, EXPIRED = range(5)


def sample_record(index: int) -> dict[str, Any]:
    record: dict[str, Any] = load_event(SAMPLE)["Records"][index]
    return record


def change_of(raw: dict[str, Any]) -> StateChange | None:
    (record,) = DynamoDBStreamEvent({"Records": [raw]}).records
    return state_change(record)


def changed(raw: dict[str, Any]) -> StateChange:
    change = change_of(raw)
    assert change is not None
    return change


def set_attribute(image: dict[str, Any], name: str, value: str) -> None:
    image[name] = {"S": value}


def test_an_inserted_finding_appears_with_its_first_status() -> None:
    change = changed(sample_record(APPEARED))

    assert (change.kind, change.old_status, change.new_status) == (ChangeKind.APPEARED, None, "TICKETED")
    assert change.finding_key == "111122223333/us-east-1/vpce-09a4cbd787f6c813e/private-dns-disabled"
    assert change.event_id == "1f2e4d6c8b0a4f3e9d7c5b3a1e0f2d4c"
    assert change.finding["title"] == "Interface endpoint has private DNS disabled"


def test_new_content_with_the_same_status_is_an_update() -> None:
    change = changed(sample_record(UPDATED))

    assert (change.kind, change.old_status, change.new_status) == (ChangeKind.UPDATED, "TICKETED", "TICKETED")


def test_another_status_is_a_transition() -> None:
    change = changed(sample_record(RESOLVED))

    assert (change.kind, change.old_status, change.new_status) == (ChangeKind.TRANSITION, "TICKETED", "RESOLVED")


def test_a_finding_back_after_it_was_resolved_appears_again() -> None:
    raw = sample_record(RESOLVED)
    dynamodb = raw["dynamodb"]
    dynamodb["OldImage"], dynamodb["NewImage"] = dynamodb["NewImage"], dynamodb["OldImage"]

    change = changed(raw)

    assert (change.kind, change.old_status, change.new_status) == (ChangeKind.APPEARED, "RESOLVED", "TICKETED")


def test_a_vpc_marker_is_not_a_state_change() -> None:
    assert change_of(sample_record(MARKER)) is None


def test_a_record_removed_by_ttl_is_not_a_state_change() -> None:
    assert change_of(sample_record(EXPIRED)) is None


def test_a_rewrite_changing_neither_status_nor_content_is_not_a_state_change() -> None:
    raw = sample_record(UPDATED)
    raw["dynamodb"]["OldImage"] = copy.deepcopy(raw["dynamodb"]["NewImage"])
    set_attribute(raw["dynamodb"]["NewImage"], "last_seen", "2026-01-01T10:00:00+00:00")

    assert change_of(raw) is None


def test_new_content_of_a_resolved_finding_is_not_a_state_change() -> None:
    raw = sample_record(RESOLVED)
    raw["dynamodb"]["OldImage"] = copy.deepcopy(raw["dynamodb"]["NewImage"])
    finding = json.loads(raw["dynamodb"]["NewImage"]["finding"]["S"])
    set_attribute(raw["dynamodb"]["NewImage"], "finding", json.dumps({**finding, "detail": "changed"}))

    assert change_of(raw) is None


@pytest.mark.parametrize("sort_key", ["delivery#private-dns-disabled#1f2e#slack", "ticket#private-dns-disabled#jira"])
def test_the_notifiers_own_items_are_not_state_changes(sort_key: str) -> None:
    raw = sample_record(APPEARED)
    raw["dynamodb"]["Keys"]["sk"] = {"S": sort_key}
    raw["dynamodb"]["NewImage"] = {
        "pk": raw["dynamodb"]["Keys"]["pk"],
        "sk": {"S": sort_key},
        "state": {"S": "sent"},
        "finding_key": {"S": "111122223333/us-east-1/vpce-09a4cbd787f6c813e/private-dns-disabled"},
    }

    assert change_of(raw) is None


def test_a_finding_record_without_a_status_is_malformed() -> None:
    raw = sample_record(APPEARED)
    del raw["dynamodb"]["NewImage"]["status"]

    with pytest.raises(
        MalformedRecord,
        match=r"stream record 1f2e\w+ \(111122223333#.*: dynamodb\.NewImage: Object missing required field `status`",
    ):
        change_of(raw)


def test_a_finding_record_whose_finding_is_not_json_is_malformed() -> None:
    raw = sample_record(APPEARED)
    set_attribute(raw["dynamodb"]["NewImage"], "finding", "{not json")

    with pytest.raises(MalformedRecord, match=r"dynamodb\.NewImage\.finding\.S: JSON is malformed"):
        change_of(raw)


def test_a_finding_that_is_json_but_not_an_object_is_malformed() -> None:
    raw = sample_record(APPEARED)
    set_attribute(raw["dynamodb"]["NewImage"], "finding", "[1, 2]")

    with pytest.raises(MalformedRecord, match=r"dynamodb\.NewImage\.finding\.S: Expected `object`, got `array`"):
        change_of(raw)


def test_a_status_no_finding_has_is_malformed() -> None:
    raw = sample_record(APPEARED)
    set_attribute(raw["dynamodb"]["NewImage"], "status", "DONE")

    with pytest.raises(MalformedRecord, match=r"dynamodb\.NewImage\.status\.S: Invalid enum value 'DONE'"):
        change_of(raw)


def test_an_old_image_without_a_status_is_malformed() -> None:
    raw = sample_record(UPDATED)
    del raw["dynamodb"]["OldImage"]["status"]

    with pytest.raises(MalformedRecord, match=r"dynamodb\.OldImage: Object missing required field `status`"):
        change_of(raw)


def test_an_old_image_whose_finding_is_not_json_is_malformed_though_the_status_changed() -> None:
    raw = sample_record(RESOLVED)
    set_attribute(raw["dynamodb"]["OldImage"], "finding", "{not json")

    with pytest.raises(MalformedRecord, match=r"dynamodb\.OldImage\.finding\.S: JSON is malformed"):
        change_of(raw)


def test_an_account_id_that_is_not_twelve_digits_is_malformed() -> None:
    raw = sample_record(APPEARED)
    set_attribute(raw["dynamodb"]["NewImage"], "account_id", "11112222333")

    with pytest.raises(
        MalformedRecord, match=r"dynamodb\.NewImage\.account_id: '11112222333' is not an AWS account id"
    ):
        change_of(raw)


def test_a_change_id_of_another_type_is_malformed_not_read_as_absent() -> None:
    raw = sample_record(RESOLVED)
    raw["dynamodb"]["NewImage"]["change_id"] = {"N": "7"}

    with pytest.raises(MalformedRecord, match=r"dynamodb\.NewImage\.change_id: Object contains unknown field `N`"):
        change_of(raw)


def test_an_unknown_event_name_is_malformed() -> None:
    raw = sample_record(APPEARED)
    raw["eventName"] = "UPSERT"

    with pytest.raises(MalformedRecord, match=r"stream record 1f2e\w+: eventName: Invalid enum value 'UPSERT'"):
        change_of(raw)


def test_a_modify_without_its_old_image_is_malformed_since_appeared_and_updated_look_alike() -> None:
    raw = sample_record(UPDATED)
    del raw["dynamodb"]["OldImage"]

    with pytest.raises(MalformedRecord, match=r"no dynamodb\.OldImage, which a MODIFY record of the stream carries"):
        change_of(raw)


def test_a_stream_without_old_and_new_images_is_malformed() -> None:
    raw = sample_record(APPEARED)
    raw["dynamodb"]["StreamViewType"] = "KEYS_ONLY"

    with pytest.raises(MalformedRecord, match=r"dynamodb\.StreamViewType: Invalid enum value 'KEYS_ONLY'"):
        change_of(raw)


def test_a_record_without_an_event_id_is_malformed() -> None:
    raw = sample_record(APPEARED)
    del raw["eventID"]

    with pytest.raises(
        MalformedRecord,
        match=r"a stream record without an eventID: the record: Object missing required field `eventID`",
    ):
        change_of(raw)


def test_the_note_comes_from_the_records_remediation_note() -> None:
    raw = sample_record(APPEARED)
    set_attribute(raw["dynamodb"]["NewImage"], "remediation_note", "Another endpoint of the service holds the name.")

    assert changed(raw).note == "Another endpoint of the service holds the name."


def test_a_record_without_a_remediation_note_has_no_note() -> None:
    assert changed(sample_record(APPEARED)).note is None


def test_a_remediation_note_of_another_type_is_malformed_not_read_as_absent() -> None:
    raw = sample_record(APPEARED)
    raw["dynamodb"]["NewImage"]["remediation_note"] = {"NULL": True}

    with pytest.raises(
        MalformedRecord, match=r"dynamodb\.NewImage\.remediation_note: Object contains unknown field `NULL`"
    ):
        change_of(raw)


def test_the_change_is_dated_by_the_records_first_seen_and_the_streams_time() -> None:
    change = changed(sample_record(APPEARED))

    assert change.first_seen == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    assert change.changed_at == datetime(2026, 1, 1, 9, 0, 1, tzinfo=UTC)


def test_a_record_without_times_has_none() -> None:
    raw = sample_record(APPEARED)
    del raw["dynamodb"]["ApproximateCreationDateTime"], raw["dynamodb"]["NewImage"]["first_seen"]

    assert (changed(raw).first_seen, changed(raw).changed_at) == (None, None)


def test_a_first_seen_that_is_not_a_time_is_malformed() -> None:
    raw = sample_record(APPEARED)
    set_attribute(raw["dynamodb"]["NewImage"], "first_seen", "yesterday")

    with pytest.raises(MalformedRecord, match=r"dynamodb\.NewImage\.first_seen\.S: Invalid RFC3339 encoded datetime"):
        change_of(raw)


def test_the_change_id_comes_from_the_record() -> None:
    raw = sample_record(RESOLVED)
    set_attribute(raw["dynamodb"]["NewImage"], "status", "REMEDIATED")
    set_attribute(raw["dynamodb"]["NewImage"], "change_id", "chg-20260101T092000Z-7f3a")

    assert changed(raw).change_id == "chg-20260101T092000Z-7f3a"


def test_the_change_id_comes_from_the_finding_when_the_record_has_none() -> None:
    raw = sample_record(RESOLVED)
    finding = json.loads(raw["dynamodb"]["NewImage"]["finding"]["S"])
    set_attribute(raw["dynamodb"]["NewImage"], "finding", json.dumps({**finding, "change_id": "chg-1"}))

    assert changed(raw).change_id == "chg-1"


def test_the_powertools_data_class_reads_every_sample_record() -> None:
    records = list(DynamoDBStreamEvent(load_event(SAMPLE)).records)

    assert all(isinstance(record, DynamoDBRecord) for record in records)
    assert [state_change(record) is not None for record in records] == [False, True, True, True, False]
