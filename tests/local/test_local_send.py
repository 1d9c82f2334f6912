"""``local send`` and the ``vpce-guard local`` commands, end to end: the real functions on the local stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from local_story import SAMPLE_ENDPOINT, build_story, story_event

from vpce_guard.cli import main
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.sam.router import send
from vpce_guard_local.sam.stack import LocalRunError, LocalStack

pytestmark = pytest.mark.server


def state_items(aws: Emulator, stack: LocalStack) -> list[dict[str, Any]]:
    """The finding records of the state table (not the VPC evaluation markers, nor the event windows): the items
    that carry the index's keys."""
    items: list[dict[str, Any]] = aws.client("dynamodb").scan(TableName=stack.physical_id("StateTable"))["Items"]
    return [item for item in items if "gsi1pk" in item]


def test_ten_deliveries_of_one_event_run_warm_and_record_the_findings_once(
    local_stack: LocalStack, aws_env: Emulator
) -> None:
    ids = build_story(aws_env.client("ec2"), local_stack.region, local_stack.account_id)
    event = story_event("cloudtrail-create-vpc-endpoint-interface", ids)

    invocations = send(local_stack, event, times=10)

    assert [invocation.function for invocation in invocations] == ["OnChangeFunction"] * 10
    assert all(invocation.ok for invocation in invocations), invocations[0].error
    first = invocations[0].result
    opened = set(first["changes"]["opened"])
    assert {f"{ids[SAMPLE_ENDPOINT]}/az-coverage", f"{ids[SAMPLE_ENDPOINT]}/private-dns-disabled"} <= opened
    assert all(invocation.result == first for invocation in invocations)
    assert len(state_items(aws_env, local_stack)) == len(opened)


def test_a_config_rule_event_puts_evaluations_the_emulator_keeps_for_the_rule(
    local_stack: LocalStack, aws_env: Emulator
) -> None:
    ids = build_story(aws_env.client("ec2"), local_stack.region, local_stack.account_id)
    rule = local_stack.config_rules["EndpointConfigRule"]

    (invocation,) = send(local_stack, story_event("config-rule-item-change-vpc-endpoint", ids))

    assert invocation.ok, invocation.error
    results = aws_env.client("config").get_compliance_details_by_config_rule(ConfigRuleName=rule.name)[
        "EvaluationResults"
    ]
    assert [
        (r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"], r["ComplianceType"])
        for r in results
    ] == [(ids[SAMPLE_ENDPOINT], "NON_COMPLIANT")]


def test_local_up_then_send_through_the_command_line(
    aws_env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_file = tmp_path / "stack.json"
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(story_event("schedule-sweep", {})))

    up = main(["local", "up", "--endpoint-url", aws_env.url, "--stack-file", str(stack_file)])
    up_output = capsys.readouterr().out
    sent = main(["local", "send", str(event_file), "--stack-file", str(stack_file)])
    (invocation,) = json.loads(capsys.readouterr().out)
    drained = main(["local", "drain", "--stack-file", str(stack_file)])
    invocations = json.loads(capsys.readouterr().out)

    stack = LocalStack.load(stack_file)
    assert (up, sent, drained) == (0, 0, 0)
    assert f"export STATE_TABLE_NAME={stack.physical_id('StateTable')}" in up_output
    assert (invocation["function"], invocation["trigger"]) == ("SweepFunction", "SweepFunctionSweep")
    assert (invocation["result"]["accounts"], invocation["result"]["jobs"]) == (1, 1)
    assert (invocations[0]["function"], invocations[0]["result"]) == ("SweepWorkerFunction", {"batchItemFailures": []})


def test_local_up_takes_the_emulator_from_aws_endpoint_url(
    aws_env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["local", "up", "--stack-file", str(tmp_path / "stack.json")])

    assert code == 0
    assert LocalStack.load(tmp_path / "stack.json").endpoint_url == aws_env.url


def test_an_event_nothing_routes_exits_2_and_says_so(
    local_stack: LocalStack, stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["local", "send", "events/cloudtrail-run-instances.json", "--stack-file", str(stack_file)])

    assert code == 2
    assert "no EventBridge rule of the local stack matches this event" in capsys.readouterr().err


def test_send_without_a_stack_file_exits_2_and_says_to_run_local_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["local", "send", "events/schedule-sweep.json", "--stack-file", str(tmp_path / "none.json")])

    assert code == 2
    assert "run `vpce-guard local up` first" in capsys.readouterr().err


def test_up_without_an_emulator_exits_2_and_says_to_start_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)

    code = main(["local", "up", "--stack-file", str(tmp_path / "stack.json")])

    assert code == 2
    assert "start one with `vpce-guard emulator`" in capsys.readouterr().err


def test_a_failed_invocation_exits_1_with_its_error_in_the_output(
    local_stack: LocalStack, aws_env: Emulator, stack_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aws_env.client("dynamodb", local_stack.region).delete_table(TableName=local_stack.physical_id("StateTable"))
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(story_event("cloudtrail-create-vpc-endpoint-interface", {})))

    code = main(["local", "send", str(event_file), "--stack-file", str(stack_file)])
    (invocation,) = json.loads(capsys.readouterr().out)

    assert code == 1
    assert invocation["error"]["errorType"] == "ResourceNotFoundException"


def test_a_malformed_event_is_dropped_not_retried(
    local_stack: LocalStack, stack_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = story_event("cloudtrail-delete-vpc-endpoints-one", {})
    event["detail"]["requestParameters"]["DeleteVpcEndpointsRequest"]["VpcEndpointId"] = ""
    event_file = tmp_path / "malformed.json"
    event_file.write_text(json.dumps(event))

    code = main(["local", "send", str(event_file), "--stack-file", str(stack_file)])
    (invocation,) = json.loads(capsys.readouterr().out)

    assert code == 0
    assert invocation["result"]["ignored"].startswith("malformed event: DeleteVpcEndpoints event")


def test_sending_to_an_emulator_that_lost_the_stack_says_to_run_local_up_again(
    local_stack: LocalStack, aws_env: Emulator
) -> None:
    aws_env.reset()

    with pytest.raises(LocalRunError, match="run `vpce-guard local up` again"):
        send(local_stack, story_event("cloudtrail-create-subnet", {}))
