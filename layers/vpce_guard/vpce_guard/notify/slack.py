"""Slack through an incoming webhook: one readable Block Kit message per announced state change.

The webhook URL is the credential (anyone holding it can post), so it lives in Secrets Manager only: the
function's environment names the secret, the URL is read at delivery time, and no error or log line shows it.
It must be https on ``hooks.slack.com`` (http only for a loopback host: ``http.check_url``).
Slack offers no idempotency key for webhooks; each message carries the state change's id in its footer, so a
resend after an unacknowledged delivery is recognisable as the same change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from vpce_guard.notify import http
from vpce_guard.notify.events import StateChange
from vpce_guard.notify.messages import message, shorten
from vpce_guard.notify.secrets import Secret, check_url_of, read_secret

SLACK_HOSTS = frozenset({"hooks.slack.com"})

# Block Kit limits: header text 150 characters, section text 3,000, a field 2,000, 10 fields per section.
HEADER_LIMIT = 150
TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10


class SlackWebhook:
    """Announces state changes to one Slack channel."""

    name = "slack"

    def __init__(self, webhook_url: Callable[[], str], timeout: float = http.DEFAULT_TIMEOUT) -> None:
        self._webhook_url = webhook_url
        self._timeout = timeout

    def announce(self, change: StateChange) -> None:
        http.request(
            "POST",
            self._webhook_url(),
            "Slack webhook",
            hosts=SLACK_HOSTS,
            payload=slack_message(change),
            timeout=self._timeout,
        )


class SlackSecret(Secret, frozen=True, forbid_unknown_fields=True):
    """The Slack secret: the incoming webhook's URL, https on Slack's webhook host."""

    webhook_url: str

    def __post_init__(self) -> None:
        check_url_of("webhook_url", self.webhook_url, SLACK_HOSTS)


def webhook_url_of(secret: str, secret_id: str) -> str:
    """The webhook URL a secret holds: the URL itself, or JSON with ``webhook_url`` (a key/value secret);
    SecretError naming ``secret_id`` when it is not a Slack webhook URL."""
    text = secret.strip()
    document = text if text.startswith("{") else json.dumps({"webhook_url": text})
    return read_secret(SlackSecret, document, secret_id, "Slack").webhook_url


def slack_message(change: StateChange) -> dict[str, Any]:
    """The webhook payload: blocks for people, ``text`` for notifications and clients without blocks."""
    parts = message(change)
    fields = [_mrkdwn(f"*{label}*\n{_code(value)}") for label, value in parts.facts]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": shorten(parts.headline, HEADER_LIMIT)}},
        {"type": "section", "text": _mrkdwn(_escape(parts.detail), TEXT_LIMIT)},
    ]
    if parts.note:
        blocks.append({"type": "section", "text": _mrkdwn(f"*vpce-guard*\n{_escape(parts.note)}", TEXT_LIMIT)})
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        blocks.append({"type": "section", "fields": fields[start : start + FIELDS_PER_SECTION]})
    if parts.rollback:
        blocks.append({"type": "section", "text": _mrkdwn(f"*To roll back*\n```{_escape(parts.rollback)}```")})
    blocks.append({"type": "context", "elements": [_mrkdwn(f"vpce-guard · {_escape(parts.reference)}")]})
    return {"text": f"vpce-guard: {parts.headline} ({change.account_id}, {change.region})", "blocks": blocks}


def _mrkdwn(text: str, limit: int = FIELD_LIMIT) -> dict[str, str]:
    return {"type": "mrkdwn", "text": shorten(text, limit)}


def _code(value: str) -> str:
    return f"`{_escape(value)}`" if value.isascii() and " " not in value else _escape(value)


def _escape(text: str) -> str:
    """Slack's mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
