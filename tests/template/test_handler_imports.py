"""Every function's handler imports with nothing but what Lambda gives it: the layer and its own requirements.

The development environment holds moto, the SAM translator and every Powertools extra, so an import that
works here can still fail in Lambda (measured: ``Tracer()`` needs aws-xray-sdk even with tracing off).
So the layer is built as ``sam build`` builds it: its requirements.txt (and the function's own, if any)
pip-installed into a directory of its own, with the boto3 the Lambda runtime provides, and the ``vpce_guard``
package copied beside them. Each handler is then imported in an isolated interpreter (``-I -S``: no
site-packages, no environment paths) that sees only the function's directory and that layer.

The installed packages are cached between sessions (keyed by the requirements), the package copy is fresh.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from template_support import FUNCTIONS, REPO

from vpce_guard.local.intrinsics import PhysicalResource, Resolver
from vpce_guard.local.template import TransformedTemplate

LAYER = REPO / "layers" / "vpce_guard"
RUNTIME_BOTO3 = "boto3==1.44.5"
IMPORT_HANDLER = """
import sys
sys.path[:0] = sys.argv[1:]
import app
assert callable(app.handler), "app.handler is not callable"
print("imported", app.__file__)
"""


def _requirements_of(function_dir: Path) -> list[Path]:
    own = function_dir / "requirements.txt"
    return [LAYER / "requirements.txt", *([own] if own.is_file() else [])]


@pytest.fixture(scope="session")
def layer_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer's ``vpce_guard`` package, copied as ``sam build`` copies the layer's ContentUri."""
    target = tmp_path_factory.mktemp("layer-package")
    shutil.copytree(LAYER / "vpce_guard", target / "vpce_guard", ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture(scope="session")
def installed_requirements(pytestconfig: pytest.Config) -> Callable[[Path], Path]:
    """For a function directory: a directory with the layer's and the function's requirements installed."""
    sites: dict[str, Path] = {}

    def install(function_dir: Path) -> Path:
        requirements = _requirements_of(function_dir)
        digest = hashlib.sha256(
            "\n".join([RUNTIME_BOTO3, sys.version, *(path.read_text() for path in requirements)]).encode()
        ).hexdigest()[:16]
        if digest in sites:
            return sites[digest]
        site = Path(pytestconfig.cache.mkdir(f"lambda-layer-{digest}"))
        # The suite's workers share the cache: one installs while the others wait on the lock.
        with (site.parent / f"{site.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (site / ".complete").is_file():
                shutil.rmtree(site)
                site.mkdir()
                command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
                command += ["--target", str(site), RUNTIME_BOTO3]
                for path in requirements:
                    command += ["-r", str(path)]
                installed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
                assert installed.returncode == 0, f"pip install failed:\n{installed.stdout}\n{installed.stderr}"
                (site / ".complete").write_text("\n".join(command))
        sites[digest] = site
        return site

    return install


def template_environment(transformed: TransformedTemplate, function: str) -> dict[str, str]:
    """The function's environment as the template gives it: parameters at their values, resources by name."""
    resolver = Resolver(
        parameters=transformed.parameter_values_with_defaults(),
        pseudo_parameters={"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"},
        conditions=transformed.document.get("Conditions", {}),
        resources={
            logical_id: PhysicalResource(resource["Type"], f"vpce-guard-{logical_id}")
            for logical_id, resource in transformed.resources().items()
        },
    )
    return {name: str(value) for name, value in resolver.resolve(transformed.function_environment(function)).items()}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_handler_imports_with_only_the_layer_and_its_own_requirements(
    function: str,
    transformed: TransformedTemplate,
    layer_package: Path,
    installed_requirements: Callable[[Path], Path],
) -> None:
    code_dir = transformed.function(function).code_dir
    assert code_dir is not None
    assert (code_dir / "app.py").is_file(), f"{function}: no handler at {code_dir / 'app.py'}"
    site = installed_requirements(code_dir)
    environment = {
        "PATH": os.environ.get("PATH", os.defpath),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "import-test",
        "AWS_SECRET_ACCESS_KEY": "import-test",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        **template_environment(transformed, function),
    }

    imported = subprocess.run(
        [sys.executable, "-I", "-S", "-c", IMPORT_HANDLER, str(code_dir), str(layer_package), str(site)],
        capture_output=True,
        text=True,
        cwd=code_dir,
        env=environment,
        timeout=60,
        check=False,
    )

    assert imported.returncode == 0, f"{function} does not import in Lambda's environment:\n{imported.stderr}"
    assert f"imported {code_dir / 'app.py'}" in imported.stdout
