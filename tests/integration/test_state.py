"""The state table through the emulator over HTTP, built from the template's own StateTable definition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from vpce_guard.aws import AwsSession
from vpce_guard.findings import ENDPOINT_RESOURCE, Finding, Remediation, Severity
from vpce_guard.state import ChangeRecord, Judged, StateStore
from vpce_guard.vocabulary import Status
from vpce_guard_local.demo import REGION

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"
T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def finding(resource_id: str = "vpce-1", check_id: str = "private-dns-disabled", vpc_id: str = "vpc-1") -> Finding:
    return Finding(
        check_id=check_id,
        resource_type=ENDPOINT_RESOURCE,
        resource_id=resource_id,
        account_id=ACCOUNT,
        region=REGION,
        vpc_id=vpc_id,
        service_name="com.amazonaws.us-east-1.sts",
        severity=Severity.HIGH,
        title="t",
        detail="d",
        evidence={"private_dns_enabled": False},
        remediation=Remediation("enable-private-dns", True),
    )


def judged(at: datetime, vpc_ids: tuple[str, ...] | None = ("vpc-1",)) -> Judged:
    return Judged(ACCOUNT, REGION, vpc_ids, at)


def puts(session: AwsSession) -> int:
    return session.counter.calls["PutItem"]


def test_a_new_finding_is_recorded_open(store: StateStore) -> None:
    changes = store.record(judged(T0), [finding()])

    (record,) = store.records(ACCOUNT, REGION)
    assert changes.opened == ["vpce-1/private-dns-disabled"]
    assert (record.status, record.first_seen, record.last_seen) == (Status.OPEN, T0.isoformat(), T0.isoformat())


def test_an_unchanged_evaluation_writes_nothing(store: StateStore, session: AwsSession) -> None:
    store.record(judged(T0), [finding()])
    before = puts(session)

    changes = store.record(judged(T0 + timedelta(hours=1)), [finding()])

    assert (changes.writes, changes.unchanged, puts(session) - before) == (0, 1, 0)


def test_a_changed_finding_is_updated_keeping_first_seen(store: StateStore) -> None:
    store.record(judged(T0), [finding()])
    later = T0 + timedelta(hours=1)

    changes = store.record(judged(later), [msgspec.structs.replace(finding(), severity=Severity.LOW)])

    (record,) = store.records(ACCOUNT, REGION)
    assert changes.updated == ["vpce-1/private-dns-disabled"]
    assert (record.severity, record.first_seen, record.last_seen) == ("LOW", T0.isoformat(), later.isoformat())


def test_a_finding_that_stops_firing_is_resolved_with_an_expiry(store: StateStore) -> None:
    store.record(judged(T0), [finding()])
    later = T0 + timedelta(hours=1)

    changes = store.record(judged(later), [])

    (record,) = store.records(ACCOUNT, REGION)
    assert changes.resolved == ["vpce-1/private-dns-disabled"]
    assert record.status is Status.RESOLVED
    assert record.expires_at is not None
    assert record.expires_at > int(later.timestamp())


def test_a_resolved_finding_that_fires_again_is_reopened(store: StateStore) -> None:
    store.record(judged(T0), [finding()])
    store.record(judged(T0 + timedelta(hours=1)), [])
    again = T0 + timedelta(hours=2)

    changes = store.record(judged(again), [finding()])

    (record,) = store.records(ACCOUNT, REGION)
    assert changes.opened == ["vpce-1/private-dns-disabled"]
    assert (record.status, record.first_seen) == (Status.OPEN, again.isoformat())


def test_facts_older_than_the_stored_state_cannot_overwrite_it(store: StateStore) -> None:
    store.record(judged(T0 + timedelta(minutes=5)), [finding()])

    changes = store.record(judged(T0), [])

    (record,) = store.records(ACCOUNT, REGION)
    assert changes.superseded == ["vpce-1/private-dns-disabled"]
    assert record.status is Status.OPEN


def test_an_evaluation_of_one_vpc_leaves_other_vpcs_alone(store: StateStore) -> None:
    store.record(judged(T0, None), [finding("vpce-1", vpc_id="vpc-1"), finding("vpce-2", vpc_id="vpc-2")])

    changes = store.record(judged(T0 + timedelta(hours=1), ("vpc-2",)), [])

    assert changes.resolved == ["vpce-2/private-dns-disabled"]
    assert {r.resource_id: r.status for r in store.records(ACCOUNT, REGION)} == {
        "vpce-1": Status.OPEN,
        "vpce-2": Status.RESOLVED,
    }


def test_resolved_history_past_its_expiry_is_ignored(store: StateStore) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=400)
    store.record(judged(long_ago), [finding()])
    store.record(judged(long_ago + timedelta(hours=1)), [])

    assert store.records(ACCOUNT, REGION) == []


def test_records_of_a_deleted_resource_are_resolved_whatever_their_vpc(store: StateStore) -> None:
    store.record(judged(T0), [finding("vpce-1"), finding("vpce-1", check_id="az-coverage")])

    changes = store.resolve_resources(judged(T0 + timedelta(hours=1), ()), ["vpce-1"])

    assert sorted(changes.resolved) == ["vpce-1/az-coverage", "vpce-1/private-dns-disabled"]


def test_records_keep_the_finding_as_last_seen(store: StateStore) -> None:
    store.record(judged(T0), [finding()])

    (record,) = store.records(ACCOUNT, REGION)

    assert record.finding == finding().to_dict()


def test_the_table_has_the_keys_and_index_the_store_uses(session: AwsSession, state_table: str) -> None:
    table: dict[str, Any] = session.client("dynamodb").describe_table(TableName=state_table)["Table"]

    assert [key["AttributeName"] for key in table["KeySchema"]] == ["pk", "sk"]
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["by-scope"]


def test_older_facts_write_nothing_where_a_newer_change_evaluation_found_nothing_to_write(store: StateStore) -> None:
    store.record(judged(T0 + timedelta(minutes=5)), [], claim=True)

    changes = store.record(judged(T0), [finding()])

    assert store.records(ACCOUNT, REGION) == []
    assert changes.superseded == ["vpce-1/private-dns-disabled"]


def test_an_older_change_evaluation_cannot_claim_a_vpc_judged_from_newer_facts(store: StateStore) -> None:
    store.record(judged(T0 + timedelta(minutes=5)), [], claim=True)

    changes = store.record(judged(T0), [finding()], claim=True)

    assert (changes.opened, changes.superseded) == ([], ["vpc-1/*"])


class LaggingIndex(StateStore):
    """A store whose index read has not caught up with the latest writes, as a GSI may lag in AWS."""

    def records(self, account_id: str, region: str, vpc_ids: Any = None) -> list[Any]:
        return []


def test_a_lagging_index_read_cannot_open_a_finding_twice(store: StateStore, session: AwsSession) -> None:
    store.record(judged(T0), [finding()])
    lagging = LaggingIndex(session.client("dynamodb"), store.table_name)

    changes = lagging.record(judged(T0 + timedelta(hours=1)), [finding()])

    assert (changes.opened, changes.superseded) == ([], ["vpce-1/private-dns-disabled"])
    assert store.records(ACCOUNT, REGION)[0].last_seen == T0.isoformat()


def test_a_finding_is_recorded_with_the_status_its_decision_gives(store: StateStore) -> None:
    store.record(judged(T0), [finding()], statuses={("vpce-1", "private-dns-disabled"): Status.TICKETED})

    (record,) = store.records(ACCOUNT, REGION)

    assert record.status is Status.TICKETED


def test_a_status_change_alone_is_written(store: StateStore) -> None:
    store.record(judged(T0), [finding()])

    changes = store.record(
        judged(T0 + timedelta(hours=1)), [finding()], statuses={("vpce-1", "private-dns-disabled"): Status.EXEMPT}
    )

    assert changes.updated == ["vpce-1/private-dns-disabled"]


def test_a_remediated_finding_that_no_longer_fires_stays_remediated(store: StateStore) -> None:
    store.record(judged(T0), [finding()], statuses={("vpce-1", "private-dns-disabled"): Status.REMEDIATED})

    changes = store.record(judged(T0 + timedelta(hours=1)), [])

    (record,) = store.records(ACCOUNT, REGION)
    assert (changes.writes, record.status) == (0, Status.REMEDIATED)


def test_only_one_holder_at_a_time_gets_a_resources_lease(store: StateStore) -> None:
    first = store.acquire_lease(ACCOUNT, REGION, "vpce-1", "event-a", T0)
    second = store.acquire_lease(ACCOUNT, REGION, "vpce-1", "event-b", T0)
    store.release_lease(ACCOUNT, REGION, "vpce-1", "event-a")
    third = store.acquire_lease(ACCOUNT, REGION, "vpce-1", "event-b", T0)

    assert (first, second, third) == (True, False, True)


def test_a_lease_whose_holder_died_expires(store: StateStore) -> None:
    store.acquire_lease(ACCOUNT, REGION, "vpce-1", "event-a", T0)

    assert store.acquire_lease(ACCOUNT, REGION, "vpce-1", "event-b", T0 + timedelta(minutes=10))


def test_changes_are_recorded_and_listed_newest_first_apart_from_findings(store: StateStore) -> None:
    store.record(judged(T0), [finding()])
    for change_id in ("20261122T120000-aaaa", "20261122T130000-bbbb"):
        store.put_change(
            ChangeRecord(change_id, ACCOUNT, REGION, "vpce-1", "endpoint", "vpc-1", "private-dns-disabled",
                         "REMEDIATED", T0.isoformat(), ("ModifyVpcEndpoint",), {"PrivateDnsEnabled": False},
                         {"PrivateDnsEnabled": True})
        )  # fmt: skip

    assert [change.change_id for change in store.changes()] == ["20261122T130000-bbbb", "20261122T120000-aaaa"]
    assert store.change("20261122T120000-aaaa").before == {"PrivateDnsEnabled": False}  # type: ignore[union-attr]
    assert [record.check_id for record in store.all_records()] == ["private-dns-disabled"]


def test_the_outcome_of_a_change_made_is_recorded_even_where_newer_facts_claimed_the_vpc(store: StateStore) -> None:
    key = ("vpce-1", "private-dns-disabled")
    store.record(judged(T0 + timedelta(minutes=5)), [], claim=True)

    changes = store.record(
        judged(T0), [finding()], claim=True, statuses={key: Status.REMEDIATED}, change_ids={key: "20261122T120000-aaaa"}
    )

    (record,) = store.records(ACCOUNT, REGION)
    assert (record.status, changes.opened) == (Status.REMEDIATED, ["vpce-1/private-dns-disabled"])
