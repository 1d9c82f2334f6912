"""HTTP for the channels that are not AWS APIs (Slack, Jira): the standard library, a timeout, clear errors.

Errors name the target as the caller describes it (``what``), never the URL: a Slack webhook URL is itself
the credential, and a URL in a log is a URL anyone reading the logs can post to.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

DEFAULT_TIMEOUT = 10.0
_SHOWN_BODY = 300


class DeliveryError(RuntimeError):
    """A channel did not accept a message. The message says which channel and what it answered."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def request(
    method: str,
    url: str,
    what: str,
    *,
    payload: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Reply:
    """Send one request (``payload`` as JSON); a 2xx reply, or DeliveryError naming ``what``.

    Only http and https URLs are followed, so a secret holding something else (``file:``) fails here.
    """
    if urlparse(url).scheme not in ("http", "https"):
        raise DeliveryError(f"{what}: the configured URL is not an http(s) URL")
    data = None if payload is None else json.dumps(payload).encode()
    sent_headers = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        sent_headers["Content-Type"] = "application/json; charset=utf-8"
    outgoing = urllib.request.Request(url, data=data, method=method, headers=sent_headers)
    try:
        with urllib.request.urlopen(outgoing, timeout=timeout) as response:  # the scheme is checked above
            return Reply(response.status, response.read())
    except urllib.error.HTTPError as error:
        body = error.read().decode("utf-8", errors="replace")[:_SHOWN_BODY]
        raise DeliveryError(f"{what}: HTTP {error.code} {error.reason}: {body}") from None
    except urllib.error.URLError as error:
        raise DeliveryError(f"{what}: not reached: {error.reason}") from None
    except (http.client.HTTPException, OSError) as error:
        raise DeliveryError(f"{what}: the connection failed: {type(error).__name__}: {error}") from None
