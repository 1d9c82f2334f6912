"""The channels' secrets read into their declared msgspec types, at delivery time.

A secret that does not fit is a delivery failure whose message names the secret (its id, as the function's
environment gives it), the first field that is wrong and what is wrong with it, never a value: the values are the
credentials (a webhook URL, an API token). So a secret's fields are plain strings, constrained by their declared
length or pattern or checked in ``__post_init__``, never an enum or a literal (msgspec quotes a value that is not
one of theirs), and a secret's own text shows no value either.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

import msgspec

from vpce_guard.notify import http
from vpce_guard.schemas import problem

Schema = TypeVar("Schema", bound="Secret")


class SecretError(http.DeliveryError):
    """A channel's secret cannot be used; the message names the secret and its wrong field, never a value."""


class Secret(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A channel's secret: every key declared, and its text (``repr``, ``str``) naming the fields, never the
    values, so that a secret logged by mistake shows none."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{name}={http.REDACTED}' for name in self.__struct_fields__)})"


def read_secret(schema: type[Schema], text: str, secret_id: str, channel: str, *, strip: bool = False) -> Schema:
    """``text`` (JSON) as ``schema``, or SecretError naming ``secret_id`` and the first problem. With ``strip``,
    the whitespace around each string value is taken away first (a value pasted into the console often brings
    some), before any check of it."""
    try:
        document: Any = msgspec.json.decode(text)
        if strip and isinstance(document, dict):
            document = {key: value.strip() if isinstance(value, str) else value for key, value in document.items()}
        return msgspec.convert(document, schema)
    except (msgspec.DecodeError, RecursionError) as error:
        said = problem(error, "the secret")
    raise SecretError(f"{channel} secret {secret_id}: {said}; correct the secret's value")


def check_url_of(field: str, url: str, hosts: Collection[str] | None) -> None:
    """``http.check_url`` for a secret's field: ValueError naming the field and what is wrong, never the URL."""
    try:
        http.check_url(url, hosts)
    except http.InvalidUrl as error:
        raise ValueError(f"{field} {error}") from None
