"""The generic runbooks: the calls as EC2 takes them, and what each must leave behind."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY
from vpce_guard.remediation.runbooks import (
    authorize_ingress,
    expectations,
    modify_endpoint,
    revoke_ingress,
    rules_from,
    set_vpc_attribute,
)

WORLD = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
VPC_HTTPS = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}


def endpoint(**configuration: Any) -> dict[str, dict[str, Any]]:
    return {"vpce-1": configuration}


def test_modify_endpoint_sends_only_what_changes() -> None:
    call = modify_endpoint(
        "vpce-1", add={"SubnetIds": ["subnet-a"], "RouteTableIds": []}, remove={"SubnetIds": ["subnet-b"]}
    )

    assert call.parameters == {"VpcEndpointId": "vpce-1", "AddSubnetIds": ["subnet-a"], "RemoveSubnetIds": ["subnet-b"]}


def test_a_policy_is_sent_as_compact_json() -> None:
    call = modify_endpoint("vpce-1", policy=POLICY)

    assert call.parameters["PolicyDocument"] == json.dumps(POLICY, separators=(",", ":"))


def test_the_inbound_resolver_option_is_sent_alone_in_dns_options() -> None:
    call = modify_endpoint("vpce-1", inbound_resolver_only=True)

    assert call.parameters == {
        "VpcEndpointId": "vpce-1",
        "DnsOptions": {"PrivateDnsOnlyForInboundResolverEndpoint": True},
    }


def test_rules_from_cidrs_split_by_family_and_drop_ports_for_all_traffic() -> None:
    assert rules_from("-1", None, None, ["10.0.0.0/16", "2600::/56"]) == [
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
        {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "2600::/56"}]},
    ]


def test_an_authorised_rule_carries_its_description() -> None:
    call = authorize_ingress("sg-1", [VPC_HTTPS], description="why")

    assert call.parameters["IpPermissions"] == [
        {**VPC_HTTPS, "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "why"}]}
    ]


@pytest.mark.parametrize(
    ("call", "configurations"),
    [
        (modify_endpoint("vpce-1", private_dns=True), endpoint(PrivateDnsEnabled=True)),
        (
            modify_endpoint("vpce-1", inbound_resolver_only=True),
            endpoint(PrivateDnsOnlyForInboundResolverEndpoint=True),
        ),
        (modify_endpoint("vpce-1", policy=POLICY), endpoint(PolicyDocument=POLICY)),
        (modify_endpoint("vpce-1", reset_policy=True), endpoint(PolicyDocument=DEFAULT_ENDPOINT_POLICY)),
        (modify_endpoint("vpce-1", add={"SubnetIds": ["subnet-a"]}), endpoint(SubnetIds=["subnet-a", "subnet-z"])),
        (modify_endpoint("vpce-1", remove={"RouteTableIds": ["rtb-a"]}), endpoint(RouteTableIds=["rtb-z"])),
        (set_vpc_attribute("vpc-1", "EnableDnsSupport", False), {"vpc-1": {"EnableDnsSupport": False}}),
        (authorize_ingress("sg-1", [VPC_HTTPS], description="why"), {"sg-1": {"IpPermissions": [VPC_HTTPS, WORLD]}}),
        (revoke_ingress("sg-1", [WORLD]), {"sg-1": {"IpPermissions": [VPC_HTTPS]}}),
    ],
    ids=lambda value: getattr(value, "operation", ""),
)
def test_a_call_that_took_effect_meets_its_expectations(call: Any, configurations: dict[str, Any]) -> None:
    assert all(expectation.met(configurations) for expectation in expectations(call))


def test_a_call_that_did_not_take_effect_says_what_was_read() -> None:
    (expectation,) = expectations(modify_endpoint("vpce-1", add={"SubnetIds": ["subnet-a"]}))

    assert not expectation.met(endpoint(SubnetIds=["subnet-z"]))
    assert expectation.describe(endpoint(SubnetIds=["subnet-z"])) == (
        'vpce-1 SubnetIds: expected includes ["subnet-a"], read ["subnet-z"]'
    )


def test_a_revoked_rule_still_present_is_not_met() -> None:
    (expectation,) = expectations(revoke_ingress("sg-1", [WORLD]))

    assert not expectation.met({"sg-1": {"IpPermissions": [WORLD]}})
