"""`make demo` as a user runs it: its own emulator, both parts, every verdict checked by the demo itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.server

REPO = Path(__file__).parents[2]


def test_the_demo_finds_every_planted_mistake_and_runs_the_whole_loop() -> None:
    script = Path(sys.executable).parent / "vpce-guard"

    result = subprocess.run([str(script), "demo"], cwd=REPO, capture_output=True, text=True, timeout=120, check=False)

    assert result.returncode == 0, result.stderr[-3000:]
    assert "every planted mistake found, every clean endpoint silent" in result.stderr
    assert "the whole loop ran across the organization: found, fixed, announced, swept, rolled back" in result.stderr
    assert "Slack received: vpce-guard: Remediated automatically: HIGH private-dns-disabled" in result.stderr
    assert "changed by the hub in account" in result.stderr
