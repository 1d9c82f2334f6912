"""Opaque NextTokens for the emulator's paged answers: an offset into the list, which only this emulator
hands out; each service raises its own error for a token it did not issue."""

from __future__ import annotations

import base64
import binascii


def offset_token(prefix: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{prefix}{offset}".encode()).decode()


def token_offset(prefix: str, token: str) -> int | None:
    """The offset a token of ``prefix`` holds; None for a token this emulator did not issue."""
    try:
        decoded = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    offset = decoded.removeprefix(prefix)
    return int(offset) if offset != decoded and offset.isdigit() else None
