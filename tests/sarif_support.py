"""What every SARIF test checks: the log is valid against the OASIS schema (tests/data, no network), and it
holds what GitHub code scanning requires of an upload ("SARIF support for code scanning")."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

from jsonschema.validators import validator_for

SCHEMA_FILE = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def valid_sarif(text: str) -> dict[str, Any]:
    """The log, after validating it against the schema (a draft-04 schema, so a draft-04 validator)."""
    log: dict[str, Any] = json.loads(text)
    validator_for(SCHEMA)(SCHEMA).validate(log)
    return log


def assert_code_scanning_fields(log: dict[str, Any], *, in_files: bool) -> None:
    """The fields code scanning requires: the schema and version, the tool's name, and for each rule its id,
    short and full description (at most 1,000 characters) and help; each result's rule id, message and a
    location, in a file when ``in_files`` (code scanning refuses an upload holding any result without one),
    and a partial fingerprint. URIs it follows are absolute."""
    assert log["$schema"] == SCHEMA["id"]
    assert log["version"] == "2.1.0"
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"] == "vpce-guard"
        for rule in driver["rules"]:
            assert rule["id"]
            assert rule["shortDescription"]["text"]
            assert 0 < len(rule["fullDescription"]["text"]) <= 1000
            assert rule["help"]["text"]
            assert "security" in rule["properties"]["tags"]
            assert 0.0 < float(rule["properties"]["security-severity"]) <= 10.0
        for uri in [driver.get("informationUri"), *(rule.get("helpUri") for rule in driver["rules"])]:
            assert uri is None or urllib.parse.urlsplit(uri).scheme in ("http", "https")
        for result in run["results"]:
            assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
            assert result["message"]["text"]
            assert result["partialFingerprints"]
            assert result["locations"]
            if in_files:
                assert all(location["physicalLocation"]["artifactLocation"]["uri"] for location in result["locations"])
