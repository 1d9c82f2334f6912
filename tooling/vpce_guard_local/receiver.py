"""A local HTTP receiver that stands for Slack and Jira in tests and the demo: 127.0.0.1 only, a free port.

- Slack: ``POST /slack/<any path>`` takes an incoming-webhook payload (JSON with ``text`` or ``blocks``),
  answers ``ok`` and keeps it in ``slack_messages``; a body that is not JSON is ``400 invalid_payload``, one
  without text or blocks ``400 no_text``, as Slack answers.
- Jira (REST API version 2, basic authentication with the e-mail and token of ``jira_secret()``; anything
  else is 401): create an issue (``POST /rest/api/2/issue``, 201 with ``id`` and ``key``), read its status
  (``GET /rest/api/2/issue/KEY?fields=status``), add and list comments (``/rest/api/2/issue/KEY/comment``),
  list and take transitions (``/rest/api/2/issue/KEY/transitions``: To Do, In Progress, Done, each leading to
  that status, the current status's own left out; taking one may add a comment through ``update``), and
  search (``GET /rest/api/2/search/jql``) with the query vpce-guard sends: ``project = "P" AND labels = "L"``,
  optionally ``AND statusCategory != Done``. An unknown issue is 404 with Jira's error shape.
- Failures on demand, deterministic: with ``fail_every=n``, every n-th request to each endpoint (method and
  path, without the query) fails, by ``failure``: ``"error"`` answers HTTP 500 and ``"drop"`` closes the
  connection without a reply, both before the receiver acts on the request, so nothing of it is kept and a
  client that retries until it succeeds has delivered each message exactly once; ``"lost_reply"`` acts on
  the request and then closes the connection without a reply, the case a client cannot tell from a
  failure. Counting per endpoint means a retry that reads before it writes (a search, then a create) cannot
  fall on the failing turn every time.

Every request is kept in ``requests`` (method, path, status; 0 for a dropped one).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlparse

from vpce_guard_local.serving import ServingThread

HOST = "127.0.0.1"
JIRA_API = "/rest/api/2"
SLACK_PREFIX = "/slack/"
# (transition id, name, the status it leads to, that status's category key)
WORKFLOW = (("11", "To Do", "new"), ("21", "In Progress", "indeterminate"), ("31", "Done", "done"))
_SEARCH = re.compile(
    r'^project\s*=\s*"(?P<project>[^"]+)"\s+AND\s+labels\s*=\s*"(?P<label>[^"]+)"'
    r"(?P<not_done>\s+AND\s+statusCategory\s*!=\s*Done)?\s*$"
)
_ISSUE_PATH = re.compile(rf"^{JIRA_API}/issue/(?P<key>[A-Z][A-Z0-9_]*-\d+)(?P<rest>/comment|/transitions)?$")


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    status: int


@dataclass
class JiraIssue:
    key: str
    fields: dict[str, Any]
    status: str = "To Do"
    comments: list[str] = field(default_factory=list)

    @property
    def status_category(self) -> str:
        return next(category for _, name, category in WORKFLOW if name == self.status)

    def status_json(self) -> dict[str, Any]:
        return {"name": self.status, "statusCategory": {"key": self.status_category}}


FAILURES = ("error", "drop", "lost_reply")


class _Failed(Exception):
    """The request fails on purpose (see ``fail_every``)."""


class Receiver:
    """Start with ``with Receiver() as receiver:`` (or ``start()``/``stop()``)."""

    def __init__(
        self,
        *,
        project_key: str = "OPS",
        email: str = "vpce-guard@example.com",
        api_token: str = "local-jira-token",
        fail_every: int = 0,
        failure: str = "error",
    ) -> None:
        if failure not in FAILURES:
            raise ValueError(f"failure is one of {', '.join(FAILURES)}")
        self.project_key = project_key
        self.email = email
        self.api_token = api_token
        self.fail_every = fail_every
        self.failure = failure
        self.slack_messages: list[dict[str, Any]] = []
        self.issues: dict[str, JiraIssue] = {}
        self.requests: list[ReceivedRequest] = []
        self._counts: dict[tuple[str, str], int] = {}
        self._issue_numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._serving: ServingThread[ThreadingHTTPServer] | None = None

    # Lifecycle ---------------------------------------------------------------------------------------------
    def start(self) -> Receiver:
        if self._serving is None:
            server = ThreadingHTTPServer((HOST, 0), _handler_for(self))
            server.daemon_threads = True
            self._serving = ServingThread(server, name="receiver")
        return self

    def stop(self) -> None:
        serving, self._serving = self._serving, None
        if serving is not None:
            serving.stop()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._serving is None:
            raise RuntimeError("the receiver is not running: call start() first")
        return f"http://{HOST}:{self._serving.server.server_address[1]}"

    @property
    def slack_webhook_url(self) -> str:
        """A webhook URL shaped like Slack's, on this receiver."""
        return f"{self.url}{SLACK_PREFIX}services/T00000000/B00000000/local-webhook-token"

    def jira_secret(self) -> str:
        """The Jira secret (JSON) that points vpce-guard at this receiver."""
        return json.dumps(
            {"base_url": self.url, "project_key": self.project_key, "email": self.email, "api_token": self.api_token}
        )

    def issue_comments(self, key: str) -> list[str]:
        with self._lock:
            return list(self.issues[key].comments)

    # Requests ----------------------------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        """(status, reply body) for one request; raises _Failed for a request chosen to fail."""
        url = urlparse(raw_path)
        with self._lock:
            endpoint = (method, url.path)
            self._counts[endpoint] = number = self._counts.get(endpoint, 0) + 1
            failing = bool(self.fail_every) and number % self.fail_every == 0
            if failing and self.failure != "lost_reply":
                raise _Failed
            answer = self._act(method, url.path, parse_qs(url.query), headers, body)
            if failing:
                raise _Failed  # after acting: the reply is lost
            return answer

    def _act(self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: bytes) -> tuple[int, Any]:
        if path.startswith(SLACK_PREFIX) and method == "POST":
            return self._slack(body)
        if not path.startswith(JIRA_API):
            return 404, {"errorMessages": [f"no such resource {path}"], "errors": {}}
        if headers.get("Authorization") != self._authorization:
            return 401, {"errorMessages": ["Unauthorized; wrong e-mail or API token."], "errors": {}}
        return self._jira(method, path, query, body)

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append(ReceivedRequest(method, path, status))

    @property
    def _authorization(self) -> str:
        return "Basic " + base64.b64encode(f"{self.email}:{self.api_token}".encode()).decode()

    def _slack(self, body: bytes) -> tuple[int, Any]:
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, "invalid_payload"
        if not isinstance(payload, dict):
            return 400, "invalid_payload"
        if not payload.get("text") and not payload.get("blocks"):
            return 400, "no_text"
        self.slack_messages.append(payload)
        return 200, "ok"

    def _jira(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return 400, {"errorMessages": ["Unexpected character in the request body."], "errors": {}}
        if path == f"{JIRA_API}/issue" and method == "POST":
            return self._create(payload)
        if path == f"{JIRA_API}/search/jql" and method == "GET":
            return self._search(query.get("jql", [""])[0])
        match = _ISSUE_PATH.match(path)
        if match is None:
            return 404, {"errorMessages": [f"no such resource {path}"], "errors": {}}
        issue = self.issues.get(match["key"])
        if issue is None:
            return 404, {
                "errorMessages": ["Issue does not exist or you do not have permission to see it."],
                "errors": {},
            }
        rest = match["rest"]
        if rest is None and method == "GET":
            return 200, {"key": issue.key, "fields": {"status": issue.status_json()}}
        if rest == "/comment" and method == "POST":
            return self._comment(issue, payload.get("body"))
        if rest == "/comment" and method == "GET":
            comments = [{"id": str(n), "body": text} for n, text in enumerate(issue.comments, start=1)]
            return 200, {"startAt": 0, "maxResults": len(comments), "total": len(comments), "comments": comments}
        if rest == "/transitions" and method == "GET":
            return 200, {"transitions": _transitions_from(issue)}
        if rest == "/transitions" and method == "POST":
            return self._transition(issue, payload)
        return 405, {"errorMessages": [f"{method} is not allowed on {path}"], "errors": {}}

    def _create(self, payload: Any) -> tuple[int, Any]:
        fields = payload.get("fields") if isinstance(payload, dict) else None
        errors = {}
        if not isinstance(fields, dict):
            return 400, {"errorMessages": ["The request has no fields."], "errors": {}}
        if (fields.get("project") or {}).get("key") != self.project_key:
            errors["project"] = "valid project is required"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        if not (fields.get("issuetype") or {}).get("name"):
            errors["issuetype"] = "valid issue type is required"
        if any(" " in str(label) for label in fields.get("labels", [])):
            errors["labels"] = "The label can't contain spaces."
        if errors:
            return 400, {"errorMessages": [], "errors": errors}
        number = next(self._issue_numbers)
        key = f"{self.project_key}-{number}"
        self.issues[key] = JiraIssue(key, fields)
        return 201, {"id": str(10000 + number), "key": key, "self": f"{self.url}{JIRA_API}/issue/{10000 + number}"}

    def _search(self, jql: str) -> tuple[int, Any]:
        match = _SEARCH.match(jql)
        if match is None:
            return 400, {"errorMessages": [f"The receiver does not understand the query: {jql}"], "errors": {}}
        found = [
            issue
            for issue in self.issues.values()
            if issue.key.startswith(f"{match['project']}-")
            and match["label"] in issue.fields.get("labels", [])
            and not (match["not_done"] and issue.status_category == "done")
        ]
        return 200, {
            "issues": [
                {"id": issue.key, "key": issue.key, "fields": {"status": issue.status_json()}} for issue in found
            ],
            "isLast": True,
        }

    @staticmethod
    def _comment(issue: JiraIssue, text: Any) -> tuple[int, Any]:
        if not isinstance(text, str) or not text:
            return 400, {"errorMessages": [], "errors": {"comment": "Comment body can not be empty!"}}
        issue.comments.append(text)
        return 201, {"id": str(len(issue.comments)), "body": text}

    @staticmethod
    def _transition(issue: JiraIssue, payload: Any) -> tuple[int, Any]:
        wanted = str(((payload or {}).get("transition") or {}).get("id"))
        target = next((name for tid, name, _ in WORKFLOW if tid == wanted and name != issue.status), None)
        if target is None:
            return 400, {"errorMessages": [f"Transition id '{wanted}' is not valid for this issue."], "errors": {}}
        for update in ((payload.get("update") or {}).get("comment")) or []:
            text = (update.get("add") or {}).get("body")
            if text:
                issue.comments.append(str(text))
        issue.status = target
        return 204, None


def _transitions_from(issue: JiraIssue) -> list[dict[str, Any]]:
    return [
        {"id": tid, "name": name, "to": {"name": name, "statusCategory": {"key": category}}}
        for tid, name, category in WORKFLOW
        if name != issue.status
    ]


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                status, reply = receiver.handle(self.command, self.path, self.headers, body)
            except _Failed:
                if receiver.failure in ("drop", "lost_reply"):
                    receiver.record(self.command, self.path, 0)
                    self.close_connection = True
                    return
                status, reply = 500, {"errorMessages": ["Internal server error (the receiver fails on purpose)."]}
            receiver.record(self.command, self.path, status)
            data = b"" if reply is None else (reply if isinstance(reply, str) else json.dumps(reply)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(reply, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
