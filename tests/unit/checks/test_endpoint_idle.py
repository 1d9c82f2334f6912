"""endpoint-idle: one test per scenario of the module docstring."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from facts_builders import facts, gateway_endpoint, interface_endpoint, private_subnets

from vpce_guard.checks import endpoint_idle
from vpce_guard.checks.base import CheckSettings
from vpce_guard.facts import Endpoint, Facts, Subnet, Traffic
from vpce_guard.findings import Finding, Severity
from vpce_guard.snapshot import TrafficWindow

WINDOW = TrafficWindow(datetime(2026, 11, 23, 7, 0, tzinfo=UTC), datetime(2026, 12, 7, 7, 0, tzinfo=UTC))
LONG_AGO = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
ENDPOINT = "vpce-0interface000001"


def run(estate: Facts) -> list[Finding]:
    return list(endpoint_idle.evaluate(estate, CheckSettings()))


def made(at: datetime | None, *, subnets: Iterable[Subnet] | None = None, state: str = "available") -> Endpoint:
    return msgspec.structs.replace(interface_endpoint(ENDPOINT, subnets=subnets, state=state), created_at=at)


def estate(endpoint: Endpoint, processed: Mapping[str, float] | None = None) -> Facts:
    traffic = Traffic(WINDOW, {endpoint.id: 0.0} if processed is None else processed)
    return msgspec.structs.replace(facts(endpoints=[endpoint]), traffic=traffic)


def test_an_old_endpoint_without_traffic_is_a_low_ticket() -> None:
    (finding,) = run(estate(made(LONG_AGO)))

    assert (finding.check_id, finding.resource_id, finding.severity) == ("endpoint-idle", ENDPOINT, Severity.LOW)
    assert (finding.remediation.action, finding.remediation.automatic) == ("delete-idle-endpoint", False)


def test_evidence_holds_the_window_the_creation_time_and_the_bytes() -> None:
    (finding,) = run(estate(made(LONG_AGO)))

    assert finding.evidence == {
        "traffic_window": {"start": "2026-11-23T07:00:00+00:00", "end": "2026-12-07T07:00:00+00:00"},
        "created_at": "2026-09-01T12:00:00+00:00",
        "bytes_processed": 0.0,
    }


def test_detail_names_the_endpoint_the_days_and_the_zones_billed() -> None:
    (finding,) = run(estate(made(LONG_AGO, subnets=private_subnets((0, 1)))))

    assert finding.detail.startswith(f"{ENDPOINT} (com.amazonaws.us-east-1.bedrock-runtime) processed no traffic")
    assert "in the 14 days from 2026-11-23 07:00 to 2026-12-07 07:00 UTC" in finding.detail
    assert "each of its 2 zone(s)" in finding.detail


def test_an_endpoint_made_at_the_windows_start_has_had_the_whole_window() -> None:
    assert len(run(estate(made(WINDOW.start)))) == 1


def test_an_endpoint_with_any_traffic_is_no_finding() -> None:
    assert run(estate(made(LONG_AGO), {ENDPOINT: 1.0})) == []


def test_an_endpoint_made_after_the_window_began_is_too_young_to_judge() -> None:
    assert run(estate(made(WINDOW.start + timedelta(minutes=1)))) == []


def test_an_endpoint_without_a_creation_time_is_no_finding() -> None:
    assert run(estate(made(None))) == []


def test_an_endpoint_the_traffic_read_did_not_answer_for_is_no_finding() -> None:
    assert run(estate(made(LONG_AGO), {})) == []


def test_traffic_not_read_is_no_finding() -> None:
    assert run(facts(endpoints=[made(LONG_AGO)])) == []


def test_a_gateway_endpoint_is_no_finding() -> None:
    gateway = msgspec.structs.replace(gateway_endpoint(), created_at=LONG_AGO)

    assert run(estate(gateway)) == []


@pytest.mark.parametrize("state", ["deleting", "deleted", "failed", "rejected", "expired"])
def test_an_inactive_endpoint_is_no_finding(state: str) -> None:
    assert run(estate(made(LONG_AGO, state=state))) == []
