"""Each remediation action declares the IAM actions its plans and their rollbacks may call (Cloud Custodian's
idea); a deployment's policy is derived from the declarations, so they must hold every call."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from remediation_builders import every_kind_of_plan

from vpce_guard.bucket_policies import PERMISSIONS as BUCKET_POLICY_PERMISSIONS
from vpce_guard.checks import CHECKS
from vpce_guard.remediation.configuration import READ_PERMISSIONS
from vpce_guard.remediation.model import ENDPOINT, SECURITY_GROUP, VPC, Plan
from vpce_guard.remediation.plans import PERMISSIONS
from vpce_guard.remediation.rollback import inverse_calls, undo_of

EC2_OPERATIONS = set(botocore.session.get_session().get_service_model("ec2").operation_names)
# Two configurations of each kind of resource that differ in every attribute.
OPPOSITES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    ENDPOINT: (
        {
            "PrivateDnsEnabled": False,
            "PolicyDocument": {"Version": "2012-10-17", "Statement": []},
            "SubnetIds": ["subnet-a"],
            "SecurityGroupIds": ["sg-a"],
            "RouteTableIds": ["rtb-a"],
        },
        {
            "PrivateDnsEnabled": True,
            "PolicyDocument": {"Version": "2008-10-17", "Statement": []},
            "SubnetIds": ["subnet-b"],
            "SecurityGroupIds": ["sg-b"],
            "RouteTableIds": ["rtb-b"],
        },
    ),
    VPC: (
        {"EnableDnsSupport": False, "EnableDnsHostnames": False},
        {"EnableDnsSupport": True, "EnableDnsHostnames": True},
    ),
    SECURITY_GROUP: (
        {"IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]},
        {"IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]},
    ),
}
PLANS = every_kind_of_plan()


def label(plan: Plan) -> str:
    return plan.finding.check_id


@pytest.mark.parametrize("plan", PLANS, ids=label)
def test_every_planned_call_is_declared_by_its_action(plan: Plan) -> None:
    assert {call.iam_action for call in plan.calls} <= set(PERMISSIONS[plan.finding.remediation.action])


@pytest.mark.parametrize("plan", PLANS, ids=label)
def test_every_rollback_call_is_declared_by_its_action(plan: Plan) -> None:
    rollbacks = [
        call
        for resource in plan.resources
        for before, now in (OPPOSITES[resource.kind], OPPOSITES[resource.kind][::-1])
        for call in inverse_calls(undo_of(resource, (), {resource.id: before}, {resource.id: now}), {resource.id: now})
    ]

    assert {call.iam_action for call in rollbacks} <= set(PERMISSIONS[plan.finding.remediation.action])


def test_every_declared_permission_is_an_ec2_operation_or_a_read_of_the_evidence_or_the_bucket_policies() -> None:
    declared = {action for actions in PERMISSIONS.values() for action in actions} | set(READ_PERMISSIONS)
    ec2 = {action for action in declared if action.startswith("ec2:")}

    assert {action.removeprefix("ec2:") for action in ec2} <= EC2_OPERATIONS
    assert declared - ec2 == {"cloudtrail:LookupEvents", *BUCKET_POLICY_PERMISSIONS}
    assert BUCKET_POLICY_PERMISSIONS == ("s3:ListAllMyBuckets", "s3:GetBucketPolicy")  # ListBuckets, GetBucketPolicy


def test_the_actions_of_ticket_only_checks_need_no_permission() -> None:
    ticket_only = {check.remediation_action for check in CHECKS.values() if not check.automatic}

    assert {"create-endpoint", "allow-https-through-network-acl"} <= ticket_only
    assert {PERMISSIONS[action] for action in ticket_only} == {()}
