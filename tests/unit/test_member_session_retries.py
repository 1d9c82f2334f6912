"""A member account's session retries as the home session it is made from: `scan --all-accounts` rides out
throttling in every account, not only its own. In-process moto answers STS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from vpce_guard.accounts import Accounts, MemberRoles
from vpce_guard.aws import SCAN_RETRIES, AwsSession, Retries

MEMBER, REGION = "444455556666", "us-east-1"


@pytest.fixture(autouse=True)
def no_retry_settings_outside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Neither the environment nor a profile says how to retry, so the sessions' own settings decide; STS is
    moto's."""
    for name in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    with mock_aws():
        with monkeypatch.context() as member:
            member.setenv("MOTO_ACCOUNT_ID", MEMBER)
            create_read_role()
        yield


def create_read_role() -> None:
    """The member's read role, trusting the home account (moto's caller): where the emulator's enforcement of
    role trust is loaded in this process, a role that is not there refuses."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    AwsSession(REGION).client("iam").create_role(RoleName="read", AssumeRolePolicyDocument=json.dumps(trust))


@pytest.mark.parametrize("retries", [SCAN_RETRIES, Retries()], ids=["adaptive-8", "standard"])
def test_a_member_session_retries_as_the_home_session_does(retries: Retries) -> None:
    home = AwsSession(REGION, retries=retries)
    accounts = Accounts(lambda region: home, MemberRoles("read"))

    member = accounts.reader(MEMBER, REGION)

    assert member.credentials is not None
    assert member.client("ec2").meta.config.retries == home.client("ec2").meta.config.retries


def test_the_command_lines_adaptive_retries_reach_a_member_account() -> None:
    home = AwsSession(REGION, retries=SCAN_RETRIES)
    accounts = Accounts(lambda region: home, MemberRoles("read"))

    member = accounts.reader(MEMBER, REGION)

    assert member.client("ec2").meta.config.retries == {"mode": "adaptive", "total_max_attempts": 8}
