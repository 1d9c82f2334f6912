"""rollback_calls: the exact calls that take a resource from now back to its snapshot."""

from __future__ import annotations

import json
from typing import Any

from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY
from vpce_guard.remediation.model import ApiCall, ResourceRef
from vpce_guard.remediation.rollback import rollback_calls

ENDPOINT = ResourceRef("endpoint", "vpce-1", "vpc-1", "111122223333", "us-east-1")
VPC = ResourceRef("vpc", "vpc-1", "vpc-1", "111122223333", "us-east-1")
GROUP = ResourceRef("security-group", "sg-1", "vpc-1", "111122223333", "us-east-1")
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:*", "Resource": "*"}],
}
WORLD = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
VPC_HTTPS = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}


def endpoint(**changed: Any) -> dict[str, Any]:
    return {
        "PrivateDnsEnabled": False,
        "PolicyDocument": POLICY,
        "SubnetIds": ["subnet-a"],
        "SecurityGroupIds": ["sg-1"],
        "RouteTableIds": [],
    } | changed


def modify(**parameters: Any) -> tuple[ApiCall, ...]:
    return (ApiCall("ec2", "modify_vpc_endpoint", {"VpcEndpointId": "vpce-1", **parameters}),)


def dns(name: str, value: bool) -> ApiCall:
    return ApiCall("ec2", "modify_vpc_attribute", {"VpcId": "vpc-1", name: {"Value": value}})


def test_an_unchanged_resource_needs_no_call() -> None:
    assert rollback_calls(ENDPOINT, endpoint(), endpoint()) == ()


def test_private_dns_goes_back() -> None:
    assert rollback_calls(ENDPOINT, endpoint(), endpoint(PrivateDnsEnabled=True)) == modify(PrivateDnsEnabled=False)


def test_a_policy_goes_back_as_written() -> None:
    now = endpoint(PolicyDocument=DEFAULT_ENDPOINT_POLICY)

    assert rollback_calls(ENDPOINT, endpoint(), now) == modify(PolicyDocument=json.dumps(POLICY, separators=(",", ":")))


def test_the_default_policy_goes_back_through_reset_policy() -> None:
    before = endpoint(PolicyDocument=DEFAULT_ENDPOINT_POLICY)

    assert rollback_calls(ENDPOINT, before, endpoint()) == modify(ResetPolicy=True)


def test_added_subnets_and_route_tables_are_removed_and_removed_ones_added() -> None:
    now = endpoint(SubnetIds=["subnet-b", "subnet-c"], RouteTableIds=["rtb-1"])

    assert rollback_calls(ENDPOINT, endpoint(), now) == modify(
        AddSubnetIds=["subnet-a"], RemoveSubnetIds=["subnet-b", "subnet-c"], RemoveRouteTableIds=["rtb-1"]
    )


def test_vpc_attributes_turned_on_go_back_off_hostnames_first() -> None:
    before = {"EnableDnsSupport": False, "EnableDnsHostnames": False}
    now = {"EnableDnsSupport": True, "EnableDnsHostnames": True}

    assert rollback_calls(VPC, before, now) == (dns("EnableDnsHostnames", False), dns("EnableDnsSupport", False))


def test_vpc_attributes_turned_off_go_back_on_support_first() -> None:
    before = {"EnableDnsSupport": True, "EnableDnsHostnames": True}
    now = {"EnableDnsSupport": False, "EnableDnsHostnames": False}

    assert rollback_calls(VPC, before, now) == (dns("EnableDnsSupport", True), dns("EnableDnsHostnames", True))


def test_a_group_gets_its_rules_back_before_the_added_ones_are_revoked() -> None:
    calls = rollback_calls(GROUP, {"IpPermissions": [WORLD]}, {"IpPermissions": [VPC_HTTPS]})

    assert calls == (
        ApiCall("ec2", "authorize_security_group_ingress", {"GroupId": "sg-1", "IpPermissions": [WORLD]}),
        ApiCall("ec2", "revoke_security_group_ingress", {"GroupId": "sg-1", "IpPermissions": [VPC_HTTPS]}),
    )
