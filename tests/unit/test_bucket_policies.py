"""The bucket policies an S3 change reads: a bucket S3 refuses to show is unread with S3's error (doubt, never
"no policy"), buckets that cannot be listed make the read unavailable; and the pipeline reads them at most once
per evaluation, with the acting role, and not at all without a path to S3."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from vpce_guard.accounts import AccountAccessError
from vpce_guard.bucket_policies import BucketPolicies, BucketPoliciesUnavailable, read_bucket_policies
from vpce_guard.pipeline import bucket_policy_reader

POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}'
)


def refused(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, operation)


class S3:
    """ListBuckets and GetBucketPolicy as S3 answers them: a policy's text, or an error, by bucket."""

    def __init__(self, answers: dict[str, str | ClientError], *, listing: ClientError | None = None) -> None:
        self.answers = answers
        self.listing = listing

    def get_paginator(self, name: str) -> S3:
        return self

    def paginate(self, **parameters: Any) -> list[dict[str, Any]]:
        if self.listing is not None:
            raise self.listing
        return [{"Buckets": [{"Name": name} for name in self.answers]}]

    def get_bucket_policy(self, Bucket: str) -> dict[str, str]:
        answer = self.answers[Bucket]
        if isinstance(answer, ClientError):
            raise answer
        return {"Policy": answer}


class Session:
    region = "us-east-1"

    def __init__(self, s3: S3) -> None:
        self.s3 = s3

    def client(self, service: str) -> S3:
        return self.s3


def read(s3: S3) -> BucketPolicies:
    return read_bucket_policies(Session(s3), max_buckets=10)  # type: ignore[arg-type]


def test_a_bucket_s3_refuses_to_show_is_unread_with_s3s_error_and_one_without_a_policy_has_none() -> None:
    policies = read(
        S3(
            {
                "data": POLICY,
                "logs": refused("NoSuchBucketPolicy", "GetBucketPolicy"),
                "secret": refused("AccessDenied", "GetBucketPolicy"),
            }
        )
    )

    assert list(policies.policies) == ["data"]
    assert dict(policies.unread) == {"secret": "GetBucketPolicy failed: AccessDenied: no"}
    assert (policies.listed, policies.calls) == (3, 4)


def test_buckets_that_cannot_be_listed_make_the_policies_unavailable() -> None:
    with pytest.raises(BucketPoliciesUnavailable, match="ListBuckets failed: AccessDenied: no"):
        read(S3({}, listing=refused("AccessDenied", "ListBuckets")))


class Actor:
    """The acting role's session: given, or refused as STS refuses a role that does not trust the caller."""

    def __init__(self, s3: S3, *, refusing: bool = False) -> None:
        self.session = Session(s3)
        self.refusing = refusing
        self.asked = 0

    def __call__(self) -> Any:
        self.asked += 1
        if self.refusing:
            raise AccountAccessError(
                "210987654321", "arn:aws:iam::210987654321:role/r", "us-east-1", refused("AccessDenied", "AssumeRole")
            )
        return self.session


def test_the_pipeline_reads_them_once_per_evaluation_however_many_changes_need_them() -> None:
    actor = Actor(S3({"data": POLICY}))
    reader = bucket_policy_reader(actor, 10)

    first, second = reader(), reader()

    assert first is second
    assert actor.asked == 1


def test_a_role_that_refuses_makes_them_unavailable_once() -> None:
    actor = Actor(S3({}), refusing=True)
    reader = bucket_policy_reader(actor, 10)

    for _ in range(2):
        with pytest.raises(BucketPoliciesUnavailable, match="is out of reach: AssumeRole"):
            reader()

    assert actor.asked == 1


def test_without_a_path_to_s3_they_are_unavailable_and_no_role_is_assumed() -> None:
    actor = Actor(S3({}))

    with pytest.raises(BucketPoliciesUnavailable, match="the functions have no path to S3"):
        bucket_policy_reader(actor, 10, reachable=False)()

    assert actor.asked == 0
