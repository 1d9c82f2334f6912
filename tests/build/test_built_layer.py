"""The built layer holds what the tests ran: the checkout's package, and every package at the version of
constraints.txt, pinned whole in the layer's requirements.txt (nothing left to whatever was newest on the day
of the build); and the bytecode of every module, so that a cold start compiles nothing."""

from __future__ import annotations

import filecmp
import json
import subprocess
from pathlib import Path

import pytest
from template_support import FUNCTIONS, REPO

from vpce_guard_local.sam.built import Build, installed, pinned
from vpce_guard_local.sam.template import TransformedTemplate

REQUIREMENTS = REPO / "layers" / "vpce_guard" / "requirements.txt"
# What only the local run, the demo and the tests use: it has no place in Lambda (it imports moto).
# Where the local tooling lived in the runtime package before it became vpce_guard_local, outside the layer.
LOCAL_TOOLING = (
    "vpce_guard/emulator",
    "vpce_guard/local",
    "vpce_guard/demo.py",
    "vpce_guard/estate.py",
    "vpce_guard/samples.py",
    "vpce_guard/serving.py",
    "vpce_guard/notify/receiver.py",
)


def differences(built: Path, source: Path) -> list[str]:
    """The files that differ between two trees, or are in one only (bytecode caches aside)."""
    compared = filecmp.dircmp(built, source, ignore=["__pycache__"])
    here = [*compared.left_only, *compared.right_only, *compared.diff_files, *compared.funny_files]
    return here + [
        f"{name}/{difference}"
        for name in compared.common_dirs
        for difference in differences(built / name, source / name)
    ]


def test_every_package_of_the_built_layer_is_at_the_tested_version(build: Build) -> None:
    """Read from the layer's ``*.dist-info``: the built layer's version of each package against the tested one
    (none, for a package the tests never had)."""
    tested = pinned(REPO / "constraints.txt")

    in_layer = installed(build.layer)

    assert {
        name: (version, tested.get(name)) for name, version in in_layer.items() if version != tested.get(name)
    } == {}
    assert len(in_layer) > 10, "the layer's packages were not found"


def test_the_layers_requirements_pin_exactly_what_the_layer_holds(build: Build) -> None:
    """Every package the build installed is pinned, so a new dependency of a dependency cannot slip in at the
    newest version of the day: the build-time resolver would take it, and this test names it."""
    assert pinned(REQUIREMENTS) == installed(build.layer)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_built_function_holds_the_checkouts_code_and_package(
    function: str, source: TransformedTemplate, built: TransformedTemplate, build: Build
) -> None:
    """A build older than the checkout fails here first: run ``make build`` again."""
    code_dir, (layer_dir,) = source.function(function).code_dir, source.function(function).layer_dirs
    built_dir = built.function(function).code_dir
    assert code_dir is not None
    assert built_dir is not None

    assert differences(built_dir, code_dir) == []
    assert differences(build.layer / "vpce_guard", layer_dir / "vpce_guard") == []


def test_the_built_layer_holds_no_module_of_the_local_tooling(build: Build) -> None:
    ours = [path.name for path in build.layer.glob("vpce_guard*") if path.name != "vpce_guard"]

    assert [module for module in LOCAL_TOOLING if (build.layer / module).exists()] + ours == []


# Run by the functions' python3.12: a source's hash is keyed by the interpreter's own magic number.
BYTECODE_CHECK = """
import importlib.util, json, pathlib, sys
missing, stale, count = [], [], 0
for root in sys.argv[1:]:
    for source in pathlib.Path(root).rglob("*.py"):
        count += 1
        cached = pathlib.Path(importlib.util.cache_from_source(str(source)))
        if not cached.is_file():
            missing.append(str(source))
            continue
        header = cached.read_bytes()[:16]
        if header[4:8] != (1).to_bytes(4, "little") or header[8:16] != importlib.util.source_hash(source.read_bytes()):
            stale.append(str(source))
print(json.dumps({"modules": count, "missing": missing[:5], "stale": stale[:5]}))
"""


def test_every_built_module_ships_its_python312_bytecode_unchecked_and_current(build: Build) -> None:
    """Lambda cannot write bytecode into /opt: the build ships it, hash-based and unchecked (flags 0b01), each
    for its source as built."""
    roots = [str(build.layer), *(str(build.build_dir / function) for function in FUNCTIONS)]
    checked = subprocess.run([build.python, "-I", "-S", "-c", BYTECODE_CHECK, *roots], capture_output=True, text=True)

    assert checked.returncode == 0, checked.stderr
    report = json.loads(checked.stdout)
    assert report["modules"] > 500
    assert (report["missing"], report["stale"]) == ([], [])
