"""The local stack file: what ``vpce-guard local up`` created in the emulator, for ``local send`` and
``local drain`` to use.

JSON (default ``.vpce-guard/local-stack.json``): the emulator's URL, region and account, every resource's
physical values by logical id, each function's code location and resolved environment, the EventBridge
rules with the SQS queue that stands for their target function, the Config rule with its scope, and the
DynamoDB stream event sources with their batching and retry settings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vpce_guard.local.intrinsics import PhysicalResource

DEFAULT_STACK_FILE = Path(".vpce-guard") / "local-stack.json"
STACK_FILE_VERSION = 1
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
    logical_id: str
    name: str
    arn: str
    rule_id: str
    function: str
    message_types: tuple[str, ...]
    resource_types: tuple[str, ...]


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
    not_created: Mapping[str, str] = field(default_factory=dict)

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
            "functions": {
                logical_id: {
                    "name": function.name,
                    "arn": function.arn,
                    "handler": function.handler,
                    "runtime": function.runtime,
                    "timeout": function.timeout,
                    "memory_size": function.memory_size,
                    "code_dir": function.code_dir,
                    "layer_dirs": list(function.layer_dirs),
                    "access_key_id": function.access_key_id,
                    "environment": dict(function.environment),
                }
                for logical_id, function in self.functions.items()
            },
            "event_rules": {
                logical_id: {
                    "name": rule.name,
                    "arn": rule.arn,
                    "function": rule.function,
                    "queue_url": rule.queue_url,
                    "event_pattern": rule.event_pattern,
                    "schedule": rule.schedule,
                }
                for logical_id, rule in self.event_rules.items()
            },
            "config_rules": {
                logical_id: {
                    "name": rule.name,
                    "arn": rule.arn,
                    "rule_id": rule.rule_id,
                    "function": rule.function,
                    "message_types": list(rule.message_types),
                    "resource_types": list(rule.resource_types),
                }
                for logical_id, rule in self.config_rules.items()
            },
            "stream_sources": {
                logical_id: {
                    "function": source.function,
                    "stream_arn": source.stream_arn,
                    "batch_size": source.batch_size,
                    "report_batch_item_failures": source.report_batch_item_failures,
                    "bisect_on_error": source.bisect_on_error,
                    "maximum_retry_attempts": source.maximum_retry_attempts,
                    "on_failure_queue_url": source.on_failure_queue_url,
                }
                for logical_id, source in self.stream_sources.items()
            },
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> LocalStack:
        if raw.get("version") != STACK_FILE_VERSION:
            raise LocalRunError(f"stack file version {raw.get('version')!r} is not {STACK_FILE_VERSION}: run local up")
        return cls(
            endpoint_url=raw["endpoint_url"],
            region=raw["region"],
            account_id=raw["account_id"],
            stack_name=raw["stack_name"],
            template=raw["template"],
            parameters=dict(raw["parameters"]),
            resources={key: PhysicalResource.from_json(value) for key, value in raw["resources"].items()},
            not_created=dict(raw.get("not_created", {})),
            functions={
                logical_id: LocalFunction(
                    logical_id=logical_id,
                    name=value["name"],
                    arn=value["arn"],
                    handler=value["handler"],
                    runtime=value["runtime"],
                    timeout=int(value["timeout"]),
                    memory_size=int(value["memory_size"]),
                    code_dir=value["code_dir"],
                    layer_dirs=tuple(value["layer_dirs"]),
                    environment=dict(value["environment"]),
                )
                for logical_id, value in raw["functions"].items()
            },
            event_rules={
                logical_id: LocalEventRule(
                    logical_id=logical_id,
                    name=value["name"],
                    arn=value["arn"],
                    function=value["function"],
                    queue_url=value["queue_url"],
                    event_pattern=value.get("event_pattern"),
                    schedule=value.get("schedule"),
                )
                for logical_id, value in raw.get("event_rules", {}).items()
            },
            config_rules={
                logical_id: LocalConfigRule(
                    logical_id=logical_id,
                    name=value["name"],
                    arn=value["arn"],
                    rule_id=value["rule_id"],
                    function=value["function"],
                    message_types=tuple(value["message_types"]),
                    resource_types=tuple(value["resource_types"]),
                )
                for logical_id, value in raw.get("config_rules", {}).items()
            },
            stream_sources={
                logical_id: LocalStreamSource(
                    logical_id=logical_id,
                    function=value["function"],
                    stream_arn=value["stream_arn"],
                    batch_size=int(value["batch_size"]),
                    report_batch_item_failures=bool(value["report_batch_item_failures"]),
                    bisect_on_error=bool(value["bisect_on_error"]),
                    maximum_retry_attempts=int(value["maximum_retry_attempts"]),
                    on_failure_queue_url=value.get("on_failure_queue_url"),
                )
                for logical_id, value in raw.get("stream_sources", {}).items()
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
