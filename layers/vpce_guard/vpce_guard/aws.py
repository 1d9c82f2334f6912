"""The seam to AWS: how clients are made and how their calls are counted.

API calls are this product's real cost and latency, so every client made here reports each call it makes,
by operation, to an ``ApiCallCounter`` (a botocore event hook, so nothing of ours has to remember to count).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from typing import Any

import boto3
from botocore.config import Config

# Standard mode retries throttling and transient errors with backoff; the attempt count comes from
# AWS_MAX_ATTEMPTS when set (the emulator sets 1, so an unimplemented call fails at once).
CLIENT_CONFIG = Config(retries={"mode": "standard"}, user_agent_extra="vpce-guard")


@dataclass
class ApiCallCounter:
    """Counts API calls by operation name, one per logical call (a paginated describe counts its pages)."""

    calls: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def watch(self, client: Any) -> Any:
        client.meta.events.register("before-call", self._count)
        return client

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:  # clients are shared across threads, and += on a Counter is not atomic
            self.calls[model.name] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def summary(self) -> str:
        by_operation = ", ".join(f"{name} {count}" for name, count in sorted(self.calls.items()))
        return f"{self.total} API calls ({by_operation})" if self.calls else "0 API calls"


@cache
def partition_of(region: str) -> str:
    """The partition a region belongs to (``aws``, ``aws-cn``, ``aws-us-gov``), from botocore's endpoint data."""
    partition: str = boto3.Session().get_partition_for_region(region)
    return partition


@dataclass(frozen=True)
class TemporaryCredentials:
    """Credentials from sts:AssumeRole, and when they stop working."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime

    @classmethod
    def from_api(cls, credentials: Mapping[str, Any]) -> TemporaryCredentials:
        return cls(
            credentials["AccessKeyId"],
            credentials["SecretAccessKey"],
            credentials["SessionToken"],
            credentials["Expiration"],
        )


@dataclass
class AwsSession:
    """Where calls go: a region, optionally a named profile and an endpoint URL (the emulator), and the
    credentials of an assumed role when the calls act in another account.

    Clients are made once per service and shared (they are thread-safe): making one loads the service's
    model, which costs more than most calls.
    """

    region: str
    profile: str | None = None
    endpoint_url: str | None = None
    counter: ApiCallCounter = field(default_factory=ApiCallCounter)
    credentials: TemporaryCredentials | None = None
    _clients: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            client = self._boto3.client(service, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)
            self._clients[service] = self.counter.watch(client)
        return self._clients[service]

    @cached_property
    def _boto3(self) -> boto3.Session:
        if self.credentials is None:
            return boto3.Session(profile_name=self.profile, region_name=self.region)
        return boto3.Session(
            aws_access_key_id=self.credentials.access_key_id,
            aws_secret_access_key=self.credentials.secret_access_key,
            aws_session_token=self.credentials.session_token,
            region_name=self.region,
        )
