"""Sweep worker: one (account, region) of a sweep per queue message, judged afresh and its result recorded.

A job that fails is reported for the queue to hand out again (ReportBatchItemFailures), on its own.
"""

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes import SQSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from vpce_guard.functions.sweep_worker import handle_sweep_jobs
from vpce_guard.lambda_app import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=SQSEvent)
def handler(event: SQSEvent, context: LambdaContext) -> PartialItemFailureResponse:
    return handle_sweep_jobs(event, context)
