"""Sweep: on its schedule, one job per (account, region) onto the sweep queue, catching lost events and drift."""

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from vpce_guard.functions.sweep import handle_sweep
from vpce_guard.lambda_app import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    return handle_sweep(event)
