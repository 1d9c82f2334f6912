"""Sweep worker: one (account, region) of a sweep per queue message, judged afresh and its result recorded."""

from __future__ import annotations

from functools import partial
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from vpce_guard.aws import CollectionError
from vpce_guard.functions.evaluation import pipeline, report
from vpce_guard.functions.sweep import now, sweep_ledger
from vpce_guard.lambda_app import dropped, logger, metrics, tracer
from vpce_guard.snapshot import Scope
from vpce_guard.sweep import JobResult, SweepJob, SweepJobError
from vpce_guard.vocabulary import JobStatus


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
        sweep_ledger().put(finished(JobStatus.FAILED, updated_at=now(), error=str(error)))
        logger.error("sweep job failed", extra={"attempt": attempt, "reason": str(error)})
        metrics.add_metric(name="SweepJobsFailed", unit=MetricUnit.Count, value=1)
        raise
    summary = report(evaluation)
    sweep_ledger().put(
        finished(
            JobStatus.DONE,
            updated_at=now(),
            findings=len(evaluation.result.findings),
            state_writes=evaluation.changes.writes,
            api_calls=sum(evaluation.api_calls.values()),
        )
    )
    return summary
