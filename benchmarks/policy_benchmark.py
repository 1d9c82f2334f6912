"""Policy benchmark: the worst endpoint policies AWS accepts (20,480 characters), judged by the four policy
checks, and a rewrite of one judged against it.

The shapes that cost most: as many Allow statements as fit, as many Deny guards as fit, and half of each
(every Allow matched against every distinct guard). Target: each judged in under 0.5 s.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from vpce_guard.checks import CHECKS, CheckSettings
from vpce_guard.facts import Endpoint, Facts, Service
from vpce_guard.judge import judge, request_cases
from vpce_guard.perimeter import Perimeter, ServiceProfile, rewrite
from vpce_guard.policy import MAX_POLICY_CHARACTERS, parse_policy

ACCOUNT = "111122223333"
ORG = "o-a1b2c3d4e5"
REGION = "us-east-1"
POLICY_CHECKS = ("policy-any-principal", "policy-wildcard-action", "policy-foreign-principal", "policy-any-resource")


def allow(index: int) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": "*", "Action": f"s3:Get{index}*", "Resource": "*"}


def guard(index: int) -> dict[str, Any]:
    return {
        "Effect": "Deny",
        "Principal": "*",
        "Action": f"s3:G{index}*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": f"o-{index:010d}"}},
    }


def largest(make: Callable[[int], list[dict[str, Any]]]) -> str:
    """The longest policy of ``make(n)`` statements within AWS's limit."""
    count = 1
    while len(json.dumps({"Version": "2012-10-17", "Statement": make(count + 1)})) <= MAX_POLICY_CHARACTERS:
        count += 1
    return json.dumps({"Version": "2012-10-17", "Statement": make(count)})


def facts_with(text: str) -> Facts:
    name = f"com.amazonaws.{REGION}.s3"
    endpoint = Endpoint(
        id="vpce-0bench0000000001",
        vpc_id="vpc-0bench0000000001",
        owner_id=ACCOUNT,
        type="Gateway",
        service_name=name,
        state="available",
        private_dns_enabled=False,
        policy=parse_policy(text),
    )
    service = Service(name=name, endpoint_type="Gateway")
    return Facts(region=REGION, endpoints=(endpoint,), services={(name, "Gateway"): service})


def run_checks(estate: Facts, settings: CheckSettings) -> None:
    for check in POLICY_CHECKS:
        list(CHECKS[check].evaluate(estate, settings))


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    shapes = {
        "Allow statements only": largest(lambda n: [allow(i) for i in range(n)]),
        "Deny guards only (one Allow)": largest(lambda n: [allow(0), *(guard(i) for i in range(n))]),
        "half Allows, half guards": largest(lambda n: [*(allow(i) for i in range(n)), *(guard(i) for i in range(n))]),
    }
    settings = CheckSettings(org_ids=frozenset({ORG}))
    run_checks(facts_with(largest(lambda n: [allow(i) for i in range(n)])), settings)  # botocore's data, loaded once
    profile = ServiceProfile(iam_prefix="s3", bounds_resources=True)
    perimeter = Perimeter(owner=ACCOUNT, org_id=ORG)
    print("Worst-case endpoint policies (20,480 characters at most), judged on this machine:")
    for label, text in shapes.items():
        statements = len(json.loads(text)["Statement"])
        checks = timed(partial(run_checks, facts_with(text), settings))
        old = parse_policy(text)
        new = parse_policy(rewrite(None, profile, perimeter, ("s3:GetObject",)))
        cases = request_cases(profile, perimeter, partition="aws", region=REGION, actions=("s3:GetObject",))
        judged = timed(partial(judge, old, new, cases))
        print(
            f"  {label:30} {len(text):>6,} characters, {statements:>4} statements: "
            f"four checks {checks * 1000:6.1f} ms, a rewrite judged on {len(cases)} requests {judged * 1000:6.1f} ms"
        )


if __name__ == "__main__":
    main()
