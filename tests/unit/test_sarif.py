"""SARIF 2.1.0 output: one rule per registered check, one result per finding, valid against the OASIS schema,
with what GitHub code scanning reads; check-policy's results located at their statements' lines."""

from __future__ import annotations

import hashlib
import importlib
import io
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sarif_support import SCHEMA, SCHEMA_FILE, assert_code_scanning_fields, valid_sarif

from vpce_guard.checks import CHECKS, CheckSettings
from vpce_guard.cli import main
from vpce_guard.findings import CHECKS_ANCHOR, ENDPOINT_RESOURCE, VPC_RESOURCE, Finding, Remediation, Severity
from vpce_guard.sarif import FINGERPRINT, SARIF_SCHEMA, PolicyFile, Recorded, findings_sarif
from vpce_guard.scan import scan_policy_document
from vpce_guard.vocabulary import Status

BEDROCK = "com.amazonaws.us-east-1.bedrock-runtime"
ACCOUNT = "111122223333"
ENDPOINT = "vpce-0a1b2c3d4e5f60001"
README_URL = "https://github.com/acme/vpce-guard/blob/main/README.md"
# Two statements, one admitting anyone (lines 4 to 10) and one admitting another account (lines 11 to 17).
POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Anyone",
      "Effect": "Allow",
      "Principal": "*",
      "Action": "bedrock:InvokeModel",
      "Resource": "*"
    },
    {
      "Sid": "Partner",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
      "Action": "bedrock:InvokeModel",
      "Resource": "*"
    }
  ]
}
"""
ANYONE = '{"Effect": "Allow", "Principal": "*", "Action": "bedrock:InvokeModel", "Resource": "*"}'
OWN_ROLE = '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}, "Action": "bedrock:*"}'


LEVELS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}


def finding(**changes: Any) -> Finding:
    """A private-dns-disabled finding on an endpoint, with ``changes``."""
    check = CHECKS["private-dns-disabled"]
    base = Finding(
        check_id=check.id,
        resource_type=ENDPOINT_RESOURCE,
        resource_id=ENDPOINT,
        account_id=ACCOUNT,
        region="us-east-1",
        vpc_id="vpc-0a1b2c3d4e5f60001",
        service_name=BEDROCK,
        severity=check.severity,
        title=check.title,
        detail="Private DNS is off on vpce-0a1b2c3d4e5f60001: clients leave through NAT.",
        evidence={"private_dns_enabled": False},
        remediation=Remediation(check.remediation_action, check.automatic),
    )
    return msgspec.structs.replace(base, **changes)


def scan_log(*findings: Finding, **options: Any) -> dict[str, Any]:
    return valid_sarif(findings_sarif(findings, **options))


def policy_log(text: str, **options: Any) -> dict[str, Any]:
    """The log of check-policy on ``text``, saved as policy.json in the working directory /work."""
    findings, _ = scan_policy_document(text, service_name=BEDROCK, owner_account=ACCOUNT, settings=CheckSettings())
    return valid_sarif(findings_sarif(findings, policy=PolicyFile.at("policy.json", text, Path("/work")), **options))


def results(log: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = log["runs"][0]["results"]
    return found


def rules(log: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = log["runs"][0]["tool"]["driver"]["rules"]
    return found


def regions(log: dict[str, Any], check_id: str) -> list[dict[str, int] | None]:
    """The region of each location of the result of ``check_id``; None for a location in the file alone."""
    (result,) = [result for result in results(log) if result["ruleId"] == check_id]
    return [location["physicalLocation"].get("region") for location in result["locations"]]


def lines(start: int, end: int) -> dict[str, int]:
    """A statement indented by four spaces from line ``start`` to its closing brace on line ``end``."""
    return {"startLine": start, "startColumn": 5, "endLine": end, "endColumn": 6}


def check_policy(*arguments: str) -> list[str]:
    """check-policy of policy.json in the working directory."""
    return ["check-policy", "--service-name", BEDROCK, "--policy", "policy.json", *arguments]


def github_band(score: str) -> Severity:
    """How code scanning names a security-severity score."""
    value = float(score)
    if value > 9.0:
        return Severity.CRITICAL
    return Severity.HIGH if value >= 7.0 else Severity.MEDIUM if value >= 4.0 else Severity.LOW


def test_the_schema_validated_against_is_the_oasis_sarif_2_1_0_schema_unmodified() -> None:
    assert SCHEMA["id"] == SARIF_SCHEMA
    assert SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == (
        "ddddcccbf95c7c50c037b5b07eff4140556278ca574ff374db46786b5fce7949"
    )


def test_a_scan_log_is_valid_sarif_with_what_code_scanning_reads() -> None:
    log = scan_log(finding(), finding(severity=Severity.LOW), readme_url=README_URL)

    assert_code_scanning_fields(log, in_files=False)
    assert log["runs"][0]["tool"]["driver"]["informationUri"] == README_URL


def test_a_check_policy_log_is_valid_sarif_with_every_result_in_the_file() -> None:
    log = policy_log(POLICY)

    assert [result["ruleId"] for result in results(log)] == ["policy-any-principal", "policy-foreign-principal"]
    assert_code_scanning_fields(log, in_files=True)


def test_a_log_without_findings_still_lists_every_rule() -> None:
    log = scan_log()

    assert results(log) == []
    assert len(rules(log)) == len(CHECKS)


def test_each_registered_check_is_one_rule_in_the_registrys_order() -> None:
    log = scan_log()

    assert [rule["id"] for rule in rules(log)] == list(CHECKS)
    assert [rule["shortDescription"]["text"] for rule in rules(log)] == [check.title for check in CHECKS.values()]
    assert rules(log)[list(CHECKS).index("sg-open-to-world")]["name"] == "SgOpenToWorld"


def test_a_rules_description_is_the_first_paragraph_of_its_checks_docstring() -> None:
    rule = rules(scan_log())[list(CHECKS).index("policy-any-principal")]

    assert rule["fullDescription"]["text"] == (
        "An Allow statement of an endpoint policy admits any principal, and nothing bounds who."
    )
    assert rule["help"]["text"].startswith(
        f"{rule['fullDescription']['text']}\n\nRemediation: restrict-endpoint-policy"
    )


@pytest.mark.parametrize("check_id", list(CHECKS))
def test_every_rule_describes_its_check_from_the_checks_own_module(check_id: str) -> None:
    rule = rules(scan_log())[list(CHECKS).index(check_id)]
    docstring = importlib.import_module(f"vpce_guard.checks.{check_id.replace('-', '_')}").__doc__ or ""

    summary = rule["fullDescription"]["text"]
    assert summary[1:] in " ".join(docstring.split("\n\n")[0].split())
    assert not summary.startswith(check_id)


@pytest.mark.parametrize("check_id", list(CHECKS))
def test_a_rules_level_and_security_severity_are_its_checks_severity(check_id: str) -> None:
    check = CHECKS[check_id]
    rule = rules(scan_log())[list(CHECKS).index(check_id)]

    assert rule["defaultConfiguration"]["level"] == LEVELS[check.severity]
    assert github_band(rule["properties"]["security-severity"]) == check.severity
    assert rule["properties"]["tags"][0] == "security"


@pytest.mark.parametrize("severity", list(Severity))
def test_a_results_level_follows_its_findings_severity(severity: Severity) -> None:
    (result,) = results(scan_log(finding(severity=severity)))

    assert result["level"] == LEVELS[severity]


def test_a_result_says_the_findings_detail_and_carries_the_finding() -> None:
    (result,) = results(scan_log(finding()))

    assert result["message"]["text"] == finding().detail
    assert result["properties"]["finding"] == finding().to_dict()
    assert result["ruleId"] == "private-dns-disabled"
    assert rules(scan_log())[result["ruleIndex"]]["id"] == "private-dns-disabled"


def test_the_fingerprint_stays_while_the_findings_detail_and_evidence_change() -> None:
    changed = finding(detail="Private DNS is off.", evidence={"private_dns_names": ["x"]}, severity=Severity.LOW)

    (first,), (second,) = results(scan_log(finding())), results(scan_log(changed))

    assert first["partialFingerprints"] == second["partialFingerprints"]
    assert list(first["partialFingerprints"]) == [FINGERPRINT]


@pytest.mark.parametrize(
    "change",
    [
        {"account_id": "444455556666"},
        {"region": "eu-west-1"},
        {"resource_id": "vpce-0a1b2c3d4e5f60002"},
        {"check_id": "vpc-dns-disabled"},
    ],
)
def test_the_fingerprint_differs_with_the_account_region_resource_or_check(change: dict[str, str]) -> None:
    (first,), (second,) = results(scan_log(finding())), results(scan_log(finding(**change)))

    assert first["partialFingerprints"] != second["partialFingerprints"]


def recorded(status: Status) -> Recorded:
    return Recorded(status, "2025-02-01T08:00:00+00:00", "2025-02-28T10:15:30.250000+01:00")


def test_a_finding_read_back_from_the_state_tables_json_is_the_same_finding() -> None:
    assert Finding.from_dict(json.loads(json.dumps(finding().to_dict()))) == finding()


def test_a_recorded_result_says_its_status_and_when_it_was_first_and_last_seen_in_utc() -> None:
    (result,) = results(scan_log(finding(), recorded=[recorded(Status.TICKETED)]))

    assert result["provenance"] == {
        "firstDetectionTimeUtc": "2025-02-01T08:00:00.000Z",
        "lastDetectionTimeUtc": "2025-02-28T09:15:30.250Z",
    }
    assert result["properties"]["status"] == "TICKETED"
    assert (result["level"], "kind" in result, "suppressions" in result) == ("error", False, False)


@pytest.mark.parametrize("status", [Status.REMEDIATED, Status.RESOLVED])
def test_a_recorded_finding_fixed_or_gone_is_a_result_that_passes(status: Status) -> None:
    (result,) = results(scan_log(finding(), recorded=[recorded(status)]))

    assert (result["kind"], result["level"]) == ("pass", "none")
    assert result["properties"]["status"] == status.value


def test_a_recorded_finding_exempt_by_its_resources_tag_is_suppressed() -> None:
    (result,) = results(scan_log(finding(), recorded=[recorded(Status.EXEMPT)]))

    assert result["suppressions"] == [{"kind": "inSource", "justification": "exempt by a tag on the resource"}]
    assert result["level"] == "error"


def test_a_scan_result_names_its_endpoint_by_arn_as_a_resource() -> None:
    (result,) = results(scan_log(finding()))

    assert result["locations"] == [
        {
            "logicalLocations": [
                {
                    "name": ENDPOINT,
                    "kind": "resource",
                    "fullyQualifiedName": f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc-endpoint/{ENDPOINT}",
                }
            ]
        }
    ]


def test_a_vpc_finding_is_named_by_the_vpcs_arn_in_its_partition() -> None:
    vpc = finding(resource_type=VPC_RESOURCE, resource_id="vpc-0a1b2c3d4e5f60001", region="cn-north-1")

    (result,) = results(scan_log(vpc))

    (logical,) = result["locations"][0]["logicalLocations"]
    assert logical["fullyQualifiedName"] == f"arn:aws-cn:ec2:cn-north-1:{ACCOUNT}:vpc/vpc-0a1b2c3d4e5f60001"


def test_problems_make_the_log_say_the_run_did_not_judge_everything() -> None:
    log = scan_log(finding(), problems=["vpce-0a1b2c3d4e5f60009: the policy is not JSON"])

    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"] == [
        {"level": "error", "message": {"text": "vpce-0a1b2c3d4e5f60009: the policy is not JSON"}}
    ]


def test_a_clean_run_says_it_succeeded() -> None:
    assert scan_log(finding())["runs"][0]["invocations"] == [{"executionSuccessful": True}]


def test_a_policy_result_points_at_the_lines_of_the_statement_it_names() -> None:
    log = policy_log(POLICY)

    assert regions(log, "policy-any-principal") == [lines(4, 10)]
    assert regions(log, "policy-foreign-principal") == [lines(11, 17)]


def test_a_finding_naming_several_statements_is_located_at_each() -> None:
    text = POLICY.replace('"Principal": {"AWS": "arn:aws:iam::999988887777:root"}', '"Principal": "*"')

    assert regions(policy_log(text), "policy-any-principal") == [lines(4, 10), lines(11, 17)]


def test_lines_ending_in_crlf_count_once() -> None:
    assert regions(policy_log(POLICY.replace("\n", "\r\n")), "policy-any-principal") == [lines(4, 10)]


def test_a_compact_policy_is_located_by_column() -> None:
    text = f'{{"Version": "2012-10-17", "Statement": [{OWN_ROLE}, {ANYONE}]}}'
    start = text.index(ANYONE)

    assert regions(policy_log(text), "policy-any-principal") == [
        {"startLine": 1, "startColumn": start + 1, "endLine": 1, "endColumn": start + len(ANYONE) + 1}
    ]


def test_columns_count_utf16_code_units_as_sarif_does_by_default() -> None:
    own_role = OWN_ROLE.replace('{"Effect"', '{"Sid": "\U0001f680", "Effect"')
    text = f'{{"Statement": [{own_role}, {ANYONE}]}}'

    (region,) = regions(policy_log(text), "policy-any-principal")

    assert region is not None
    assert region["startColumn"] == text.index(ANYONE) + 2  # the rocket is two UTF-16 code units
    assert policy_log(text)["runs"][0]["columnKind"] == "utf16CodeUnits"


def test_a_statement_given_as_an_object_is_located() -> None:
    text = f'{{\n  "Statement": {ANYONE}\n}}'

    assert regions(policy_log(text), "policy-any-principal") == [
        {"startLine": 2, "startColumn": 16, "endLine": 2, "endColumn": 16 + len(ANYONE)}
    ]


def test_a_repeated_statement_key_is_located_where_json_reads_it_the_last() -> None:
    text = f'{{"Statement": [{OWN_ROLE}],\n"Statement": [{ANYONE}]}}'

    assert regions(policy_log(text), "policy-any-principal") == [
        {"startLine": 2, "startColumn": 15, "endLine": 2, "endColumn": 15 + len(ANYONE)}
    ]


def test_statements_sharing_a_sid_are_not_told_apart_so_the_result_is_in_the_file_alone() -> None:
    text = POLICY.replace('"Principal": {"AWS": "arn:aws:iam::999988887777:root"}', '"Principal": "*"').replace(
        '"Sid": "Partner"', '"Sid": "Anyone"'
    )

    assert regions(policy_log(text), "policy-any-principal") == [None]


def test_the_policy_file_is_relative_to_the_working_directory_it_lies_under() -> None:
    work = Path("/work/repo")

    assert PolicyFile.at("policies/bedrock endpoint.json", "{}", work) == PolicyFile(
        "policies/bedrock%20endpoint.json", "{}", "file:///work/repo/"
    )
    assert PolicyFile.at("/work/repo/./policies/../p.json", "{}", work).uri == "p.json"
    assert PolicyFile.at("../elsewhere/p.json", "{}", work) == PolicyFile("file:///work/elsewhere/p.json", "{}")


def test_a_relative_policy_uri_resolves_against_the_working_directory() -> None:
    log = policy_log(POLICY)

    assert log["runs"][0]["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///work/"}}
    location = results(log)[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "policy.json", "uriBaseId": "%SRCROOT%"}


def test_rules_link_to_the_readmes_checks_table_where_the_readme_is_published() -> None:
    rule = rules(scan_log(readme_url=README_URL))[0]

    assert rule["helpUri"] == f"{README_URL}#what-it-finds-and-why"
    assert rule["help"]["text"].endswith(f"{README_URL}#what-it-finds-and-why")


def test_without_the_readmes_address_no_link_is_made_up() -> None:
    log = scan_log()

    assert all("helpUri" not in rule for rule in rules(log))
    assert "informationUri" not in log["runs"][0]["tool"]["driver"]
    assert rules(log)[0]["help"]["text"].endswith('README.md, "What it finds, and why"')


def test_check_policy_writes_sarif_for_a_policy_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.json").write_text(POLICY)

    code = main(check_policy("--account-id", ACCOUNT, "--format", "sarif"))

    log = valid_sarif(capsys.readouterr().out)
    assert code == 0
    assert_code_scanning_fields(log, in_files=True)
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path.cwd().as_uri() + "/"
    assert regions(log, "policy-foreign-principal") == [lines(11, 17)]


def test_check_policy_sarif_keeps_the_exit_code_of_fail_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.json").write_text(POLICY)

    code = main(check_policy("--format", "sarif", "--fail-on", "HIGH"))

    assert code == 1
    assert results(valid_sarif(capsys.readouterr().out))


def test_check_policy_sarif_links_rules_to_the_readme_url_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.json").write_text(POLICY)

    main(check_policy("--format", "sarif", "--readme-url", README_URL))

    assert {rule["helpUri"] for rule in rules(json.loads(capsys.readouterr().out))} == {f"{README_URL}#{CHECKS_ANCHOR}"}


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["--policy", "-", "--format", "sarif"], "give --policy FILE, not stdin"),
        (["--format", "sarif", "--propose", "--account-id", ACCOUNT], "--propose shows a rewrite"),
        (["--format", "json", "--readme-url", README_URL], "--readme-url goes with --format sarif"),
    ],
)
def test_check_policy_refuses_sarif_options_that_do_not_fit(
    arguments: list[str],
    error: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.json").write_text(POLICY)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(POLICY.encode())))

    code = main(check_policy(*arguments))

    assert code == 2
    assert error in capsys.readouterr().err


def test_a_readme_url_with_a_fragment_is_refused_as_it_is_parsed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["scan", "--format", "sarif", "--readme-url", f"{README_URL}#checks"])

    assert exit_.value.code == 2
    assert "is not the README's URL" in capsys.readouterr().err


def test_a_kept_finding_of_a_check_this_version_lacks_has_a_rule_naming_it_so() -> None:
    retired = finding(check_id="endpoint-renamed-since")

    log = scan_log(
        finding(),
        retired,
        recorded=[Recorded(Status.RESOLVED, "2026-01-05T10:00:00+00:00", "2026-02-01T09:30:00+00:00")] * 2,
    )

    rule = rules(log)[results(log)[1]["ruleIndex"]]
    assert rule["id"] == results(log)[1]["ruleId"] == "endpoint-renamed-since"
    assert "a check of an earlier version of vpce-guard" in rule["shortDescription"]["text"]
    assert [rule["id"] for rule in rules(log)] == [*CHECKS, "endpoint-renamed-since"]
