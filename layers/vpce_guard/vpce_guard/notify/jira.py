"""Jira tickets through the REST API (version 2: descriptions and comments in wiki markup, every value from a
finding escaped): one issue per open finding, a comment for each later change, the transition named "Done"
when the finding is resolved or remediated.

Where, and as whom, comes from one Secrets Manager secret, JSON: ``base_url``, ``project_key``, ``email``,
``api_token`` and optionally ``issue_type`` (default "Task"), read as ``JiraSettings``. Jira Cloud takes
the e-mail and API token as basic authentication, so requests go only to the https site of ``base_url``.

Jira has no idempotency key. When a previous attempt of the same delivery may have reached Jira (its reply
was lost), the ticket channel looks before it acts: an open issue labelled with the finding's label is the
one that attempt created; a comment holding the state change's id is the one that attempt added; an issue
already in a done status needs no transition.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

import msgspec

from vpce_guard.notify import http
from vpce_guard.notify.events import StateChange
from vpce_guard.notify.messages import plain_text, shorten
from vpce_guard.notify.secrets import Secret, check_url_of, read_secret

DONE = "Done"
LABEL = "vpce-guard"
SUMMARY_LIMIT = 255
API = "/rest/api/2"
PROJECT_KEY = r"^[A-Z][A-Z0-9_]+\Z"  # Jira's default project key rule; the key is also quoted into JQL
# Characters that start wiki markup (text effects, links, macros, tables, lists, images, escapes).
_WIKI_SPECIAL = re.compile(r"([\\{}\[\]|*_?+\-^~!#])")


class JiraSettings(Secret, frozen=True, forbid_unknown_fields=True):
    """The Jira secret: where (an https site), which project, and as whom. Its values are read with the
    whitespace around them taken away (``from_secret``)."""

    base_url: str
    project_key: Annotated[str, msgspec.Meta(pattern=PROJECT_KEY)]
    email: Annotated[str, msgspec.Meta(min_length=1)]
    api_token: Annotated[str, msgspec.Meta(min_length=1)]
    issue_type: Annotated[str, msgspec.Meta(min_length=1)] = "Task"

    def __post_init__(self) -> None:
        """``base_url`` is https on the site's own host (the one every request then goes to), with no query or
        fragment; it is kept without the slashes that end it."""
        check_url_of("base_url", self.base_url, hosts=None)
        if urlsplit(self.base_url).query or urlsplit(self.base_url).fragment:
            raise ValueError("base_url holds a query or fragment; give the site's address only")
        msgspec.structs.force_setattr(self, "base_url", self.base_url.rstrip("/"))

    @classmethod
    def from_secret(cls, secret: str, secret_id: str) -> JiraSettings:
        return read_secret(cls, secret, secret_id, "Jira", strip=True)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def authorization(self) -> str:
        credentials = f"{self.email}:{self.api_token}"
        return "Basic " + base64.b64encode(credentials.encode()).decode()


def finding_label(change: StateChange) -> str:
    """A label that names the finding (Jira labels take no spaces), found again by a search."""
    return f"{LABEL}-{hashlib.sha256(change.finding_key.encode()).hexdigest()[:20]}"


class JiraTickets:
    """One Jira issue per finding: opened, commented, transitioned to Done."""

    name = "jira"

    def __init__(self, settings: Callable[[], JiraSettings], timeout: float = http.DEFAULT_TIMEOUT) -> None:
        self._settings = settings
        self._timeout = timeout

    def open(self, change: StateChange, *, retry: bool) -> str:
        if retry:
            existing = self._open_issue_labelled(finding_label(change))
            if existing is not None:
                return existing
        settings = self._settings()
        fields = {
            "project": {"key": settings.project_key},
            "issuetype": {"name": settings.issue_type},
            "summary": summary(change),
            "description": wiki_text(change),
            "labels": [LABEL, change.check_id, finding_label(change)],
        }
        reply = self._call("POST", "/issue", "create issue", {"fields": fields}).json()
        key = reply.get("key") if isinstance(reply, Mapping) else None
        if not isinstance(key, str):
            raise http.DeliveryError(f"Jira create issue: the reply has no issue key for {change.finding_key}")
        return key

    def comment(self, ticket: str, change: StateChange, *, retry: bool) -> None:
        if retry and self._has_comment_about(ticket, change.event_id):
            return
        self._call("POST", f"/issue/{quote(ticket)}/comment", f"comment on {ticket}", {"body": wiki_text(change)})

    def close(self, ticket: str, change: StateChange, *, retry: bool) -> None:
        """Take the transition named Done, with the change as its comment; an issue already done stays so."""
        reply = self._call("GET", f"/issue/{quote(ticket)}/transitions", f"transitions of {ticket}").json()
        transitions = reply.get("transitions", []) if isinstance(reply, Mapping) else []
        done = next((t for t in transitions if isinstance(t, Mapping) and t.get("name") == DONE), None)
        if done is None:
            if self._is_done(ticket):
                return
            names = ", ".join(str(t.get("name")) for t in transitions if isinstance(t, Mapping)) or "none"
            raise http.DeliveryError(
                f"Jira {ticket}: no transition named {DONE!r} (available: {names}); add one to the project's "
                "workflow or close the issue by hand"
            )
        body = {
            "transition": {"id": str(done["id"])},
            "update": {"comment": [{"add": {"body": wiki_text(change)}}]},
        }
        self._call("POST", f"/issue/{quote(ticket)}/transitions", f"transition {ticket} to {DONE}", body)

    def _open_issue_labelled(self, label: str) -> str | None:
        settings = self._settings()
        jql = f'project = "{settings.project_key}" AND labels = "{label}" AND statusCategory != Done'
        query = urlencode({"jql": jql, "fields": "status", "maxResults": "1"})
        reply = self._call("GET", f"/search/jql?{query}", "search issues").json()
        issues = reply.get("issues", []) if isinstance(reply, Mapping) else []
        key = issues[0].get("key") if issues and isinstance(issues[0], Mapping) else None
        return key if isinstance(key, str) else None

    def _has_comment_about(self, ticket: str, event_id: str) -> bool:
        reply = self._call("GET", f"/issue/{quote(ticket)}/comment", f"comments of {ticket}").json()
        comments = reply.get("comments", []) if isinstance(reply, Mapping) else []
        return any(isinstance(c, Mapping) and wiki_escaped(event_id) in str(c.get("body", "")) for c in comments)

    def _is_done(self, ticket: str) -> bool:
        reply = self._call("GET", f"/issue/{quote(ticket)}?fields=status", f"status of {ticket}").json()
        fields: Any = reply.get("fields", {}) if isinstance(reply, Mapping) else {}
        category = ((fields or {}).get("status") or {}).get("statusCategory") or {}
        return bool(category.get("key") == "done")

    def _call(self, method: str, path: str, what: str, payload: Any = None) -> http.Reply:
        settings = self._settings()
        return http.request(
            method,
            f"{settings.base_url}{API}{path}",
            f"Jira {what}",
            payload=payload,
            hosts={settings.host},
            headers={"Authorization": settings.authorization},
            timeout=self._timeout,
        )


def summary(change: StateChange) -> str:
    """The issue's summary: one line (Jira refuses line breaks there) within Jira's limit. A summary is plain
    text, not wiki markup, so it needs no escapes."""
    text = f"vpce-guard: {change.severity} {change.check_id} on {change.resource_id}"
    return shorten(" ".join(text.split()), SUMMARY_LIMIT)


def wiki_text(change: StateChange) -> str:
    """The message for descriptions and comments, which Jira renders as wiki markup: every value from the
    finding (resource ids, policy text, details) is escaped and kept on its own line, so it reads as written
    and cannot turn into links, macros, tables or formatting."""
    return plain_text(change, escape=wiki_escaped)


def wiki_escaped(text: str) -> str:
    """``text`` on one line, each character that starts wiki markup escaped with a backslash."""
    return _WIKI_SPECIAL.sub(r"\\\1", " ".join(text.split()))
