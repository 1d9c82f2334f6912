"""`pip install vpce-guard` without extras: the commands that read or change AWS work, the local tooling's say
which extra to install, and neither moto, the SAM translator nor pydantic is installed. The package is built as
a wheel from this checkout and installed into a virtualenv of its own (packages from pip's cache after the first
run) by this environment's pip: the virtualenv needs none of its own, and installing one took a quarter of the
time."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from template_support import REPO

BEDROCK = "com.amazonaws.us-east-1.bedrock-runtime"
OPEN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


@pytest.fixture(scope="session")
def base_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with vpce-guard installed from this checkout, no extras; its bin directory."""
    root = tmp_path_factory.mktemp("base-install")
    venv.create(root / "venv")
    python = root / "venv" / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    installed = subprocess.run(
        [*pip, "install", "--quiet", "-c", str(REPO / "constraints.txt"), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr
    return python.parent


def run(bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "vpce-guard"), *args], capture_output=True, text=True, timeout=120)


def test_the_aws_commands_work_without_extras(base_install: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(OPEN_POLICY))

    scan_help = run(base_install, "scan", "--help")
    checked = run(base_install, "check-policy", "--service-name", BEDROCK, "--policy", str(policy), "--format", "json")

    assert scan_help.returncode == 0, scan_help.stderr
    assert "--all-accounts" in scan_help.stdout
    assert checked.returncode == 0, checked.stderr
    assert "policy-any-principal" in {finding["check_id"] for finding in json.loads(checked.stdout)}


@pytest.mark.parametrize("command", [["demo"], ["emulator"], ["local", "up"]])
def test_the_local_commands_say_which_extra_to_install(base_install: Path, command: list[str]) -> None:
    refused = run(base_install, *command)

    assert refused.returncode == 2
    assert "pip install 'vpce-guard[local]'" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_neither_moto_the_sam_translator_nor_pydantic_is_installed(base_install: Path) -> None:
    python = base_install / "python"
    probe = "import importlib.util as u; print([m for m in ('moto', 'samtranslator', 'pydantic') if u.find_spec(m)])"

    assert subprocess.run([str(python), "-c", probe], capture_output=True, text=True).stdout.strip() == "[]"
