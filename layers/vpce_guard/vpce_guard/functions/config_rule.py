"""Config rule: an AWS Config custom Lambda rule over AWS::EC2::VPCEndpoint (changes and periodic); it reports
and changes nothing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import AWSConfigRuleEvent

from vpce_guard.accounts import AccountAccessError
from vpce_guard.config_rule import ConfigRule
from vpce_guard.functions.evaluation import pipeline
from vpce_guard.lambda_app import dropped, logger, tracer


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
