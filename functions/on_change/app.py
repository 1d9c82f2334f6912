"""On-change: a CloudTrail-recorded EC2 call (via EventBridge) → the endpoints it can affect, judged afresh; and
the follow-ups it queued for itself, each judging a whole account and Region after a minute of many events.

Duplicate deliveries of one event (EventBridge delivers at least once) do the work once; a malformed event
is logged and dropped, since retrying cannot mend it.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from vpce_guard.functions.on_change import handle_on_change
from vpce_guard.lambda_app import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: Any, context: LambdaContext) -> Any:
    return handle_on_change(event, context)
