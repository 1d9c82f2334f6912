"""Notifier: the state table's stream (the outbox) → one ticket per finding and an announcement per change.

A batch's failed records are reported for Lambda to retry (ReportBatchItemFailures); deliveries already made
are never repeated (vpce_guard.notify).
"""

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from vpce_guard.notify.function import handle_stream, logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=DynamoDBStreamEvent)
def handler(event: DynamoDBStreamEvent, context: LambdaContext) -> PartialItemFailureResponse:
    return handle_stream(event, context)
