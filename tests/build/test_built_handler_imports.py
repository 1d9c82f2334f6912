"""Every built function's handler imports with nothing but what Lambda gives it: its built directory and the
built layer, under python3.12.

The development environment holds moto, the SAM translator and every Powertools extra, so an import that
works there can still fail in Lambda (``Tracer()`` needs aws-xray-sdk even with tracing off). So each handler
is imported in an isolated interpreter (``-I -S``: no site-packages, no environment paths) that sees only the
function's directory and its layers as the built template gives them, after this machine's build of the
layer's compiled packages (see ``vpce_guard_local.sam.built``); ``-B`` leaves the build as it was built. The
environment is Lambda's own variables only: the functions that run in ``test_built_functions`` get the
template's environment.

Each function imports only what it uses: no other function's code, and the sweep, which evaluates nothing, not
the pipeline, so that a cold start pays for no module it never runs.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from template_support import FUNCTIONS

from vpce_guard_local.sam.built import Build
from vpce_guard_local.sam.runtime import layer_path
from vpce_guard_local.sam.template import TransformedTemplate

IMPORT_HANDLER = """
import sys
sys.path[:0] = sys.argv[1:]
import app
assert callable(app.handler), "app.handler is not callable"
print("imported", app.__file__, "on python%d.%d" % sys.version_info[:2])
print(" ".join(sorted(sys.modules)))
"""
ON_CHANGE, CONFIG_RULE = "vpce_guard.functions.on_change", "vpce_guard.functions.config_rule"
SWEEP, SWEEP_WORKER = "vpce_guard.functions.sweep", "vpce_guard.functions.sweep_worker"
IDEMPOTENCY = "aws_lambda_powertools.utilities.idempotency"  # the on-change function's alone
# The runtime declares its inputs' schemas with msgspec: pydantic (a third of the instructions of import boto3
# with one client, with its first model) is no function's, nor is Powertools' parser, which needs it.
PYDANTIC = ("pydantic", "pydantic_core", "aws_lambda_powertools.utilities.parser")
# The command line's cost report: its price models are no function's (the configuration's prices are read with
# the configuration, and only the command prices anything).
COST = "vpce_guard.cost"
# What each function never runs, so never imports: the other functions' modules (the sweep worker records its
# jobs with the sweep's ledger), the pipeline for the sweep and the notifier, which evaluate nothing, the
# collection for the sweep, which lists accounts and queues jobs, and the checks for the notifier, which tells
# of findings already made.
NOT_IMPORTED = {
    "OnChangeFunction": (CONFIG_RULE, SWEEP, SWEEP_WORKER, "vpce_guard.config_rule", *PYDANTIC, COST),
    "ConfigRuleFunction": (ON_CHANGE, SWEEP, SWEEP_WORKER, IDEMPOTENCY, *PYDANTIC, COST),
    "SweepFunction": (
        ON_CHANGE,
        CONFIG_RULE,
        SWEEP_WORKER,
        IDEMPOTENCY,
        "vpce_guard.pipeline",
        "vpce_guard.collect",
        *PYDANTIC,
        COST,
    ),
    "SweepWorkerFunction": (ON_CHANGE, CONFIG_RULE, IDEMPOTENCY, "vpce_guard.config_rule", *PYDANTIC, COST),
    "NotifierFunction": (
        "vpce_guard.lambda_app",
        IDEMPOTENCY,
        "vpce_guard.pipeline",
        "vpce_guard.checks",
        "vpce_guard.sarif",
        *PYDANTIC,
        COST,
    ),
}


def import_handler(function: str, built: TransformedTemplate, build: Build) -> subprocess.CompletedProcess[str]:
    """``function``'s handler imported in an isolated interpreter, as Lambda imports it."""
    spec = built.function(function)
    assert spec.code_dir is not None
    assert spec.layer_dirs, f"{function} has no layer in the built template"
    path = [str(spec.code_dir), str(build.host_packages), *(layer_path(str(layer)) for layer in spec.layer_dirs)]
    environment = {
        "PATH": os.environ.get("PATH", os.defpath),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "import-test",
        "AWS_SECRET_ACCESS_KEY": "import-test",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    return subprocess.run(
        [build.python, "-I", "-S", "-B", "-c", IMPORT_HANDLER, *path],
        capture_output=True,
        text=True,
        cwd=spec.code_dir,
        env=environment,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_built_handler_imports_with_only_its_directory_and_the_built_layer(
    function: str, built: TransformedTemplate, build: Build
) -> None:
    imported = import_handler(function, built, build)

    assert imported.returncode == 0, f"{function} does not import in Lambda's environment:\n{imported.stderr}"
    code_dir = built.function(function).code_dir
    assert code_dir is not None
    assert f"imported {code_dir / 'app.py'} on {built.function(function).runtime}" in imported.stdout


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_built_handler_imports_nothing_its_function_never_runs(
    function: str, built: TransformedTemplate, build: Build
) -> None:
    imported = import_handler(function, built, build)

    assert imported.returncode == 0, imported.stderr
    modules = set(imported.stdout.splitlines()[-1].split())
    assert modules.isdisjoint(NOT_IMPORTED[function])
