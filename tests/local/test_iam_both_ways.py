"""Each function's IAM policy in the transformed template grants exactly the calls its code makes.

Both ways: every call a function makes is granted (nothing missing: it would fail with AccessDenied in AWS),
and every action granted is called (nothing extra: least privilege). Each function runs locally through every
sample event (retargeted at the samples' story built in the emulator, so every path that reads or writes
runs), plus the paths the samples alone do not take: a duplicate delivery (idempotency finds the record), an
event beyond its account's evaluations in a minute (as in a flood: it queues the minute's follow-up), the
sweep's jobs handed from its queue to the sweep worker, the state table's own stream drained into the notifier,
and an evaluation that fails (the state table gone, as a throttled or refused call would fail: the handler
raises, so idempotency deletes its in-progress record). The stack is deployed with every notification channel
on (secrets pointing at a local receiver, Security Hub in the emulator), and compared with the template
transformed with the same parameters. The emulator records each call with the access key id of the function
that signed it (``LOCAL-<LogicalId>``).

Calls the Lambda service makes with a function's role (its logs and traces, network interfaces in the VPC,
reading its event source, sending to its dead-letter queue) are not the function's code and are not recorded
here: the role's other policy, ``LambdaService``, grants them, and tests/template/test_template_roles.py holds
it to what the function's configuration needs. No role has any other policy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from local_story import build_story, story_event
from template_support import FUNCTIONS

from vpce_guard.remediation.plans import PERMISSIONS
from vpce_guard.throttle import EVALUATIONS_PER_WINDOW, EVENTS_PREFIX, MINUTE, Window
from vpce_guard.vocabulary import scope_key
from vpce_guard_local.emulator import Emulator, RecordedCall
from vpce_guard_local.receiver import Receiver
from vpce_guard_local.sam.deploy import local_up
from vpce_guard_local.sam.queues import drain_queues
from vpce_guard_local.sam.router import Delivery, route
from vpce_guard_local.sam.runtime import Container, Invocation
from vpce_guard_local.sam.stack import LocalStack
from vpce_guard_local.sam.streams import drain, positions_file
from vpce_guard_local.sam.template import SamTemplate
from vpce_guard_local.samples import SAMPLE_GROUP, event_names

pytestmark = pytest.mark.server

# Operations authorised by another action than their own name (see RecordedCall.iam_action), or by none.
AUTHORISED_AS: dict[str, tuple[str, ...]] = {
    "sts:GetCallerIdentity": (),
    # vpce-guard's transactions put a record and check its VPC's evaluation marker (see state.py)
    "dynamodb:TransactWriteItems": ("dynamodb:PutItem", "dynamodb:ConditionCheckItem"),
    "dynamodb:TransactGetItems": ("dynamodb:GetItem",),
    "dynamodb:BatchGetItem": ("dynamodb:GetItem",),
    "sqs:SendMessageBatch": ("sqs:SendMessage",),
}
# The stack runs in the default ticket mode, so nothing is remediated here: the acting functions' grants for
# changes (and for releasing a change's lease, and taking it from the organization-wide rate) are held to what
# the playbooks declare by tests/template, and each playbook's calls to its declaration by
# tests/integration/remediation.
ACTORS = ("OnChangeFunction", "SweepWorkerFunction")
REMEDIATION_GRANTS = {action for actions in PERMISSIONS.values() for action in actions} | {
    "dynamodb:DeleteItem",
    "dynamodb:UpdateItem",
}
# The evaluating functions read who set a vpce-guard:exempt tag from CloudTrail's event history when a tag is
# new or changed (pipeline.with_exemption_setters, held by tests/integration/test_pipeline_remediation.py); the
# samples' story tags nothing, so this run makes no such call.
EXEMPT_TAG_LOOKUPS = {
    "OnChangeFunction": {"cloudtrail:LookupEvents"},
    "ConfigRuleFunction": {"cloudtrail:LookupEvents"},
    "SweepWorkerFunction": {"cloudtrail:LookupEvents"},
}
# Runs first, its jobs worked off at once: a sweep of a fresh state table records what it finds (a sweep of an
# unchanged estate writes nothing).
RUN_ORDER = ("SweepFunction", "OnChangeFunction", "ConfigRuleFunction", "NotifierFunction")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def channels(aws_env: Emulator, receiver: Receiver) -> dict[str, str]:
    """Every notification channel on: the template parameters, with the secrets made in the emulator."""
    secrets = aws_env.client("secretsmanager")
    return {
        "SlackWebhookSecretArn": secrets.create_secret(Name="slack", SecretString=receiver.slack_webhook_url)["ARN"],
        "JiraSecretArn": secrets.create_secret(Name="jira", SecretString=receiver.jira_secret())["ARN"],
        "EnableOpsCenter": "true",
        "EnableSecurityHub": "true",
    }


@pytest.fixture
def notifying_stack(
    aws_env: Emulator, sam_template: SamTemplate, stack_file: Path, channels: dict[str, str]
) -> LocalStack:
    return local_up(
        sam_template,
        aws_env.url,
        create_interface_endpoints=True,
        parameters=channels,
        stack_file=stack_file,
    )


def not_called_here(function: str) -> set[str]:
    """The function's grants this run cannot call: the remediations (ticket mode), and the exempt-tag lookups."""
    remediations = REMEDIATION_GRANTS if function in ACTORS else set()
    return remediations | EXEMPT_TAG_LOOKUPS.get(function, set())


def actions_of(calls: Iterable[RecordedCall]) -> set[str]:
    return {action for call in calls for action in AUTHORISED_AS.get(call.iam_action, (call.iam_action,))}


def deliveries(stack: LocalStack, ids: dict[str, str]) -> list[Delivery]:
    planned = [
        delivery
        for name in event_names()
        if name != "cloudtrail-run-instances"
        for delivery in route(stack, story_event(name, ids))
    ]
    duplicate = route(stack, story_event("cloudtrail-create-vpc-endpoint-interface", ids))
    return [*planned, *duplicate]


def flood(stack: LocalStack, ids: dict[str, str], emulator: Emulator) -> list[Invocation]:
    """A rule change on a group no endpoint uses, arriving when its account's minute has had all its evaluations
    (the count set as a flood would leave it), so that it queues the minute's follow-up. The count is set again
    if the minute turns between the two (the function reads the real clock): a few attempts, never a race."""
    dynamodb = emulator.client("dynamodb", stack.region)
    invocations = []
    with Container(stack, stack.functions["OnChangeFunction"]) as container:
        for n in range(3):
            window = Window.of(datetime.now(UTC), MINUTE)
            dynamodb.put_item(
                TableName=stack.physical_id("StateTable"),
                Item={
                    "pk": {"S": f"{EVENTS_PREFIX}{scope_key(stack.account_id, stack.region)}"},
                    "sk": {"S": window.key},
                    "evaluations": {"N": str(EVALUATIONS_PER_WINDOW)},
                    "expires_at": {"N": str(window.expires_at)},
                },
            )
            event = story_event(
                "cloudtrail-authorize-security-group-ingress", {**ids, SAMPLE_GROUP: "sg-0f100d0000000000"}
            )
            (delivery,) = route(stack, {**event, "id": f"{n:08d}-f100-4d00-8000-000000000000"})
            invocations.append(container.invoke(delivery.event, delivery.trigger))
            if invocations[-1].ok and invocations[-1].result.get("follow_up_queued"):
                break
    return invocations


def failing_evaluation(stack: LocalStack, ids: dict[str, str], emulator: Emulator) -> list[Invocation]:
    """An on-change evaluation that fails mid-way: the state table is gone."""
    emulator.client("dynamodb", stack.region).delete_table(TableName=stack.physical_id("StateTable"))
    event = story_event("cloudtrail-modify-vpc-endpoint", ids)
    event["id"] = "11111111-2222-4333-8444-555555555555"
    (delivery,) = route(stack, event)
    with Container(stack, stack.functions[delivery.function]) as container:
        return [container.invoke(delivery.event, delivery.trigger)]


def run(stack: LocalStack, planned: list[Delivery]) -> list[Invocation]:
    invocations: list[Invocation] = []
    for function in RUN_ORDER:
        with Container(stack, stack.functions[function]) as container:
            invocations += [container.invoke(d.event, d.trigger) for d in planned if d.function == function]
        if function == "SweepFunction":
            invocations += drain_queues(stack)  # the sweep worker
    return invocations


def test_each_function_is_granted_exactly_the_calls_it_makes(
    notifying_stack: LocalStack,
    aws_env: Emulator,
    sam_template: SamTemplate,
    stack_file: Path,
    channels: dict[str, str],
    receiver: Receiver,
) -> None:
    local_stack = notifying_stack
    ids = build_story(aws_env.client("ec2"), local_stack.region, local_stack.account_id)
    planned = deliveries(local_stack, ids)
    aws_env.clear_recorded_calls()

    invocations = run(local_stack, planned)
    invocations += flood(local_stack, ids, aws_env)
    invocations += drain(local_stack, positions_file(stack_file)).invocations
    invocations += failing_evaluation(local_stack, ids, aws_env)

    failed = [i for i in invocations if not i.ok]
    assert [(i.function, i.error["errorType"]) for i in failed if i.error] == [
        ("OnChangeFunction", "ResourceNotFoundException")
    ], [f"{i.function}: {i.error}\n{i.logs}" for i in failed]
    calls_by_key: dict[str, list[RecordedCall]] = defaultdict(list)
    for call in aws_env.recorded_calls():
        calls_by_key[call.access_key_id].append(call)
    assert receiver.slack_messages, "the notifier reached no channel"
    transformed = sam_template.transform(channels)
    mismatches = {}
    for function in FUNCTIONS:
        used = actions_of(calls_by_key[local_stack.functions[function].access_key_id])
        granted = set(transformed.policy_actions(function)) - (not_called_here(function) - used)
        if used != granted:
            mismatches[function] = {"missing": sorted(used - granted), "extra": sorted(granted - used)}

    assert mismatches == {}, f"template.yaml policies differ from the calls the functions make: {mismatches}"
