"""The SAM template, loaded and transformed offline once per session (the transform takes about 0.5 s)."""

from __future__ import annotations

import pytest
from template_support import PARAMETERS, TEMPLATE

from vpce_guard.local.template import SamTemplate, TransformedTemplate


@pytest.fixture(scope="session")
def sam_template() -> SamTemplate:
    return SamTemplate.load(TEMPLATE)


@pytest.fixture(scope="session")
def transformed(sam_template: SamTemplate) -> TransformedTemplate:
    return sam_template.transform(PARAMETERS, region="us-east-1")
