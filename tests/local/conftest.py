"""The local run's fixtures: the SAM template (loaded once) and stacks deployed from it into the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from vpce_guard_local.emulator import Emulator
from vpce_guard_local.sam.deploy import local_up
from vpce_guard_local.sam.stack import LocalStack
from vpce_guard_local.sam.template import SamTemplate


@pytest.fixture
def stack_file(tmp_path: Path) -> Path:
    return tmp_path / ".vpce-guard" / "local-stack.json"


@pytest.fixture(scope="module")
def shared_stack(emulator: Emulator, sam_template: SamTemplate, tmp_path_factory: pytest.TempPathFactory) -> LocalStack:
    """One deployment (interface endpoints included) for the tests of a module that only read it: a deploy
    takes most of a second. The emulator is wiped first; tests using it must not wipe it (no ``aws``)."""
    emulator.reset()
    stack_file = tmp_path_factory.mktemp("shared-stack") / "local-stack.json"
    return local_up(sam_template, emulator.url, create_interface_endpoints=True, stack_file=stack_file)


@pytest.fixture
def local_stack(aws_env: Emulator, sam_template: SamTemplate, stack_file: Path) -> LocalStack:
    """The whole template, interface endpoints included, deployed into a wiped emulator."""
    return local_up(sam_template, aws_env.url, create_interface_endpoints=True, stack_file=stack_file)
