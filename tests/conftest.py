"""Fixtures for the whole suite: one emulator for the test session, wiped before each test that uses it; botocore's
data files parsed once per process (see botocore_models)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from botocore_models import share_models
from hypothesis import settings
from template_support import TEMPLATE

from vpce_guard_local.emulator import Emulator
from vpce_guard_local.sam.template import SamTemplate

# Property tests assert behaviour, never time: Hypothesis's per-example deadline is a wall clock a busy CI
# machine (or a schema built on first use) can exceed.
settings.register_profile("vpce-guard", deadline=None)
settings.load_profile("vpce-guard")


def pytest_configure(config: pytest.Config) -> None:
    share_models()
    # moto gives each account and Region's EC2 some 1,300 default images, each with a volume and a snapshot,
    # made again after every reset: a sixth of the emulator's time in the suite. vpce-guard reads no image,
    # volume or snapshot; the emulators of the suite (and the demo it runs) start without them.
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"


# The files with the longest tests (10 s or more each on the 2-core machine) run first: each worker is done with
# them before the end of the run, when worksteal can share out only tests that have not started.
LONGEST_FIRST = frozenset(
    {
        "tests/local/test_iam_both_ways.py",
        "tests/integration/test_demo.py",
        "tests/install/test_base_install.py",
        "tests/build/test_built_functions.py",
        "tests/local/test_local_org.py",
        "tests/integration/test_cli_org.py",
        "tests/integration/test_config_rule.py",
        "tests/integration/test_org_sweep.py",
        "tests/local/test_local_drain.py",
        "tests/local/test_local_send.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.nodeid.partition("::")[0] not in LONGEST_FIRST)


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


@pytest.fixture
def emulator_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The process environment pointed at the emulator, as AWS_ENDPOINT_URL points a Lambda's clients (the
    profile unset, so nothing reaches a real account); the emulator is not wiped."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in emulator.client_environment().items():
        monkeypatch.setenv(name, value)
    return emulator


@pytest.fixture
def aws_env(aws: Emulator, emulator_env: Emulator) -> Emulator:
    """A wiped emulator, with the process environment pointed at it."""
    return aws


@pytest.fixture(scope="session")
def sam_template() -> SamTemplate:
    """template.yaml, parsed once for the whole run: parsing it takes most of a second."""
    return SamTemplate.load(TEMPLATE)
