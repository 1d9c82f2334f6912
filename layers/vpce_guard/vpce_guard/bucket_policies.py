"""The bucket policies of an account, read before S3 calls are moved from an interface endpoint to a gateway
endpoint (``private-dns-inbound-only``), and the statements among them that name the interface endpoint.

Why: a call through a gateway endpoint carries the gateway's id in ``aws:SourceVpce``, no longer the interface
endpoint's. A bucket policy that names the interface endpoint there (an Allow only through it, a Deny unless
through it) refuses the calls once they take the gateway, so the change is made only when every policy of the
account's buckets was read and none names the endpoint.

How it reads, with the session that would make the change (the remediation role in a member), once per
evaluation: ListBuckets (every page), then GetBucketPolicy of each bucket, ``GET_WORKERS`` at a time.
``NoSuchBucketPolicy`` is a bucket without a policy; any other error (AccessDenied, a bucket deleted meanwhile,
a policy that cannot be parsed) leaves that bucket unread, which is doubt. An account with more than
``max_buckets`` buckets is not read further: doubt too. Every call is counted (``calls``).

What it cannot read, residual risks the plan and docs/safety.md state: buckets of other accounts (their
policies may name the endpoint too), access point policies, and identity policies or service control policies
naming the endpoint in ``aws:SourceVpce``. The change's rollback is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import msgspec

from vpce_guard.aws import CALL_ERRORS, AwsSession, error_code_and_reason
from vpce_guard.policy import Policy, PolicyError, parse_policy, statements_conditioned_on

SOURCE_VPCE = "aws:SourceVpce"
NO_POLICY = "NoSuchBucketPolicy"
GET_WORKERS = 8
PERMISSIONS = ("s3:ListAllMyBuckets", "s3:GetBucketPolicy")


class BucketPoliciesUnavailable(Exception):
    """The account's buckets could not be listed; the message names the call and the cause."""


class BucketPolicies(msgspec.Struct, frozen=True):
    """What was read of an account's bucket policies: each bucket's policy (none for a bucket without one), why
    a bucket's could not be read, how many buckets were listed (at most one more than ``max_buckets``: then
    no policy was read), and the API calls made."""

    listed: int
    max_buckets: int
    calls: int
    policies: Mapping[str, Policy] = msgspec.field(default_factory=dict)
    unread: Mapping[str, str] = msgspec.field(default_factory=dict)

    @property
    def over_limit(self) -> bool:
        return self.listed > self.max_buckets

    def naming(self, endpoint_id: str) -> dict[str, tuple[str, ...]]:
        """The buckets whose policy names ``endpoint_id`` in ``aws:SourceVpce``, with those statements."""
        named = {
            bucket: tuple(statement.label for statement in statements_conditioned_on(policy, SOURCE_VPCE, endpoint_id))
            for bucket, policy in sorted(self.policies.items())
        }
        return {bucket: labels for bucket, labels in named.items() if labels}


# Reads the account's bucket policies when a plan needs them (BucketPoliciesUnavailable when they cannot be).
BucketPolicyReader = Callable[[], BucketPolicies]


def read_bucket_policies(session: AwsSession, max_buckets: int) -> BucketPolicies:
    """The policies of the account's buckets; BucketPoliciesUnavailable when they cannot be listed."""
    s3 = session.client("s3")
    names: list[str] = []
    pages = 0
    try:
        for page in s3.get_paginator("list_buckets").paginate(PaginationConfig={"MaxItems": max_buckets + 1}):
            pages += 1
            names += [bucket["Name"] for bucket in page.get("Buckets", [])]
    except CALL_ERRORS as error:
        _, reason = error_code_and_reason(error)
        raise BucketPoliciesUnavailable(f"ListBuckets failed: {reason}") from error
    if len(names) > max_buckets:
        return BucketPolicies(listed=len(names), max_buckets=max_buckets, calls=pages)
    with ThreadPoolExecutor(max_workers=GET_WORKERS) as pool:
        read = dict(zip(names, pool.map(lambda name: _policy_of(s3, name), names), strict=True))
    return BucketPolicies(
        listed=len(names),
        max_buckets=max_buckets,
        calls=pages + len(names),
        policies={name: policy for name, (policy, _) in read.items() if policy is not None},
        unread={name: why for name, (_, why) in read.items() if why is not None},
    )


def _policy_of(s3: Any, bucket: str) -> tuple[Policy | None, str | None]:
    """The bucket's policy, or None for a bucket without one; or why it could not be read."""
    try:
        text = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except CALL_ERRORS as error:
        code, reason = error_code_and_reason(error)
        return (None, None) if code == NO_POLICY else (None, f"GetBucketPolicy failed: {reason}")
    try:
        return parse_policy(text), None
    except PolicyError as error:
        return None, f"its policy cannot be read: {error}"
