"""Integration fixtures: an estate built through the emulator over HTTP, clients configured as Lambdas are."""

from __future__ import annotations

from typing import Any

import pytest

from vpce_guard.demo import REGION, DemoEstate, build_demo_estate
from vpce_guard.emulator import Emulator


@pytest.fixture
def aws_env(aws: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The process environment pointed at the emulator, as AWS_ENDPOINT_URL points a Lambda's clients."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in aws.client_environment().items():
        monkeypatch.setenv(name, value)
    return aws


@pytest.fixture
def ec2(aws_env: Emulator) -> Any:
    return aws_env.client("ec2", REGION)


@pytest.fixture
def demo_estate(aws_env: Emulator, ec2: Any) -> DemoEstate:
    return build_demo_estate(ec2, aws_env.restrict_service_zones)
