"""What every validated boundary shares: an input is read into its declared msgspec types, and a failed reading is
said in one line that names the wrong field.

msgspec stops at the first wrong field, so the line names one. A check written in a type's ``__post_init__``
raises ``ValueError``, which reaches the caller as msgspec's ``ValidationError`` at that type's path, not the
field's: ``check_fields`` names the field in the message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

# msgspec's message: what is wrong, then where (absent when the value itself is wrong), e.g.
# "Expected `int`, got `str` - at `$.detail.n`" or "Object missing required field `id`".
_WHERE = re.compile(r"(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?", re.DOTALL)


def problem(error: msgspec.DecodeError | RecursionError, whole: str, under: str = "") -> str:
    """The wrong field's path (below ``under``; ``whole`` when the value itself is wrong, or when the text is not
    JSON at all) and what is wrong with it, e.g. ``detail.items[1].vpcId: Expected `str`, got `int```.
    msgspec's messages never quote the value, except an enum's or a literal's that is not one of its members.
    JSON nested deeper than Python's stack reaches msgspec's decoder as RecursionError: said of the whole."""
    found = _WHERE.fullmatch(str(error))
    assert found is not None  # the pattern matches any text
    path = f"{under}{found['path'] or ''}".removeprefix(".")
    return f"{path or whole}: {found['what']}"


def check_fields(struct: object, **checks: Callable[[Any], object]) -> None:
    """Each named field of ``struct`` through its check (which raises ``ValueError``), from ``__post_init__``;
    the message names the field. A field left out (``None``) is not checked."""
    for field, check in checks.items():
        value = getattr(struct, field)
        if value is None:
            continue
        try:
            check(value)
        except ValueError as error:
            raise ValueError(f"{field} {error}") from None
