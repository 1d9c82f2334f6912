"""On-change: a CloudTrail-recorded EC2 call (via EventBridge) → the endpoints it can affect, judged afresh; and
the follow-ups it queued for itself, each judging a whole account and Region after a minute of many events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, SQSEvent
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from vpce_guard.accounts import AccountAccessError
from vpce_guard.functions.evaluation import pipeline, report
from vpce_guard.lambda_app import (
    ConfigurationError,
    accounts,
    dropped,
    environment,
    logger,
    metrics,
    own_session,
    tracer,
)
from vpce_guard.snapshot import Scope
from vpce_guard.throttle import Admission, EventWindows, FollowUp, FollowUpError, queue_follow_up
from vpce_guard.trigger import ApiChange, Ignored, TriggerError, parse_api_change


@cache
def event_windows() -> EventWindows:
    """The per-account windows of change events, in the state table; the on-change function's alone, and only
    with the queue its follow-ups go to."""
    env = environment()
    if not env.follow_up_queue_url:
        raise ConfigurationError("missing environment variable FOLLOW_UP_QUEUE_URL; deploy with template.yaml")
    return EventWindows(own_session().client("dynamodb"), env.state_table)


# EventBridge delivers at least once; duplicates of one event share its id.
IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="event_id", raise_on_no_idempotency_key=True)


@cache
def evaluate_change_once() -> Callable[..., dict[str, Any]]:
    """The evaluation of a change, done once per event id: a duplicate delivery gets the first result."""
    env = environment()
    store = DynamoDBPersistenceLayer(table_name=env.idempotency_table, boto3_client=own_session().client("dynamodb"))

    def evaluate_change(change: ApiChange) -> dict[str, Any]:
        admission = event_windows().admit(change.account_id, change.region, change.event_id)
        if not admission.evaluate:
            return coalesced(change, admission)
        evaluation = pipeline().on_change(change)
        if evaluation is None:
            return ignored(change.event_id, f"{change.event_name} touched no VPC endpoint")
        return report(evaluation)

    once: Callable[..., dict[str, Any]] = idempotent_function(
        evaluate_change, data_keyword_argument="change", persistence_store=store, config=IDEMPOTENCY
    )
    return once


def coalesced(change: ApiChange, admission: Admission) -> dict[str, Any]:
    """An event of a busy window is not evaluated: the window's follow-up judges its account and Region once the
    window has ended. The first such event queues the follow-up."""
    follow_up = FollowUp(change.account_id, change.region, admission.window.key)
    if admission.follow_up_in is not None:
        queue_follow_up(
            own_session().client("sqs"), environment().follow_up_queue_url, follow_up, admission.follow_up_in
        )
        metrics.add_metric(name="FollowUpsQueued", unit=MetricUnit.Count, value=1)
    reason = f"coalesced into the follow-up of {change.account_id} {change.region} after {admission.window.end}"
    logger.info("event coalesced", extra={"event_id": change.event_id, "reason": reason})
    metrics.add_metric(name="EventsCoalesced", unit=MetricUnit.Count, value=1)
    return {"coalesced": reason, "follow_up_queued": admission.follow_up_in is not None}


@tracer.capture_method
def handle_on_change(event: Any, context: LambdaContext) -> Any:
    """The on-change function's two inputs: EventBridge's change events, and the follow-ups it queued itself
    (anything else is a malformed change event)."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if isinstance(records, list) and records and all(_from_a_queue(record) for record in records):
        return handle_follow_ups(SQSEvent(event), context)
    return handle_change(EventBridgeEvent(event), context)


def _from_a_queue(record: Any) -> bool:
    return isinstance(record, Mapping) and record.get("eventSource") == "aws:sqs"


@tracer.capture_method
def handle_follow_ups(event: SQSEvent, context: LambdaContext) -> PartialItemFailureResponse:
    """Each follow-up evaluated on its own; a failed one is reported for the queue to hand out again."""
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(
        event=event.raw_event, record_handler=run_follow_up, processor=processor, context=context
    )


def run_follow_up(record: SQSRecord, lambda_context: LambdaContext) -> dict[str, Any]:
    """Judge a whole account and Region after a busy window; an account out of reach is dropped, as its events
    are."""
    try:
        follow_up = FollowUp.from_message(record.body)
    except FollowUpError as error:
        return dropped("malformed follow-up dropped", "MalformedEvents", str(error), message_id=record.message_id)
    where = {"account_id": follow_up.account_id, "region": follow_up.region, "window": follow_up.window}
    logger.append_keys(**where)
    unreachable = out_of_reach(follow_up.account_id, lambda_context)
    if unreachable is not None:
        return dropped("follow-up of an account out of reach dropped", "UnreachableAccounts", unreachable, **where)
    try:
        evaluation = pipeline().evaluate(follow_up.account_id, Scope(follow_up.region))
    except AccountAccessError as error:
        if not error.refused:
            raise
        return dropped("follow-up of an account out of reach dropped", "UnreachableAccounts", str(error), **where)
    return report(evaluation)


@tracer.capture_method
def handle_change(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    """Validate, drop what changes nothing or cannot be reached (before any AWS call), evaluate the rest once
    per event. Retrying cannot mend a malformed event nor an account whose role refuses us: both are dropped."""
    raw = event.raw_event
    try:
        change = parse_api_change(raw)
    except TriggerError as error:
        event_id = raw.get("id") if isinstance(raw, Mapping) else None
        return dropped("malformed event dropped", "MalformedEvents", f"malformed event: {error}", event_id=event_id)
    if isinstance(change, Ignored):
        return ignored(change.event_id, change.reason)
    logger.append_keys(
        event_name=change.event_name, endpoint_ids=list(change.endpoint_ids), vpc_ids=list(change.vpc_ids)
    )
    where = {"event_id": change.event_id, "account_id": change.account_id}
    unreachable = out_of_reach(change.account_id, context)
    if unreachable is not None:
        return dropped("event of an account out of reach dropped", "UnreachableAccounts", unreachable, **where)
    IDEMPOTENCY.register_lambda_context(context)
    try:
        return evaluate_change_once()(change=change)
    except AccountAccessError as error:
        if not error.refused:
            raise
        return dropped("event of an account out of reach dropped", "UnreachableAccounts", str(error), **where)


def out_of_reach(account_id: str, context: LambdaContext) -> str | None:
    """Why ``account_id`` cannot be reached, known without an AWS call, or None: a stack that is no hub
    reaches its own account alone; a hub, every account whose role has not refused it lately."""
    if accounts().is_hub:
        refusal = accounts().refusal(account_id)
        return str(refusal) if refusal is not None else None
    own = context.invoked_function_arn.split(":")[4]
    if account_id != own:
        return f"account {account_id} is not this stack's own ({own}), and a stack that is no hub reaches no other"
    return None


def ignored(event_id: str, reason: str) -> dict[str, Any]:
    logger.info("event ignored", extra={"event_id": event_id, "reason": reason})
    metrics.add_metric(name="EventsIgnored", unit=MetricUnit.Count, value=1)
    return {"ignored": reason}
