"""An AWS Organization hosted in the emulator, and role trust on AssumeRole, over HTTP: a member account's role
admits the hub's role from inside the organization and refuses everyone else, as IAM does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from vpce_guard_local.emulator import CLIENT_CONFIG, Emulator
from vpce_guard_local.emulator.organization import ACCESS_ROLE, Organization

pytestmark = pytest.mark.server

HUB_ROLE = "vpce-guard-hub"
READ_ROLE = "vpce-guard-read"
OUTSIDER = "999999999999"
EXTERNAL_ID = "vpce-guard-7f3a"
SESSION = "vpce-guard"


@dataclass(frozen=True)
class RoleSession:
    """Clients with the credentials of one AssumeRole answer."""

    aws: Emulator
    answer: dict[str, Any]

    @property
    def arn(self) -> str:
        return str(self.answer["AssumedRoleUser"]["Arn"])

    def client(self, service: str) -> Any:
        credentials = self.answer["Credentials"]
        session = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self.aws.region,
        )
        return session.client(service, endpoint_url=self.aws.url, config=CLIENT_CONFIG)

    def assume(self, role_arn: str, **options: Any) -> RoleSession:
        return assume(self.aws, self.client("sts"), role_arn, **options)


def assume(aws: Emulator, sts: Any, role_arn: str, **options: Any) -> RoleSession:
    return RoleSession(aws, sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION, **options))


def allow(principal: Any, **condition: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return {**statement, "Condition": condition} if condition else statement


def create_role(aws: Emulator, account_id: str, name: str, *statements: dict[str, Any]) -> str:
    """The ARN of a new role in ``account_id`` with a trust policy of ``statements``."""
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    created = aws.client("iam", account_id=account_id).create_role(RoleName=name, AssumeRolePolicyDocument=document)
    return str(created["Role"]["Arn"])


def root(account_id: str) -> dict[str, str]:
    return {"AWS": f"arn:aws:iam::{account_id}:root"}


def refusal(caught: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def denied(caller_arn: str, role_arn: str) -> tuple[int, str, str]:
    message = f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    return 403, "AccessDenied", message


@pytest.fixture
def org(aws: Emulator) -> Organization:
    return aws.organization()


@pytest.fixture
def member(org: Organization) -> str:
    return org.member_account_ids[0]


@pytest.fixture
def hub_role(aws: Emulator, org: Organization) -> str:
    """The hub functions' role in the management account, which the management account may assume."""
    return create_role(aws, org.management_account_id, HUB_ROLE, allow(root(org.management_account_id)))


@pytest.fixture
def hub(aws: Emulator, hub_role: str) -> RoleSession:
    """A session of the hub's role, as a hub function runs with it."""
    return assume(aws, aws.client("sts"), hub_role)


@pytest.fixture
def other_role_session(aws: Emulator, org: Organization) -> RoleSession:
    """A session of another role of the management account."""
    other = create_role(aws, org.management_account_id, "ops", allow(root(org.management_account_id)))
    return assume(aws, aws.client("sts"), other)


@pytest.fixture
def outsider(aws: Emulator) -> RoleSession:
    """A session of a role named like the hub's, in an account outside the organization."""
    role = create_role(aws, OUTSIDER, HUB_ROLE, allow(root("123456789012")))
    return assume(aws, aws.client("sts"), role)


@pytest.fixture(params=["as its principal", "in aws:PrincipalArn"])
def read_role(request: pytest.FixtureRequest, aws: Emulator, org: Organization, member: str, hub_role: str) -> str:
    """The member's read role, trusting the hub's role (named either way) from inside the organization."""
    in_org = {"aws:PrincipalOrgID": org.id}
    if request.param == "as its principal":
        statement = allow({"AWS": hub_role}, StringEquals=in_org)
    else:
        statement = allow(
            root(org.management_account_id), StringEquals=in_org, ArnEquals={"aws:PrincipalArn": hub_role}
        )
    return create_role(aws, member, READ_ROLE, statement)


# --- The organization ----------------------------------------------------------------------------------------


def test_an_organization_lists_its_management_account_and_three_active_members(
    aws: Emulator, org: Organization
) -> None:
    accounts = aws.client("organizations").list_accounts()["Accounts"]

    assert len(org.member_account_ids) == len(set(org.member_account_ids)) == 3
    assert {account["Id"]: account["Status"] for account in accounts} == dict.fromkeys(org.account_ids, "ACTIVE")
    assert org.management_account_id == "123456789012"


def test_the_members_sit_in_the_ou_and_the_management_account_in_the_root(aws: Emulator, org: Organization) -> None:
    organizations = aws.client("organizations")

    in_unit = organizations.list_accounts_for_parent(ParentId=org.ou_id)["Accounts"]
    in_root = organizations.list_accounts_for_parent(ParentId=org.root_id)["Accounts"]

    assert sorted(account["Id"] for account in in_unit) == sorted(org.member_account_ids)
    assert [account["Id"] for account in in_root] == [org.management_account_id]


def test_the_organization_has_all_features(aws: Emulator, org: Organization) -> None:
    described = aws.client("organizations").describe_organization()["Organization"]

    assert (described["Id"], described["FeatureSet"]) == (org.id, "ALL")


def test_hosting_again_returns_the_same_organization(aws: Emulator, org: Organization) -> None:
    assert aws.organization() == org


def test_asking_for_more_members_adds_only_the_missing_ones(aws: Emulator, org: Organization) -> None:
    larger = aws.organization(members=5)

    assert larger.member_account_ids[:3] == org.member_account_ids
    assert len(set(larger.member_account_ids)) == 5


def test_a_reset_wipes_the_organization_and_its_memberships(aws: Emulator, org: Organization, member: str) -> None:
    aws.reset()

    with pytest.raises(ClientError) as caught:
        aws.client("organizations", account_id=member).describe_organization()

    assert caught.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"
    assert aws.organization().id != org.id


# --- Acting in an account ------------------------------------------------------------------------------------


def test_a_client_for_an_account_acts_there_as_its_root(aws: Emulator) -> None:
    identity = aws.client("sts", account_id=OUTSIDER).get_caller_identity()

    assert (identity["Account"], identity["Arn"]) == (OUTSIDER, f"arn:aws:sts::{OUTSIDER}:user/moto")


def test_an_account_id_is_twelve_digits(aws: Emulator) -> None:
    with pytest.raises(ValueError, match="12 digits"):
        aws.client("sts", account_id="1234")


def test_the_management_account_reaches_each_member_through_the_access_role(aws: Emulator, org: Organization) -> None:
    sts = aws.client("sts")

    reached = [
        assume(aws, sts, f"arn:aws:iam::{account_id}:role/{ACCESS_ROLE}").client("sts").get_caller_identity()["Account"]
        for account_id in org.member_account_ids
    ]

    assert reached == list(org.member_account_ids)


# --- The hub reaches a member --------------------------------------------------------------------------------


def test_the_hub_role_assumes_the_member_role_and_acts_in_the_member(
    aws: Emulator, hub: RoleSession, read_role: str, member: str
) -> None:
    reader = hub.assume(read_role)
    vpc_id = reader.client("ec2").create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]

    identity = reader.client("sts").get_caller_identity()
    in_member = reader.client("ec2").describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    in_hub = {vpc["VpcId"] for vpc in hub.client("ec2").describe_vpcs()["Vpcs"]}

    assert identity["Arn"] == f"arn:aws:sts::{member}:assumed-role/{READ_ROLE}/{SESSION}"
    assert [vpc["OwnerId"] for vpc in in_member] == [member]
    assert vpc_id not in in_hub


def test_a_role_of_an_account_outside_the_organization_is_refused(outsider: RoleSession, read_role: str) -> None:
    with pytest.raises(ClientError) as caught:
        outsider.assume(read_role)

    assert refusal(caught) == denied(f"arn:aws:sts::{OUTSIDER}:assumed-role/{HUB_ROLE}/{SESSION}", read_role)


def test_another_role_of_the_hub_account_is_refused(other_role_session: RoleSession, read_role: str) -> None:
    with pytest.raises(ClientError) as caught:
        other_role_session.assume(read_role)

    assert refusal(caught) == denied(other_role_session.arn, read_role)


def test_the_management_accounts_default_caller_is_refused(aws: Emulator, read_role: str) -> None:
    with pytest.raises(ClientError) as caught:
        assume(aws, aws.client("sts"), read_role)

    assert refusal(caught) == denied("arn:aws:sts::123456789012:user/moto", read_role)


def test_a_role_open_to_the_organization_refuses_only_outsiders(
    aws: Emulator, org: Organization, member: str, hub: RoleSession, outsider: RoleSession
) -> None:
    open_role = create_role(aws, member, "org-wide", allow("*", StringEquals={"aws:PrincipalOrgID": org.id}))

    admitted = hub.assume(open_role)
    with pytest.raises(ClientError) as caught:
        outsider.assume(open_role)

    assert admitted.client("sts").get_caller_identity()["Account"] == member
    assert refusal(caught) == denied(outsider.arn, open_role)


def test_a_role_that_does_not_exist_is_refused(hub: RoleSession, member: str) -> None:
    missing = f"arn:aws:iam::{member}:role/{READ_ROLE}"

    with pytest.raises(ClientError) as caught:
        hub.assume(missing)

    assert refusal(caught) == denied(hub.arn, missing)


def test_an_explicit_deny_wins(aws: Emulator, hub: RoleSession, hub_role: str, member: str) -> None:
    deny = {"Effect": "Deny", "Principal": {"AWS": hub_role}, "Action": "sts:AssumeRole"}
    role = create_role(aws, member, READ_ROLE, allow({"AWS": hub_role}), deny)

    with pytest.raises(ClientError) as caught:
        hub.assume(role)

    assert refusal(caught) == denied(hub.arn, role)


@pytest.fixture
def audit_role(aws: Emulator, member: str, hub_role: str) -> str:
    """A member role that also requires the external id agreed with the hub."""
    return create_role(
        aws, member, "vpce-guard-audit", allow({"AWS": hub_role}, StringEquals={"sts:ExternalId": EXTERNAL_ID})
    )


def test_the_agreed_external_id_is_admitted(hub: RoleSession, audit_role: str, member: str) -> None:
    admitted = hub.assume(audit_role, ExternalId=EXTERNAL_ID)

    assert admitted.client("sts").get_caller_identity()["Account"] == member


@pytest.mark.parametrize("options", [{"ExternalId": "vpce-guard-0000"}, {}], ids=["wrong", "missing"])
def test_a_wrong_or_missing_external_id_is_refused(hub: RoleSession, audit_role: str, options: dict[str, str]) -> None:
    with pytest.raises(ClientError) as caught:
        hub.assume(audit_role, **options)

    assert refusal(caught) == denied(hub.arn, audit_role)


# --- Local functions: their keys stand for sessions of their execution roles -------------------------------


def function_sts(aws: Emulator, access_key_id: str) -> Any:
    session = boto3.session.Session(
        aws_access_key_id=access_key_id, aws_secret_access_key="local", region_name=aws.region
    )
    return session.client("sts", endpoint_url=aws.url, config=CLIENT_CONFIG)


def test_a_registered_function_key_is_a_session_of_its_role(aws: Emulator, org: Organization, member: str) -> None:
    hub_role = create_role(aws, org.management_account_id, HUB_ROLE, allow({"Service": "lambda.amazonaws.com"}))
    read_role = create_role(
        aws,
        member,
        READ_ROLE,
        allow(
            root(org.management_account_id),
            ArnEquals={"aws:PrincipalArn": hub_role},
            StringEquals={"aws:PrincipalOrgID": org.id},
        ),
    )
    aws.register_function_session("LOCAL-OnChangeFunction", hub_role)

    assumed = assume(aws, function_sts(aws, "LOCAL-OnChangeFunction"), read_role)
    with pytest.raises(ClientError) as unregistered:
        assume(aws, function_sts(aws, "LOCAL-NotifierFunction"), read_role)

    assert assumed.arn == f"arn:aws:sts::{member}:assumed-role/{READ_ROLE}/{SESSION}"
    assert refusal(unregistered)[:2] == (403, "AccessDenied")


def test_a_reset_forgets_function_sessions(aws: Emulator, org: Organization, member: str) -> None:
    hub_role = create_role(aws, org.management_account_id, HUB_ROLE, allow({"Service": "lambda.amazonaws.com"}))
    aws.register_function_session("LOCAL-OnChangeFunction", hub_role)

    aws.reset()
    again = aws.organization()
    hub_role = create_role(aws, again.management_account_id, HUB_ROLE, allow({"Service": "lambda.amazonaws.com"}))
    read_role = create_role(aws, again.member_account_ids[0], READ_ROLE, allow({"AWS": hub_role}))

    with pytest.raises(ClientError) as forgotten:
        assume(aws, function_sts(aws, "LOCAL-OnChangeFunction"), read_role)
    assert refusal(forgotten)[:2] == (403, "AccessDenied")


def test_only_a_role_arn_names_a_function_session(aws: Emulator) -> None:
    with pytest.raises(ValueError, match="not a role ARN"):
        aws.register_function_session("LOCAL-OnChangeFunction", "arn:aws:iam::123456789012:user/alice")
