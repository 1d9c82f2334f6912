"""An AWS Organization hosted in the emulator: the management account, one organizational unit, members in it.

Deployed org-wide, vpce-guard's hub (in the management account here) assumes a role in each member account,
and those roles trust it only from inside the organization (``aws:PrincipalOrgID``, enforced by ``trust``).
``host_organization`` builds the organization through the Organizations API, as an administrator would; moto
then gives each member the ``OrganizationAccountAccessRole`` AWS creates, trusting the management account.

``install()`` fixes moto's reset, which keeps its map of member accounts to their management account: a
reset wipes the organization, and now its memberships with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from vpce_guard_local.emulator.patching import Patches

if TYPE_CHECKING:
    from moto.organizations.models import OrganizationsBackendDict

UNIT_NAME = "workloads"
MEMBER_NAME = "member-{}"
MEMBER_EMAIL = "member-{}@example.org"
ACCESS_ROLE = "OrganizationAccountAccessRole"


@dataclass(frozen=True)
class Organization:
    """What ``host_organization`` built, by id."""

    id: str
    root_id: str
    ou_id: str
    management_account_id: str
    member_account_ids: tuple[str, ...]

    @property
    def account_ids(self) -> tuple[str, ...]:
        """The management account, then the members."""
        return (self.management_account_id, *self.member_account_ids)


def host_organization(organizations: Any, members: int = 3, unit_name: str = UNIT_NAME) -> Organization:
    """An organization with all features in the caller's account, an OU ``unit_name`` and ``members`` accounts
    in it (named ``member-1``, ``member-2``, …), from an Organizations client of the management account.

    What already exists is kept: calling it again returns the same organization, with members added if more
    are asked for; after the emulator's reset it builds a new one, with new ids.
    """
    if members < 0:
        raise ValueError(f"members must not be negative, not {members}")
    try:
        organizations.create_organization(FeatureSet="ALL")
    except ClientError as error:
        if error.response["Error"]["Code"] != "AlreadyInOrganizationException":
            raise
    described = organizations.describe_organization()["Organization"]
    root_id = str(organizations.list_roots()["Roots"][0]["Id"])
    ou_id = _unit(organizations, root_id, unit_name)
    existing = {account["Name"]: str(account["Id"]) for account in _accounts_in(organizations, ou_id)}
    member_ids = []
    for number in range(1, members + 1):
        name = MEMBER_NAME.format(number)
        account_id = existing.get(name) or _create_member(organizations, name, MEMBER_EMAIL.format(number))
        if name not in existing:
            organizations.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=ou_id)
        member_ids.append(account_id)
    return Organization(
        id=str(described["Id"]),
        root_id=root_id,
        ou_id=ou_id,
        management_account_id=str(described["MasterAccountId"]),
        member_account_ids=tuple(member_ids),
    )


def _unit(organizations: Any, root_id: str, name: str) -> str:
    pages = organizations.get_paginator("list_organizational_units_for_parent").paginate(ParentId=root_id)
    for page in pages:
        for unit in page["OrganizationalUnits"]:
            if unit["Name"] == name:
                return str(unit["Id"])
    return str(organizations.create_organizational_unit(ParentId=root_id, Name=name)["OrganizationalUnit"]["Id"])


def _accounts_in(organizations: Any, parent_id: str) -> list[dict[str, Any]]:
    pages = organizations.get_paginator("list_accounts_for_parent").paginate(ParentId=parent_id)
    return [account for page in pages for account in page["Accounts"]]


def _create_member(organizations: Any, name: str, email: str) -> str:
    """The new account's id; the emulator creates an account at once (AWS reports IN_PROGRESS first)."""
    status = organizations.create_account(AccountName=name, Email=email)["CreateAccountStatus"]
    if status["State"] != "SUCCEEDED":
        raise RuntimeError(f"account {name} was not created: {status.get('FailureReason', status['State'])}")
    return str(status["AccountId"])


def _clear(self: OrganizationsBackendDict) -> None:
    dict.clear(self)
    self.master_accounts.clear()


def install() -> None:
    """Make moto's reset forget organization memberships in this process; calling it again changes nothing.

    moto is imported here, not with the module: ``host_organization`` needs only a client, and the local run
    calls it from a process that talks to the emulator over HTTP."""
    from moto.organizations.models import OrganizationsBackendDict

    _patches(OrganizationsBackendDict).install()


@cache
def _patches(backends: type) -> Patches:
    return Patches(((backends, "clear", _clear),))
