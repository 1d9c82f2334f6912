"""Config rule: an AWS Config custom Lambda rule over AWS::EC2::VPCEndpoint (changes and periodic)."""

from typing import Any

from aws_lambda_powertools.utilities.data_classes import AWSConfigRuleEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from vpce_guard.functions.config_rule import handle_config_rule
from vpce_guard.lambda_app import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=AWSConfigRuleEvent)
def handler(event: AWSConfigRuleEvent, context: LambdaContext) -> dict[str, Any]:
    return handle_config_rule(event)
