"""Evidence benchmark: what reading one endpoint's CloudTrail evidence costs, in LookupEvents calls and time.

The emulator's event history holds 30 days of an account's management events: 1,000 STS events (600 through
the endpoint read, 400 through another) and 2,000 of other services. The read filters on the endpoint's event
source, so it pages through the 1,000 STS events only: 20 calls, the floor for them at 50 a page, paced at the
2 requests per second AWS allows (real time here, not an injected clock). Without the filter it would take
60 pages, three times the calls and the time, and stop at the page cap with a partial result.
"""

from __future__ import annotations

import math
import os
import time
from datetime import UTC, datetime, timedelta

from vpce_guard.aws import AwsSession
from vpce_guard.evidence import PAGE_SIZE, endpoint_activity
from vpce_guard_local.emulator import Emulator

REGION = "us-east-1"
ACCOUNT = "123456789012"
ENDPOINT = "vpce-0a1b2c3d4e5f60718"
OTHER_ENDPOINT = "vpce-0f9e8d7c6b5a40312"
STS_EVENTS = 1_000
THROUGH_ENDPOINT = 600
OTHER_SERVICE_EVENTS = 2_000
OTHER_SOURCES = ("s3.amazonaws.com", "ec2.amazonaws.com", "kms.amazonaws.com", "logs.amazonaws.com")


def history(now: datetime) -> list[dict[str, object]]:
    """An account's month of management events, spread evenly over 29 days."""
    spacing = timedelta(days=29) / (STS_EVENTS + OTHER_SERVICE_EVENTS)
    records: list[dict[str, object]] = []
    for n in range(STS_EVENTS + OTHER_SERVICE_EVENTS):
        sts = n < STS_EVENTS
        records.append(
            {
                "eventName": "AssumeRole" if sts else "DescribeSomething",
                "eventSource": "sts.amazonaws.com" if sts else OTHER_SOURCES[n % len(OTHER_SOURCES)],
                "eventTime": (now - spacing * (n + 1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "userIdentity": {
                    "type": "AssumedRole",
                    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app-{n % 7}/session-{n}",
                    "accountId": ACCOUNT,
                    "principalId": f"AROAEXAMPLE:session-{n}",
                    "sessionContext": {"sessionIssuer": {"arn": f"arn:aws:iam::{ACCOUNT}:role/app-{n % 7}"}},
                },
                "vpcEndpointId": ENDPOINT if n < THROUGH_ENDPOINT else OTHER_ENDPOINT,
                "recipientAccountId": ACCOUNT,
                "awsRegion": REGION,
                "requestParameters": None,
            }
        )
    return records


def main() -> None:
    now = datetime.now(UTC)
    with Emulator(region=REGION) as emulator:
        os.environ.update(emulator.client_environment())
        emulator.record_cloudtrail_events(history(now))
        session = AwsSession(REGION, endpoint_url=emulator.url)
        started = time.perf_counter()
        activity = endpoint_activity(session, ENDPOINT, "sts", now=lambda: now)
        seconds = time.perf_counter() - started
    print(f"event history: {STS_EVENTS + OTHER_SERVICE_EVENTS} events, {THROUGH_ENDPOINT} through the endpoint")
    print(f"read: {session.counter.summary()} in {seconds:.1f} s")
    print(f"pages: {activity.pages_read}, events read: {activity.events_read}, partial: {activity.partial}")
    print(f"found: {sum(use.calls for use in activity.uses)} calls by {len(activity.uses)} (caller, action) pairs")
    unfiltered_pages = math.ceil((STS_EVENTS + OTHER_SERVICE_EVENTS) / PAGE_SIZE)
    print(f"without the EventSource filter: {unfiltered_pages} pages, at least {(unfiltered_pages - 2) / 2 + 1:.0f} s")


if __name__ == "__main__":
    main()
