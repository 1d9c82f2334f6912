"""The built functions run: the built template deployed into the emulator, and one sample event per function
run through the built artifact (its directory and the built layer, by python3.12 without site-packages), the
emulator serving it from this process. Each test holds what the function did to AWS, not only that it
answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from local_story import build_story, story_event
from template_support import FUNCTIONS

from vpce_guard.state import StateStore
from vpce_guard.sweep import SweepLedger
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.sam.built import Build
from vpce_guard_local.sam.queues import drain_queues
from vpce_guard_local.sam.router import send
from vpce_guard_local.sam.stack import LocalStack
from vpce_guard_local.samples import SAMPLE_ENDPOINT, load_event

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def stack(emulator: Emulator, build: Build, tmp_path_factory: pytest.TempPathFactory) -> LocalStack:
    """One deployment of the built template, OpsCenter on, for the module (a deploy takes seconds): the
    emulator is wiped first; the tests must not wipe it (no ``aws``)."""
    emulator.reset()
    stack_file = tmp_path_factory.mktemp("built-stack") / "local-stack.json"
    return build.deploy(emulator.url, parameters={"EnableOpsCenter": "true"}, stack_file=stack_file)


@pytest.fixture(scope="module")
def story(emulator: Emulator, stack: LocalStack) -> dict[str, str]:
    return build_story(emulator.client("ec2"), stack.region, stack.account_id)


def test_every_function_runs_from_the_build_by_python_3_12(stack: LocalStack, build: Build) -> None:
    assert set(stack.functions) == set(FUNCTIONS)
    assert {
        name: (function.interpreter, Path(function.code_dir).parent) for name, function in stack.functions.items()
    } == dict.fromkeys(stack.functions, ((build.python, "-S"), build.build_dir))


def test_the_change_function_records_the_findings_of_a_new_endpoint(
    stack: LocalStack, story: dict[str, str], emulator: Emulator
) -> None:
    (invocation,) = send(stack, story_event("cloudtrail-create-vpc-endpoint-interface", story))

    assert invocation.ok, invocation.error
    endpoint = story[SAMPLE_ENDPOINT]
    opened = set(invocation.result["changes"]["opened"])
    assert {f"{endpoint}/az-coverage", f"{endpoint}/private-dns-disabled"} <= opened
    records = StateStore(emulator.client("dynamodb"), stack.physical_id("StateTable")).records(
        stack.account_id, stack.region
    )
    assert opened <= {f"{record.resource_id}/{record.check_id}" for record in records}


def test_the_config_rule_puts_its_evaluation_for_the_endpoint(
    stack: LocalStack, story: dict[str, str], emulator: Emulator
) -> None:
    rule = stack.config_rules["EndpointConfigRule"]

    (invocation,) = send(stack, story_event("config-rule-item-change-vpc-endpoint", story))

    assert invocation.ok, invocation.error
    results = emulator.client("config").get_compliance_details_by_config_rule(ConfigRuleName=rule.name)
    assert [
        (result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"], result["ComplianceType"])
        for result in results["EvaluationResults"]
    ] == [(story[SAMPLE_ENDPOINT], "NON_COMPLIANT")]


def test_the_sweep_queues_a_job_the_sweep_worker_completes(stack: LocalStack, emulator: Emulator) -> None:
    (sweep,) = send(stack, load_event("schedule-sweep"))
    jobs = drain_queues(stack)

    assert sweep.ok, sweep.error
    assert (sweep.result["accounts"], sweep.result["jobs"]) == (1, 1)
    assert [(job.function, job.result) for job in jobs] == [("SweepWorkerFunction", {"batchItemFailures": []})]
    ledger = SweepLedger(emulator.client("dynamodb"), stack.physical_id("StateTable"))
    assert [(result.account_id, result.status) for result in ledger.results()] == [(stack.account_id, "DONE")]


def test_the_notifier_opens_and_resolves_the_opscenter_item_of_a_ticketed_finding(
    stack: LocalStack, emulator: Emulator
) -> None:
    batch = load_event("dynamodb-stream-state-changes")

    (invocation,) = send(stack, batch)

    assert invocation.ok, invocation.error
    assert invocation.result == {"batchItemFailures": []}
    items = emulator.client("ssm").describe_ops_items()["OpsItemSummaries"]
    assert [(item["Title"], item["Status"]) for item in items] == [
        (f"Ticketed: HIGH private-dns-disabled on {SAMPLE_ENDPOINT}", "Resolved")
    ]
