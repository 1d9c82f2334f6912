"""Fixtures for the whole suite: one emulator for the test session, wiped before each test that uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vpce_guard.emulator import Emulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """The session's emulator, started on first use and stopped at the end."""
    with Emulator() as running:
        yield running


@pytest.fixture
def aws(emulator: Emulator) -> Emulator:
    """The emulator, with no state left by earlier tests; make clients with ``aws.client("ec2")``."""
    emulator.reset()
    return emulator
