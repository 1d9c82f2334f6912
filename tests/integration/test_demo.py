"""`make demo` as a user runs it: its own emulator, both parts, every verdict checked by the demo itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.server

REPO = Path(__file__).parents[2]


def test_the_demo_finds_every_planted_mistake_and_runs_the_whole_loop(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "vpce-guard"
    report = tmp_path / "report.html"

    result = subprocess.run(
        [str(script), "demo", "--report", str(report)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "every planted mistake found, every clean endpoint silent" in result.stderr
    assert "the whole loop ran across the organization: found, fixed, announced, swept, rolled back" in result.stderr
    assert "Slack received: vpce-guard: Remediated automatically: HIGH private-dns-disabled" in result.stderr
    assert "changed by the hub in account" in result.stderr
    assert (
        "by hand: 41 endpoint-zones x 730 h x $0.01 = $299.30 of hours; 792 GB in 30 days x 730/720 x $0.01 = $8.03 "
        "of data; $307.33 a month, $43.80 of it what the cost findings would save" in result.stderr
    )
    assert "the cost report adds up" in result.stderr
    assert f"HTML report of the scan written to {report}: open it in a browser" in result.stderr
    assert report.read_text("ascii").startswith("<!DOCTYPE html>")


def test_the_demo_outside_the_repository_says_why_before_it_starts(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "vpce-guard"

    result = subprocess.run(
        [str(script), "demo"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 2
    assert "vpce-guard demo deploys template.yaml in its second part: no template.yaml in" in result.stderr
    assert "internal error" not in result.stderr
    assert "part 1" not in result.stderr
    assert not (tmp_path / "vpce-guard-report.html").exists()
