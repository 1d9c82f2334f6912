"""What to do about each finding: the configuration, the modes, the exemptions and the change budget.

One configuration, in one TOML format, serves the CLI (``--config FILE``) and the functions (the same text in
an SSM parameter). Every key is optional::

    dry_run = false            # plan and record, call nothing that mutates
    change_budget = 10         # automatic changes per invocation, at most
    trusted_accounts = ["111122223333"]
    org_id = "o-a1b2c3d4e5"
    baseline = ["s3", "sts", "logs"]

    [modes]                    # per check id: enforce | ticket | notify | off
    private-dns-disabled = "enforce"
    missing-baseline-endpoint = "ticket"

A check without a mode is ``ticket``: nothing changes automatically until a team says so. Creating endpoints
costs money, so ``missing-baseline-endpoint`` cannot be enforced.

A resource opts out with the tag ``vpce-guard:exempt``: ``all`` or check ids (separated by spaces or
commas), and optionally ``until=YYYY-MM-DD``, after which the exemption is ignored.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from vpce_guard.catalog import load_catalog
from vpce_guard.checks import CHECKS, CheckSettings
from vpce_guard.findings import Finding

EXEMPT_TAG = "vpce-guard:exempt"
DEFAULT_CHANGE_BUDGET = 10
NEVER_ENFORCED = frozenset({"missing-baseline-endpoint"})
_KEYS = frozenset({"dry_run", "change_budget", "trusted_accounts", "org_id", "baseline", "modes"})
_UNTIL = re.compile(r"^until=(\d{4}-\d{2}-\d{2})$")


class Mode(StrEnum):
    ENFORCE = "enforce"
    TICKET = "ticket"
    NOTIFY = "notify"
    OFF = "off"


class ConfigError(ValueError):
    """A configuration that cannot be used; the message lists every problem."""


@dataclass(frozen=True)
class GuardConfig:
    modes: Mapping[str, Mode] = field(default_factory=dict)
    dry_run: bool = False
    change_budget: int = DEFAULT_CHANGE_BUDGET
    settings: CheckSettings = field(default_factory=CheckSettings)

    def mode(self, check_id: str) -> Mode:
        return self.modes.get(check_id, Mode.TICKET)

    @property
    def enabled_checks(self) -> tuple[str, ...]:
        return tuple(check_id for check_id in CHECKS if self.mode(check_id) is not Mode.OFF)

    @classmethod
    def from_toml(cls, text: str, source: str = "configuration") -> GuardConfig:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{source} is not TOML: {error}") from error
        return cls.from_document(document, source)

    @classmethod
    def load(cls, path: Path) -> GuardConfig:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot read configuration {path}: {error.strerror}") from error
        return cls.from_toml(text, str(path))

    @classmethod
    def from_document(cls, document: Mapping[str, Any], source: str = "configuration") -> GuardConfig:
        problems = [f"unknown key {key!r}" for key in sorted(set(document) - _KEYS)]
        modes: dict[str, Mode] = {}
        for check_id, value in dict(document.get("modes", {})).items():
            if check_id not in CHECKS:
                problems.append(f"modes: unknown check id {check_id!r}")
            elif value not in {mode.value for mode in Mode}:
                problems.append(f"modes.{check_id}: {value!r} is not one of enforce, ticket, notify, off")
            elif check_id in NEVER_ENFORCED and value == Mode.ENFORCE:
                problems.append(f"modes.{check_id}: cannot be enforced (creating endpoints costs money)")
            else:
                modes[check_id] = Mode(value)
        budget = document.get("change_budget", DEFAULT_CHANGE_BUDGET)
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 0:
            problems.append(f"change_budget: {budget!r} is not a whole number of changes")
        dry_run = document.get("dry_run", False)
        if not isinstance(dry_run, bool):
            problems.append(f"dry_run: {dry_run!r} is not true or false")
        baseline = None
        try:
            keys = document.get("baseline")
            baseline = load_catalog().baseline_for(tuple(keys) if keys is not None else None)
        except ValueError as error:
            problems.append(f"baseline: {error}")
        if problems:
            raise ConfigError(f"{source}: " + "; ".join(problems))
        org_id = document.get("org_id")
        settings = CheckSettings(
            trusted_accounts=frozenset(str(account) for account in document.get("trusted_accounts", [])),
            org_ids=frozenset([str(org_id)] if org_id else []),
            baseline=baseline or load_catalog().baseline,
        )
        return cls(modes=modes, dry_run=dry_run, change_budget=budget, settings=settings)


@dataclass(frozen=True)
class Exemption:
    checks: frozenset[str] | None  # None: every check
    until: date | None = None

    def covers(self, check_id: str, today: date) -> bool:
        if self.until is not None and today > self.until:
            return False
        return self.checks is None or check_id in self.checks


def exemption_of(tags: Mapping[str, str]) -> Exemption | None:
    """The exemption a resource's ``vpce-guard:exempt`` tag grants; a value it cannot read grants none."""
    value = tags.get(EXEMPT_TAG)
    if value is None:
        return None
    checks: set[str] = set()
    until = None
    for token in re.split(r"[\s,]+", value.strip()):
        match = _UNTIL.match(token)
        if match:
            try:
                until = date.fromisoformat(match[1])
            except ValueError:
                return None
        elif token:
            checks.add(token)
    if not checks:
        return None
    return Exemption(None if "all" in checks else frozenset(checks), until)


@dataclass(frozen=True)
class Decision:
    finding: Finding
    mode: Mode
    exempt: bool = False

    @property
    def remediate(self) -> bool:
        return self.mode is Mode.ENFORCE and not self.exempt and self.finding.remediation.automatic


def decide(
    findings: Iterable[Finding], config: GuardConfig, tags: Mapping[str, Mapping[str, str]], today: date
) -> list[Decision]:
    """Each finding's mode, and whether its resource's tag exempts it (``tags`` by resource id)."""
    decisions = []
    for finding in findings:
        mode = config.mode(finding.check_id)
        if mode is Mode.OFF:
            continue
        exemption = exemption_of(tags.get(finding.resource_id, {}))
        exempt = exemption is not None and exemption.covers(finding.check_id, today)
        decisions.append(Decision(finding, mode, exempt))
    return decisions
