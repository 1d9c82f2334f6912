"""Properties of the stream record boundary over generated records: reading a record gives a StateChange or
None, or refuses it with a MalformedRecord naming the record; never another exception. The records are any
JSON, and the sample batch's records broken one field at a time: deleted, given another type or another
attribute type, a finding that is not JSON, an unknown event name. No AWS."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import msgspec
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from hypothesis import given, settings
from hypothesis import strategies as st

from vpce_guard import identifiers
from vpce_guard.notify.events import FindingRecord, MalformedRecord, StateChange, state_change
from vpce_guard.vocabulary import FINDING_ATTRIBUTE, Status
from vpce_guard_local.samples import load_event

SAMPLE_RECORDS: list[dict[str, Any]] = load_event("dynamodb-stream-state-changes")["Records"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
# DynamoDB attribute values, well-formed or not: every type tag, wrong contents, unknown tags, several tags.
ATTRIBUTES = st.dictionaries(
    st.sampled_from(["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "X"]), JSON, min_size=0, max_size=2
) | st.builds(lambda value: {"S": value}, st.text(max_size=20) | st.sampled_from(["OPEN", "RESOLVED", "[]", "{}"]))
EVENT_NAMES = st.sampled_from(["INSERT", "MODIFY", "REMOVE", "insert", "UPSERT", ""]) | JSON
FINDINGS = st.text(max_size=30) | JSON.map(json.dumps)
# The image attributes the notifier reads, as its schemas declare them.
DECLARED = {FINDING_ATTRIBUTE, *(field.encode_name for field in msgspec.structs.fields(FindingRecord))}


def read(raw: Any) -> StateChange | MalformedRecord | None:
    try:
        return state_change(DynamoDBRecord(raw))
    except MalformedRecord as error:
        return error


def is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path inside ``value``'s dicts and lists."""
    members = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, member in members:
        yield (*at, key)
        yield from paths(member, (*at, key))


def broken(record: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """``record`` with the member at ``path`` deleted (``value`` is ``...``) or replaced by ``value``."""
    changed = copy.deepcopy(record)
    *parents, key = path
    container = changed
    for parent in parents:
        container = container[parent]
    if value is ...:
        del container[key]
    else:
        container[key] = value
    return changed


@settings(max_examples=150)
@given(raw=JSON)
def test_any_json_is_read_or_refused_with_a_malformed_record(raw: Any) -> None:
    assert isinstance(read(raw), StateChange | MalformedRecord | None)


@settings(max_examples=150)
@given(data=st.data(), record=st.sampled_from(SAMPLE_RECORDS))
def test_a_record_broken_anywhere_is_read_or_refused_naming_the_record(
    data: st.DataObject, record: dict[str, Any]
) -> None:
    path = data.draw(st.sampled_from(list(paths(record))), label="path")
    value = data.draw(st.just(...) | JSON | ATTRIBUTES, label="value")

    reading = read(broken(record, path, value))

    assert isinstance(reading, StateChange | MalformedRecord | None)
    if isinstance(reading, MalformedRecord):
        assert str(reading).startswith(("stream record ", "a stream record without an eventID"))


@settings(max_examples=150)
@given(
    record=st.sampled_from(SAMPLE_RECORDS),
    image=st.sampled_from(["NewImage", "OldImage"]),
    attribute=st.sampled_from(sorted(DECLARED)),
    value=st.just(...) | ATTRIBUTES,
)
def test_a_change_is_read_only_from_attributes_of_the_declared_types(
    record: dict[str, Any], image: str, attribute: str, value: Any
) -> None:
    raw = record
    if image in record["dynamodb"] and (attribute in record["dynamodb"][image] or value is not ...):
        raw = broken(record, ("dynamodb", image, attribute), value)

    reading = read(raw)

    if isinstance(reading, StateChange):
        assert reading.new_status in set(Status)
        assert reading.old_status is None or reading.old_status in set(Status)
        assert identifiers.account_id(reading.account_id) == reading.account_id
        assert identifiers.region(reading.region) == reading.region
        assert all(isinstance(text, str) for text in (reading.resource_id, reading.check_id, reading.vpc_id))
        assert reading.note is None or isinstance(reading.note, str)
        assert isinstance(reading.finding, dict)


@settings(max_examples=150)
@given(record=st.sampled_from(SAMPLE_RECORDS), event_name=EVENT_NAMES, finding=FINDINGS)
def test_unknown_event_names_and_findings_that_are_not_json_objects_are_refused(
    record: dict[str, Any], event_name: Any, finding: str
) -> None:
    raw = broken(record, ("eventName",), event_name)
    if "NewImage" in raw["dynamodb"]:
        raw = broken(raw, ("dynamodb", "NewImage", "finding"), {"S": finding})

    reading = read(raw)

    unknown_event = event_name not in ("INSERT", "MODIFY", "REMOVE")
    finding_record = event_name != "REMOVE" and FINDING_ATTRIBUTE in raw["dynamodb"].get("NewImage", {})
    if unknown_event or (finding_record and not is_json_object(finding)):
        assert isinstance(reading, MalformedRecord)
    elif isinstance(reading, StateChange):
        assert reading.finding == json.loads(finding)


@settings(max_examples=50)
@given(
    record=st.sampled_from(SAMPLE_RECORDS),
    noise=st.dictionaries(st.text(min_size=1, max_size=10).filter(lambda name: name not in DECLARED), ATTRIBUTES),
)
def test_attributes_the_notifier_does_not_read_do_not_change_its_reading(
    record: dict[str, Any], noise: dict[str, Any]
) -> None:
    """The state table's items hold more than the notifier reads (severity, digest, last_seen, ...): an
    attribute it does not declare can neither change a reading nor refuse one."""
    noisy = copy.deepcopy(record)
    for image in ("NewImage", "OldImage"):
        if image in noisy["dynamodb"]:
            noisy["dynamodb"][image].update(noise)

    assert read(noisy) == read(record)
