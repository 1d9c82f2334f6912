"""The seam to AWS: how clients are made and how their calls are counted.

API calls are this product's real cost and latency, so every client made here reports each call it makes,
by operation, to an ``ApiCallCounter`` (a botocore event hook, so nothing of ours has to remember to count).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from typing import Any

import boto3
import botocore.session
import msgspec
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

CLIENT_CONFIG = Config(user_agent_extra="vpce-guard")


class Retries(msgspec.Struct, frozen=True):
    """How a client retries where neither the environment (AWS_RETRY_MODE, AWS_MAX_ATTEMPTS) nor the
    profile (retry_mode, max_attempts) says: what is set there always wins, so the emulator's single attempt
    and the sweep worker's adaptive retries hold. Standard mode retries throttling and transient errors with
    exponential backoff; adaptive mode also slows the client down while AWS throttles it."""

    mode: str = "standard"
    max_attempts: int | None = None  # None: botocore's default for the mode

    def config(self, profile_settings: Mapping[str, Any]) -> Config:
        retries: dict[str, Any] = {}
        if not (os.environ.get("AWS_RETRY_MODE") or profile_settings.get("retry_mode")):
            retries["mode"] = self.mode
        if self.max_attempts and not (os.environ.get("AWS_MAX_ATTEMPTS") or profile_settings.get("max_attempts")):
            retries["total_max_attempts"] = self.max_attempts
        return CLIENT_CONFIG.merge(Config(retries=retries))


# What a failed call raises: an AWS error, a client-side failure, or a reply that is not the API's
# (an HTML error page from a proxy, or from the emulator for a call it does not implement).
CALL_ERRORS = (ClientError, BotoCoreError, ResponseParserError)


class CollectionError(Exception):
    """An AWS call failed; the message names the call, the AWS error and the operator's next step (the
    permission to grant is ``service``'s IAM prefix and the operation)."""

    def __init__(self, operation: str, region: str, error: Exception, *, service: str) -> None:
        code, reason = error_code_and_reason(error)
        next_step = _next_step(service, operation, code)
        super().__init__(f"{operation} failed in {region}{_attempts(error)}: {reason}. {next_step}")
        self.operation = operation
        self.code = code


def error_code_and_reason(error: Exception) -> tuple[str, str]:
    """An AWS error's code, and the code with its message, for people to read."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "Unknown")
        return code, f"{code}: {error.response.get('Error', {}).get('Message', '')}"
    return type(error).__name__, str(error)


def _attempts(error: Exception) -> str:
    """How many attempts the client made, where AWS answered (botocore counts the retries it made)."""
    if not isinstance(error, ClientError):
        return ""
    retries = error.response.get("ResponseMetadata", {}).get("RetryAttempts")
    if not isinstance(retries, int):
        return ""
    return f" after {retries + 1} attempt{'s' if retries else ''}"


def _next_step(service: str, operation: str, code: str) -> str:
    if code in ("UnauthorizedOperation", "AccessDenied", "AccessDeniedException"):
        return f"Grant {service}:{operation} to the identity running the scan."
    if code in ("RequestLimitExceeded", "Throttling", "ThrottlingException"):
        return "AWS throttled the scan through every retry; run it again later or raise AWS_MAX_ATTEMPTS."
    if code in ("NoCredentialsError", "PartialCredentialsError", "ProfileNotFound"):
        return "Configure credentials: --profile, AWS_PROFILE, environment variables or an instance role."
    if code in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"):
        return f"Check the network path to the {service} API (or --endpoint-url)."
    return "Nothing was evaluated; fix the cause and scan again."


# A scan from the command line rides out throttling rather than failing: a person is waiting for its answer.
SCAN_RETRIES = Retries(mode="adaptive", max_attempts=8)


@dataclass
class ApiCallCounter:
    """Counts API calls by operation name, one per logical call (a paginated describe counts its pages)."""

    calls: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def watch(self, client: Any) -> Any:
        client.meta.events.register("before-call", self._count)
        return client

    def add(self, operation: str) -> None:
        """Count a call made through another counter's client on this counter's behalf."""
        with self._lock:  # clients are shared across threads, and += on a Counter is not atomic
            self.calls[operation] += 1

    def _count(self, model: Any, **_: Any) -> None:
        self.add(model.name)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def summary(self) -> str:
        by_operation = ", ".join(f"{name} {count}" for name, count in sorted(self.calls.items()))
        return f"{self.total} API calls ({by_operation})" if self.calls else "0 API calls"


class TemporaryCredentials(msgspec.Struct, frozen=True):
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
    model, which costs more than most calls. Sessions of assumed roles make their clients from one boto3
    session for the process, with the role's credentials given to each client, so that a hub reaching
    hundreds of accounts loads the models once, not once per account.
    """

    region: str
    profile: str | None = None
    endpoint_url: str | None = None
    counter: ApiCallCounter = field(default_factory=ApiCallCounter)
    credentials: TemporaryCredentials | None = None
    retries: Retries = field(default_factory=Retries)
    _clients: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def client(self, service: str) -> Any:
        with _CLIENT_CREATION:  # a boto3 session must not make clients in several threads at once
            if service not in self._clients:
                client = self._boto3.client(
                    service,
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=self.retries.config(_profile_settings(self.profile)),
                    **self._credential_arguments(),
                )
                self._clients[service] = self.counter.watch(client)
            return self._clients[service]

    def _credential_arguments(self) -> dict[str, str]:
        if self.credentials is None:
            return {}
        return {
            "aws_access_key_id": self.credentials.access_key_id,
            "aws_secret_access_key": self.credentials.secret_access_key,
            "aws_session_token": self.credentials.session_token,
        }

    @cached_property
    def _boto3(self) -> boto3.Session:
        if self.credentials is None:
            return boto3.Session(profile_name=self.profile, region_name=self.region)
        return _session_for_assumed_roles()


_CLIENT_CREATION = threading.RLock()


@cache
def _session_for_assumed_roles() -> boto3.Session:
    """The one boto3 session every assumed role's clients are made from (each with its own credentials, so
    the session's own credential chain is never used)."""
    return boto3.Session()


@cache
def _profile_settings(profile: str | None) -> Mapping[str, Any]:
    """A named profile's settings (the default profile's for None) from the shared config files, read once;
    raises ProfileNotFound for a profile they do not hold."""
    settings: Mapping[str, Any] = botocore.session.Session(profile=profile).get_scoped_config()
    return settings
