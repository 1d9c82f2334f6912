"""The application behind the evaluating functions, so that each handler stays three lines.

It reads the environment the template gives every function, wires the pipeline to AWS (clients made lazily,
once per container; member accounts reached through the roles the hub assumes there), and reports through
Powertools: structured logs naming the account, region and resources, metrics of findings by check, state
writes and API calls, and traces.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache, partial
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes import AWSConfigRuleEvent, EventBridgeEvent, SQSEvent
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from aws_lambda_powertools.utilities.typing import LambdaContext

from vpce_guard import identifiers
from vpce_guard.accounts import AccountAccessError, Accounts, MemberRoles, OrganizationAccounts, organization_accounts
from vpce_guard.aws import AwsSession
from vpce_guard.collect import CollectionError
from vpce_guard.config_rule import ConfigRule
from vpce_guard.decisions import GuardConfig
from vpce_guard.pipeline import Evaluation, Pipeline
from vpce_guard.remediation.integrity import ChangeSeal
from vpce_guard.snapshot import Scope
from vpce_guard.state import StateStore
from vpce_guard.sweep import (
    JobResult,
    SweepJob,
    SweepJobError,
    SweepLedger,
    jobs_for,
    member_accounts,
    send_jobs,
    sweep_id_for,
)
from vpce_guard.throttle import Admission, EventWindows, FollowUp, FollowUpError, queue_follow_up
from vpce_guard.trigger import ApiChange, Ignored, TriggerError, parse_api_change
from vpce_guard.vocabulary import JobStatus

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class ConfigurationError(RuntimeError):
    """The function's environment lacks what the template gives it."""


@dataclass(frozen=True)
class Environment:
    region: str
    state_table: str
    idempotency_table: str
    config_parameter: str
    organization_id: str = ""  # the stack's OrganizationId: the one organization the functions may trust
    function_name: str = "vpce-guard"
    member_roles: MemberRoles | None = None  # set on a hub: the roles it assumes in member accounts (the
    # Config rule function is given no remediation role)
    sweep_queue_url: str = ""
    follow_up_queue_url: str = ""  # the on-change function's: follow-ups of busy event windows
    sweep_regions: tuple[str, ...] = ()
    sweep_organizational_units: tuple[str, ...] = ()

    @classmethod
    def read(cls, environ: Mapping[str, str] = os.environ) -> Environment:
        names = ("AWS_REGION", "STATE_TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "VPCE_GUARD_CONFIG_PARAMETER")
        missing = [name for name in names if not environ.get(name)]
        if missing:
            raise ConfigurationError(f"missing environment variable(s) {', '.join(missing)}; deploy with template.yaml")
        read_role, remediation_role = environ.get("MEMBER_READ_ROLE_NAME"), environ.get("MEMBER_REMEDIATION_ROLE_NAME")
        if remediation_role and not read_role:
            raise ConfigurationError("MEMBER_REMEDIATION_ROLE_NAME is set without MEMBER_READ_ROLE_NAME")
        organization_id = environ.get("VPCE_GUARD_ORGANIZATION_ID", "")
        if organization_id:
            try:
                identifiers.org_id(organization_id)
            except ValueError as error:
                raise ConfigurationError(f"VPCE_GUARD_ORGANIZATION_ID: {error}") from error
        return cls(
            region=environ["AWS_REGION"],
            state_table=environ["STATE_TABLE_NAME"],
            idempotency_table=environ["IDEMPOTENCY_TABLE_NAME"],
            config_parameter=environ["VPCE_GUARD_CONFIG_PARAMETER"],
            organization_id=organization_id,
            function_name=environ.get("AWS_LAMBDA_FUNCTION_NAME") or "vpce-guard",
            member_roles=MemberRoles(read_role, remediation_role or None) if read_role else None,
            sweep_queue_url=environ.get("SWEEP_QUEUE_URL", ""),
            follow_up_queue_url=environ.get("FOLLOW_UP_QUEUE_URL", ""),
            sweep_regions=_csv(environ.get("SWEEP_REGIONS", "")),
            sweep_organizational_units=_csv(environ.get("SWEEP_ORGANIZATIONAL_UNITS", "")),
        )


@cache
def environment() -> Environment:
    return Environment.read()


@cache
def session_for(region: str) -> AwsSession:
    """One session per region for the life of the container: clients are made once, calls counted. These are
    the calls in this account's regions that evaluations make (and the AssumeRole calls into members)."""
    return AwsSession(region)


@cache
def own_session() -> AwsSession:
    """The function's own bookkeeping (configuration, state, idempotency, the sweep queue), counted apart from
    the calls an evaluation makes in the account it judges, so that those count alike for every account."""
    return AwsSession(environment().region)


@cache
def accounts() -> Accounts:
    """The accounts this function reaches; the role sessions it assumes are named after the function."""
    env = environment()
    return Accounts(session_for, env.member_roles, session_name=env.function_name)


@cache
def config_rule_accounts() -> Accounts:
    """The Config rule's accounts. Any account's Config may invoke it: a hub looks the account up in the
    organization's list (read at most every few minutes) before it asks STS for the account's role."""
    env = environment()
    if env.member_roles is None:
        return accounts()
    organization = OrganizationAccounts(lambda: organization_accounts(own_session()))
    return Accounts(session_for, env.member_roles, session_name=env.function_name, organization=organization)


# How long a warm function keeps the configuration before reading it again: the kill switch (dry_run, a check
# set to off or ticket) reaches every function within this many seconds, at one GetParameter call per function
# instance a minute.
CONFIG_MAX_AGE_SECONDS = 60


@cache
def config_parameters() -> SSMProvider:
    """The configuration's reader, with the function's own counted client; it keeps the value for
    ``CONFIG_MAX_AGE_SECONDS``."""
    return SSMProvider(boto3_client=own_session().client("ssm"))


def guard_config() -> GuardConfig:
    """The configuration in the stack's SSM parameter, at most ``CONFIG_MAX_AGE_SECONDS`` old. One that is
    invalid or names another organization than the stack's is held (it changes nothing), logged as an error
    and counted (``InvalidConfiguration``, which has an alarm) on every invocation until it is mended."""
    env = environment()
    try:
        text = config_parameters().get(env.config_parameter, max_age=CONFIG_MAX_AGE_SECONDS, decrypt=True)
    except GetParameterError as error:
        cause = error.__context__ if isinstance(error.__context__, Exception) else error
        raise CollectionError("GetParameter", env.region, cause) from error
    config = _config_of(str(text), env.config_parameter, env.organization_id)
    if config.held_because is not None:
        logger.error("configuration held: no change is made", extra={"reason": config.held_because})
        metrics.add_metric(name="InvalidConfiguration", unit=MetricUnit.Count, value=1)
    return config


@lru_cache(maxsize=1)
def _config_of(text: str, parameter: str, organization_id: str) -> GuardConfig:
    """One configuration object per text, so that the pipeline built for it is kept while the text stays."""
    return GuardConfig.for_stack(text, f"SSM parameter {parameter}", organization_id)


_pipelines: dict[bool, Pipeline] = {}


def pipeline(act: bool = True) -> Pipeline:
    """The pipeline for the current configuration, kept while the configuration stays the same; ``act`` is off
    for the Config rule, which reports and changes nothing."""
    config = guard_config()
    current = _pipelines.get(act)
    if current is None or current.config is not config:
        table = environment().state_table
        # An acting pipeline's change records carry integrity tags, which a rollback checks.
        seal = ChangeSeal.for_table(own_session().client("kms"), table) if act else None
        store = StateStore(own_session().client("dynamodb"), table, seal)
        current = _pipelines[act] = Pipeline(accounts() if act else config_rule_accounts(), store, config, act=act)
    return current


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


def dropped(message: str, metric: str, reason: str, **where: Any) -> dict[str, Any]:
    """Log and count an input that retrying cannot mend, and let it go."""
    logger.error(message, extra={**where, "reason": reason})
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    return {"ignored": reason}


def ignored(event_id: str, reason: str) -> dict[str, Any]:
    logger.info("event ignored", extra={"event_id": event_id, "reason": reason})
    metrics.add_metric(name="EventsIgnored", unit=MetricUnit.Count, value=1)
    return {"ignored": reason}


@tracer.capture_method
def handle_sweep(event: EventBridgeEvent) -> dict[str, Any]:
    """One job per (account, region) onto the sweep queue: its own account (the function's, whatever account the
    event names) and, on a hub, the member accounts."""
    env = environment()
    if not env.sweep_queue_url:
        raise ConfigurationError("missing environment variable SWEEP_QUEUE_URL; deploy with template.yaml")
    own = own_session()
    members = member_accounts(own, env.sweep_organizational_units) if accounts().is_hub else []
    account_ids = sorted({accounts().home_account_id(env.region), *members})
    regions = env.sweep_regions or (env.region,)
    jobs = jobs_for(sweep_id_for(event.time, event.get_id), account_ids, regions)
    sweep_ledger().put_pending(jobs, _now())
    send_jobs(own, env.sweep_queue_url, jobs)
    outcome = {"sweep_id": jobs[0].sweep_id if jobs else None, "accounts": len(account_ids), "regions": list(regions)}
    logger.info("sweep fanned out", extra={**outcome, "jobs": len(jobs)})
    metrics.add_metric(name="SweepJobs", unit=MetricUnit.Count, value=len(jobs))
    return {**outcome, "jobs": len(jobs)}


@tracer.capture_method
def handle_sweep_jobs(event: SQSEvent, context: LambdaContext) -> PartialItemFailureResponse:
    """Each job evaluated on its own; a failed one is reported for the queue to hand out again, alone."""
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(
        event=event.raw_event, record_handler=run_sweep_job, processor=processor, context=context
    )


def run_sweep_job(record: SQSRecord) -> dict[str, Any]:
    """Evaluate one account and region; its result is recorded either way, and a failure raised for a retry."""
    try:
        job = SweepJob.from_message(record.body)
    except SweepJobError as error:
        return dropped("malformed sweep job dropped", "MalformedEvents", str(error), message_id=record.message_id)
    attempt = int(record.attributes.approximate_receive_count)
    logger.append_keys(account_id=job.account_id, region=job.region, sweep_id=job.sweep_id)
    finished = partial(JobResult, job.sweep_id, job.account_id, job.region, attempt=attempt)
    try:
        evaluation = pipeline().evaluate(job.account_id, Scope(job.region))
    except CollectionError as error:
        sweep_ledger().put(finished(JobStatus.FAILED, updated_at=_now(), error=str(error)))
        logger.error("sweep job failed", extra={"attempt": attempt, "reason": str(error)})
        metrics.add_metric(name="SweepJobsFailed", unit=MetricUnit.Count, value=1)
        raise
    summary = report(evaluation)
    sweep_ledger().put(
        finished(
            JobStatus.DONE,
            updated_at=_now(),
            findings=len(evaluation.result.findings),
            state_writes=evaluation.changes.writes,
            api_calls=sum(evaluation.api_calls.values()),
        )
    )
    return summary


@cache
def sweep_ledger() -> SweepLedger:
    env = environment()
    return SweepLedger(own_session().client("dynamodb"), env.state_table)


def _now() -> str:
    return datetime.now(UTC).isoformat()


@tracer.capture_method
def handle_config_rule(event: AWSConfigRuleEvent) -> dict[str, Any]:
    try:
        outcome = ConfigRule(pipeline(act=False)).handle(event)
    except AccountAccessError as error:
        if not error.refused:
            raise
        # Any account's Config may invoke the evaluator; one whose read role is missing or refuses gets nothing,
        # and retrying would only fill the dead-letter queue.
        return dropped(
            "config rule of an account out of reach", "UnreachableAccounts", str(error), account_id=error.account_id
        )
    logger.info("config rule evaluated", extra=outcome)
    return outcome


def report(evaluation: Evaluation) -> dict[str, Any]:
    """Log each state change with its resource, and publish findings by check, writes, API calls and changes
    the organization-wide rate left undone."""
    changes = evaluation.changes
    for kind, labels in (("opened", changes.opened), ("updated", changes.updated), ("resolved", changes.resolved)):
        for label in labels:
            resource_id, check_id = label.split("/", 1)
            logger.info(f"finding {kind}", extra={"resource_id": resource_id, "check_id": check_id})
    for check_id, count in sorted(Counter(f.check_id for f in evaluation.result.findings).items()):
        with single_metric(name="Findings", unit=MetricUnit.Count, value=count) as metric:
            metric.add_dimension(name="check_id", value=check_id)
    metrics.add_metric(name="StateWrites", unit=MetricUnit.Count, value=changes.writes)
    if evaluation.rate_reached:
        # Changes left undone because the organization-wide rate was spent (or could not be read): alarmed.
        logger.warning("organization-wide rate of changes reached", extra={"tickets": evaluation.rate_reached})
        metrics.add_metric(name="ChangeRateReached", unit=MetricUnit.Count, value=evaluation.rate_reached)
    metrics.add_metric(name="ApiCalls", unit=MetricUnit.Count, value=sum(evaluation.api_calls.values()))
    summary = evaluation.to_dict()
    logger.info("evaluated", extra=summary)
    return summary


def _csv(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())
