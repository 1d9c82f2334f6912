"""What the evaluating functions (on-change, Config rule, sweep worker) share: the configuration, read from
the stack's SSM parameter; the pipeline built for it; and the report of an evaluation in logs and metrics."""

from __future__ import annotations

from collections import Counter
from functools import cache, lru_cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from vpce_guard.aws import CollectionError
from vpce_guard.decisions import GuardConfig
from vpce_guard.lambda_app import (
    API_EGRESS_ENDPOINTS,
    accounts,
    config_rule_accounts,
    environment,
    logger,
    metrics,
    own_session,
)
from vpce_guard.pipeline import Evaluation, Pipeline
from vpce_guard.remediation.integrity import ChangeSeal
from vpce_guard.state import StateStore

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
        raise CollectionError("GetParameter", env.region, cause, service="ssm") from error
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
        env = environment()
        # An acting pipeline's change records carry integrity tags, which a rollback checks.
        seal = ChangeSeal.for_table(own_session().client("kms"), env.state_table) if act else None
        store = StateStore(own_session().client("dynamodb"), env.state_table, seal)
        current = _pipelines[act] = Pipeline(
            accounts() if act else config_rule_accounts(),
            store,
            config,
            act=act,
            reaches_s3=env.api_egress != API_EGRESS_ENDPOINTS,
        )
    return current


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
