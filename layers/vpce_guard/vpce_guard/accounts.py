"""Which credentials reach which account: the home account's own, a member account's through the role the hub
assumes there.

A single-account deployment knows no member roles: every account is the home account. Deployed as the hub of an
organization, the functions read a member through its read role and change it through its remediation role
(member/template.yaml): two roles, so that an evaluation that only reports can never change anything. The
notifier imports a member's Security Hub findings through a third, the findings role, and knows no other. Assumed
credentials are kept per (account, role), shared by every region, and renewed before they could expire within the
longest invocation, so a warm function assumes each role once an hour, not once per event; the session name says
which function (or the command line) acted, as CloudTrail in the member account records it. A member's session
retries as the home session it is made from does (the command line's adaptive retries reach every account it
scans). Calls are counted per account and region, the AssumeRole an evaluation caused included. An account whose
role refused us is remembered for ``REFUSAL_MEMORY``: until then its refusal is raised again without asking STS,
so a flood of events from an account out of reach costs no AssumeRole each. A hub function that any account may
invoke (the Config rule's) first looks the account up in the organization's list of accounts
(``OrganizationAccounts``): an account outside the organization is refused without a call to STS.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import msgspec

from vpce_guard.aws import (
    CALL_ERRORS,
    ApiCallCounter,
    AwsSession,
    CollectionError,
    TemporaryCredentials,
    error_code_and_reason,
)
from vpce_guard.identifiers import partition_of

# Renewed when less than a Lambda invocation's longest run (15 minutes) is left.
RENEW_BEFORE_EXPIRY = timedelta(minutes=15)
SESSION_NAME_LIMIT = 64  # sts:AssumeRole's RoleSessionName
# Less than the sweep queue's visibility timeout (12 minutes), so that a retried sweep job asks STS again.
REFUSAL_MEMORY = timedelta(minutes=10)
# How long the organization's list of accounts is trusted: an account that joins is served at the latest this
# long after, and accounts outside the organization cost no more than one ListAccounts per this long.
ORGANIZATION_MEMORY = timedelta(minutes=5)
NOT_IN_ORGANIZATION = "NotInOrganization"

logger = logging.getLogger(__name__)


class MemberRoles(msgspec.Struct, frozen=True):
    """The names of the roles every member account holds for the hub (the member template's parameters);
    a function that only reports (the Config rule's) knows no remediation role, and the notifier knows the
    findings role alone."""

    read: str | None
    remediate: str | None = None
    findings: str | None = None


class AccountAccessError(CollectionError):
    """A member account's role could not be assumed: nothing was read or changed there."""

    def __init__(self, account_id: str, role_arn: str, region: str, error: Exception) -> None:
        code, reason = error_code_and_reason(error)
        Exception.__init__(
            self,
            f"account {account_id} is out of reach: AssumeRole {role_arn} failed in {region}: {reason}. Deploy "
            "the member stack (member/template.yaml) there, with this function's role among the hub roles it trusts.",
        )
        self.operation = "AssumeRole"
        self.code = code
        self.account_id = account_id

    @classmethod
    def outside_organization(cls, account_id: str) -> AccountAccessError:
        """The account is not in the organization's list: no role of it is asked for."""
        refused = cls.__new__(cls)
        Exception.__init__(
            refused,
            f"account {account_id} is out of reach: it is not an active account of the organization "
            "(ListAccounts), so no role of it was assumed.",
        )
        refused.operation, refused.code, refused.account_id = "ListAccounts", NOT_IN_ORGANIZATION, account_id
        return refused

    @property
    def refused(self) -> bool:
        """The role is missing or does not trust the caller (AWS answers both alike), or the account is not the
        organization's, as opposed to a call that failed on the way (throttling, the network), which a retry
        may get through."""
        return self.code in ("AccessDenied", NOT_IN_ORGANIZATION)


def organization_accounts(session: AwsSession) -> list[str]:
    """The organization's active accounts (suspended and closing ones have nothing left to fix)."""
    try:
        pages = session.client("organizations").get_paginator("list_accounts").paginate()
        return sorted(account["Id"] for page in pages for account in page["Accounts"] if account["Status"] == "ACTIVE")
    except CALL_ERRORS as error:
        raise CollectionError("ListAccounts", session.region, error, service="organizations") from error


class OrganizationAccounts:
    """The organization's active accounts, read again at most once per ``ORGANIZATION_MEMORY`` and only to
    look up an account the last read did not hold. The list saves STS calls, it is not the boundary (each
    member role's trust policy is): where it cannot be read, ``holds`` cannot tell, and STS decides."""

    def __init__(
        self, read: Callable[[], Iterable[str]], clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._read = read
        self._clock = clock
        self._account_ids: frozenset[str] = frozenset()
        self._read_at: datetime | None = None
        self._readable = True
        self._lock = threading.Lock()

    def holds(self, account_id: str) -> bool | None:
        """Whether ``account_id`` is an active account of the organization; None when the list could not be read."""
        with self._lock:
            if account_id in self._account_ids:
                return True
            if self._read_at is None or self._clock() - self._read_at >= ORGANIZATION_MEMORY:
                self._read_at = self._clock()
                try:
                    self._account_ids, self._readable = frozenset(self._read()), True
                except CollectionError as error:
                    logger.warning("the organization's accounts could not be read; STS decides: %s", error)
                    self._readable = False
            if not self._readable:
                return None
            return account_id in self._account_ids


class Accounts:
    """Sessions per (account, region, role), made once and shared by every evaluation of this process."""

    def __init__(
        self,
        home: Callable[[str], AwsSession],
        roles: MemberRoles | None = None,
        session_name: str = "vpce-guard",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        organization: OrganizationAccounts | None = None,
    ) -> None:
        self.home = home
        self.roles = roles
        self.organization = organization
        self.session_name = session_name[:SESSION_NAME_LIMIT]
        self.clock = clock
        self._home_account_id: str | None = None
        self._credentials: dict[tuple[str, str], TemporaryCredentials] = {}
        self._sessions: dict[tuple[str, str, str], AwsSession] = {}
        self._counters: dict[tuple[str, str], ApiCallCounter] = {}
        self._lock = threading.Lock()
        self._assuming: dict[tuple[str, str], threading.Lock] = {}
        self._refusals: dict[str, tuple[datetime, AccountAccessError]] = {}

    @property
    def is_hub(self) -> bool:
        return self.roles is not None

    def reader(self, account_id: str, region: str) -> AwsSession:
        """A session that reads ``account_id`` in ``region``."""
        if self.roles is not None and self.roles.read is None and account_id != self.home_account_id(region):
            raise ValueError(f"no read role is configured: nothing can be read in account {account_id}")
        return self._session(account_id, region, self.roles.read if self.roles else None)

    def actor(self, account_id: str, region: str) -> AwsSession:
        """A session that changes ``account_id`` in ``region`` (only through what the plans declare)."""
        if self.roles is not None and self.roles.remediate is None and account_id != self.home_account_id(region):
            raise ValueError(f"no remediation role is configured: nothing can be changed in account {account_id}")
        return self._session(account_id, region, self.roles.remediate if self.roles else None)

    def publisher(self, account_id: str, region: str) -> AwsSession:
        """A session that imports findings into ``account_id``'s Security Hub in ``region``."""
        if self.roles is not None and self.roles.findings is None and account_id != self.home_account_id(region):
            raise ValueError(f"no findings role is configured: no finding can be imported in account {account_id}")
        return self._session(account_id, region, self.roles.findings if self.roles else None)

    def counter(self, account_id: str, region: str) -> ApiCallCounter:
        """The count of the calls made in ``account_id`` and ``region``, the AssumeRole into it included."""
        if self.roles is None or account_id == self.home_account_id(region):
            return self.home(region).counter
        return self._counter(account_id, region)

    def refusal(self, account_id: str) -> AccountAccessError | None:
        """The refusal of ``account_id``'s role within the last ``REFUSAL_MEMORY``, or None."""
        remembered = self._refusals.get(account_id)
        if remembered is None or self.clock() - remembered[0] >= REFUSAL_MEMORY:
            return None
        return remembered[1]

    def home_account_id(self, region: str) -> str:
        """This deployment's own account, asked once (GetCallerIdentity): by a hub, and by the sweep."""
        if self._home_account_id is None:
            try:
                self._home_account_id = str(self.home(region).client("sts").get_caller_identity()["Account"])
            except CALL_ERRORS as error:
                raise CollectionError("GetCallerIdentity", region, error, service="sts") from error
        return self._home_account_id

    def _session(self, account_id: str, region: str, role_name: str | None) -> AwsSession:
        if role_name is None or account_id == self.home_account_id(region):
            return self.home(region)
        credentials = self._credentials_for(account_id, role_name, region)
        key = (account_id, region, role_name)
        with self._lock:
            session = self._sessions.get(key)
            if session is None or session.credentials is not credentials:
                home = self.home(region)
                session = AwsSession(
                    region,
                    endpoint_url=home.endpoint_url,
                    counter=self._counter(account_id, region),
                    credentials=credentials,
                    retries=home.retries,
                )
                self._sessions[key] = session
            return session

    def _credentials_for(self, account_id: str, role_name: str, region: str) -> TemporaryCredentials:
        """The role's credentials, assumed once for every region and renewed before they could expire; one
        assumption at a time per role, the others running on."""
        key = (account_id, role_name)
        with self._lock:
            assuming = self._assuming.setdefault(key, threading.Lock())
        with assuming:
            refusal = self.refusal(account_id)
            if refusal is not None:
                raise refusal
            if self.organization is not None and self.organization.holds(account_id) is False:
                raise AccountAccessError.outside_organization(account_id)
            credentials = self._credentials.get(key)
            if credentials is None or credentials.expiration - self.clock() < RENEW_BEFORE_EXPIRY:
                credentials = self._assume(account_id, role_name, region)
                self._credentials[key] = credentials
            return credentials

    def _assume(self, account_id: str, role_name: str, region: str) -> TemporaryCredentials:
        role_arn = f"arn:{partition_of(region)}:iam::{account_id}:role/{role_name}"
        self._counter(account_id, region).add("AssumeRole")  # the evaluation of that account caused it
        try:
            answer = self.home(region).client("sts").assume_role(RoleArn=role_arn, RoleSessionName=self.session_name)
        except CALL_ERRORS as error:
            refused = AccountAccessError(account_id, role_arn, region, error)
            if refused.refused:
                self._refusals[account_id] = (self.clock(), refused)
            raise refused from error
        return TemporaryCredentials.from_api(answer["Credentials"])

    def _counter(self, account_id: str, region: str) -> ApiCallCounter:
        """The calls made for one account and region (setdefault is atomic: no lock needed)."""
        return self._counters.setdefault((account_id, region), ApiCallCounter())
