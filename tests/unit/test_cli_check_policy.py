"""`vpce-guard check-policy`: the policy checks on one document, from a file or stdin, for CI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from vpce_guard.cli import main

BEDROCK = "com.amazonaws.us-east-1.bedrock-runtime"
DEFAULT = {
    "Version": "2008-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}
SCOPED = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["bedrock:InvokeModel"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        }
    ],
}


def policy_file(tmp_path: Path, document: object) -> str:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document, indent=2))
    return str(path)


def test_default_policy_prints_its_findings_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["check-policy", "--service-name", BEDROCK, "--policy", policy_file(tmp_path, DEFAULT), "--format", "json"]
    )

    assert code == 0
    assert [f["check_id"] for f in json.loads(capsys.readouterr().out)] == [
        "policy-any-principal",
        "policy-wildcard-action",
    ]


def test_fail_on_makes_ci_fail_on_the_default_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["check-policy", "--service-name", BEDROCK, "--policy", policy_file(tmp_path, DEFAULT)]

    assert main([*arguments, "--fail-on", "MEDIUM"]) == 1


def test_org_bounded_least_privilege_policy_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["check-policy", "--service-name", BEDROCK, "--policy", policy_file(tmp_path, SCOPED)]

    code = main([*arguments, "--org-id", "o-a1b2c3d4e5", "--fail-on", "LOW"])

    assert (code, capsys.readouterr().out.strip()) == (0, "No findings.")


def test_policy_is_read_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(json.dumps(DEFAULT).encode())))

    assert main(["check-policy", "--service-name", BEDROCK, "--policy", "-", "--fail-on", "HIGH"]) == 1


def test_unreadable_policy_exits_2_saying_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "policy.json"
    path.write_text("{not json")

    code = main(["check-policy", "--service-name", BEDROCK, "--policy", str(path)])

    assert code == 2
    assert "not JSON" in capsys.readouterr().err


def test_missing_policy_file_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check-policy", "--service-name", BEDROCK, "--policy", str(tmp_path / "nope.json")])

    assert code == 2
    assert "cannot read policy file" in capsys.readouterr().err


def test_the_configuration_file_says_who_counts_as_ours(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "vpce-guard.toml"
    config.write_text('org_id = "o-a1b2c3d4e5"\n')
    arguments = ["check-policy", "--service-name", BEDROCK, "--policy", policy_file(tmp_path, SCOPED)]

    assert main([*arguments, "--config", str(config), "--fail-on", "LOW"]) == 0


def test_a_bad_configuration_file_exits_2_saying_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "vpce-guard.toml"
    config.write_text('[modes]\naz-coverage = "sometimes"\n')
    arguments = ["check-policy", "--service-name", BEDROCK, "--policy", policy_file(tmp_path, SCOPED)]

    assert main([*arguments, "--config", str(config)]) == 2
    assert "modes.az-coverage" in capsys.readouterr().err
