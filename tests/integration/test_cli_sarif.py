"""`--format sarif` through the emulator: the demo estate's findings as a valid SARIF log, from a scan and from
the state table (`findings`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sarif_support import assert_code_scanning_fields, valid_sarif

from vpce_guard.accounts import Accounts
from vpce_guard.aws import AwsSession
from vpce_guard.checks import CHECKS
from vpce_guard.cli import main
from vpce_guard.decisions import GuardConfig
from vpce_guard.findings import ENDPOINT_RESOURCE
from vpce_guard.pipeline import Pipeline
from vpce_guard.sarif import LEVELS
from vpce_guard.snapshot import Scope
from vpce_guard.state import Record, StateStore
from vpce_guard.vocabulary import record_key
from vpce_guard_local.demo import REGION, DemoEstate
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server


def test_a_scan_in_sarif_holds_one_result_per_finding_each_named_by_its_resource(
    aws_env: Emulator, demo_estate: DemoEstate, capsys: pytest.CaptureFixture[str]
) -> None:
    scan = ["scan", "--region", REGION, "--endpoint-url", aws_env.url]
    main([*scan, "--format", "json"])
    findings = json.loads(capsys.readouterr().out)

    code = main([*scan, "--format", "sarif"])

    log = valid_sarif(capsys.readouterr().out)
    assert code == 0
    assert_code_scanning_fields(log, in_files=False)
    results = log["runs"][0]["results"]
    assert [result["properties"]["finding"] for result in results] == findings
    assert [(result["ruleId"], result["level"], result["message"]["text"]) for result in results] == [
        (finding["check_id"], LEVELS[finding["severity"]], finding["detail"]) for finding in findings
    ]
    assert {result["ruleId"] for result in results} <= set(CHECKS)
    assert len({json.dumps(result["partialFingerprints"]) for result in results}) == len(findings)
    for result, finding in zip(results, findings, strict=True):
        (logical,) = result["locations"][0]["logicalLocations"]
        kind = "vpc-endpoint" if finding["resource_type"] == ENDPOINT_RESOURCE else "vpc"
        assert logical == {
            "name": finding["resource_id"],
            "kind": "resource",
            "fullyQualifiedName": f"arn:aws:ec2:{REGION}:{finding['account_id']}:{kind}/{finding['resource_id']}",
        }


def test_findings_in_sarif_holds_the_state_tables_findings_each_with_its_status(
    aws_env: Emulator, demo_estate: DemoEstate, state_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    session = AwsSession(REGION, endpoint_url=aws_env.url)
    store = StateStore(session.client("dynamodb"), state_table)
    Pipeline(Accounts(lambda region: session), store, GuardConfig()).evaluate("123456789012", Scope(REGION))
    listing = ["findings", "--table", state_table, "--region", REGION, "--endpoint-url", aws_env.url]
    main([*listing, "--format", "json"])
    records = json.loads(capsys.readouterr().out)

    code = main([*listing, "--format", "sarif"])

    results = valid_sarif(capsys.readouterr().out)["runs"][0]["results"]
    assert code == 0
    assert [result["properties"]["finding"] for result in results] == [record["finding"] for record in records]
    assert [result["properties"]["status"] for result in results] == [record["status"] for record in records]
    assert all(result["provenance"]["firstDetectionTimeUtc"].endswith("Z") for result in results)


def test_findings_refuses_a_readme_url_for_a_format_without_links(
    aws_env: Emulator, state_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = ["findings", "--table", state_table, "--region", REGION, "--endpoint-url", aws_env.url]

    code = main([*listing, "--readme-url", "https://github.com/acme/vpce-guard/blob/main/README.md"])

    assert code == 2
    assert "--readme-url goes with --format sarif or html" in capsys.readouterr().err


@pytest.mark.parametrize("output", ["sarif", "html"])
def test_a_stored_finding_in_another_shape_is_an_error_naming_its_record(
    aws_env: Emulator, demo_estate: DemoEstate, state_table: str, output: str, capsys: pytest.CaptureFixture[str]
) -> None:
    record = damage_a_record(aws_env, state_table, lambda finding, seen: (without_remediation(finding), seen))
    listing = ["findings", "--table", state_table, "--region", REGION, "--endpoint-url", aws_env.url]

    code = main([*listing, "--format", output])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert f"the record of {record.check_id} on {record.resource_id}" in captured.err
    assert "missing 'remediation'" in captured.err


def test_a_stored_time_vpce_guard_did_not_write_is_an_error_naming_its_record(
    aws_env: Emulator, demo_estate: DemoEstate, state_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    record = damage_a_record(aws_env, state_table, lambda finding, seen: (finding, "last Tuesday"))
    listing = ["findings", "--table", state_table, "--region", REGION, "--endpoint-url", aws_env.url]

    code = main([*listing, "--format", "sarif"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert f"the record of {record.check_id} on {record.resource_id}" in captured.err
    assert "'last Tuesday' where vpce-guard writes an ISO 8601 time" in captured.err


def without_remediation(finding: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in finding.items() if key != "remediation"}


def damage_a_record(
    aws_env: Emulator, state_table: str, damage: Callable[[dict[str, Any], str], tuple[dict[str, Any], str]]
) -> Record:
    """The demo estate evaluated into the state table, then one record's stored finding and first-seen time
    rewritten by ``damage``, as a hand or another tool might leave them; the record as it was."""
    session = AwsSession(REGION, endpoint_url=aws_env.url)
    dynamodb = session.client("dynamodb")
    store = StateStore(dynamodb, state_table)
    Pipeline(Accounts(lambda region: session), store, GuardConfig()).evaluate("123456789012", Scope(REGION))
    record = store.all_records()[0]
    finding, first_seen = damage(dict(record.finding), record.first_seen)
    dynamodb.update_item(
        TableName=state_table,
        Key={
            "pk": {"S": record_key(record.account_id, record.region, record.resource_id)},
            "sk": {"S": record.check_id},
        },
        UpdateExpression="SET finding = :finding, first_seen = :seen",
        ExpressionAttributeValues={":finding": {"S": json.dumps(finding)}, ":seen": {"S": first_seen}},
    )
    return record
