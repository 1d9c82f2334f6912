"""An organization in the emulator with the member side deployed as the hub deploys it: member/template.yaml
through a service-managed StackSet, trusting the hub's function roles."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vpce_guard.accounts import Accounts, MemberRoles
from vpce_guard.aws import AwsSession, TemporaryCredentials
from vpce_guard.trigger import ApiChange, parse_api_change
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.emulator.organization import Organization
from vpce_guard_local.estate import PlantedMistake, plant_private_dns_mistake
from vpce_guard_local.sam.members import deploy_member_stack_set
from vpce_guard_local.samples import load_event, retarget

ROLES = MemberRoles(read="vpce-guard-read", remediate="vpce-guard-remediate", findings="vpce-guard-findings")
HUB_BUS = f"arn:aws:events:{REGION}:123456789012:event-bus/vpce-guard-hub"
READER, ACTOR = "vpce-guard-hub-ConfigRuleFunctionRole", "vpce-guard-hub-OnChangeFunctionRole"
NOTIFIER = "vpce-guard-hub-NotifierFunctionRole"
OUTSIDER = "999999999999"


@dataclass
class Hub:
    """The hub's function roles, and sessions of them as the functions get them."""

    emulator: Emulator
    organization: Organization
    account_id: str
    _sessions: dict[tuple[str, str, str], AwsSession] = field(default_factory=dict)

    def role_arn(self, name: str, account_id: str | None = None) -> str:
        return f"arn:aws:iam::{account_id or self.account_id}:role/{name}"

    def session_of(self, role: str, region: str, account_id: str | None = None) -> AwsSession:
        """A session of the role ``role`` (in the hub account unless told), as its function runs with it."""
        account_id = account_id or self.account_id
        key = (role, region, account_id)
        if key not in self._sessions:
            sts = self.emulator.client("sts", region, account_id=account_id)
            answer = sts.assume_role(RoleArn=self.role_arn(role, account_id), RoleSessionName=role[-60:])
            self._sessions[key] = AwsSession(
                region, endpoint_url=self.emulator.url, credentials=TemporaryCredentials.from_api(answer["Credentials"])
            )
        return self._sessions[key]

    def accounts(self, role: str, account_id: str | None = None) -> Accounts:
        """What a hub function with the role ``role`` reaches (``account_id``: a look-alike elsewhere)."""
        home: Callable[[str], AwsSession] = lambda region: self.session_of(role, region, account_id)  # noqa: E731
        return Accounts(home, ROLES, session_name=f"vpce-guard-{role.split('-')[-1]}")

    def member_client(self, service: str, account_id: str) -> Any:
        return self.emulator.client(service, REGION, account_id=account_id)

    def plant(self, account_id: str) -> PlantedMistake:
        """An endpoint with private DNS off in a VPC of ``account_id``."""
        return plant_private_dns_mistake(self.member_client("ec2", account_id), REGION)


def create_role(emulator: Emulator, account_id: str, name: str) -> None:
    """A role its own account's administrators may assume (the hub's function roles stand-in)."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = emulator.client("iam", account_id=account_id)
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))


def org_with_members(emulator: Emulator, regions: tuple[str, ...] = (REGION,)) -> Hub:
    """Three members with the member stack in each region; the hub's reader, actor and notifier roles in the
    management account, which is the hub's home."""
    organization = emulator.organization(members=3)
    hub = Hub(emulator, organization, organization.management_account_id)
    for role in (READER, ACTOR, NOTIFIER):
        create_role(emulator, hub.account_id, role)
    deploy_members(hub, hub.account_id, ROLES, regions)
    return hub


def deploy_members(
    hub: Hub, hub_account_id: str, roles: MemberRoles, regions: tuple[str, ...] = (REGION,), name: str = "members"
) -> None:
    """The member template through a service-managed StackSet to the organization's OU, trusting the hub
    function roles of ``hub_account_id`` (the reader, actor and notifier roles' names); the findings role is
    created when ``roles`` names one, as the hub's EnableSecurityHub "true" does."""
    deploy_member_stack_set(
        hub.emulator.client("cloudformation", REGION),
        {
            "HubAccountId": hub_account_id,
            "HubEventBusArn": HUB_BUS,
            "OrganizationId": hub.organization.id,
            "HubReaderRoleArns": ",".join(hub.role_arn(role, hub_account_id) for role in (READER, ACTOR)),
            "HubActorRoleArns": hub.role_arn(ACTOR, hub_account_id),
            "HubNotifierRoleArns": hub.role_arn(NOTIFIER, hub_account_id),
            "ReadRoleName": roles.read or "",
            "RemediationRoleName": roles.remediate or "",
            "FindingsRoleName": roles.findings or "",
            "SecurityHubEnabled": "true" if roles.findings else "false",
            "RoleRegion": REGION,
            "MemberRegions": ",".join(regions),
            "RemediationEnabled": "true",
            "ReadsBucketPolicies": "true",
            "ConfigRuleFunctionArn": f"arn:aws:lambda:{REGION}:{hub_account_id}:function:vpce-guard-config-rule",
        },
        [hub.organization.ou_id],
        regions,
        name=name,
    )


def created(mistake: PlantedMistake) -> ApiChange:
    """The CloudTrail record of the mistake's endpoint being created, as the hub's bus receives it."""
    change = parse_api_change(retarget(load_event("cloudtrail-create-vpc-endpoint-interface"), mistake.story_ids()))
    assert isinstance(change, ApiChange)
    return change
