"""Shared by the notifier's tests: findings written the way the pipeline writes them, and batches retried the
way Lambda retries a stream batch that reports failed items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from vpce_guard.findings import ENDPOINT_RESOURCE, Finding, Remediation, Severity
from vpce_guard.notify.events import StateChange
from vpce_guard.notify.function import deliver_batch
from vpce_guard.notify.notifier import Notifier
from vpce_guard.state import Judged, StateStore
from vpce_guard.vocabulary import Status

ACCOUNT = "123456789012"
REGION = "us-east-1"
VPC = "vpc-0a1b2c3d4e5f60718"
ENDPOINT = "vpce-0123456789abcdef0"
OTHER_ENDPOINT = "vpce-0fedcba9876543210"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def dns_finding(endpoint: str = ENDPOINT, names: Sequence[str] = ("ssm.us-east-1.amazonaws.com",)) -> Finding:
    return Finding(
        check_id="private-dns-disabled",
        resource_type=ENDPOINT_RESOURCE,
        resource_id=endpoint,
        account_id=ACCOUNT,
        region=REGION,
        vpc_id=VPC,
        service_name=f"com.amazonaws.{REGION}.ssm",
        severity=Severity.HIGH,
        title="Interface endpoint has private DNS disabled",
        detail=f"Private DNS is off on {endpoint}: {names[0]} still resolves to public addresses.",
        evidence={"private_dns_enabled": False, "private_dns_names": list(names)},
        remediation=Remediation(action="enable-private-dns", automatic=True),
    )


def ticketed_change(event_id: str) -> StateChange:
    """A new finding, ticketed: the state change each channel's tests start from."""
    return StateChange(
        event_id=event_id,
        account_id=ACCOUNT,
        region=REGION,
        resource_id=ENDPOINT,
        check_id="private-dns-disabled",
        vpc_id=VPC,
        old_status=None,
        new_status="TICKETED",
        finding=dns_finding().to_dict(),
    )


def record(
    store: StateStore,
    findings: Sequence[Finding],
    minutes: int,
    status: Status = Status.TICKETED,
) -> None:
    """The region judged at ``T0 + minutes`` with these findings, each given ``status`` by its decision."""
    judged = Judged(ACCOUNT, REGION, None, T0 + timedelta(minutes=minutes))
    statuses = {(finding.resource_id, finding.check_id): status for finding in findings}
    store.record(judged, findings, statuses=statuses)


def deliver_like_lambda(
    records: Sequence[Mapping[str, Any]], notifier: Notifier, attempts: int = 30
) -> list[dict[str, Any]]:
    """Deliver records in one batch, then, as Lambda does for ReportBatchItemFailures, again from the first
    failed record, until none fails; every response, in order."""
    responses: list[dict[str, Any]] = []
    batch = list(records)
    for _ in range(attempts):
        response = dict(deliver_batch({"Records": batch}, notifier))
        responses.append(response)
        failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
        if not failed:
            return responses
        first = min(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed)
        batch = batch[first:]
    raise AssertionError(f"still failing after {attempts} deliveries: {responses[-1]}")
