"""The local stack file: what ``vpce-guard local up`` created in the emulator, for ``local send`` and
``local drain`` to use.

JSON (default ``.vpce-guard/local-stack.json``): the emulator's URL, region and account, every resource's
physical values by logical id, each function's code location and resolved environment, the EventBridge
rules with the SQS queue that stands for their target function, the Config rules with their scope, the
DynamoDB stream and SQS event sources with their batching and retry settings, and the organization a hub
serves (``local up --org``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vpce_guard_local.sam.intrinsics import PhysicalResource

DEFAULT_STACK_FILE = Path(".vpce-guard") / "local-stack.json"
STACK_FILE_VERSION = 2
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class LocalRunError(Exception):
    """The local run cannot go on; the message says why and what to do next."""


@dataclass(frozen=True)
class LocalFunction:
    logical_id: str
    name: str
    arn: str
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    code_dir: str
    layer_dirs: tuple[str, ...]
    environment: Mapping[str, str]
    # The command that starts the function's Python; empty: this process's interpreter, with its packages.
    # A built function runs in an interpreter of its runtime without site-packages (``-S``), as in Lambda.
    interpreter: tuple[str, ...] = ()

    @property
    def access_key_id(self) -> str:
        """The fake access key the function's calls are signed with, so recorded calls name the function."""
        return f"LOCAL-{self.logical_id}"


@dataclass(frozen=True)
class LocalEventRule:
    logical_id: str
    name: str
    arn: str
    function: str
    queue_url: str
    event_pattern: Mapping[str, Any] | None = None
    schedule: str | None = None


@dataclass(frozen=True)
class LocalConfigRule:
    """A custom Config rule, its account (a member's rule invokes the hub's function) and the function."""

    logical_id: str
    name: str
    arn: str
    rule_id: str
    function: str
    message_types: tuple[str, ...]
    resource_types: tuple[str, ...]
    account_id: str


@dataclass(frozen=True)
class LocalStreamSource:
    """A DynamoDB stream event source mapping: which function reads which stream, and how Lambda would
    batch, retry and give up (``vpce-guard local drain`` does the same; see ``streams``)."""

    logical_id: str
    function: str
    stream_arn: str
    batch_size: int
    report_batch_item_failures: bool
    bisect_on_error: bool
    maximum_retry_attempts: int
    on_failure_queue_url: str | None = None


@dataclass(frozen=True)
class LocalQueueSource:
    """An SQS event source mapping: which function takes which queue's messages, how many at a time, and
    whether it reports failed ones (``vpce-guard local drain`` delivers them; see ``queues``)."""

    logical_id: str
    function: str
    queue_url: str
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool


@dataclass(frozen=True)
class LocalOrganization:
    """The organization a hub stack serves, as ``local up --org`` hosted it, and where its members stand."""

    id: str
    management_account_id: str
    member_account_ids: tuple[str, ...]
    organizational_unit_ids: tuple[str, ...]
    member_regions: tuple[str, ...]


@dataclass(frozen=True)
class LocalStack:
    endpoint_url: str
    region: str
    account_id: str
    stack_name: str
    template: str
    parameters: Mapping[str, Any]
    resources: Mapping[str, PhysicalResource]
    functions: Mapping[str, LocalFunction]
    event_rules: Mapping[str, LocalEventRule] = field(default_factory=dict)
    config_rules: Mapping[str, LocalConfigRule] = field(default_factory=dict)
    stream_sources: Mapping[str, LocalStreamSource] = field(default_factory=dict)
    queue_sources: Mapping[str, LocalQueueSource] = field(default_factory=dict)
    not_created: Mapping[str, str] = field(default_factory=dict)
    organization: LocalOrganization | None = None

    @property
    def vpc_id(self) -> str:
        return str(self.parameters.get("VpcId", ""))

    def physical_id(self, logical_id: str) -> str:
        resource = self.resources.get(logical_id)
        if resource is None:
            raise LocalRunError(f"the local stack has no {logical_id}")
        return str(resource.ref)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STACK_FILE_VERSION,
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "account_id": self.account_id,
            "stack_name": self.stack_name,
            "template": self.template,
            "parameters": dict(self.parameters),
            "resources": {logical_id: resource.to_json() for logical_id, resource in self.resources.items()},
            "not_created": dict(self.not_created),
            "organization": dataclasses.asdict(self.organization) if self.organization else None,
            **{
                section: {
                    logical_id: dataclasses.asdict(record) for logical_id, record in getattr(self, section).items()
                }
                for section in _RECORDS
            },
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> LocalStack:
        if raw.get("version") != STACK_FILE_VERSION:
            raise LocalRunError(f"stack file version {raw.get('version')!r} is not {STACK_FILE_VERSION}: run local up")
        organization = raw.get("organization")
        return cls(
            endpoint_url=raw["endpoint_url"],
            region=raw["region"],
            account_id=raw["account_id"],
            stack_name=raw["stack_name"],
            template=raw["template"],
            parameters=dict(raw["parameters"]),
            resources={key: PhysicalResource.from_json(value) for key, value in raw["resources"].items()},
            not_created=dict(raw.get("not_created", {})),
            organization=_record(LocalOrganization, organization) if organization else None,
            **{
                section: {logical_id: _record(kind, value) for logical_id, value in raw.get(section, {}).items()}
                for section, kind in _RECORDS.items()
            },
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LocalStack:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LocalRunError(
                f"no local stack file at {path}: run `vpce-guard local up` first (or give --stack-file)"
            ) from None
        except (OSError, ValueError) as error:
            raise LocalRunError(f"cannot read the local stack file {path}: {error}") from error
        try:
            return cls.from_json(raw)
        except (KeyError, TypeError) as error:
            raise LocalRunError(
                f"{path} is not a local stack file ({error}): run `vpce-guard local up` again"
            ) from None


# The stack file's sections of records, each a dataclass written as its fields.
_RECORDS: dict[str, type[Any]] = {
    "functions": LocalFunction,
    "event_rules": LocalEventRule,
    "config_rules": LocalConfigRule,
    "stream_sources": LocalStreamSource,
    "queue_sources": LocalQueueSource,
}


def _record(kind: type[Any], value: Mapping[str, Any]) -> Any:
    """A record read back: its fields, the tuples JSON wrote as lists made tuples again."""
    tuples = {f.name for f in dataclasses.fields(kind) if str(f.type).startswith("tuple")}
    return kind(**{key: tuple(item) if key in tuples else item for key, item in value.items()})


def client_environment(endpoint_url: str, region: str) -> dict[str, str]:
    """The environment that points an AWS SDK at the emulator (as ``Emulator.client_environment``), without
    credentials: each function gets its own."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_RETRY_MODE": "standard",
        "AWS_MAX_ATTEMPTS": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
