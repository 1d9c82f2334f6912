"""The rollback's pure core: which attributes a change altered (undo_of), the calls that undo exactly those
(inverse_calls), and what changed since (changed_since)."""

from __future__ import annotations

import json
from typing import Any

from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY
from vpce_guard.remediation.model import ApiCall, ResourceRef
from vpce_guard.remediation.rollback import changed_since, inverse_calls, undo_of
from vpce_guard.remediation.runbooks import modify_endpoint

ENDPOINT = ResourceRef("endpoint", "vpce-1", "vpc-1", "111122223333", "us-east-1")
VPC = ResourceRef("vpc", "vpc-1", "vpc-1", "111122223333", "us-east-1")
GROUP = ResourceRef("security-group", "sg-1", "vpc-1", "111122223333", "us-east-1")
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:*", "Resource": "*"}],
}
WORLD = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
VPC_HTTPS = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}


def rollback_calls(resource: ResourceRef, before: dict[str, Any], after: dict[str, Any]) -> tuple[ApiCall, ...]:
    """The calls that undo a change that took ``resource`` from ``before`` to ``after``, read as ``after`` now."""
    undo = undo_of(resource, (), {resource.id: before}, {resource.id: after})
    return inverse_calls(undo, {resource.id: after})


def endpoint(**changed: Any) -> dict[str, Any]:
    return {
        "PrivateDnsEnabled": False,
        "PrivateDnsOnlyForInboundResolverEndpoint": None,
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


def test_private_dns_for_every_resolver_comes_back() -> None:
    before = endpoint(PrivateDnsEnabled=True, PrivateDnsOnlyForInboundResolverEndpoint=False)
    now = endpoint(PrivateDnsEnabled=True, PrivateDnsOnlyForInboundResolverEndpoint=True)

    assert rollback_calls(ENDPOINT, before, now) == modify(
        DnsOptions={"PrivateDnsOnlyForInboundResolverEndpoint": False}
    )


def test_the_inbound_resolver_option_undone_from_the_calls_alone_touches_nothing_else() -> None:
    before = endpoint(PrivateDnsEnabled=True, PrivateDnsOnlyForInboundResolverEndpoint=False)
    now = endpoint(PrivateDnsEnabled=True, PrivateDnsOnlyForInboundResolverEndpoint=True, SubnetIds=["subnet-z"])
    undo = undo_of(ENDPOINT, [modify_endpoint("vpce-1", inbound_resolver_only=True)], {"vpce-1": before}, None)

    assert inverse_calls(undo, {"vpce-1": now}) == modify(
        DnsOptions={"PrivateDnsOnlyForInboundResolverEndpoint": False}
    )
    assert changed_since(undo, {"vpce-1": now}) == []


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


# --- Precision: only what the change altered ------------------------------------------------------------

TURN_ON_PRIVATE_DNS = modify_endpoint("vpce-1", private_dns=True)
ADD_SUBNET_B = modify_endpoint("vpce-1", add={"SubnetIds": ["subnet-b"]})


def test_a_change_alters_only_what_its_calls_moved() -> None:
    after = endpoint(PrivateDnsEnabled=True, SubnetIds=["subnet-a", "subnet-z"])  # subnet-z: someone else's

    undo = undo_of(ENDPOINT, (TURN_ON_PRIVATE_DNS,), {"vpce-1": endpoint()}, {"vpce-1": after})

    assert [(a.key, a.before, a.after) for a in undo.alterations] == [("PrivateDnsEnabled", False, True)]


def test_rolling_back_private_dns_leaves_subnets_added_since_alone() -> None:
    undo = undo_of(
        ENDPOINT, (TURN_ON_PRIVATE_DNS,), {"vpce-1": endpoint()}, {"vpce-1": endpoint(PrivateDnsEnabled=True)}
    )
    now = {"vpce-1": endpoint(PrivateDnsEnabled=True, SubnetIds=["subnet-a", "subnet-b"])}

    assert (inverse_calls(undo, now), changed_since(undo, now)) == (modify(PrivateDnsEnabled=False), [])


def test_only_the_subnets_a_change_added_are_removed() -> None:
    after = endpoint(SubnetIds=["subnet-a", "subnet-b"])
    undo = undo_of(ENDPOINT, (ADD_SUBNET_B,), {"vpce-1": endpoint()}, {"vpce-1": after})
    now = {"vpce-1": endpoint(SubnetIds=["subnet-a", "subnet-b", "subnet-c"])}

    assert (inverse_calls(undo, now), changed_since(undo, now)) == (modify(RemoveSubnetIds=["subnet-b"]), [])


def test_an_added_subnet_removed_since_is_a_change_since() -> None:
    after = endpoint(SubnetIds=["subnet-a", "subnet-b"])
    undo = undo_of(ENDPOINT, (ADD_SUBNET_B,), {"vpce-1": endpoint()}, {"vpce-1": after})

    assert changed_since(undo, {"vpce-1": endpoint()}) == [
        "vpce-1 SubnetIds: subnet-b, which the change added, is gone"
    ]


def test_a_value_set_differently_since_is_a_change_since() -> None:
    undo = undo_of(
        ENDPOINT, (TURN_ON_PRIVATE_DNS,), {"vpce-1": endpoint()}, {"vpce-1": endpoint(PrivateDnsEnabled=True)}
    )

    assert changed_since(undo, {"vpce-1": endpoint()}) == ["vpce-1 PrivateDnsEnabled: the change left True, now False"]


def test_an_interrupted_change_is_undone_from_its_planned_calls() -> None:
    undo = undo_of(ENDPOINT, (TURN_ON_PRIVATE_DNS, ADD_SUBNET_B), {"vpce-1": endpoint()}, None)
    half_made = {"vpce-1": endpoint(PrivateDnsEnabled=True)}

    assert undo.interrupted
    assert (inverse_calls(undo, half_made), changed_since(undo, half_made)) == (modify(PrivateDnsEnabled=False), [])


def test_two_changes_to_one_list_overlap_only_on_a_shared_item() -> None:
    before, after = {"vpce-1": endpoint()}, {"vpce-1": endpoint(SubnetIds=["subnet-a", "subnet-b"])}
    (adds_b,) = undo_of(ENDPOINT, (ADD_SUBNET_B,), before, after).alterations
    add_c = modify_endpoint("vpce-1", add={"SubnetIds": ["subnet-c"]})
    (adds_c,) = undo_of(
        ENDPOINT, (add_c,), before, {"vpce-1": endpoint(SubnetIds=["subnet-a", "subnet-c"])}
    ).alterations

    assert (adds_b.overlaps(adds_b), adds_b.overlaps(adds_c)) == (True, False)
