"""Which packages of a built layer need this machine's build to run here: those with compiled code built for
another architecture (the layer is built for Lambda's arm64), never a pure-Python one."""

from __future__ import annotations

from pathlib import Path

from vpce_guard_local.sam.built import foreign, installed


def dist_info(site: Path, name: str, version: str, wheel: str) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "WHEEL").write_text(f"Wheel-Version: 1.0\n{wheel}")


def test_compiled_packages_of_another_architecture_are_foreign_and_pure_ones_are_not(tmp_path: Path) -> None:
    dist_info(tmp_path, "pydantic_core", "2.46.5", "Root-Is-Purelib: false\nTag: cp312-cp312-manylinux_2_17_aarch64\n")
    dist_info(tmp_path, "wrapt", "2.5.2", "Root-Is-Purelib: false\nTag: cp312-cp312-manylinux_2_28_x86_64\n")
    dist_info(tmp_path, "boto3", "1.44.5", "Root-Is-Purelib: true\nTag: py3-none-any\n")

    assert foreign(tmp_path, machine="x86_64") == {"pydantic-core": "2.46.5"}
    assert foreign(tmp_path, machine="aarch64") == {"wrapt": "2.5.2"}
    assert installed(tmp_path) == {"pydantic-core": "2.46.5", "wrapt": "2.5.2", "boto3": "1.44.5"}
