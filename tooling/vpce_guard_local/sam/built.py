"""The functions as ``sam build`` built them, run on this machine: the built template (``.aws-sam/build``)
deployed into the emulator, each function run from its built directory with the built layer, by the python3.12
the build used and without site-packages, so that nothing of the development environment is seen.

The layer is built for Lambda's arm64. On a machine of another architecture its compiled packages (the
wheels that are not pure Python: wrapt and msgspec) cannot load, so ``prepare`` installs this machine's
build of each, at the version the layer holds, into a directory the functions find before the layer. Every
other module they import is the built layer's.

``python -m vpce_guard_local.sam.built .aws-sam PYTHON`` prepares a build (``make build`` runs it): it records the
interpreter and installs those packages, once per set of versions.
"""

from __future__ import annotations

import dataclasses
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import Distribution, distributions
from pathlib import Path
from typing import Any

from vpce_guard_local.sam.deploy import local_up
from vpce_guard_local.sam.stack import LocalRunError, LocalStack
from vpce_guard_local.sam.template import SamTemplate

LAYER = "CoreLayer"


def normalized(name: str) -> str:
    """A distribution's name as package indexes compare names (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(path: Path) -> dict[str, str]:
    """The ``name==version`` lines of a requirements or constraints file, by normalized name (extras dropped)."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    found = (re.fullmatch(r"([A-Za-z0-9._-]+)(?:\[[^]]*])?==(\S+)", line) for line in lines)
    return {normalized(match[1]): match[2] for match in found if match}


def installed(site: Path) -> dict[str, str]:
    """The distributions installed in ``site`` (a layer's ``python`` directory): normalized name -> version."""
    return {normalized(dist.metadata["Name"]): dist.version for dist in distributions(path=[str(site)])}


def foreign(site: Path, machine: str | None = None) -> dict[str, str]:
    """The distributions of ``site`` with compiled code built for another machine than this one."""
    machine = machine or platform.machine()
    found = {}
    for dist in distributions(path=[str(site)]):
        tags = _compiled_for(dist)
        if tags and not any(machine in tag for tag in tags):
            found[normalized(dist.metadata["Name"])] = dist.version
    return found


def _compiled_for(dist: Distribution) -> list[str]:
    """The wheel tags of a distribution that is not pure Python; none for a pure one."""
    wheel = dist.read_text("WHEEL") or ""
    fields = [line.partition(":") for line in wheel.splitlines()]
    if any(key == "Root-Is-Purelib" and value.strip() == "true" for key, _, value in fields):
        return []
    return [value.strip() for key, _, value in fields if key == "Tag"]


@dataclass(frozen=True)
class Build:
    """What ``sam build`` made under ``root`` (``.aws-sam``), and what runs it here (``root/host``)."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", self.root.resolve())  # the functions run in directories of their own

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def template(self) -> Path:
        return self.build_dir / "template.yaml"

    @property
    def layer(self) -> Path:
        """The built layer's ``python`` directory: what Lambda puts on the path as ``/opt/python``."""
        return self.build_dir / LAYER / "python"

    @property
    def host_packages(self) -> Path:
        return self.root / "host" / "packages"

    @property
    def python(self) -> str:
        """The interpreter the build used (python3.12, the functions' runtime)."""
        recorded = self.root / "host" / "python"
        if not recorded.is_file() or not self.template.is_file():
            raise LocalRunError(f"no build in {self.root}: run `make build`")
        return recorded.read_text(encoding="utf-8").strip()

    def prepare(self, python: str) -> dict[str, str]:
        """Record ``python`` and install this machine's build of the layer's foreign packages; those packages."""
        if not self.layer.is_dir():
            raise LocalRunError(f"no built layer at {self.layer}: run `sam build` first")
        (self.root / "host").mkdir(parents=True, exist_ok=True)
        (self.root / "host" / "python").write_text(python + "\n", encoding="utf-8")
        packages = foreign(self.layer)
        pins = sorted(f"{name}=={version}" for name, version in packages.items())
        record = self.host_packages / ".pins"
        if record.is_file() and record.read_text(encoding="utf-8").split() == pins:
            return packages
        staging = self.host_packages.with_name("packages.new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        if pins:
            command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"]
            command += ["--root-user-action=ignore"]
            command += ["--only-binary=:all:", "--target", str(staging), *pins]
            subprocess.run(command, check=True)
        (staging / ".pins").write_text("\n".join(pins) + "\n", encoding="utf-8")
        shutil.rmtree(self.host_packages, ignore_errors=True)
        staging.rename(self.host_packages)
        return packages

    def interpreter(self) -> tuple[str, ...]:
        """The command a built function runs in: the build's python3.12, without site-packages."""
        return (self.python, "-S")

    def deploy(self, endpoint_url: str, **options: Any) -> LocalStack:
        """The built template deployed into the emulator (``local_up``'s options), its functions run as built:
        by the build's python3.12 without site-packages, with this machine's build of the layer's foreign
        packages before the built layers."""
        stack = local_up(SamTemplate.load(self.template), endpoint_url, **options)
        interpreter = (self.python, "-S")
        functions = {
            logical_id: dataclasses.replace(
                function, interpreter=interpreter, layer_dirs=(str(self.host_packages), *function.layer_dirs)
            )
            for logical_id, function in stack.functions.items()
        }
        return dataclasses.replace(stack, functions=functions)


def main(argv: list[str]) -> int:
    root, python = Path(argv[0]), argv[1]
    packages = Build(root).prepare(python)
    built_here = ", ".join(f"{name} {version}" for name, version in sorted(packages.items())) or "none"
    print(f"the built functions run here on {python}; this machine's build of the layer's packages: {built_here}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
