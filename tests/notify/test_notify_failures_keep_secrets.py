"""The notifier's failure paths never show a secret: a refused connection, a 500 that echoes the request, a
timeout, a redirect and an invalid URL, for Slack and Jira, delivered as the function delivers a batch. Every
log line (the function's Powertools logger, and every other logger from INFO up), everything printed and every
error text is searched for the webhook's secret path and Jira's token."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from misbehaving import closed_port, serving, silent_port
from notify_support import REGION, dns_finding, record, ticketed_change

from vpce_guard.aws import AwsSession
from vpce_guard.notify.function import NotifierEnvironment, build_notifier, deliver_batch
from vpce_guard.notify.function import logger as function_logger
from vpce_guard.notify.http import REDACTED, DeliveryError
from vpce_guard.notify.jira import JiraSettings, JiraTickets
from vpce_guard.notify.slack import SlackWebhook
from vpce_guard.state import StateStore
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

WEBHOOK_PATH = "/services/T00000000/B00000000/slack-secret-path-7f3a9c"
JIRA_EMAIL = "notifier@example.com"
JIRA_TOKEN = "jira-secret-token-9c1e5b"
SECRETS = (
    WEBHOOK_PATH,
    "slack-secret-path-7f3a9c",
    JIRA_TOKEN,
    base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode(),
)
TIMEOUT = 0.5  # the silent port never answers, so the timeout always fires; nothing races it

Reader = Callable[[], list[dict[str, Any]]]


@dataclass(frozen=True)
class Target:
    """Where the secrets point both channels, and what their failure says."""

    slack_url: str
    jira_base_url: str
    says: str


@contextmanager
def failing(kind: str) -> Iterator[Target]:
    with ExitStack() as stack:
        if kind == "refused":
            url = closed_port()
            yield Target(url + WEBHOOK_PATH, url, "not reached")
        elif kind == "error":
            server = stack.enter_context(serving("echo_error"))
            yield Target(server.url + WEBHOOK_PATH, server.url, "HTTP 500")
        elif kind == "timeout":
            url = stack.enter_context(silent_port())
            yield Target(url + WEBHOOK_PATH, url, "timed out")
        elif kind == "redirect":
            elsewhere = stack.enter_context(serving("ok"))
            server = stack.enter_context(serving("redirect", location=elsewhere.url))
            yield Target(server.url + WEBHOOK_PATH, server.url, "HTTP 302 Found: a redirect, not followed")
            assert elsewhere.requests == []
        else:
            yield Target("http://hooks.slack.com" + WEBHOOK_PATH, "http://jira.example.com", "is http, not https")


def jira_secret(base_url: str) -> str:
    return json.dumps({"base_url": base_url, "project_key": "OPS", "email": JIRA_EMAIL, "api_token": JIRA_TOKEN})


@contextmanager
def captured_function_logs() -> Iterator[io.StringIO]:
    logs = io.StringIO()
    previous = function_logger.registered_handler.setStream(logs)
    try:
        yield logs
    finally:
        function_logger.registered_handler.setStream(previous)


@pytest.mark.parametrize("kind", ["refused", "error", "timeout", "redirect", "invalid"])
def test_a_failed_delivery_names_the_failure_and_no_secret(
    kind: str,
    aws_env: Emulator,
    state_table: str,
    store: StateStore,
    read_stream: Reader,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # botocore's own DEBUG logging prints whole responses, secrets included (it is off unless asked for);
    # every other logger is captured from INFO up.
    caplog.set_level(logging.INFO)
    secrets = aws_env.client("secretsmanager", REGION)
    with failing(kind) as target:
        env = NotifierEnvironment(
            region=REGION,
            state_table=state_table,
            topic_arn="",
            slack_secret_id=secrets.create_secret(Name="slack", SecretString=target.slack_url)["ARN"],
            jira_secret_id=secrets.create_secret(Name="jira", SecretString=jira_secret(target.jira_base_url))["ARN"],
            opscenter=False,
        )
        notifier = build_notifier(env, AwsSession(REGION, endpoint_url=aws_env.url), timeout=TIMEOUT)
        record(store, [dns_finding()], minutes=0)
        with captured_function_logs() as logs:
            reply = deliver_batch({"Records": read_stream()}, notifier)

    logged = logs.getvalue()
    assert len(reply["batchItemFailures"]) == 1
    assert logged.count(target.says) >= 2, logged  # the Slack and the Jira failure
    output = capsys.readouterr()
    seen = logged + caplog.text + output.out + output.err + json.dumps(reply)
    assert [secret for secret in SECRETS if secret in seen] == []


@pytest.mark.parametrize("kind", ["refused", "error", "timeout", "redirect", "invalid"])
def test_each_channels_error_names_the_failure_and_no_secret(kind: str) -> None:
    with failing(kind) as target:
        slack = SlackWebhook(lambda: target.slack_url, timeout=TIMEOUT)
        jira = JiraTickets(lambda: JiraSettings.from_secret(jira_secret(target.jira_base_url), "jira"), TIMEOUT)
        errors = [
            caught(lambda: slack.announce(ticketed_change("e1"))),
            caught(lambda: jira.open(ticketed_change("e1"), retry=False)),
        ]

    assert all(target.says in error for error in errors), errors
    assert [secret for secret in SECRETS if any(secret in error for error in errors)] == []


def test_a_redirect_is_not_followed_so_jiras_authorization_goes_nowhere_else() -> None:
    with serving("ok") as elsewhere, serving("redirect", location=elsewhere.url) as redirecting:
        jira = JiraTickets(lambda: JiraSettings.from_secret(jira_secret(redirecting.url), "jira"), TIMEOUT)

        with pytest.raises(DeliveryError, match="Jira create issue: HTTP 302"):
            jira.open(ticketed_change("e1"), retry=False)

    assert (len(redirecting.requests), elsewhere.requests) == (1, [])


def test_a_reply_echoing_the_request_is_shown_with_the_secrets_taken_out() -> None:
    with serving("echo_error") as echoing:
        error = caught(lambda: SlackWebhook(lambda: echoing.url + WEBHOOK_PATH).announce(ticketed_change("e1")))

    assert error.startswith(f'Slack webhook: HTTP 500 Internal Server Error: {{"error": "failed", "path": "{REDACTED}"')


def caught(call: Callable[[], object]) -> str:
    """The text of the DeliveryError ``call`` raises."""
    with pytest.raises(DeliveryError) as raised:
        call()
    return str(raised.value)
