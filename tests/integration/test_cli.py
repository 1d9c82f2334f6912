"""The command line through the emulator: JSON and table output, exit codes, snapshots."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vpce_guard.accounts import Accounts
from vpce_guard.aws import AwsSession
from vpce_guard.cli import main
from vpce_guard.decisions import GuardConfig
from vpce_guard.demo import REGION, DemoEstate
from vpce_guard.emulator import Emulator
from vpce_guard.pipeline import Pipeline
from vpce_guard.snapshot import OPERATIONS, SCOPE_FILE, Scope
from vpce_guard.state import StateStore

pytestmark = pytest.mark.server

FINDING_KEYS = [
    "check_id", "resource_type", "resource_id", "account_id", "region", "vpc_id",
    "service_name", "severity", "title", "detail", "evidence", "remediation",
]  # fmt: skip


def scan(aws_env: Emulator, *arguments: str) -> list[str]:
    return ["scan", "--region", REGION, "--endpoint-url", aws_env.url, *arguments]


def test_json_output_is_an_array_of_findings_in_the_design_shape(
    aws_env: Emulator, demo_estate: DemoEstate, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(scan(aws_env, "--format", "json"))

    findings = json.loads(capsys.readouterr().out)
    assert code == 0
    assert findings
    assert all(list(finding) == FINDING_KEYS for finding in findings)
    assert all(set(finding["remediation"]) == {"action", "automatic"} for finding in findings)


def test_diagnostics_go_to_stderr_not_into_the_json(
    aws_env: Emulator, demo_estate: DemoEstate, capsys: pytest.CaptureFixture[str]
) -> None:
    main(scan(aws_env, "--format", "json"))

    captured = capsys.readouterr()
    assert "API calls" in captured.err
    assert "API calls" not in captured.out


def test_table_groups_findings_by_vpc_and_endpoint_with_severities(
    aws_env: Emulator, demo_estate: DemoEstate, capsys: pytest.CaptureFixture[str]
) -> None:
    main(scan(aws_env))

    out = capsys.readouterr().out
    vpc_headers = [line for line in out.splitlines() if line.startswith("vpc-")]
    assert len(vpc_headers) == 3
    assert "    HIGH     private-dns-disabled" in out
    assert out.rstrip().splitlines()[-1].startswith("12 findings: ")


def test_fail_on_exits_1_when_a_finding_reaches_the_severity(
    aws_env: Emulator, demo_estate: DemoEstate, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(scan(aws_env, "--fail-on", "high")) == 1


def test_fail_on_exits_0_when_no_finding_reaches_the_severity(
    aws_env: Emulator, demo_estate: DemoEstate, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(scan(aws_env, "--fail-on", "CRITICAL")) == 0


def test_unknown_check_id_exits_2_listing_the_known_ones(aws_env: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(scan(aws_env, "--checks", "private-dns-disabled,no-such-check"))

    assert code == 2
    assert "unknown check id(s): no-such-check; known: private-dns-disabled" in capsys.readouterr().err


def test_unreachable_api_exits_2_with_the_failed_call(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--region", REGION, "--endpoint-url", "http://127.0.0.1:9"])

    captured = capsys.readouterr()
    assert code == 2
    assert "DescribeVpcEndpoints failed in us-east-1" in captured.err
    assert captured.out == ""


def test_snapshot_round_trip_gives_identical_findings(
    aws_env: Emulator, demo_estate: DemoEstate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(scan(aws_env, "--format", "json", "--save-snapshot", str(tmp_path)))
    live = capsys.readouterr().out

    main(["scan", "--from-snapshot", str(tmp_path), "--format", "json"])

    assert capsys.readouterr().out == live


def test_snapshot_holds_one_file_per_operation(
    aws_env: Emulator, demo_estate: DemoEstate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(scan(aws_env, "--save-snapshot", str(tmp_path)))

    assert {path.name for path in tmp_path.iterdir()} == {f"{op}.json" for op in OPERATIONS} | {SCOPE_FILE}
    assert isinstance(json.loads((tmp_path / "DescribeVpcAttribute.json").read_text()), list)
    assert "VpcEndpoints" in json.loads((tmp_path / "DescribeVpcEndpoints.json").read_text())


def test_scan_from_snapshot_needs_no_aws(
    aws_env: Emulator,
    demo_estate: DemoEstate,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(scan(aws_env, "--save-snapshot", str(tmp_path)))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")

    code = main(["scan", "--from-snapshot", str(tmp_path), "--fail-on", "HIGH"])

    assert code == 1


def test_snapshot_missing_a_file_exits_2_naming_it(
    aws_env: Emulator, demo_estate: DemoEstate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(scan(aws_env, "--save-snapshot", str(tmp_path)))
    (tmp_path / "DescribeSubnets.json").unlink()

    code = main(["scan", "--from-snapshot", str(tmp_path)])

    assert code == 2
    assert "lacks DescribeSubnets.json" in capsys.readouterr().err


def test_unreadable_policy_in_a_snapshot_is_reported_and_exits_2(
    aws_env: Emulator, demo_estate: DemoEstate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(scan(aws_env, "--save-snapshot", str(tmp_path)))
    endpoints_file = tmp_path / "DescribeVpcEndpoints.json"
    endpoints = json.loads(endpoints_file.read_text())
    broken = endpoints["VpcEndpoints"][0]
    broken["PolicyDocument"] = "not json{"
    endpoints_file.write_text(json.dumps(endpoints))
    capsys.readouterr()

    code = main(["scan", "--from-snapshot", str(tmp_path), "--format", "json"])

    captured = capsys.readouterr()
    assert code == 2
    assert f"{broken['VpcEndpointId']}: endpoint policy cannot be read" in captured.err
    assert json.loads(captured.out)


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "vpce-guard"

    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)

    assert result.stdout.startswith("vpce-guard ")


def test_a_vpc_that_does_not_exist_exits_2_instead_of_reading_clean(
    aws_env: Emulator, demo_estate: DemoEstate, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(scan(aws_env, "--vpc-id", "vpc-0123456789abcdef0"))

    assert code == 2
    assert "not found in us-east-1: vpc-0123456789abcdef0" in capsys.readouterr().err


def test_endpoint_scope_shows_the_findings_of_those_endpoints_vpcs(
    aws_env: Emulator, demo_estate: DemoEstate, capsys: pytest.CaptureFixture[str]
) -> None:
    kms = next(resource.resource_id for resource in demo_estate.resources if "KMS" in resource.story)

    code = main(scan(aws_env, "--endpoint-ids", kms, "--format", "json"))

    checks = {(f["resource_id"], f["check_id"]) for f in json.loads(capsys.readouterr().out)}
    assert code == 0
    assert (kms, "vpc-dns-disabled") in checks


def test_findings_lists_what_an_evaluation_recorded(
    aws_env: Emulator, demo_estate: DemoEstate, state_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    session = AwsSession(REGION, endpoint_url=aws_env.url)
    store = StateStore(session.client("dynamodb"), state_table)
    Pipeline(Accounts(lambda region: session), store, GuardConfig()).evaluate("123456789012", Scope(REGION))
    listing = ["findings", "--table", state_table, "--region", REGION, "--endpoint-url", aws_env.url]

    code = main([*listing, "--status", "TICKETED", "--format", "json"])

    records = json.loads(capsys.readouterr().out)
    assert code == 0
    assert len(records) == 12
    assert {record["status"] for record in records} == {"TICKETED"}


def test_findings_table_shows_status_severity_and_check(
    aws_env: Emulator, demo_estate: DemoEstate, state_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    session = AwsSession(REGION, endpoint_url=aws_env.url)
    store = StateStore(session.client("dynamodb"), state_table)
    Pipeline(Accounts(lambda region: session), store, GuardConfig()).evaluate("123456789012", Scope(REGION))

    main(["findings", "--table", state_table, "--region", REGION, "--endpoint-url", aws_env.url])

    out = capsys.readouterr().out
    assert "  TICKETED  HIGH     private-dns-disabled" in out
    assert out.rstrip().endswith("12 records: 12 unresolved")


def test_findings_without_a_table_name_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("STATE_TABLE_NAME", raising=False)

    assert main(["findings", "--region", REGION]) == 2
    assert "no state table" in capsys.readouterr().err
