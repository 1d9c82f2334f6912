"""endpoint-idle: an interface endpoint that has existed for the whole traffic window processed no byte in it.

Why: an interface endpoint is billed for every hour in every zone it sits in, whether or not anything calls
through it (seeds 000 and 002: about a cent per zone-hour, some seven dollars a month per zone, against a free
gateway endpoint), so one that carries nothing is money spent for nothing. AWS PrivateLink publishes the
bytes an endpoint processes to CloudWatch (AWS/PrivateLinkEndpoints BytesProcessed) only for the minutes it
carried traffic, so an endpoint read with no data point over the window processed nothing. Deleting an
endpoint takes a service away from whoever might still need it (a failover path, a monthly job), so the
finding is a ticket and an endpoint is never deleted automatically.

The window is the one the traffic was read over (``CheckSettings.traffic_days`` up to the scan, 14 days by
default); an endpoint created after the window began has not had the whole window to carry traffic.

Scenarios:
- an active interface endpoint created at or before the window's start, with zero bytes over the window ->
  LOW finding, a ticket, with the window, the creation time and the bytes;
- the same endpoint with any traffic -> no finding;
- an endpoint created after the window began -> no finding (too young to judge);
- an endpoint whose creation time the API did not give -> no finding;
- an endpoint the traffic read did not answer for (missing from the traffic) -> no finding: a problem
  already says why;
- traffic not read at all (a snapshot saved without it) -> no finding: the scan reports a problem;
- gateway endpoints (free, and without metrics) and inactive endpoints -> no finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC

from vpce_guard.checks.base import Check, CheckSettings
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding, Severity


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    traffic = facts.traffic
    if traffic is None:
        return
    window = traffic.window
    for endpoint in facts.active_endpoints:
        if not endpoint.is_interface or endpoint.created_at is None or endpoint.created_at > window.start:
            continue
        processed = traffic.bytes_processed.get(endpoint.id)
        if processed is None or processed > 0:
            continue
        start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
        yield CHECK.endpoint_finding(
            facts,
            endpoint,
            f"{endpoint.id} ({endpoint.service_name}) processed no traffic in the {window.days:g} days from "
            f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC, though it has existed since "
            f"{endpoint.created_at:%Y-%m-%d}: it is billed all the same, every hour in each of its "
            f"{len(endpoint.subnet_ids)} zone(s). Delete it if nothing in {endpoint.vpc_id} needs it, or exempt "
            "it if it stands by for a rare caller.",
            {
                "traffic_window": window.to_dict(),
                "created_at": endpoint.created_at.isoformat(),
                "bytes_processed": processed,
            },
        )


CHECK = Check(
    id="endpoint-idle",
    severity=Severity.LOW,
    title="Interface endpoint processed no traffic",
    remediation_action="delete-idle-endpoint",
    automatic=False,
    evaluate=evaluate,
    reads_traffic=True,
)
