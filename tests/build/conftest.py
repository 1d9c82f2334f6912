"""The artifact ``sam build`` made (``make build``, which ``make test`` runs first), read back by the tests of
this directory: the built layer and functions, and the built template, transformed once."""

from __future__ import annotations

from pathlib import Path

import pytest
from template_support import PARAMETERS, REPO

from vpce_guard_local.sam.built import Build
from vpce_guard_local.sam.stack import LocalRunError
from vpce_guard_local.sam.template import SamTemplate, TransformedTemplate


@pytest.fixture(scope="session")
def build() -> Build:
    build = Build(REPO / ".aws-sam")
    try:
        python = Path(build.python)
    except LocalRunError as error:
        pytest.fail(f"{error} (`make test` runs it before the suite)")
    if not python.is_file():
        pytest.fail(f"the build's interpreter {python} is gone: run `make build`")
    return build


@pytest.fixture(scope="session")
def source(sam_template: SamTemplate) -> TransformedTemplate:
    """template.yaml transformed: each function's CodeUri and the layer's ContentUri in the checkout."""
    return sam_template.transform(PARAMETERS)


@pytest.fixture(scope="session")
def built(build: Build) -> TransformedTemplate:
    """The built template (``.aws-sam/build/template.yaml``), transformed: each function's CodeUri and the
    layer's ContentUri are the built directories."""
    return SamTemplate.load(build.template).transform(PARAMETERS)
