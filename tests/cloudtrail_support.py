"""CloudTrail records for the evidence tests, in the format of a trail's log files, and a clock of the tests' own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ENDPOINT = "vpce-0a1b2c3d4e5f60718"
OTHER_ENDPOINT = "vpce-0f9e8d7c6b5a40312"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app"


def assumed_role(role_arn: str = ROLE_ARN, session: str = "i-0123456789abcdef0") -> dict[str, Any]:
    role_name = role_arn.rsplit("/", 1)[-1]
    account = role_arn.split(":")[4]
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}",
        "accountId": account,
        "accessKeyId": "ASIAEXAMPLE",
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role_arn, "accountId": account}},
    }


def record(
    event_name: str = "GetCallerIdentity",
    *,
    source: str = "sts.amazonaws.com",
    at: datetime = NOW - timedelta(days=1),
    identity: dict[str, Any] | None = None,
    endpoint: str | None = ENDPOINT,
    **fields: Any,
) -> dict[str, Any]:
    """A CloudTrail record of a call (through ``endpoint`` unless None)."""
    made: dict[str, Any] = {
        "eventVersion": "1.09",
        "eventName": event_name,
        "eventSource": source,
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "userIdentity": identity or assumed_role(),
        "recipientAccountId": ACCOUNT,
        "awsRegion": REGION,
        "requestParameters": None,
        **fields,
    }
    if endpoint is not None:
        made["vpcEndpointId"] = endpoint
    return made


def create_tags(
    resource_id: str, value: str, role_arn: str = ROLE_ARN, at: datetime = NOW - timedelta(days=1), **fields: Any
) -> dict[str, Any]:
    """CloudTrail's record of a CreateTags call that set ``vpce-guard:exempt`` to ``value`` on ``resource_id``."""
    return record(
        "CreateTags",
        source="ec2.amazonaws.com",
        at=at,
        identity=assumed_role(role_arn, session="alice"),
        endpoint=None,
        requestParameters={
            "resourcesSet": {"items": [{"resourceId": resource_id}]},
            "tagSet": {"items": [{"key": "vpce-guard:exempt", "value": value}]},
        },
        resources=[{"ARN": resource_id, "type": "AWS::EC2::VPCEndpoint"}],
        **fields,
    )


@dataclass
class FakeTime:
    """A monotonic clock that only ``sleep`` moves: tests pace and back off without waiting."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
