"""SARIF 2.1.0 (``--format sarif``): findings as static-analysis results, for CI and GitHub code scanning.

One rule per registered check: its id, title, what it finds (the first paragraph of its module's docstring)
and how it is remediated, with a link to the README's checks table where the README's address is given. One
result per finding: a level from its severity, its detail as the message, a fingerprint per (account, region,
resource, check), and the finding itself in its JSON shape. A ``check-policy`` result points at the policy
file and at the lines of each statement the finding names; a scan reads no file, so its results name their
AWS resource as a logical location. A ``check-plan`` or ``check-template`` result points at the file read (at
the resource's line, where the format gives it) and names the resource's address as a logical location; a
check not judged there for want of facts known only after apply is a result of kind "open" (SARIF's "could not
determine whether the result is a pass or a fail"). GitHub code scanning takes only results located in a file (an upload
holding another is refused whole): check-policy's SARIF is the one to upload there.

The state table's findings (``vpce-guard findings``) carry what the table recorded of each: its status, and
when it was first and last seen (the result's provenance). A finding fixed or gone (REMEDIATED, RESOLVED) is a
result that passes, at no level; one exempt by its resource's tag is a suppressed result.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from vpce_guard import __version__
from vpce_guard.checks import CHECKS, Check
from vpce_guard.findings import (
    CHECKS_ANCHOR,
    ENDPOINT_RESOURCE,
    README_SECTION,
    VPC_RESOURCE,
    Finding,
    Remediation,
    Severity,
)
from vpce_guard.iac.model import Unjudged
from vpce_guard.identifiers import partition_of
from vpce_guard.policy import parse_policy
from vpce_guard.vocabulary import Status

# The OASIS Standard's schema (SARIF 2.1.0 with its errata), which the tests validate the output against.
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
# The partial fingerprint of a result: a hash of its account, region, resource and check.
FINGERPRINT = "vpceGuardFinding/v1"
# The base a relative artifact URI is resolved against: the working directory check-policy ran in.
SOURCE_ROOT = "%SRCROOT%"
LEVELS: Mapping[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}
# GitHub code scanning reads a rule's security-severity as a score: over 9.0 critical, 7.0 to 8.9 high, 4.0 to
# 6.9 medium, below 4.0 low. Each severity takes a score inside its band.
SECURITY_SEVERITY: Mapping[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
}
# Code scanning shows a rule's security-severity only on rules tagged "security".
TAGS = ("security", "aws", "vpc-endpoint")
_ARN_RESOURCE_TYPES = {ENDPOINT_RESOURCE: "vpc-endpoint", VPC_RESOURCE: "vpc"}
_JSON = json.JSONDecoder()
_JSON_WHITESPACE = re.compile(r"[ \t\n\r]*")


class PolicyFile(msgspec.Struct, frozen=True):
    """The policy document check-policy judged: where it is and its text, whose statements results point at.

    ``uri`` is relative to the working directory (``base_uri``) when the file lies under it, as code scanning
    wants paths relative to the repository checked out there; else it is the file's absolute URI.
    """

    uri: str
    text: str
    base_uri: str | None = None

    @classmethod
    def at(cls, path: str, text: str, cwd: Path) -> PolicyFile:
        uri, base_uri = _artifact_uri(path, cwd)
        return cls(uri, text, base_uri)


class SourceFile(msgspec.Struct, frozen=True):
    """The Terraform plan or CloudFormation template judged, with the line of each resource where the format
    gives it (a template's YAML or JSON does, a plan's JSON does not); ``uri`` as ``PolicyFile``'s."""

    uri: str
    base_uri: str | None = None
    lines: Mapping[str, int] = msgspec.field(default_factory=dict)

    @classmethod
    def at(cls, path: str, cwd: Path, lines: Mapping[str, int]) -> SourceFile:
        uri, base_uri = _artifact_uri(path, cwd)
        return cls(uri, base_uri, lines)

    def locations(self, resource: str) -> list[dict[str, Any]]:
        """The file (at the resource's line, where known) and the resource's address."""
        artifact = {"uri": self.uri, "uriBaseId": SOURCE_ROOT} if self.base_uri else {"uri": self.uri}
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if resource in self.lines:
            physical["region"] = {"startLine": self.lines[resource]}
        logical = {"name": resource, "fullyQualifiedName": resource, "kind": "resource"}
        return [{"physicalLocation": physical, "logicalLocations": [logical]}]


def _artifact_uri(path: str, cwd: Path) -> tuple[str, str | None]:
    """A file's URI relative to the working directory (and that directory's URI) when it lies under it, as
    code scanning wants paths relative to the repository checked out there; else its absolute URI."""
    absolute = Path(os.path.normpath(cwd / path))
    if not absolute.is_relative_to(cwd):
        return absolute.as_uri(), None
    return urllib.parse.quote(absolute.relative_to(cwd).as_posix()), cwd.as_uri().rstrip("/") + "/"


class Recorded(msgspec.Struct, frozen=True):
    """What the state table recorded of a finding: its status, and when it was first and last seen (ISO 8601)."""

    status: Status
    first_seen: str
    last_seen: str


def findings_sarif(
    findings: Sequence[Finding],
    *,
    policy: PolicyFile | None = None,
    source: SourceFile | None = None,
    unjudged: Sequence[Unjudged] = (),
    readme_url: str | None = None,
    problems: Sequence[str] = (),
    recorded: Sequence[Recorded] | None = None,
) -> str:
    """A SARIF log of one run. ``readme_url`` is where the README is published (no link without it: a
    clone's own address is not known here); ``problems`` are what kept something from being judged, so that
    the log does not read as clean; ``unjudged`` the checks a plan or template (``source``) left undecided;
    ``recorded`` is what the state table says of each finding, in order."""
    retired = sorted({finding.check_id for finding in findings} - set(CHECKS))
    rule_index = {check_id: position for position, check_id in enumerate([*CHECKS, *retired])}
    regions = _statement_regions(policy.text) if policy is not None else {}
    driver: dict[str, Any] = {"name": "vpce-guard", "version": __version__}
    if readme_url:
        driver["informationUri"] = readme_url
    driver["rules"] = [_rule(check, readme_url) for check in CHECKS.values()] + [
        _retired_rule(check_id) for check_id in retired
    ]
    invocation: dict[str, Any] = {"executionSuccessful": not problems}
    if problems:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": problem}} for problem in problems
        ]
    run: dict[str, Any] = {"tool": {"driver": driver}, "invocations": [invocation]}
    read = policy or source
    base_uri = read.base_uri if read is not None else None
    if base_uri:
        run["originalUriBaseIds"] = {SOURCE_ROOT: {"uri": base_uri}}
    run["columnKind"] = "utf16CodeUnits"
    run["results"] = [
        {
            "ruleId": finding.check_id,
            "ruleIndex": rule_index[finding.check_id],
            "level": LEVELS[finding.severity],
            "message": {"text": finding.detail},
            "locations": _locations(finding, policy, regions, source),
            "partialFingerprints": {FINGERPRINT: _fingerprint(finding)},
            "properties": {"finding": finding.to_dict()},
        }
        for finding in findings
    ]
    if recorded is not None:
        for result, record in zip(run["results"], recorded, strict=True):
            _add_record(result, record)
    run["results"] += [
        {
            "ruleId": unknown.check_id,
            "ruleIndex": rule_index[unknown.check_id],
            "kind": "open",
            "level": "none",
            "message": {"text": unknown.detail},
            "locations": source.locations(unknown.resource_id) if source else [],
            "partialFingerprints": {FINGERPRINT: _hash("unknown", unknown.resource_id, unknown.check_id)},
            "properties": {"unknown": unknown.to_dict()},
        }
        for unknown in unjudged
    ]
    return json.dumps({"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}, indent=2)


def _rule(check: Check, readme_url: str | None) -> dict[str, Any]:
    summary = check_summary(check)
    where = f"{readme_url}#{CHECKS_ANCHOR}" if readme_url else README_SECTION
    fix = Remediation(check.remediation_action, check.automatic).text
    rule: dict[str, Any] = {
        "id": check.id,
        "name": "".join(part.capitalize() for part in check.id.split("-")),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": summary},
        "help": {"text": f"{summary}\n\nRemediation: {fix}\n\nWhy it matters, with the field facts: {where}"},
        "defaultConfiguration": {"level": LEVELS[check.severity]},
        "properties": {"tags": list(TAGS), "security-severity": SECURITY_SEVERITY[check.severity]},
    }
    if readme_url:
        rule["helpUri"] = f"{readme_url}#{CHECKS_ANCHOR}"
    return rule


def _retired_rule(check_id: str) -> dict[str, Any]:
    """The rule of a finding the state table kept from a check this version no longer has (renamed or
    removed since): named, so its results stay readable, and described as what it is."""
    text = f"{check_id}: a check of an earlier version of vpce-guard, not in {__version__}"
    return {"id": check_id, "shortDescription": {"text": text}, "fullDescription": {"text": text}}


def check_summary(check: Check) -> str:
    """What the check finds: the first paragraph of the docstring of the module named for its id, without
    the id it starts with."""
    doc = importlib.import_module(f"vpce_guard.checks.{check.id.replace('-', '_')}").__doc__ or ""
    first = " ".join(doc.strip().split("\n\n")[0].split()).removeprefix(f"{check.id}:").strip()
    return first[:1].upper() + first[1:]


def _add_record(result: dict[str, Any], record: Recorded) -> None:
    """The state table's word on a result: its status, when it was first and last seen; a closed finding
    passes, an exempt one is suppressed by its resource's tag."""
    result["provenance"] = {
        "firstDetectionTimeUtc": _utc(record.first_seen),
        "lastDetectionTimeUtc": _utc(record.last_seen),
    }
    if record.status.is_closed:
        result["kind"], result["level"] = "pass", "none"
    if record.status is Status.EXEMPT:
        result["suppressions"] = [{"kind": "inSource", "justification": "exempt by a tag on the resource"}]
    result["properties"]["status"] = record.status.value


def _utc(timestamp: str) -> str:
    """An ISO 8601 time as SARIF writes it: UTC, to the millisecond, with a Z."""
    return datetime.fromisoformat(timestamp).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _fingerprint(finding: Finding) -> str:
    return _hash(finding.account_id, finding.region, finding.resource_id, finding.check_id)


def _hash(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _locations(
    finding: Finding, policy: PolicyFile | None, regions: Mapping[str, dict[str, int]], source: SourceFile | None
) -> list[dict[str, Any]]:
    if policy is not None:
        return _file_locations(finding, policy, regions)
    return source.locations(finding.resource_id) if source is not None else _resource_locations(finding)


def _resource_locations(finding: Finding) -> list[dict[str, Any]]:
    """The AWS resource, by its id and (for an endpoint or a VPC) its ARN."""
    logical = {"name": finding.resource_id, "kind": "resource"}
    resource_type = _ARN_RESOURCE_TYPES.get(finding.resource_type)
    if resource_type:
        logical["fullyQualifiedName"] = (
            f"arn:{partition_of(finding.region)}:ec2:{finding.region}:{finding.account_id}:"
            f"{resource_type}/{finding.resource_id}"
        )
    return [{"logicalLocations": [logical]}]


def _file_locations(
    finding: Finding, policy: PolicyFile, regions: Mapping[str, dict[str, int]]
) -> list[dict[str, Any]]:
    """The policy file at each statement the finding names (a policy finding must be fixed in every one of
    them); the file alone where the finding names none whose lines are known."""
    artifact = {"uri": policy.uri, "uriBaseId": SOURCE_ROOT} if policy.base_uri else {"uri": policy.uri}
    named = [regions[label] for label in _statement_labels(finding) if label in regions]
    if not named:
        return [{"physicalLocation": {"artifactLocation": artifact}}]
    return [{"physicalLocation": {"artifactLocation": artifact, "region": region}} for region in named]


def _statement_labels(finding: Finding) -> list[str]:
    """The statements a policy finding names in its evidence: labels, or objects with a ``statement`` label
    (docs/findings.md)."""
    labels = []
    for item in finding.evidence.get("statements", ()):
        label = item.get("statement") if isinstance(item, Mapping) else item
        if isinstance(label, str) and label not in labels:
            labels.append(label)
    return labels


def _statement_regions(text: str) -> dict[str, dict[str, int]]:
    """Where each statement of a policy's JSON text is, by the label findings name it by. A label two
    statements share (a repeated Sid) says nothing about which one is meant: it has no region."""
    labels = [statement.label for statement in parse_policy(text).statements]
    spans = _statement_spans(text)
    if len(spans) != len(labels):
        return {}
    return {
        label: _region(text, start, end)
        for label, (start, end) in zip(labels, spans, strict=True)
        if labels.count(label) == 1
    }


def _statement_spans(text: str) -> list[tuple[int, int]]:
    """The start and end offsets of each statement object of a policy's JSON text, in order.

    The policy parser keeps no positions, so the text is walked with the JSON decoder's own scanner: the
    top-level object's members, then the elements of its ``Statement`` (the last one, as json.loads keeps
    the last of repeated keys). The text is one the parser has read already.
    """
    spans: list[tuple[int, int]] = []
    at = _skip_space(text, 0) + 1
    while text[_skip_space(text, at)] != "}":
        key, at = _JSON.raw_decode(text, _skip_space(text, at))
        start = _skip_space(text, _skip_space(text, at) + 1)
        value, at = _JSON.raw_decode(text, start)
        if key == "Statement":
            spans = [(start, at)] if isinstance(value, dict) else _element_spans(text, start)
        at = _skip_space(text, at)
        if text[at] == ",":
            at += 1
    return spans


def _element_spans(text: str, start: int) -> list[tuple[int, int]]:
    """The start and end offsets of each element of the JSON array starting at ``start``."""
    spans = []
    at = _skip_space(text, start + 1)
    while text[at] != "]":
        _, end = _JSON.raw_decode(text, at)
        spans.append((at, end))
        at = _skip_space(text, end)
        if text[at] == ",":
            at = _skip_space(text, at + 1)
    return spans


def _skip_space(text: str, at: int) -> int:
    match = _JSON_WHITESPACE.match(text, at)
    return match.end() if match else at


def _region(text: str, start: int, end: int) -> dict[str, int]:
    """The SARIF region of text[start:end]: lines end at ``\\n`` (``\\r\\n`` included), columns count UTF-16
    code units, and ``endColumn`` is the column just after the region."""
    last = end - 1
    return {
        "startLine": text.count("\n", 0, start) + 1,
        "startColumn": _column(text, start),
        "endLine": text.count("\n", 0, last) + 1,
        "endColumn": _column(text, last) + 1,
    }


def _column(text: str, at: int) -> int:
    """The column of text[at], in UTF-16 code units from the start of its line."""
    line_start = text.rfind("\n", 0, at) + 1
    return len(text[line_start:at].encode("utf-16-le")) // 2 + 1
