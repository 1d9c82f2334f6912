"""Integration fixtures: an estate built through the emulator over HTTP, clients configured as Lambdas are."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from integration.remediation.sealed_state import create_change_record_key
from org_support import ACTOR, ROLES, Hub, org_with_members

from vpce_guard import lambda_app
from vpce_guard.aws import AwsSession
from vpce_guard.functions import config_rule, evaluation, on_change, sweep, sweep_worker
from vpce_guard.state import StateStore
from vpce_guard_local.demo import REGION, DemoEstate, build_demo_estate
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import BuiltVpc, EstateBuilder
from vpce_guard_local.sam.deploy import create_table
from vpce_guard_local.sam.template import SamTemplate

FUNCTIONS = Path(__file__).parents[2] / "functions"
ACCOUNT = "123456789012"


@pytest.fixture
def ec2(aws_env: Emulator) -> Any:
    return aws_env.client("ec2", REGION)


@pytest.fixture
def vpc(ec2: Any) -> BuiltVpc:
    """A VPC of two zones with private subnets only, for the tests that plant one mistake in it."""
    return EstateBuilder(ec2, REGION).vpc("10.0.0.0/16", zones=2, public_subnet=False)


@pytest.fixture
def demo_estate(aws_env: Emulator) -> DemoEstate:
    return build_demo_estate(aws_env)


def table_from_template(emulator: Emulator, template: SamTemplate, logical_id: str) -> str:
    """A table created in the emulator from template.yaml's own definition of it."""
    properties = template.resources[logical_id]["Properties"]
    name = f"vpce-guard-{logical_id}"
    create_table(emulator.client("dynamodb", REGION), name, properties)
    return name


@pytest.fixture
def state_table(aws_env: Emulator, sam_template: SamTemplate) -> str:
    return table_from_template(aws_env, sam_template, "StateTable")


@pytest.fixture
def idempotency_table(aws_env: Emulator, sam_template: SamTemplate) -> str:
    return table_from_template(aws_env, sam_template, "IdempotencyTable")


@dataclass(frozen=True)
class LambdaContext:
    function_name: str = "vpce-guard-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:vpce-guard-test"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def handler_of(
    aws_env: Emulator, state_table: str, idempotency_table: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Callable[[dict[str, Any]], Any]]:
    """Load a function's handler with the environment the template gives it, fresh as a cold start; its
    configuration (TOML) is in the SSM parameter the template creates."""
    parameter = "/vpce-guard/configuration"
    follow_ups = aws_env.client("sqs", REGION).create_queue(QueueName="vpce-guard-follow-ups")["QueueUrl"]
    for name, value in {
        "AWS_REGION": REGION,
        "STATE_TABLE_NAME": state_table,
        "IDEMPOTENCY_TABLE_NAME": idempotency_table,
        "VPCE_GUARD_CONFIG_PARAMETER": parameter,
        "FOLLOW_UP_QUEUE_URL": follow_ups,
        "POWERTOOLS_SERVICE_NAME": "vpce-guard",
        "POWERTOOLS_METRICS_NAMESPACE": "VpceGuard",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    # A cold start: Powertools and the wiring read the environment afresh, each module after those it uses.
    for module in (lambda_app, evaluation, on_change, config_rule, sweep, sweep_worker):
        importlib.reload(module)
    create_change_record_key(aws_env.client("kms", REGION), state_table)

    def load(function: str, configuration: str = "# vpce-guard defaults") -> Callable[[dict[str, Any]], Any]:
        aws_env.client("ssm", REGION).put_parameter(Name=parameter, Value=configuration, Type="String", Overwrite=True)
        spec = importlib.util.spec_from_file_location(f"{function}_app", FUNCTIONS / function / "app.py")
        assert spec is not None
        assert spec.loader is not None
        module: ModuleType = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return lambda event: module.handler(event, LambdaContext())

    return load


@pytest.fixture
def hub(aws_env: Emulator) -> Hub:
    """An organization of three members, the member stack deployed in each, and the hub's function roles."""
    return org_with_members(aws_env)


@pytest.fixture
def hub_handler_of(
    handler_of: Callable[..., Callable[[dict[str, Any]], Any]], hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Callable[[dict[str, Any]], Any]]:
    """``handler_of`` for a hub's function: the member role names in its environment, and its credentials a
    session of the hub's actor role (as Lambda gives a function its execution role's)."""
    credentials = hub.session_of(ACTOR, REGION).credentials
    assert credentials is not None
    for name, value in {
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_SESSION_TOKEN": credentials.session_token,
        "AWS_LAMBDA_FUNCTION_NAME": "vpce-guard-hub-function",
        "MEMBER_READ_ROLE_NAME": ROLES.read,
        "MEMBER_REMEDIATION_ROLE_NAME": ROLES.remediate or "",
    }.items():
        monkeypatch.setenv(name, value)
    return handler_of


@pytest.fixture
def session(aws_env: Emulator) -> AwsSession:
    return AwsSession(REGION, endpoint_url=aws_env.url)


@pytest.fixture
def store(session: AwsSession, state_table: str) -> StateStore:
    return StateStore(session.client("dynamodb"), state_table)
