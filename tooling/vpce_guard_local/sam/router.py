"""``vpce-guard local send``: an event routed to the functions the way AWS would route it, then run locally.

- A sample naming the samples' account (``SAMPLE_ACCOUNT``) is sent as the stack's own account's: that id is
  replaced by the stack's account wherever it stands (envelope, body, ARNs), as AWS would have written it there.
- An EventBridge event is put on the default bus of the account it names (PutEvents; an account that is not
  a member of the stack's organization is put on the stack's own bus, as it is): the stack's own, where
  the template's rules match it with their own patterns, or a member's, whose forwarding rule (the member
  template's) puts it on the hub's bus, where the hub's rule matches it. Each rule's target is a queue
  standing for its function (see ``deploy``), so the functions whose queues received the event are the ones
  AWS would invoke. They get the ORIGINAL event (same id), ``times`` over: EventBridge delivers at least once,
  and duplicates share the id. A pattern that does not match delivers nothing, so a wrong pattern in a
  template fails the tests that send its events.
- A "Scheduled Event" (source aws.events) goes to the function of the schedule rule it names in
  ``resources``, or, naming none of the stack's rules, to the function of every schedule rule.
- An AWS Config rule event goes to the rule's function when its message type is one of the rule's
  SourceDetails, its resource type is in the rule's scope and its account is the rule's (a member's rule
  invokes the hub's function); the rule name, ARN, id and a ``resultToken`` the emulator accepts for that
  rule replace the sample's, as Config sets them for each invocation.
- A batch of DynamoDB stream records goes to the function of each stream event source, with the source's
  stream ARN and the stack's region in every record, as Lambda sets them (``local drain`` delivers the
  emulator's own stream records; this delivers a batch as written, e.g. a sample).

An event no rule routes is an error (``NoRouteError``) that says which rules were tried.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vpce_guard.aws import CALL_ERRORS
from vpce_guard_local.sam.deploy import EmulatorClients, require_loopback
from vpce_guard_local.sam.runtime import Container, Invocation
from vpce_guard_local.sam.stack import LocalRunError, LocalStack
from vpce_guard_local.sam.streams import lambda_record
from vpce_guard_local.samples import SAMPLE_ACCOUNT, retarget

SCHEDULED_EVENT = "Scheduled Event"
SCHEDULER_SOURCE = "aws.events"
DYNAMODB_SOURCE = "aws:dynamodb"
_CHANGE_NOTIFICATIONS = {
    "ConfigurationItemChangeNotification": "configurationItem",
    "OversizedConfigurationItemChangeNotification": "configurationItemSummary",
}


class NoRouteError(LocalRunError):
    """No rule of the local stack routes the event to a function."""


@dataclass(frozen=True)
class Delivery:
    """One event for one function, and the rule that routed it there (a logical id)."""

    function: str
    trigger: str
    event: Mapping[str, Any]


def send(stack: LocalStack, event: Mapping[str, Any], times: int = 1) -> list[Invocation]:
    """Route ``event`` and run each function it reaches, ``times`` deliveries each, in one warm container per
    function (a fresh one for every send)."""
    if times < 1:
        raise LocalRunError("--times must be at least 1")
    deliveries = route(stack, event)
    invocations: list[Invocation] = []
    for function in dict.fromkeys(delivery.function for delivery in deliveries):
        local_function = stack.functions.get(function)
        if local_function is None:
            raise LocalRunError(f"the local stack has no function {function}: run `vpce-guard local up` again")
        with Container(stack, local_function) as container:
            for delivery in (d for d in deliveries if d.function == function):
                invocations += [container.invoke(delivery.event, delivery.trigger) for _ in range(times)]
    return invocations


def route(stack: LocalStack, event: Mapping[str, Any]) -> list[Delivery]:
    """The deliveries AWS would make for ``event`` (see the module docstring); raises NoRouteError for none."""
    if not isinstance(event, Mapping):
        raise LocalRunError("an event is a JSON object")
    if SAMPLE_ACCOUNT in (event.get("account"), event.get("accountId")):
        event = retarget(event, {SAMPLE_ACCOUNT: stack.account_id})
    if "invokingEvent" in event:
        return _route_config_event(stack, event)
    if _is_stream_batch(event):
        return _route_stream_batch(stack, event)
    if event.get("detail-type") == SCHEDULED_EVENT and event.get("source") == SCHEDULER_SOURCE:
        return _route_scheduled_event(stack, event)
    if "detail-type" in event and "source" in event:
        return _route_eventbridge_event(stack, event)
    raise LocalRunError(
        "not an event AWS would send here: expected an EventBridge event (detail-type, source, detail), an "
        "AWS Config rule invocation (invokingEvent) or a batch of DynamoDB stream records (Records)"
    )


def _route_eventbridge_event(stack: LocalStack, event: Mapping[str, Any]) -> list[Delivery]:
    require_loopback(stack.endpoint_url)
    try:
        return _put_and_collect(stack, event)
    except CALL_ERRORS as error:
        raise LocalRunError(
            f"the emulator at {stack.endpoint_url} failed to route the event ({error}): is it still the one "
            "`vpce-guard local up` deployed to? Start it again and run `vpce-guard local up` again."
        ) from error


def _put_and_collect(stack: LocalStack, event: Mapping[str, Any]) -> list[Delivery]:
    clients = EmulatorClients(stack.endpoint_url, stack.region)
    account_id = _account_of(stack, event.get("account"))
    rules = [rule for rule in stack.event_rules.values() if rule.event_pattern is not None]
    sqs = clients("sqs")
    for rule in rules:
        _drain(sqs, rule.queue_url)
    entry: dict[str, Any] = {
        "Source": str(event["source"]),
        "DetailType": str(event["detail-type"]),
        "Detail": json.dumps(event.get("detail", {})),
        "Resources": [str(resource) for resource in event.get("resources", [])],
    }
    time = _timestamp(event.get("time"))
    if time is not None:
        entry["Time"] = time
    account_clients = EmulatorClients(stack.endpoint_url, stack.region, account_id=account_id)
    reply = account_clients("events").put_events(Entries=[entry])
    if reply.get("FailedEntryCount"):
        failure = reply["Entries"][0]
        raise LocalRunError(f"PutEvents refused the event: {failure.get('ErrorCode')}: {failure.get('ErrorMessage')}")
    # A forwarded event arrives with an id of its own; the queues were emptied before, so what is there is it.
    deliveries = [Delivery(rule.function, rule.logical_id, event) for rule in rules if _drain(sqs, rule.queue_url)]
    if not deliveries:
        tried = ", ".join(rule.logical_id for rule in rules) or "none"
        raise NoRouteError(
            f"no EventBridge rule of the local stack matches this event (source {event.get('source')!r}, "
            f"detail-type {event.get('detail-type')!r}, eventName {_event_name(event)!r}); rules tried: {tried}"
        )
    return deliveries


def _route_scheduled_event(stack: LocalStack, event: Mapping[str, Any]) -> list[Delivery]:
    schedules = [rule for rule in stack.event_rules.values() if rule.schedule is not None]
    named = [rule for rule in schedules if rule.arn in event.get("resources", [])]
    chosen = named or schedules
    if not chosen:
        raise NoRouteError("a Scheduled Event, but the local stack has no schedule rule")
    return [Delivery(rule.function, rule.logical_id, event) for rule in chosen]


def _route_config_event(stack: LocalStack, event: Mapping[str, Any]) -> list[Delivery]:
    from vpce_guard_local.emulator.result_tokens import result_token_for

    try:
        invoking = json.loads(event["invokingEvent"])
    except (TypeError, ValueError) as error:
        raise LocalRunError(f"invokingEvent is not a JSON string: {error}") from None
    message_type = invoking.get("messageType")
    item_key = _CHANGE_NOTIFICATIONS.get(str(message_type))
    resource_type = (invoking.get(item_key) or {}).get("resourceType") if item_key else None
    account_id = _account_of(stack, event.get("accountId"))
    deliveries = []
    for rule in stack.config_rules.values():
        if message_type not in rule.message_types or rule.account_id != account_id:
            continue
        if resource_type is not None and rule.resource_types and resource_type not in rule.resource_types:
            continue
        delivered = {
            **event,
            "configRuleName": rule.name,
            "configRuleArn": rule.arn,
            "configRuleId": rule.rule_id,
            "resultToken": result_token_for(rule.name),
        }
        deliveries.append(Delivery(rule.function, rule.logical_id, delivered))
    if not deliveries:
        rules = "; ".join(
            f"{rule.logical_id}: {', '.join(rule.message_types)} for {', '.join(rule.resource_types) or 'any type'}"
            for rule in stack.config_rules.values()
        )
        raise NoRouteError(
            f"no Config rule of the local stack takes a {message_type} for {resource_type or 'no resource'} "
            f"(rules: {rules or 'none'})"
        )
    return deliveries


def _account_of(stack: LocalStack, account_id: Any) -> str:
    """Whose bus an event is put on: a member account's of the stack's organization, else the stack's own."""
    members = stack.organization.member_account_ids if stack.organization else ()
    return str(account_id) if account_id in members else stack.account_id


def _is_stream_batch(event: Mapping[str, Any]) -> bool:
    records = event.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(r, Mapping) and r.get("eventSource") == DYNAMODB_SOURCE for r in records)
    )


def _route_stream_batch(stack: LocalStack, event: Mapping[str, Any]) -> list[Delivery]:
    if not stack.stream_sources:
        raise NoRouteError("a batch of DynamoDB stream records, but the local stack has no stream event source")
    return [
        Delivery(
            source.function,
            source.logical_id,
            {
                **event,
                "Records": [lambda_record(record, source.stream_arn, stack.region) for record in event["Records"]],
            },
        )
        for source in stack.stream_sources.values()
    ]


def _drain(sqs: Any, queue_url: str) -> set[str]:
    """Receive and delete every message of a stand-in queue; the ids of the events they carry."""
    event_ids: set[str] = set()
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return event_ids
        for message in messages:
            with contextlib.suppress(ValueError, AttributeError):
                event_ids.add(str(json.loads(message["Body"]).get("id")))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _event_name(event: Mapping[str, Any]) -> Any:
    detail = event.get("detail")
    return detail.get("eventName") if isinstance(detail, Mapping) else None
