"""What every validated boundary shares: an input is read into its declared msgspec types, and a failed reading is
said in one line that names the wrong field.

msgspec stops at the first wrong field, so the line names one; checks written in a type's ``__post_init__``
raise ``ValueError`` and reach the caller as msgspec's ``ValidationError`` at that type's path.
"""

from __future__ import annotations

import re

import msgspec
from pydantic import ValidationError

# msgspec's message: what is wrong, then where (absent when the value itself is wrong), e.g.
# "Expected `int`, got `str` - at `$.detail.n`" or "Object missing required field `id`".
_WHERE = re.compile(r"(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?", re.DOTALL)


def problem(error: msgspec.ValidationError, whole: str, under: str = "") -> str:
    """The wrong field's path (below ``under``; ``whole`` when the value itself is wrong) and what is wrong with
    it, e.g. ``detail.items[1].vpcId: Expected `str`, got `int```. msgspec's messages never quote the value,
    except an enum's or a literal's that is not one of its members."""
    found = _WHERE.fullmatch(str(error))
    assert found is not None  # the pattern matches any text
    path = f"{under}{found['path'] or ''}".removeprefix(".")
    return f"{path or whole}: {found['what']}"


def problems(error: ValidationError, whole: str, under: str = "") -> str:
    """Every problem of ``error``: the field's path (below ``under``; ``whole`` when the value itself is wrong)
    and what is wrong with it, without pydantic's "Value error, " prefix and never the value."""
    return "; ".join(
        f"{'.'.join(part for part in (under, *map(str, problem['loc'])) if part) or whole}: "
        f"{problem['msg'].removeprefix('Value error, ')}"
        for problem in error.errors(include_url=False, include_input=False, include_context=False)
    )
