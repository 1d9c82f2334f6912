"""The command line's boundaries: arguments checked as they are parsed, exit codes, output paths, closed pipes.

Exit codes: 0 done, 1 only for ``--fail-on``, 2 every error. An argument argparse refuses exits 2 with its
usage line and the reason; an error found later prints ``vpce-guard: error: …``; an unexpected exception
prints ``vpce-guard: internal error: …`` (its traceback only with ``--debug``).
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpce_guard import cli
from vpce_guard.cli import main
from vpce_guard.identifiers import known_regions

BEDROCK = "com.amazonaws.us-east-1.bedrock-runtime"
POLICY = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
CHECK_POLICY = ["check-policy", "--service-name", BEDROCK, "--policy", "-"]
PROPERTY = settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """argparse's complaint about ``argv``, which must end the command with exit 2."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    return capsys.readouterr().err


@pytest.fixture
def policy_path(tmp_path: Path) -> str:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(POLICY))
    return str(path)


@pytest.fixture
def no_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any AWS scan fails the test: what is checked here is checked before one starts."""

    def scan_live(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a scan started")

    monkeypatch.setattr(cli, "scan_live", scan_live)


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        ([*CHECK_POLICY, "--trusted-accounts", "abc"], "exactly 12 digits"),
        ([*CHECK_POLICY, "--account-id", "12345"], "exactly 12 digits"),
        ([*CHECK_POLICY, "--org-id", "foo"], "not an organization id"),
        (["scan", "--trusted-accounts", "111122223333,abc"], "'abc' is not an AWS account id"),
        (["scan", "--trusted-accounts", ""], "give at least one value"),
        (["findings", "--accounts", "abc"], "exactly 12 digits"),
        (["changes", "--regions", "us-east-1,mars-north-1"], "'mars-north-1' is not a known AWS region"),
        (["scan", "--region", "not a region!"], "not a known AWS region"),
        (["scan", "--region", "us-east-1", "--endpoint-url", "notaurl"], "not an endpoint URL"),
        (["scan", "--region", "us-east-1", "--endpoint-url", "ftp://127.0.0.1"], "not an endpoint URL"),
        (["scan", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:99999"], "not an endpoint URL"),
        (["scan", "--all-accounts", "--parallel", "0"], "at least 1"),
        (["emulator", "--port", "80000"], "give 1 to 65535"),
        (["emulator", "--port", "-1"], "give 1 to 65535"),
    ],
)
def test_an_invalid_argument_is_refused_as_it_is_parsed(
    argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert reason in refused(argv, capsys)


def test_valid_identifiers_are_accepted(policy_path: str, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--trusted-accounts", "111122223333,444455556666", "--account-id", "123456789012"]

    code = main(["check-policy", "--service-name", BEDROCK, "--policy", policy_path, *arguments])

    assert code == 0


def test_an_invalid_region_in_the_environment_exits_2(
    monkeypatch: pytest.MonkeyPatch, no_scan: None, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-nowhere-9")

    assert main(["scan"]) == 2
    assert "AWS_REGION / AWS_DEFAULT_REGION: 'eu-nowhere-9' is not a known AWS region" in capsys.readouterr().err


def test_an_unknown_profile_exits_2_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))

    code = main(["scan", "--region", "us-east-1", "--profile", "nosuchprofile"])

    err = capsys.readouterr().err
    assert code == 2
    assert "The config profile (nosuchprofile) could not be found" in err
    assert "aws configure list-profiles" in err


def test_an_unexpected_exception_is_an_internal_error_exiting_2_without_a_traceback(
    policy_path: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "scan_policy_document", lambda *args, **kwargs: 1 / 0)

    code = main(["check-policy", "--service-name", BEDROCK, "--policy", policy_path])

    err = capsys.readouterr().err
    assert code == 2
    assert "vpce-guard: internal error: ZeroDivisionError: division by zero" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback_of_an_internal_error(
    policy_path: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "scan_policy_document", lambda *args, **kwargs: 1 / 0)

    code = main(["--debug", "check-policy", "--service-name", BEDROCK, "--policy", policy_path])

    assert code == 2
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly(policy_path: str, capsys: pytest.CaptureFixture[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone, as in `vpce-guard … | head -1`
    with open(write_end, "wb") as pipe, pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", io.TextIOWrapper(pipe))
        code = main(["check-policy", "--service-name", BEDROCK, "--policy", policy_path, "--format", "json"])
        quieted = os.path.samefile(f"/proc/self/fd/{write_end}", os.devnull)

    assert code == 2
    assert capsys.readouterr().err == ""
    assert quieted


@pytest.mark.parametrize(
    ("existing", "destination", "reason"),
    [
        ("DescribeVpcs.json", ".", "is not empty"),
        ("snapshot", "snapshot", "is a file"),
        ("file", "file/snapshot", "is a file, not a directory"),
    ],
    ids=["non-empty directory", "existing file", "under a file"],
)
def test_an_unusable_snapshot_destination_exits_2_before_any_scan(
    existing: str, destination: str, reason: str, tmp_path: Path, no_scan: None, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / existing).write_text("{}")

    code = main(["scan", "--region", "us-east-1", "--save-snapshot", str(tmp_path / destination)])

    assert code == 2
    assert reason in capsys.readouterr().err


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32", "utf-16-le", "utf-32-be"])
def test_a_policy_file_is_read_in_any_unicode_encoding_json_detects(
    encoding: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "policy.json"
    path.write_bytes(json.dumps(POLICY).encode(encoding))

    code = main(["check-policy", "--service-name", BEDROCK, "--policy", str(path), "--format", "json"])

    assert code == 0
    assert [finding["check_id"] for finding in json.loads(capsys.readouterr().out)] == [
        "policy-any-principal",
        "policy-wildcard-action",
    ]


def test_an_undecodable_policy_file_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "policy.json"
    path.write_bytes(b'{"Statement": "\xff\xfe\xfa"}')

    code = main(["check-policy", "--service-name", BEDROCK, "--policy", str(path)])

    assert code == 2
    assert f"policy file {path} is not UTF-8 text" in capsys.readouterr().err


def test_a_lone_surrogate_in_a_sid_is_shown_escaped_in_the_table(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{"Statement": [{"Sid": "a\\udc80b", "Effect": "Allow", "Principal": "*", "Action": "*", '
                    '"Resource": "*"}]}')  # fmt: skip
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", stdout)
        code = main(["check-policy", "--service-name", BEDROCK, "--policy", str(path), "--format", "table"])
        stdout.flush()

    assert code == 0
    assert "policy-any-principal" in stdout.buffer.getvalue().decode()  # type: ignore[attr-defined]


def test_a_deeply_nested_policy_exits_2_saying_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "policy.json"
    path.write_text("[" * 1000 + "]" * 1000)

    code = main(["check-policy", "--service-name", BEDROCK, "--policy", str(path)])

    assert code == 2
    assert "vpce-guard: error: " in capsys.readouterr().err


def test_fail_on_is_the_only_way_to_exit_1(policy_path: str, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["check-policy", "--service-name", BEDROCK, "--policy", policy_path]

    assert (main(arguments), main([*arguments, "--fail-on", "HIGH"])) == (0, 1)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
STATEMENT = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny"])},
    optional={
        "Sid": st.text(),
        "Principal": st.one_of(st.just("*"), st.fixed_dictionaries({"AWS": st.text()}), JSON),
        "Action": st.one_of(st.sampled_from(["*", "bedrock:*", "bedrock:InvokeModel", ""]), JSON),
        "Resource": st.one_of(st.just("*"), JSON),
        "Condition": JSON,
    },
)
POLICIES = st.one_of(JSON, st.fixed_dictionaries({"Statement": st.one_of(STATEMENT, st.lists(STATEMENT), JSON)}))
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"])


@PROPERTY
@given(document=POLICIES, encoding=ENCODINGS, output=st.sampled_from(["table", "json"]))
def test_any_policy_document_is_judged_or_refused_never_an_internal_error(
    document: Any, encoding: str, output: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "policy.json"
    path.write_bytes(json.dumps(document).encode(encoding))

    code = main(["check-policy", "--service-name", BEDROCK, "--policy", str(path), "--format", output])

    err = capsys.readouterr().err
    assert code in (0, 2)
    assert "internal error" not in err
    assert (code == 2) == err.startswith("vpce-guard: error: ")


@PROPERTY
@given(data=st.binary(max_size=200))
def test_any_bytes_as_a_policy_file_are_judged_or_refused_never_an_internal_error(
    data: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "policy.json"
    path.write_bytes(data)

    code = main(["check-policy", "--service-name", BEDROCK, "--policy", str(path)])

    assert code in (0, 2)
    assert "internal error" not in capsys.readouterr().err


IDENTIFIER_OPTIONS = {
    "--account-id": r"[0-9]{12}",
    "--trusted-accounts": r"[0-9]{12}",
    "--org-id": r"o-[a-z0-9]{10,32}",
}


def listed(value: str) -> list[str]:
    """The items of a comma-separated argument, as the command line reads them."""
    return [item.strip() for item in value.split(",") if item.strip()]


@PROPERTY
@given(option=st.sampled_from(sorted(IDENTIFIER_OPTIONS)), value=st.text(min_size=1).filter(lambda v: v[0] != "-"))
def test_an_identifier_argument_is_accepted_exactly_when_valid(
    option: str, value: str, policy_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    items = listed(value) if option == "--trusted-accounts" else [value]
    valid = bool(items) and all(re.fullmatch(IDENTIFIER_OPTIONS[option], item) for item in items)
    argv = ["check-policy", "--service-name", BEDROCK, "--policy", policy_path, option, value]
    try:
        code = main(argv)
    except SystemExit as exited:
        code = exited.code
    capsys.readouterr()

    assert (code == 0) == valid
    assert code in (0, 2)


@PROPERTY
@given(value=st.one_of(st.text(min_size=1), st.sampled_from(sorted(known_regions()))).filter(lambda v: v[0] != "-"))
def test_a_region_argument_is_accepted_exactly_when_botocore_knows_it(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        cli.build_parser().parse_args(["changes", "--regions", value])
        code = 0
    except SystemExit as exited:
        code = exited.code
    capsys.readouterr()

    assert code in (0, 2)
    accepted = code == 0

    assert accepted == (bool(listed(value)) and all(item in known_regions() for item in listed(value)))
