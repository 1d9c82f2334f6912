"""A hub function that any account may invoke looks the account up in the organization's list before STS: an
outsider costs no AssumeRole, the list is read at most once per ORGANIZATION_MEMORY, and a list that cannot be
read leaves the decision to STS (the member role's trust policy is the boundary, the list only saves calls)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from botocore.exceptions import ClientError
from test_account_refusals import HOME, MEMBER, REGION, Clock, Session, Sts

from vpce_guard.accounts import (
    ORGANIZATION_MEMORY,
    AccountAccessError,
    Accounts,
    MemberRoles,
    OrganizationAccounts,
)
from vpce_guard.aws import CollectionError

NEWCOMER = "777788889999"


class AccountList:
    """ListAccounts as the hub sees it: the organization's accounts, or a failure; each read counted."""

    def __init__(self, *account_ids: str) -> None:
        self.account_ids = list(account_ids)
        self.reads = 0
        self.failing = False

    def __call__(self) -> Iterable[str]:
        self.reads += 1
        if self.failing:
            error = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListAccounts")
            raise CollectionError("ListAccounts", REGION, error, service="organizations")
        return list(self.account_ids)


def hub(account_list: AccountList) -> tuple[Accounts, Sts, Clock]:
    sts, clock = Sts("AccessDenied"), Clock()
    session = Session(sts)
    organization = OrganizationAccounts(account_list, clock=clock)
    accounts = Accounts(lambda region: session, MemberRoles("read"), clock=clock, organization=organization)  # type: ignore[arg-type,return-value]
    return accounts, sts, clock


def test_an_account_outside_the_organization_is_refused_without_asking_sts() -> None:
    account_list = AccountList(HOME, MEMBER)
    accounts, sts, _ = hub(account_list)

    for _ in range(5):
        with pytest.raises(
            AccountAccessError, match=f"account {NEWCOMER} is out of reach: it is not an active"
        ) as refused:
            accounts.reader(NEWCOMER, REGION)
        assert refused.value.refused

    assert sts.assumed == 0
    assert account_list.reads == 1


def test_an_account_of_the_organization_goes_on_to_sts_and_the_list_is_read_once() -> None:
    account_list = AccountList(HOME, MEMBER)
    accounts, sts, clock = hub(account_list)

    for _ in range(3):
        with pytest.raises(AccountAccessError, match="AssumeRole"):
            accounts.reader(MEMBER, REGION)
        clock.now += ORGANIZATION_MEMORY * 3  # the refusal forgotten, the member still known without a read

    assert sts.assumed == 3
    assert account_list.reads == 1


def test_an_account_that_joins_is_served_once_the_list_is_read_again() -> None:
    account_list = AccountList(HOME, MEMBER)
    accounts, sts, clock = hub(account_list)
    with pytest.raises(AccountAccessError, match="not an active account"):
        accounts.reader(NEWCOMER, REGION)

    account_list.account_ids.append(NEWCOMER)
    clock.now += ORGANIZATION_MEMORY - ORGANIZATION_MEMORY / 10
    with pytest.raises(AccountAccessError, match="not an active account"):
        accounts.reader(NEWCOMER, REGION)
    clock.now += ORGANIZATION_MEMORY / 10
    with pytest.raises(AccountAccessError, match="AssumeRole"):
        accounts.reader(NEWCOMER, REGION)

    assert account_list.reads == 2
    assert sts.assumed == 1


def test_a_list_that_cannot_be_read_leaves_the_decision_to_sts_and_is_not_asked_again_at_once() -> None:
    account_list = AccountList(HOME, MEMBER)
    account_list.failing = True
    organization = OrganizationAccounts(account_list, clock=Clock())

    assert organization.holds(NEWCOMER) is None
    assert organization.holds(MEMBER) is None
    assert account_list.reads == 1
