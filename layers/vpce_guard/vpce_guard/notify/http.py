"""HTTP for the channels that are not AWS APIs (Slack, Jira): the standard library, a timeout, clear errors.

- **https only.** A credential never crosses a network in clear; plain http is taken only for a loopback host
  (``LOOPBACK_HOSTS``: the local receiver of the tests and the demo), which no packet leaves.
- **Expected hosts only.** Every request names the hosts it may go to, and a URL elsewhere is not sent.
- **No redirects.** urllib would follow a 3xx to any host and send the request's headers again, Jira's
  ``Authorization`` included; here a 3xx is a delivery failure naming the status.
- **No credential in an error.** Errors name the target as the caller describes it (``what``), never the URL:
  a Slack webhook URL is itself the credential, and a URL in a log is a URL anyone reading the logs can post
  to. What a server answers is shown with the URL, its path and the caller's header values taken out, since a
  server may echo the request.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Collection, Mapping
from email.message import Message
from functools import cache
from typing import IO, Any
from urllib.parse import urlsplit

import msgspec

DEFAULT_TIMEOUT = 10.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
REDACTED = "[redacted]"
_SHOWN_BODY = 300
_SHORTEST_REDACTED = 8  # shorter parts of a URL or header (``/``, ``Basic``) are no secret and too common


class DeliveryError(RuntimeError):
    """A channel did not accept a message. The message says which channel and what it answered."""


class InvalidUrl(ValueError):
    """A URL that is not sent to; the message says what is wrong with it, never the URL."""


class Reply(msgspec.Struct, frozen=True):
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def check_url(url: str, hosts: Collection[str] | None) -> None:
    """Raise InvalidUrl unless ``url`` is https (http for a loopback host) on one of ``hosts`` (any host for
    None; loopback always), with no user name or password, no spaces or control characters, a numeric port."""
    if any(character.isspace() or not character.isprintable() for character in url):
        raise InvalidUrl("holds spaces or control characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - read for its check: a port that is not a number raises
    except ValueError:
        raise InvalidUrl("is not a well-formed URL (check the host and port)") from None
    if parts.scheme not in ("https", "http"):
        raise InvalidUrl("is not an https URL")
    if not host:
        raise InvalidUrl("has no host")
    loopback = host in LOOPBACK_HOSTS
    if parts.scheme == "http" and not loopback:
        raise InvalidUrl(f"is http, not https (http is taken only for {', '.join(sorted(LOOPBACK_HOSTS))})")
    if parts.username is not None or parts.password is not None:
        raise InvalidUrl("holds a user name or password before the host")
    if hosts is not None and not loopback and host not in hosts:
        raise InvalidUrl(f"is not on {' or '.join(sorted(hosts))}")


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is answered as it came (an HTTPError), never followed."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> None:
        return None


@cache
def _opener() -> urllib.request.OpenerDirector:
    """Made at the first request, not at import: its TLS context loads the system's certificate authorities
    (some 30 ms of CPU), which a notifier with no Slack or Jira channel never needs."""
    return urllib.request.build_opener(_RefuseRedirects)


def request(
    method: str,
    url: str,
    what: str,
    *,
    hosts: Collection[str],
    payload: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Reply:
    """Send one request (``payload`` as JSON) to ``url``, which must pass ``check_url`` for ``hosts``; a 2xx
    reply, or DeliveryError naming ``what``."""
    try:
        check_url(url, hosts)
    except InvalidUrl as error:
        raise DeliveryError(f"{what}: the URL {error}") from None
    data = None if payload is None else json.dumps(payload).encode()
    sent_headers = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        sent_headers["Content-Type"] = "application/json; charset=utf-8"
    outgoing = urllib.request.Request(url, data=data, method=method, headers=sent_headers)
    secrets = _secrets_of(url, headers or {})
    try:
        with _opener().open(outgoing, timeout=timeout) as response:  # the URL is checked above
            return Reply(response.status, response.read())
    except urllib.error.HTTPError as error:
        status = f"HTTP {error.code} {_redacted(str(error.reason), secrets)}"
        if 300 <= error.code < 400:
            raise DeliveryError(
                f"{what}: {status}: a redirect, not followed; give the service's own URL in the secret"
            ) from None
        body = _redacted(error.read().decode("utf-8", errors="replace"), secrets)[:_SHOWN_BODY]
        raise DeliveryError(f"{what}: {status}: {body}") from None
    except urllib.error.URLError as error:
        raise DeliveryError(f"{what}: not reached: {_redacted(str(error.reason), secrets)}") from None
    except (http.client.HTTPException, OSError) as error:
        reason = _redacted(f"{type(error).__name__}: {error}", secrets)
        raise DeliveryError(f"{what}: the connection failed: {reason}") from None


def _secrets_of(url: str, headers: Mapping[str, str]) -> list[str]:
    """What of a request must not be shown: the URL, its path and segments, the caller's header values and
    their words (the token of ``Basic <token>``); longest first, so no part is left of a longer one."""
    path = urlsplit(url).path
    parts = [url, path, *path.split("/")]
    for value in headers.values():
        parts += [value, *value.split()]
    return sorted({part for part in parts if len(part) >= _SHORTEST_REDACTED}, key=len, reverse=True)


def _redacted(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text
