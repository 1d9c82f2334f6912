"""The command line through the emulator: JSON and table output, exit codes, snapshots."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
import botocore.retries.bucket
import pytest
from botocore.awsrequest import AWSResponse

from vpce_guard import cli
from vpce_guard.accounts import Accounts
from vpce_guard.aws import SCAN_RETRIES, AwsSession, CollectionError
from vpce_guard.checks import CheckSettings
from vpce_guard.cli import main
from vpce_guard.decisions import GuardConfig
from vpce_guard.pipeline import Pipeline
from vpce_guard.scan import ScanResult, scan_live
from vpce_guard.snapshot import GET_METRIC_DATA, OPERATIONS, SCOPE_FILE, Scope
from vpce_guard.state import StateStore
from vpce_guard_local.demo import REGION, DemoEstate
from vpce_guard_local.emulator import Emulator

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
    assert len(vpc_headers) == 4
    assert "    HIGH     private-dns-disabled" in out
    assert out.rstrip().splitlines()[-1].startswith("19 findings: ")


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


def test_unreachable_api_exits_2_with_the_failed_call(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")

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

    # endpoint-idle judges traffic: the snapshot holds it too.
    assert {path.name for path in tmp_path.iterdir()} == {f"{op}.json" for op in (*OPERATIONS, GET_METRIC_DATA)} | {
        SCOPE_FILE
    }
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
    assert len(records) == 19
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
    assert out.rstrip().endswith("19 records: 19 unresolved")


def test_findings_without_a_table_name_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("STATE_TABLE_NAME", raising=False)

    assert main(["findings", "--region", REGION]) == 2
    assert "no state table" in capsys.readouterr().err


def test_a_snapshot_scanned_as_another_region_exits_2_naming_both(
    aws_env: Emulator, demo_estate: DemoEstate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(scan(aws_env, "--save-snapshot", str(tmp_path)))
    capsys.readouterr()

    code = main(["scan", "--from-snapshot", str(tmp_path), "--region", "eu-west-1"])

    captured = capsys.readouterr()
    assert code == 2
    assert f"snapshot {tmp_path} was read in {REGION}, not eu-west-1" in captured.err
    assert captured.out == ""


def test_a_snapshot_is_not_saved_over_another(
    aws_env: Emulator, demo_estate: DemoEstate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(scan(aws_env, "--save-snapshot", str(tmp_path)))
    calls_before = len(aws_env.recorded_calls())

    code = main(scan(aws_env, "--save-snapshot", str(tmp_path)))

    assert code == 2
    assert f"{tmp_path} is not empty" in capsys.readouterr().err
    assert len(aws_env.recorded_calls()) == calls_before


def test_the_command_lines_scan_retries_adaptively_up_to_8_attempts(
    aws_env: Emulator, demo_estate: DemoEstate, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unset_retry_settings(monkeypatch)
    sessions: list[AwsSession] = []

    def recorded_scan(session: AwsSession, *args: Any, **kwargs: Any) -> ScanResult:
        sessions.append(session)
        return scan_live(session, *args, **kwargs)

    monkeypatch.setattr(cli, "scan_live", recorded_scan)

    main(scan(aws_env))

    assert sessions[0].client("ec2").meta.config.retries == {"mode": "adaptive", "total_max_attempts": 8}


def test_retry_settings_in_the_environment_win(
    aws_env: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")

    retries = AwsSession(REGION, endpoint_url=aws_env.url, retries=SCAN_RETRIES).client("ec2").meta.config.retries

    assert retries == {"mode": "standard", "total_max_attempts": 3}


def test_a_scan_completes_with_30_percent_of_its_calls_throttled(
    aws_env: Emulator, demo_estate: DemoEstate, monkeypatch: pytest.MonkeyPatch
) -> None:
    unset_retry_settings(monkeypatch)
    unthrottled = scan_live(AwsSession(REGION, endpoint_url=aws_env.url), Scope(REGION), CheckSettings())
    throttled = Throttle(random.Random(7).random, monkeypatch, share=0.3)
    session = AwsSession(REGION, endpoint_url=aws_env.url, retries=SCAN_RETRIES)
    throttled.attach(session)

    result = scan_live(session, Scope(REGION), CheckSettings())

    assert throttled.refused > 0
    assert result.findings == unthrottled.findings


def test_a_call_throttled_through_every_attempt_says_how_many_were_made(
    aws_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    unset_retry_settings(monkeypatch)
    session = AwsSession(REGION, endpoint_url=aws_env.url, retries=SCAN_RETRIES)
    Throttle(lambda: 0.0, monkeypatch, share=1.0).attach(session)

    with pytest.raises(CollectionError, match=r"DescribeVpcEndpoints failed in us-east-1 after 8 attempts: "):
        scan_live(session, Scope(REGION), CheckSettings())


def unset_retry_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No retry settings in the environment (the emulator's clients otherwise make one attempt)."""
    monkeypatch.delenv("AWS_RETRY_MODE", raising=False)
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)


class Throttle:
    """EC2 refusing a share of the calls with RequestLimitExceeded, as AWS throttles, before they are sent;
    botocore's backoff sleeps are recorded instead of slept, and its rate limiter reads a clock that a second
    passes on at each reading, so the test waits for nothing."""

    BODY = (
        b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
        b"</Message></Error></Errors><RequestID>throttled</RequestID></Response>"
    )

    def __init__(self, draw: Callable[[], float], monkeypatch: pytest.MonkeyPatch, share: float) -> None:
        self.draw, self.share, self.refused, self.sleeps = draw, share, 0, list[float]()
        monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=self.sleeps.append))
        monkeypatch.setattr(botocore.retries.bucket, "Clock", PassingClock)

    def attach(self, session: AwsSession) -> None:
        session.client("ec2").meta.events.register("before-send.ec2", self.before_send)

    def before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        if self.draw() >= self.share:
            return None
        self.refused += 1
        return AWSResponse(request.url, 503, {}, RawBody(self.BODY))


class PassingClock:
    """A clock for botocore's rate limiter on which a second passes at each reading."""

    def __init__(self) -> None:
        self.now = 0.0

    def current_time(self) -> float:
        self.now += 1.0
        return self.now

    def sleep(self, amount: float) -> None:
        self.now += amount


@dataclass
class RawBody:
    content: bytes

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.content
