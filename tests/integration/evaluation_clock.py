"""Evaluation times for tests: each call a second later, as successive invocations' facts are read later."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count


class Clock:
    """Evaluation times that move forward, as successive invocations' do."""

    def __init__(self) -> None:
        self.ticks = count()

    def __call__(self) -> datetime:
        return datetime(2026, 11, 22, 12, 0, next(self.ticks), tzinfo=UTC)
