"""A DeleteVpcEndpoints naming many endpoints: their records are read by key in batches, whatever their VPC,
and every one still open is resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from evaluation_clock import Clock

from vpce_guard.accounts import Accounts
from vpce_guard.aws import AwsSession
from vpce_guard.checks import CHECKS
from vpce_guard.decisions import GuardConfig
from vpce_guard.findings import ENDPOINT_RESOURCE, Finding, Remediation, Severity
from vpce_guard.pipeline import Pipeline
from vpce_guard.state import KEYS_PER_READ, Judged, StateStore
from vpce_guard.trigger import ApiChange
from vpce_guard_local.demo import REGION

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"
DELETED = 25  # endpoints of one call, in three VPCs: 250 keys, three batch reads
LONG_AGO = datetime(2026, 11, 1, tzinfo=UTC)


def endpoint_id(n: int) -> str:
    return f"vpce-{n:017x}"


def finding(n: int, check_id: str) -> Finding:
    return Finding(
        check_id=check_id,
        resource_type=ENDPOINT_RESOURCE,
        resource_id=endpoint_id(n),
        account_id=ACCOUNT,
        region=REGION,
        vpc_id=f"vpc-{n % 3:017x}",
        service_name="com.amazonaws.us-east-1.ssm",
        severity=Severity.HIGH,
        title="t",
        detail="d",
        evidence={},
        remediation=Remediation("enable-private-dns", True),
    )


def deleted(count: int) -> ApiChange:
    ids = tuple(endpoint_id(n) for n in range(count))
    return ApiChange("e1", "DeleteVpcEndpoints", ACCOUNT, REGION, "2026-11-22T12:00:00Z", endpoint_ids=ids)


@pytest.fixture
def recorded(store: StateStore) -> list[str]:
    """An open finding on each endpoint of the call, of one check or another, and one endpoint of another call."""
    findings = [finding(n, ("private-dns-disabled", "az-coverage")[n % 2]) for n in range(DELETED + 1)]
    vpcs = tuple(sorted({f.vpc_id for f in findings}))
    return store.record(Judged(ACCOUNT, REGION, vpcs, LONG_AGO), findings).opened


def test_every_open_record_of_the_deleted_endpoints_is_resolved_and_no_other(
    session: AwsSession, store: StateStore, recorded: list[str]
) -> None:
    pipeline = Pipeline(Accounts(lambda region: session), store, GuardConfig(), clock=Clock())

    evaluation = pipeline.on_change(deleted(DELETED))

    assert evaluation is not None
    assert sorted(evaluation.changes.resolved) == sorted(
        label for label in recorded if not label.startswith(endpoint_id(DELETED))
    )
    (still_open,) = {r.resource_id for r in store.records(ACCOUNT, REGION) if not r.status.is_closed}
    assert still_open == endpoint_id(DELETED)


def test_the_records_are_read_in_a_bounded_number_of_batch_reads(
    session: AwsSession, store: StateStore, recorded: list[str]
) -> None:
    pipeline = Pipeline(Accounts(lambda region: session), store, GuardConfig(), clock=Clock())
    before = session.counter.calls.copy()

    pipeline.on_change(deleted(DELETED))

    calls = session.counter.calls - before
    assert calls["BatchGetItem"] == -(-DELETED * len(CHECKS) // KEYS_PER_READ)
    assert calls["Query"] == 0
    assert calls["TransactWriteItems"] == DELETED  # one per record resolved
    assert calls["DescribeVpcEndpoints"] == -(-DELETED // 200)  # the filter's 200 values a call


def test_a_resolution_is_newer_than_the_records_it_resolves(store: StateStore, recorded: list[str]) -> None:
    changes = store.resolve_resources(Judged(ACCOUNT, REGION, (), LONG_AGO - timedelta(days=1)), [endpoint_id(0)])

    assert changes.resolved == []
    assert len(changes.superseded) == 1
