"""What to do about each finding: the configuration, the modes, the exemptions and the change budget.

One configuration, in one TOML format, serves the CLI (``--config FILE``) and the functions (the same text in
an SSM parameter). Every key is optional::

    dry_run = false            # plan and record, call nothing that mutates
    change_budget = 10         # automatic changes per invocation, 0 to 100
    max_changes_per_hour = 30  # automatic changes by every acting function together, per clock hour, 0 to 500
    exemption_max_days = 90    # how far ahead an exemption tag's until= may be, 1 to 365
    trusted_accounts = ["111122223333"]
    partner_resources = ["arn:aws:s3:::partner-exchange/*"]   # outside resources our principals may reach
    org_id = "o-a1b2c3d4e5"
    baseline = ["s3", "sts", "logs"]
    traffic_days = 14          # how far back the checks that judge traffic read it, 1 to 455
    max_bucket_policies = 1000 # buckets whose policies are read before an S3 change, 1 to 10,000

    [modes]                    # per check id: enforce | ticket | notify | off
    private-dns-disabled = "enforce"
    missing-baseline-endpoint = "ticket"

    [prices.eu-west-1]         # vpce-guard cost: a region's prices (USD), over the catalog's or where it has none
    interface_endpoint_zone_hour = 0.011

The text is validated against a declared schema (``ConfigurationFile``, read with msgspec): strict types, no
unknown key, account and organization ids in AWS's formats. A wrong value is an error naming the source, the
first wrong field's path, what is wrong and the fix; it is never read as something else.

A check without a mode is ``ticket``: nothing changes automatically until a team says so. The checks whose fix
is always a person's decision cannot be enforced (``NEVER_ENFORCED``, each with why): creating endpoints costs
money (``missing-baseline-endpoint``), a network ACL is shared by subnets (``nacl-blocks-https``), replacing
an interface endpoint by a gateway endpoint is for the people who know its callers
(``interface-where-gateway-serves``), and endpoints are never deleted (``endpoint-idle``).

The functions run with the organization of their stack. A configuration that is invalid, or that names another
organization, is *held*: findings are still judged and recorded, and every change it would make is a ticket.

A resource opts out with the tag ``vpce-guard:exempt``: ``all`` or check ids (separated by spaces or
commas), and ``until=YYYY-MM-DD``, at most ``exemption_max_days`` ahead, after which the exemption is
ignored. A tag that grants nothing (no ``until=``, too far ahead, unreadable) leaves its findings to people.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec.structs import replace

from vpce_guard import identifiers
from vpce_guard.catalog import load_catalog
from vpce_guard.checks import CHECKS, CheckSettings
from vpce_guard.checks.base import DEFAULT_TRAFFIC_DAYS, MAX_TRAFFIC_DAYS
from vpce_guard.findings import Finding
from vpce_guard.schemas import problem

EXEMPT_TAG = "vpce-guard:exempt"
DEFAULT_CHANGE_BUDGET = 10
# Changes one invocation may make: enough for a VPC's worth of fixes, few enough that a wrong configuration
# cannot rewrite an estate in one go.
MAX_CHANGE_BUDGET = 100
# Changes every acting function together (on-change and sweep workers, every account) may make in one clock hour
# (``vpce_guard.throttle.ChangeRate``): invocations each within their budget cannot add up to an organization's
# estate rewritten in an hour by a wrong configuration, a bug or whoever steers the functions.
DEFAULT_MAX_CHANGES_PER_HOUR = 30
MAX_CHANGES_PER_HOUR = 500
# An exemption must end: its until= at most this many days ahead (the configuration may lower or raise it,
# within a year, so no tag exempts a resource for good).
DEFAULT_EXEMPTION_MAX_DAYS = 90
MAX_EXEMPTION_MAX_DAYS = 365
# The buckets whose policies are read (a GetBucketPolicy each) before S3 calls move from an interface endpoint
# to a gateway endpoint (``vpce_guard.bucket_policies``): an account with more is doubt, a ticket.
DEFAULT_MAX_BUCKET_POLICIES = 1000
MAX_BUCKET_POLICIES = 10_000
# The checks whose fix is never automatic, and why: a configuration that enforces one is refused.
NEVER_ENFORCED: Mapping[str, str] = {
    "missing-baseline-endpoint": "creating endpoints costs money",
    "nacl-blocks-https": "a network ACL is shared by subnets and is never changed automatically",
    "interface-where-gateway-serves": "endpoints are never created or deleted automatically, and whether callers "
    "outside the VPC use the interface endpoint is for people to know",
    "endpoint-idle": "endpoints are never deleted automatically",
}
# The prices of ``vpce-guard cost`` a configuration may give, per region, over the catalog's.
PRICE_NAMES = ("interface_endpoint_zone_hour", "interface_endpoint_gb", "nat_gateway_hour", "nat_gateway_gb")
_UNTIL = re.compile(r"^until=(\d{4}-\d{2}-\d{2})$")


class Mode(StrEnum):
    ENFORCE = "enforce"
    TICKET = "ticket"
    NOTIFY = "notify"
    OFF = "off"


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names its first problem."""


def _resource_arn(value: str) -> str:
    """A resource ARN of a served partition, naming a resource: a partner's bucket, queue, key, ..."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[1] not in identifiers.PARTITIONS or not parts[2] or not parts[5]:
        raise ValueError(f"{value!r} is not a resource ARN (arn:<partition>:<service>:<region>:<account>:<resource>)")
    if not parts[5].strip("*?/"):
        raise ValueError(f"{value!r} names every resource of the service; name the partner's resources")
    return value


class PriceOverride(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The configuration's ``[prices.<region>]``: any of the four prices, in USD."""

    interface_endpoint_zone_hour: Annotated[float, msgspec.Meta(ge=0)] | None = None
    interface_endpoint_gb: Annotated[float, msgspec.Meta(ge=0)] | None = None
    nat_gateway_hour: Annotated[float, msgspec.Meta(ge=0)] | None = None
    nat_gateway_gb: Annotated[float, msgspec.Meta(ge=0)] | None = None


class ConfigurationFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The configuration's schema: every key optional, strict types, unknown keys refused.

    What the types cannot say (ids in AWS's formats, catalog keys) is checked once the document is read
    (``_read``), each value naming its path: msgspec would say a failed ``__post_init__`` of the document at no
    path. The tables keyed by region and by check id keep their entries as written, each then read below its key
    (``_prices``, ``_modes``), since msgspec's path into a table names no key."""

    dry_run: bool = False
    change_budget: Annotated[int, msgspec.Meta(ge=0, le=MAX_CHANGE_BUDGET)] = DEFAULT_CHANGE_BUDGET
    max_changes_per_hour: Annotated[int, msgspec.Meta(ge=0, le=MAX_CHANGES_PER_HOUR)] = DEFAULT_MAX_CHANGES_PER_HOUR
    exemption_max_days: Annotated[int, msgspec.Meta(ge=1, le=MAX_EXEMPTION_MAX_DAYS)] = DEFAULT_EXEMPTION_MAX_DAYS
    trusted_accounts: tuple[str, ...] = ()
    partner_resources: tuple[str, ...] = ()
    org_id: str | None = None
    baseline: tuple[str, ...] | None = None
    traffic_days: Annotated[int, msgspec.Meta(ge=1, le=MAX_TRAFFIC_DAYS)] = DEFAULT_TRAFFIC_DAYS
    max_bucket_policies: Annotated[int, msgspec.Meta(ge=1, le=MAX_BUCKET_POLICIES)] = DEFAULT_MAX_BUCKET_POLICIES
    prices: dict[str, object] = {}
    modes: dict[str, object] = {}


# How to put each field right, for the error message; a table's keys and values each have their own.
_MODE_NAMES = '"enforce", "ticket", "notify" or "off"'
_FIXES = {
    "dry_run": "true or false, without quotes",
    "change_budget": f"a whole number of changes from 0 to {MAX_CHANGE_BUDGET}, without quotes",
    "max_changes_per_hour": f"a whole number of changes from 0 to {MAX_CHANGES_PER_HOUR}, without quotes",
    "exemption_max_days": f"a whole number of days from 1 to {MAX_EXEMPTION_MAX_DAYS}, without quotes",
    "trusted_accounts": 'a list of 12-digit account ids in quotes, e.g. trusted_accounts = ["111122223333"]',
    "partner_resources": 'a list of resource ARNs in quotes, e.g. partner_resources = ["arn:aws:s3:::bucket/*"]',
    "org_id": 'the organization id in quotes, e.g. org_id = "o-a1b2c3d4e5"',
    "baseline": 'a list of catalog service keys, e.g. baseline = ["s3", "sts", "logs"]',
    "traffic_days": f"a whole number of days from 1 to {MAX_TRAFFIC_DAYS} (CloudWatch keeps hourly data "
    f"{MAX_TRAFFIC_DAYS} days), without quotes",
    "max_bucket_policies": f"a whole number of buckets from 1 to {MAX_BUCKET_POLICIES:,}, without quotes",
    "prices": f"a table per region, e.g. a line [prices.eu-west-1], then lines like interface_endpoint_gb = 0.01 "
    f"(USD, without quotes; the prices are {', '.join(PRICE_NAMES)})",
    "modes": f'a table: a line [modes], then lines like private-dns-disabled = "enforce" (each {_MODE_NAMES})',
    "modes[key]": f"one of the check ids {', '.join(CHECKS)}",
    "modes[value]": f"one of {_MODE_NAMES}, in quotes",
}
_KEYS = ", ".join(ConfigurationFile.__struct_fields__)
_DOCUMENT = "(document)"
_UNKNOWN_KEY = "Object contains unknown field"
_FIELD = re.compile(r"[a-z_]+")


def _fixed(said: str, field: str | None = None) -> str:
    """A problem (the path, then what is wrong) with how to put its field right: ``field``, or the path's first."""
    if field is None:
        found = _FIELD.match(said)
        field = found[0] if found else ""
    fix = "" if "Fix:" in said else _FIXES.get(field, "")
    return said + (f". Fix: {fix}" if fix else "")


def _misread(error: msgspec.ValidationError, under: str = "", keys: str = _KEYS) -> str:
    """A failed reading as a person reads it: the path, what is wrong and the fix (for an unknown key, the keys
    there are)."""
    said = problem(error, _DOCUMENT, under)
    if _UNKNOWN_KEY in said:
        return f"{said}. Fix: remove or rename it; the keys are {keys}"
    return _fixed(said)


_T = TypeVar("_T")


def _checked(check: Callable[[_T], object], value: _T, path: str, field: str | None = None) -> None:
    """``value`` passed by ``check``, or ValueError naming its path, what is wrong and the fix."""
    try:
        check(value)
    except ValueError as error:
        raise ValueError(_fixed(f"{path}: {error}", field)) from None


def _read(document: Mapping[str, Any]) -> ConfigurationFile:
    """The document as the schema declares it, or ValueError naming its first problem."""
    try:
        parsed = msgspec.convert(document, ConfigurationFile)
    except msgspec.ValidationError as error:
        raise ValueError(_misread(error)) from None
    for index, account in enumerate(parsed.trusted_accounts):
        _checked(identifiers.account_id, account, f"trusted_accounts[{index}]")
    for index, arn in enumerate(parsed.partner_resources):
        _checked(_resource_arn, arn, f"partner_resources[{index}]")
    if parsed.org_id is not None:
        _checked(identifiers.org_id, parsed.org_id, "org_id")
    _checked(load_catalog().baseline_for, parsed.baseline, "baseline")
    return parsed


def _prices(tables: Mapping[str, object]) -> dict[str, PriceOverride]:
    """Each region's ``[prices.<region>]``, read below its key; ValueError naming the first wrong one."""
    prices = {}
    for region, table in tables.items():
        _checked(identifiers.region, region, f"prices.{region}")
        try:
            prices[region] = msgspec.convert(table, PriceOverride)
        except msgspec.ValidationError as error:
            raise ValueError(_misread(error, f"prices.{region}", ", ".join(PRICE_NAMES))) from None
    return prices


def _modes(table: Mapping[str, object]) -> dict[str, Mode]:
    """The ``[modes]`` table, each check id's mode read from its text (TOML has no enums); ValueError naming the
    first wrong entry, or every check it enforces that cannot be."""
    modes = {}
    for check_id, mode in table.items():
        _checked(_known_check, check_id, f"modes.{check_id}", "modes[key]")
        try:
            modes[check_id] = msgspec.convert(mode, Mode)
        except msgspec.ValidationError as error:
            raise ValueError(_fixed(problem(error, f"modes.{check_id}"), "modes[value]")) from None
    refused = sorted(
        check_id for check_id, mode in modes.items() if check_id in NEVER_ENFORCED and mode is Mode.ENFORCE
    )
    if refused:
        reasons = "; ".join(f"{check_id} cannot be enforced ({NEVER_ENFORCED[check_id]})" for check_id in refused)
        raise ValueError(f'modes: {reasons}. Fix: set it to "ticket", "notify" or "off"')
    return modes


def _known_check(check_id: str) -> None:
    if check_id not in CHECKS:
        raise ValueError(f"{check_id!r} is not a check id")


class GuardConfig(msgspec.Struct, frozen=True):
    modes: Mapping[str, Mode] = msgspec.field(default_factory=dict)
    dry_run: bool = False
    change_budget: int = DEFAULT_CHANGE_BUDGET
    max_changes_per_hour: int = DEFAULT_MAX_CHANGES_PER_HOUR
    exemption_max_days: int = DEFAULT_EXEMPTION_MAX_DAYS
    settings: CheckSettings = msgspec.field(default_factory=CheckSettings)
    prices: Mapping[str, PriceOverride] = msgspec.field(default_factory=dict)
    # The most buckets whose policies are read before S3 calls move to a gateway endpoint; more is doubt.
    max_bucket_policies: int = DEFAULT_MAX_BUCKET_POLICIES
    # Why nothing may be changed (an invalid configuration, another organization's id): every finding an
    # enforce mode would fix is a ticket instead.
    held_because: str | None = None

    def mode(self, check_id: str) -> Mode:
        mode = self.modes.get(check_id, Mode.TICKET)
        return Mode.TICKET if self.held_because is not None and mode is Mode.ENFORCE else mode

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
        except UnicodeDecodeError as error:
            raise ConfigError(f"configuration {path} is not UTF-8 text: {error.reason}") from error
        return cls.from_toml(text, str(path))

    @classmethod
    def from_document(cls, document: Mapping[str, Any], source: str = "configuration") -> GuardConfig:
        try:
            parsed = _read(dict(document))
            prices = _prices(parsed.prices)
            modes = _modes(parsed.modes)
        except ValueError as error:
            raise ConfigError(f"{source}: {error}") from None
        settings = CheckSettings(
            trusted_accounts=frozenset(parsed.trusted_accounts),
            partner_resources=frozenset(parsed.partner_resources),
            org_ids=frozenset([parsed.org_id] if parsed.org_id else []),
            baseline=load_catalog().baseline_for(parsed.baseline),
            traffic_days=parsed.traffic_days,
        )
        return cls(
            modes=modes,
            dry_run=parsed.dry_run,
            change_budget=parsed.change_budget,
            max_changes_per_hour=parsed.max_changes_per_hour,
            exemption_max_days=parsed.exemption_max_days,
            settings=settings,
            prices=prices,
            max_bucket_policies=parsed.max_bucket_policies,
        )

    @classmethod
    def for_stack(cls, text: str, source: str, organization_id: str) -> GuardConfig:
        """The configuration a stack's functions run with: judged with the stack's organization (``""`` for a
        single account), and held when the text is invalid or names another organization, so that neither a
        typo nor whoever may write the parameter can make the functions widen the perimeter."""
        stack_orgs = frozenset([organization_id] if organization_id else [])
        try:
            config = cls.from_toml(text, source)
        except ConfigError as error:
            return cls(settings=CheckSettings(org_ids=stack_orgs), held_because=str(error))
        named = config.settings.org_ids
        held_because = None
        if named and named != stack_orgs:
            stack = f"OrganizationId {organization_id}" if organization_id else "no OrganizationId"
            held_because = (
                f"{source}: org_id {', '.join(sorted(named))} is not the stack's organization (the stack has "
                f"{stack}). Fix: remove org_id (the functions use the stack's), or deploy the stack with it"
            )
        return replace(config, settings=replace(config.settings, org_ids=stack_orgs), held_because=held_because)


class Exemption(msgspec.Struct, frozen=True):
    """What a resource's ``vpce-guard:exempt`` tag says: the checks it names (None: every check), until when,
    and, when it grants nothing, why (``refused``: unreadable, no ``until=``, beyond the cap, expired)."""

    tag_value: str
    checks: frozenset[str] | None
    until: date | None = None
    refused: str | None = None

    def names(self, check_id: str) -> bool:
        return self.checks is None or check_id in self.checks

    def covers(self, check_id: str) -> bool:
        return self.refused is None and self.names(check_id)

    def evidence(self) -> dict[str, str]:
        """What a finding the tag names records about it: the tag as set, and why it grants nothing."""
        shown = {"tag": EXEMPT_TAG, "value": self.tag_value}
        return shown | ({"refused": self.refused} if self.refused else {"until": str(self.until)})


def exemption_of(tags: Mapping[str, str], today: date, max_days: int) -> Exemption | None:
    """The exemption a resource's ``vpce-guard:exempt`` tag grants (None: no tag). It must end: a tag without
    ``until=YYYY-MM-DD``, or with one more than ``max_days`` ahead, grants nothing, and so does one past its
    date or one that cannot be read (it then names every check, so each finding says why)."""
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
                return Exemption(value, None, refused=f"until={match[1]} is not a date; write until=YYYY-MM-DD")
        elif token:
            checks.add(token)
    if not checks:
        return Exemption(value, None, refused="the tag names no check; write check ids or all, then until=YYYY-MM-DD")
    named = None if "all" in checks else frozenset(checks)
    latest = date.fromordinal(today.toordinal() + max_days)
    refused = None
    if until is None:
        refused = f"the tag has no until=YYYY-MM-DD; an exemption must end within {max_days} days"
    elif until > latest:
        refused = f"until={until} is more than {max_days} days ahead (exemption_max_days); set {latest} or earlier"
    elif until < today:
        refused = f"the exemption ended on {until}"
    return Exemption(value, named, until, refused)


class Decision(msgspec.Struct, frozen=True):
    finding: Finding
    mode: Mode
    exempt: bool = False
    doubted: bool = False  # its resource's exemption tag grants nothing (see ``exemption_of``): left to people

    @property
    def remediate(self) -> bool:
        return self.mode is Mode.ENFORCE and not (self.exempt or self.doubted) and self.finding.remediation.automatic


def decide(
    findings: Iterable[Finding], config: GuardConfig, tags: Mapping[str, Mapping[str, str]], today: date
) -> list[Decision]:
    """Each finding's mode, and whether its resource's tag exempts it (``tags`` by resource id). A finding the
    tag names carries the tag in its evidence: as set (EXEMPT), or with why it grants nothing; a refused tag
    is doubt about what the resource's owners want, so the finding is not remediated."""
    decisions = []
    for finding in findings:
        mode = config.mode(finding.check_id)
        if mode is Mode.OFF:
            continue
        exemption = exemption_of(tags.get(finding.resource_id, {}), today, config.exemption_max_days)
        if exemption is None or not exemption.names(finding.check_id):
            decisions.append(Decision(finding, mode))
            continue
        noted = replace(finding, evidence={**finding.evidence, "exemption": exemption.evidence()})
        granted = exemption.covers(finding.check_id)
        decisions.append(Decision(noted, mode, exempt=granted, doubted=not granted))
    return decisions
