"""On-change: a CloudTrail-recorded EC2 call (via EventBridge) → the endpoints it can affect, judged afresh.

Duplicate deliveries of one event (EventBridge delivers at least once) do the work once; a malformed event
is logged and dropped, since retrying cannot mend it.
"""

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from vpce_guard.lambda_app import handle_change, logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    return handle_change(event, context)
