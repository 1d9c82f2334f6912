"""Sweep: on its schedule, one job per (account, region) onto the sweep queue; no evaluation of its own."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

from vpce_guard.lambda_app import ConfigurationError, accounts, environment, logger, metrics, own_session, tracer
from vpce_guard.sweep import SweepLedger, jobs_for, member_accounts, send_jobs, sweep_id_for


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
    sweep_ledger().put_pending(jobs, now())
    send_jobs(own, env.sweep_queue_url, jobs)
    outcome = {"sweep_id": jobs[0].sweep_id if jobs else None, "accounts": len(account_ids), "regions": list(regions)}
    logger.info("sweep fanned out", extra={**outcome, "jobs": len(jobs)})
    metrics.add_metric(name="SweepJobs", unit=MetricUnit.Count, value=len(jobs))
    return {**outcome, "jobs": len(jobs)}


@cache
def sweep_ledger() -> SweepLedger:
    env = environment()
    return SweepLedger(own_session().client("dynamodb"), env.state_table)


def now() -> str:
    return datetime.now(UTC).isoformat()
