"""The channels' secrets read against their declared schemas (pydantic models), at delivery time.

A secret that does not fit is a delivery failure whose message names the secret (its id, as the function's
environment gives it), each field that is wrong and what is wrong with it, never a value: the values are the
credentials (a webhook URL, an API token).
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from vpce_guard.notify.http import DeliveryError
from vpce_guard.schemas import problems

Schema = TypeVar("Schema", bound=BaseModel)


class SecretError(DeliveryError):
    """A channel's secret cannot be used; the message names the secret and its wrong fields, never a value."""


def read_secret(schema: type[Schema], text: str, secret_id: str, channel: str) -> Schema:
    """``text`` (JSON) as ``schema``, or SecretError naming ``secret_id`` and every problem."""
    try:
        return schema.model_validate_json(text)
    except ValidationError as error:
        raise SecretError(
            f"{channel} secret {secret_id}: {problems(error, 'the secret')}; correct the secret's value"
        ) from None
