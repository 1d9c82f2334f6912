"""delete-idle-endpoint: one test per scenario of the playbook's docstring."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from remediation_builders import ticketed
from unit.checks.facts_builders import facts, interface_endpoint

from vpce_guard.facts import Traffic
from vpce_guard.snapshot import TrafficWindow

WINDOW = TrafficWindow(datetime(2026, 11, 23, 7, 0, tzinfo=UTC), datetime(2026, 12, 7, 7, 0, tzinfo=UTC))


def test_an_idle_endpoint_is_a_ticket_naming_it_its_service_and_the_days_without_traffic() -> None:
    endpoint = msgspec.structs.replace(interface_endpoint(), created_at=datetime(2026, 9, 1, tzinfo=UTC))
    estate = msgspec.structs.replace(facts(endpoints=[endpoint]), traffic=Traffic(WINDOW, {endpoint.id: 0.0}))

    ticket = ticketed("endpoint-idle", estate)

    assert ticket.reason == (
        "endpoints are never deleted automatically: delete vpce-0interface000001 "
        "(com.amazonaws.us-east-1.bedrock-runtime) if nothing in vpc-0a1b2c3d4e5f60001 needs it; it processed no "
        "traffic from 2026-11-23T07:00:00+00:00 to 2026-12-07T07:00:00+00:00"
    )
