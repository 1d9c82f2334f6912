"""The member side of an org-wide deployment in the emulator: member/template.yaml deployed to every account of
the target organizational units and every region through a service-managed StackSet, as the hub's
``AWS::CloudFormation::StackSet`` deploys it in AWS.

moto's CloudFormation really deploys stack sets per account and region (roles, the forwarding rule, their
conditions), but has no ``AWS::Config::ConfigRule``: the member stacks skip it, and ``local up --org``
creates each member's Config rule itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vpce_guard_local import CHECKOUT
from vpce_guard_local.sam.stack import LocalRunError

# The member template's resource types moto's CloudFormation does not create: ``local up`` creates them itself.
MOTO_SKIPS = frozenset({"AWS::Config::ConfigRule"})
MEMBER_TEMPLATE = CHECKOUT / "member" / "template.yaml"
STACK_SET_NAME = "vpce-guard-members"


@dataclass(frozen=True)
class MemberStack:
    account_id: str
    region: str
    stack_id: str


def deploy_member_stack_set(
    cloudformation: Any,
    parameters: Mapping[str, str],
    organizational_unit_ids: Sequence[str],
    regions: Sequence[str],
    *,
    name: str = STACK_SET_NAME,
    template: Path = MEMBER_TEMPLATE,
) -> list[MemberStack]:
    """Create the stack set (from the management account's CloudFormation client) and its instances in every
    account of ``organizational_unit_ids`` and each of ``regions``; the member stacks, or LocalRunError naming
    the ones that failed."""
    if not template.is_file():
        raise LocalRunError(f"no member template at {template}: run from the vpce-guard repository")
    cloudformation.create_stack_set(
        StackSetName=name,
        TemplateBody=template.read_text(encoding="utf-8"),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    cloudformation.create_stack_instances(
        StackSetName=name,
        DeploymentTargets={"OrganizationalUnitIds": list(organizational_unit_ids)},
        Regions=list(regions),
    )
    pages = cloudformation.get_paginator("list_stack_instances").paginate(StackSetName=name)
    instances = [summary for page in pages for summary in page["Summaries"]]
    failed = [i for i in instances if i.get("StackInstanceStatus", {}).get("DetailedStatus") != "SUCCEEDED"]
    if failed:
        where = ", ".join(f"{i['Account']}/{i['Region']}: {i.get('StatusReason', i['Status'])}" for i in failed)
        raise LocalRunError(f"member stacks failed: {where}")
    return [MemberStack(i["Account"], i["Region"], i["StackId"]) for i in instances]
