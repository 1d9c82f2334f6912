"""The configuration as the functions read it: it never widens the perimeter, and it is a kill switch.

Through the emulator over HTTP, with the handlers as Lambda runs them: a configuration that is invalid or names
another organization than the stack's changes nothing (the finding is a ticket, an error metric counts it), and
a warm function reads the parameter again once ``CONFIG_MAX_AGE_SECONDS`` have passed.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from vpce_guard import lambda_app
from vpce_guard.decisions import Mode
from vpce_guard.functions import evaluation
from vpce_guard.state import StateStore
from vpce_guard.vocabulary import Status
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import BuiltVpc, EstateBuilder
from vpce_guard_local.samples import SAMPLE_ACCOUNT, SAMPLE_ENDPOINT, SAMPLE_VPC, load_event, retarget

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"
STACK_ORGANIZATION = "o-a1b2c3d4e5"
ENFORCE_PRIVATE_DNS = '[modes]\nprivate-dns-disabled = "enforce"\n'


def endpoint_with_private_dns_off(ec2: Any, vpc: BuiltVpc) -> str:
    build = EstateBuilder(ec2, REGION)
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    return build.interface_endpoint(vpc, "ssm", subnet_ids=vpc.private_subnet_ids, group_ids=[group], private_dns=False)


def created_event(endpoint: str, vpc: BuiltVpc, delivery: int = 1) -> dict[str, Any]:
    """The endpoint's CreateVpcEndpoint event; each ``delivery`` has an id of its own, so that idempotency
    does not answer it with an earlier result."""
    ids = {SAMPLE_ACCOUNT: ACCOUNT, SAMPLE_ENDPOINT: endpoint, SAMPLE_VPC: vpc.id}
    event = retarget(load_event("cloudtrail-create-vpc-endpoint-interface"), ids)
    return {**event, "id": f"{event['id']}-{delivery}"}


def mutating_calls(emulator: Emulator) -> list[str]:
    return [
        call.operation
        for call in emulator.recorded_calls()
        if call.service == "ec2" and not call.operation.startswith("Describe")
    ]


def private_dns_status(store: StateStore, endpoint: str) -> Status | None:
    statuses = {r.status for r in store.records(ACCOUNT, REGION) if r.key == (endpoint, "private-dns-disabled")}
    return next(iter(statuses), None)


def get_parameter_calls() -> int:
    return lambda_app.own_session().counter.calls["GetParameter"]


def published_metrics(output: str) -> set[str]:
    """The metric names in the embedded-metric-format lines Powertools printed."""
    names = set()
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            for directive in json.loads(line)["_aws"]["CloudWatchMetrics"]:
                names.update(metric["Name"] for metric in directive["Metrics"])
    return names


@pytest.mark.parametrize(
    ("stack_organization", "configuration"),
    [
        (STACK_ORGANIZATION, f'org_id = "o-zzzzzzzzzz"\n{ENFORCE_PRIVATE_DNS}'),
        ("", f'org_id = "o-zzzzzzzzzz"\n{ENFORCE_PRIVATE_DNS}'),
        (STACK_ORGANIZATION, f'trusted_accounts = "111122223333"\n{ENFORCE_PRIVATE_DNS}'),
        (STACK_ORGANIZATION, f"change_budget = 5000\n{ENFORCE_PRIVATE_DNS}"),
    ],
    ids=["another-organization", "an-organization-on-a-single-account-stack", "accounts-as-a-string", "over-the-cap"],
)
def test_a_configuration_held_in_doubt_changes_nothing_and_tickets_the_finding(
    handler_of: Any,
    ec2: Any,
    vpc: BuiltVpc,
    store: StateStore,
    aws_env: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stack_organization: str,
    configuration: str,
) -> None:
    monkeypatch.setenv("VPCE_GUARD_ORGANIZATION_ID", stack_organization)
    handler = handler_of("on_change", configuration)
    endpoint = endpoint_with_private_dns_off(ec2, vpc)
    aws_env.clear_recorded_calls()

    result = handler(created_event(endpoint, vpc))

    assert mutating_calls(aws_env) == []
    assert result["remediations"] == []
    assert private_dns_status(store, endpoint) is Status.TICKETED
    assert "InvalidConfiguration" in published_metrics(capsys.readouterr().out)


def test_a_configuration_naming_the_stacks_organization_is_not_held(
    handler_of: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side of the held configurations: the same text with the stack's own organization enforces."""
    monkeypatch.setenv("VPCE_GUARD_ORGANIZATION_ID", STACK_ORGANIZATION)
    handler_of("on_change", f'org_id = "{STACK_ORGANIZATION}"\n{ENFORCE_PRIVATE_DNS}')

    config = evaluation.guard_config()

    assert (config.held_because, config.mode("private-dns-disabled")) == (None, Mode.ENFORCE)


def test_the_functions_judge_with_the_stacks_organization_when_the_configuration_names_none(
    handler_of: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VPCE_GUARD_ORGANIZATION_ID", STACK_ORGANIZATION)
    handler_of("on_change", ENFORCE_PRIVATE_DNS)

    config = evaluation.guard_config()

    assert (config.held_because, config.settings.org_ids) == (None, {STACK_ORGANIZATION})


# The kill switch ----------------------------------------------------------------------------------------------


def let_the_configuration_age(seconds: int) -> None:
    """Move the time the function read the parameter ``seconds`` back, as if they had passed since."""
    provider = evaluation.config_parameters()
    provider.store = {
        key: value._replace(ttl=value.ttl - timedelta(seconds=seconds)) for key, value in provider.store.items()
    }


def test_a_warm_function_reads_a_changed_configuration_once_its_max_age_has_passed(
    handler_of: Any, ec2: Any, vpc: BuiltVpc, store: StateStore, aws_env: Emulator
) -> None:
    handler = handler_of("on_change")  # every check in ticket mode
    endpoint = endpoint_with_private_dns_off(ec2, vpc)
    handler(created_event(endpoint, vpc, delivery=1))
    switched_off = '[modes]\nprivate-dns-disabled = "off"\n'
    aws_env.client("ssm", REGION).put_parameter(
        Name=lambda_app.environment().config_parameter, Value=switched_off, Type="String", Overwrite=True
    )
    handler(created_event(endpoint, vpc, delivery=2))
    within_max_age = (private_dns_status(store, endpoint), get_parameter_calls())
    let_the_configuration_age(evaluation.CONFIG_MAX_AGE_SECONDS)
    handler(created_event(endpoint, vpc, delivery=3))
    after_max_age = (private_dns_status(store, endpoint), get_parameter_calls())

    assert within_max_age == (Status.TICKETED, 1)  # the value the function holds, with no call to read it
    assert after_max_age == (Status.RESOLVED, 2)  # judged with the check off: the finding is no longer found


def test_the_kill_switch_is_at_most_a_minute_away() -> None:
    assert 0 < evaluation.CONFIG_MAX_AGE_SECONDS <= 60
