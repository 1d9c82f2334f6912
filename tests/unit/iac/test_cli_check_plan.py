"""`vpce-guard check-plan PLAN_JSON`: the checks on a Terraform plan in CI, as table, JSON or SARIF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from plan_builders import ACCOUNT_ID, ENDPOINT, seed_004
from sarif_support import assert_code_scanning_fields, valid_sarif

from vpce_guard.cli import main


def plan_file(tmp_path: Path, plan: object) -> str:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    return str(path)


def test_json_holds_the_findings_in_their_shape_and_what_was_not_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = plan_file(tmp_path, seed_004(private_dns=False, private_zones=("us-east-1a", None)))

    code = main(["check-plan", path, "--account-id", ACCOUNT_ID, "--format", "json"])

    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {finding["check_id"] for finding in report["findings"]} == {"private-dns-disabled", "policy-any-principal"}
    assert report["findings"][0]["resource_id"] == ENDPOINT
    az = next(unknown for unknown in report["unknown"] if unknown["check_id"] == "az-coverage")
    assert az["resource_id"] == ENDPOINT
    assert {"fact": "subnets", "why": "aws_subnet.private[1]: its zone or range is known only after apply"} in az[
        "unknown"
    ]


def test_fail_on_fails_ci_on_a_finding_at_or_above_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = plan_file(tmp_path, seed_004(private_dns=False))

    assert main(["check-plan", path, "--fail-on", "HIGH"]) == 1
    assert main(["check-plan", path, "--fail-on", "CRITICAL"]) == 0


def test_the_table_lists_the_findings_then_what_was_not_judged_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = plan_file(tmp_path, seed_004(private_zones=("us-east-1a", None)))

    main(["check-plan", path, "--account-id", ACCOUNT_ID])

    out = capsys.readouterr().out
    assert "policy-any-principal" in out
    assert "Not judged: facts known only after apply" in out
    assert "az-coverage" in out.split("Not judged")[1]
    assert "aws_subnet.private[1]: its zone or range is known only after apply" in " ".join(out.split())


def test_sarif_locates_each_result_in_the_plan_file_and_names_the_resource_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    plan_file(tmp_path, seed_004(private_zones=("us-east-1a", None)))

    main(["check-plan", "plan.json", "--account-id", ACCOUNT_ID, "--format", "sarif"])

    log = valid_sarif(capsys.readouterr().out)
    assert_code_scanning_fields(log, in_files=True)
    results = log["runs"][0]["results"]
    finding = next(result for result in results if result.get("kind") != "open")
    assert finding["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "plan.json",
        "uriBaseId": "%SRCROOT%",
    }
    assert finding["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == ENDPOINT
    open_result = next(result for result in results if result.get("kind") == "open")
    assert (open_result["ruleId"], open_result["level"]) == ("az-coverage", "none")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        (
            '{"format_version": "0.2", "planned_values": {}}',
            "is a plan of format_version 0.2; vpce-guard reads format 1.x",
        ),
        ('{"format_version": "1.0", "values": {"root_module": {}}}', "is a Terraform state, not a plan"),
    ],
)
def test_a_file_that_is_not_a_plan_exits_2_naming_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)

    assert main(["check-plan", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-plan", str(tmp_path / "absent.json")]) == 2
    assert "cannot read plan file" in capsys.readouterr().err


def test_a_check_that_judges_what_exists_is_refused_before_deploy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = plan_file(tmp_path, seed_004())

    assert main(["check-plan", path, "--checks", "endpoint-idle"]) == 2
    assert "endpoint-idle is not run before deploy" in capsys.readouterr().err


def test_checks_narrows_what_is_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = plan_file(tmp_path, seed_004(private_dns=False))

    main(["check-plan", path, "--checks", "private-dns-disabled", "--format", "json"])

    assert [f["check_id"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["private-dns-disabled"]


def test_fail_on_unknown_fails_ci_when_a_check_at_or_above_fail_on_is_not_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """az-coverage (MEDIUM) is not judged: a subnet's zone is known only after apply."""
    path = plan_file(tmp_path, seed_004(private_zones=("us-east-1a", None)))
    arguments = ["check-plan", path, "--account-id", ACCOUNT_ID, "--checks", "az-coverage"]

    assert main([*arguments, "--fail-on", "MEDIUM"]) == 0
    assert main([*arguments, "--fail-on", "MEDIUM", "--fail-on-unknown"]) == 1
    assert main([*arguments, "--fail-on", "HIGH", "--fail-on-unknown"]) == 0


def test_fail_on_unknown_without_fail_on_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-plan", plan_file(tmp_path, seed_004()), "--fail-on-unknown"]) == 2
    assert "--fail-on-unknown goes with --fail-on" in capsys.readouterr().err
