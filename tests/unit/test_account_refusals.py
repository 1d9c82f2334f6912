"""An account whose role refuses the hub is remembered for a while, so a flood of its events asks STS once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from vpce_guard.accounts import REFUSAL_MEMORY, AccountAccessError, Accounts, MemberRoles

HOME, MEMBER, REGION = "123456789012", "444455556666", "us-east-1"
START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


class Sts:
    """STS as the hub sees it: its own identity, and AssumeRole answered with ``error_code``."""

    def __init__(self, error_code: str) -> None:
        self.error_code = error_code
        self.assumed = 0

    def get_caller_identity(self) -> dict[str, str]:
        return {"Account": HOME}

    def assume_role(self, **_: Any) -> dict[str, Any]:
        self.assumed += 1
        raise ClientError({"Error": {"Code": self.error_code, "Message": "no"}}, "AssumeRole")


class Session:
    endpoint_url = None

    def __init__(self, sts: Sts) -> None:
        self.sts = sts

    def client(self, service: str) -> Sts:
        return self.sts


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def hub(error_code: str = "AccessDenied") -> tuple[Accounts, Sts, Clock]:
    sts, clock = Sts(error_code), Clock()
    session = Session(sts)
    return Accounts(lambda region: session, MemberRoles("read"), clock=clock), sts, clock  # type: ignore[arg-type,return-value]


def test_a_refused_account_is_refused_again_without_asking_sts() -> None:
    accounts, sts, _ = hub()

    for _ in range(5):
        with pytest.raises(AccountAccessError, match=f"account {MEMBER} is out of reach") as refused:
            accounts.reader(MEMBER, REGION)
        assert refused.value.refused

    assert sts.assumed == 1
    assert accounts.refusal(MEMBER) is not None


def test_a_refusal_is_forgotten_after_the_memory_and_the_role_asked_again() -> None:
    accounts, sts, clock = hub()
    with pytest.raises(AccountAccessError):
        accounts.reader(MEMBER, REGION)

    clock.now = START + REFUSAL_MEMORY
    with pytest.raises(AccountAccessError):
        accounts.reader(MEMBER, REGION)

    assert sts.assumed == 2


def test_a_refusal_is_remembered_in_every_region() -> None:
    accounts, sts, _ = hub()
    with pytest.raises(AccountAccessError):
        accounts.reader(MEMBER, REGION)

    with pytest.raises(AccountAccessError):
        accounts.reader(MEMBER, "eu-west-1")

    assert sts.assumed == 1


def test_a_failure_on_the_way_is_not_remembered_since_a_retry_may_get_through() -> None:
    accounts, sts, clock = hub("Throttling")

    for minute in range(2):
        clock.now = START + timedelta(minutes=minute)
        with pytest.raises(AccountAccessError) as failed:
            accounts.reader(MEMBER, REGION)
        assert not failed.value.refused

    assert sts.assumed == 2
    assert accounts.refusal(MEMBER) is None


def test_a_function_that_knows_only_the_findings_role_reads_and_changes_no_member() -> None:
    """The notifier's roles: a member's Security Hub only, never its endpoints."""
    sts, clock = Sts("AccessDenied"), Clock()
    session = Session(sts)
    accounts = Accounts(lambda region: session, MemberRoles(read=None, findings="findings"), clock=clock)  # type: ignore[arg-type,return-value]

    with pytest.raises(ValueError, match=f"no read role is configured: nothing can be read in account {MEMBER}"):
        accounts.reader(MEMBER, REGION)
    with pytest.raises(
        ValueError, match=f"no remediation role is configured: nothing can be changed in account {MEMBER}"
    ):
        accounts.actor(MEMBER, REGION)
    with pytest.raises(AccountAccessError, match="role/findings failed"):
        accounts.publisher(MEMBER, REGION)
    assert sts.assumed == 1
