"""Snapshots on disk: the format, and clear errors for a directory that is not one."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from vpce_guard.snapshot import (
    GET_METRIC_DATA,
    OPERATIONS,
    RESULT_KEYS,
    SCOPE_FILE,
    Scope,
    Snapshot,
    SnapshotError,
    TrafficWindow,
)


def minimal(scope: Scope) -> Snapshot:
    """An empty region's snapshot; with the endpoints' traffic where the scope has a traffic window."""
    operations = (*OPERATIONS, GET_METRIC_DATA) if scope.traffic_window else OPERATIONS
    responses = {operation: {RESULT_KEYS[operation]: []} for operation in operations if operation in RESULT_KEYS}
    return Snapshot.from_responses(scope, responses | {"DescribeVpcAttribute": []})


WINDOW = TrafficWindow(
    datetime.datetime(2026, 11, 23, 7, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 12, 7, 7, 0, tzinfo=datetime.UTC),
)


def test_live_responses_are_normalised_to_json_without_response_metadata() -> None:
    created = datetime.datetime(2026, 11, 22, tzinfo=datetime.UTC)
    response = {"VpcEndpoints": [{"CreationTimestamp": created}], "ResponseMetadata": {"RequestId": "x"}}

    snapshot = Snapshot.from_responses(Scope("us-east-1"), {"DescribeVpcEndpoints": response})

    assert snapshot.response("DescribeVpcEndpoints") == {"VpcEndpoints": [{"CreationTimestamp": str(created)}]}


def test_save_then_load_gives_the_same_snapshot(tmp_path: Path) -> None:
    original = minimal(Scope("eu-west-1", vpc_ids=("vpc-1",)))
    original.save(tmp_path)

    assert Snapshot.load(tmp_path) == original


def test_a_snapshot_with_traffic_keeps_its_window(tmp_path: Path) -> None:
    original = minimal(Scope("eu-west-1", traffic_window=WINDOW))
    original.save(tmp_path)

    loaded = Snapshot.load(tmp_path)

    assert loaded == original
    assert loaded.scope.traffic_window == WINDOW


def test_traffic_without_its_window_is_refused(tmp_path: Path) -> None:
    minimal(Scope("eu-west-1", traffic_window=WINDOW)).save(tmp_path)
    (tmp_path / SCOPE_FILE).write_text(json.dumps({"region": "eu-west-1"}))

    with pytest.raises(SnapshotError, match=r"has GetMetricData\.json but not scan-scope\.json's traffic_window"):
        Snapshot.load(tmp_path)


def test_a_window_without_its_traffic_is_refused(tmp_path: Path) -> None:
    minimal(Scope("eu-west-1", traffic_window=WINDOW)).save(tmp_path)
    (tmp_path / "GetMetricData.json").unlink()

    with pytest.raises(SnapshotError, match=r"has scan-scope\.json's traffic_window but not GetMetricData\.json"):
        Snapshot.load(tmp_path)


def test_a_window_that_ends_before_it_starts_is_refused(tmp_path: Path) -> None:
    minimal(Scope("eu-west-1", traffic_window=WINDOW)).save(tmp_path)
    scope = json.loads((tmp_path / SCOPE_FILE).read_text())
    scope["traffic_window"] = {"start": WINDOW.end.isoformat(), "end": WINDOW.start.isoformat()}
    (tmp_path / SCOPE_FILE).write_text(json.dumps(scope))

    with pytest.raises(SnapshotError, match="traffic_window: the traffic window ends before it starts"):
        Snapshot.load(tmp_path)


def test_a_window_without_a_utc_offset_is_refused(tmp_path: Path) -> None:
    minimal(Scope("eu-west-1", traffic_window=WINDOW)).save(tmp_path)
    scope = json.loads((tmp_path / SCOPE_FILE).read_text())
    scope["traffic_window"]["start"] = WINDOW.start.replace(tzinfo=None).isoformat()
    (tmp_path / SCOPE_FILE).write_text(json.dumps(scope))

    with pytest.raises(SnapshotError, match=r"traffic_window\.start: Expected `datetime` with a timezone component"):
        Snapshot.load(tmp_path)


def test_traffic_is_checked_against_cloudwatchs_model(tmp_path: Path) -> None:
    minimal(Scope("eu-west-1", traffic_window=WINDOW)).save(tmp_path)
    (tmp_path / "GetMetricData.json").write_text(
        json.dumps({"MetricDataResults": [{"Label": "vpce-1", "Values": "9"}]})
    )

    with pytest.raises(SnapshotError, match=r"GetMetricData.json: MetricDataResults\[0\].Values: expected a list"):
        Snapshot.load(tmp_path)


def test_a_hand_made_snapshot_without_scope_file_needs_a_region(tmp_path: Path) -> None:
    minimal(Scope("eu-west-1")).save(tmp_path)
    (tmp_path / SCOPE_FILE).unlink()

    with pytest.raises(SnapshotError, match="give the region with --region"):
        Snapshot.load(tmp_path)


def test_a_hand_made_snapshot_takes_the_region_given(tmp_path: Path) -> None:
    minimal(Scope("eu-west-1")).save(tmp_path)
    (tmp_path / SCOPE_FILE).unlink()

    assert Snapshot.load(tmp_path, region="ap-south-1").scope.region == "ap-south-1"


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="does not exist"):
        Snapshot.load(tmp_path / "nowhere")


def test_invalid_json_names_the_file(tmp_path: Path) -> None:
    minimal(Scope("eu-west-1")).save(tmp_path)
    (tmp_path / "DescribeVpcs.json").write_text("{oops")

    with pytest.raises(SnapshotError, match=r"DescribeVpcs.json is not valid JSON"):
        Snapshot.load(tmp_path)


def test_files_are_pretty_json_with_sorted_keys(tmp_path: Path) -> None:
    minimal(Scope("eu-west-1")).save(tmp_path)

    text = (tmp_path / SCOPE_FILE).read_text()

    assert text == json.dumps({"endpoint_ids": [], "region": "eu-west-1", "vpc_ids": []}, indent=2) + "\n"


def test_a_response_cut_down_by_query_is_refused(tmp_path: Path) -> None:
    minimal(Scope("eu-west-1")).save(tmp_path)
    (tmp_path / "DescribeVpcEndpoints.json").write_text("[]")

    with pytest.raises(SnapshotError, match='an object with a "VpcEndpoints" list, got a list'):
        Snapshot.load(tmp_path)


def test_vpc_attributes_must_be_a_list_of_responses(tmp_path: Path) -> None:
    minimal(Scope("eu-west-1")).save(tmp_path)
    (tmp_path / "DescribeVpcAttribute.json").write_text('{"VpcId": "vpc-1"}')

    with pytest.raises(SnapshotError, match="expected a list of DescribeVpcAttribute responses, got an object"):
        Snapshot.load(tmp_path)


def test_a_scope_file_without_region_needs_one_given(tmp_path: Path) -> None:
    minimal(Scope("eu-west-1")).save(tmp_path)
    (tmp_path / SCOPE_FILE).write_text("{}")

    with pytest.raises(SnapshotError, match="names no region"):
        Snapshot.load(tmp_path)
