"""What every validated boundary shares: a failed validation said in one line that names each wrong field."""

from __future__ import annotations

from pydantic import ValidationError


def problems(error: ValidationError, whole: str, under: str = "") -> str:
    """Every problem of ``error``: the field's path (below ``under``; ``whole`` when the value itself is wrong)
    and what is wrong with it, without pydantic's "Value error, " prefix and never the value."""
    return "; ".join(
        f"{'.'.join(part for part in (under, *map(str, problem['loc'])) if part) or whole}: "
        f"{problem['msg'].removeprefix('Value error, ')}"
        for problem in error.errors(include_url=False, include_input=False, include_context=False)
    )
