"""Integration fixtures: an estate built through the emulator over HTTP, clients configured as Lambdas are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

from vpce_guard.demo import REGION, DemoEstate, build_demo_estate
from vpce_guard.emulator import Emulator

TEMPLATE = Path(__file__).parents[2] / "template.yaml"


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


def table_from_template(emulator: Emulator, logical_id: str) -> str:
    """A table created in the emulator from template.yaml's own definition of it."""
    properties = decode(str(TEMPLATE))[0]["Resources"][logical_id]["Properties"]
    dynamodb = emulator.client("dynamodb", REGION)
    name = f"vpce-guard-{logical_id}"
    stream = properties.get("StreamSpecification")
    dynamodb.create_table(
        TableName=name,
        **{
            key: properties[key]
            for key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")
            if key in properties
        },
        **({"StreamSpecification": {"StreamEnabled": True, **stream}} if stream else {}),
    )
    dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=properties["TimeToLiveSpecification"])
    return name


@pytest.fixture
def state_table(aws_env: Emulator) -> str:
    return table_from_template(aws_env, "StateTable")


@pytest.fixture
def idempotency_table(aws_env: Emulator) -> str:
    return table_from_template(aws_env, "IdempotencyTable")
