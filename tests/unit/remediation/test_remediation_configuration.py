"""Configuration snapshots: equal exactly when the resource is configured the same, readable when not."""

from __future__ import annotations

import json
from typing import Any

from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY
from vpce_guard.remediation.configuration import (
    describe_rule,
    differences,
    endpoint_configuration,
    normalise_permissions,
)

HTTPS = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}


def test_an_endpoint_reads_as_its_six_attributes_with_sorted_ids() -> None:
    described = {
        "VpcEndpointId": "vpce-1",
        "PrivateDnsEnabled": True,
        "DnsOptions": {"DnsRecordIpType": "ipv4", "PrivateDnsOnlyForInboundResolverEndpoint": False},
        "PolicyDocument": json.dumps(DEFAULT_ENDPOINT_POLICY),
        "SubnetIds": ["subnet-b", "subnet-a"],
        "Groups": [{"GroupId": "sg-b", "GroupName": "b"}, {"GroupId": "sg-a", "GroupName": "a"}],
        "RouteTableIds": [],
        "State": "available",
    }

    assert endpoint_configuration(described) == {
        "PrivateDnsEnabled": True,
        "PrivateDnsOnlyForInboundResolverEndpoint": False,
        "PolicyDocument": DEFAULT_ENDPOINT_POLICY,
        "SubnetIds": ["subnet-a", "subnet-b"],
        "SecurityGroupIds": ["sg-a", "sg-b"],
        "RouteTableIds": [],
    }


def test_policy_formatting_does_not_count() -> None:
    compact = endpoint_configuration({"PolicyDocument": json.dumps(DEFAULT_ENDPOINT_POLICY, separators=(",", ":"))})
    pretty = endpoint_configuration({"PolicyDocument": json.dumps(DEFAULT_ENDPOINT_POLICY, indent=4)})

    assert compact == pretty


def test_an_endpoint_without_a_policy_reads_none() -> None:
    assert endpoint_configuration({})["PolicyDocument"] is None


def test_an_endpoint_whose_dns_options_do_not_say_reads_none_for_the_inbound_resolver_option() -> None:
    assert (
        endpoint_configuration({"DnsOptions": {"DnsRecordIpType": "ipv4"}})["PrivateDnsOnlyForInboundResolverEndpoint"]
        is None
    )


def test_rules_split_into_one_per_source_without_descriptions_sorted() -> None:
    permissions: list[dict[str, Any]] = [
        {
            **HTTPS,
            "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "vpc"}, {"CidrIp": "0.0.0.0/0"}],
            "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            "UserIdGroupPairs": [{"GroupId": "sg-c", "UserId": "111122223333", "Description": "clients"}],
            "PrefixListIds": [{"PrefixListId": "pl-1"}],
        },
        {"IpProtocol": "-1", "IpRanges": [], "Ipv6Ranges": [], "UserIdGroupPairs": [], "PrefixListIds": []},
    ]

    assert normalise_permissions(permissions) == sorted(
        [
            {**HTTPS, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
            {**HTTPS, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {**HTTPS, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
            {**HTTPS, "UserIdGroupPairs": [{"GroupId": "sg-c", "UserId": "111122223333"}]},
            {**HTTPS, "PrefixListIds": [{"PrefixListId": "pl-1"}]},
        ],
        key=lambda rule: json.dumps(rule, sort_keys=True),
    )


def test_rules_written_in_any_grouping_read_the_same() -> None:
    together = [{**HTTPS, "IpRanges": [{"CidrIp": "10.0.0.0/16"}, {"CidrIp": "10.1.0.0/16"}]}]
    apart = [{**HTTPS, "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}, {**HTTPS, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]

    assert normalise_permissions(together) == normalise_permissions(apart)


def test_equal_snapshots_have_no_differences() -> None:
    snapshot = {"vpc-1": {"EnableDnsSupport": True, "EnableDnsHostnames": False}}

    assert differences(snapshot, snapshot) == []


def test_a_changed_value_reads_old_to_new() -> None:
    before = {"vpce-1": {"PrivateDnsEnabled": False}}
    after = {"vpce-1": {"PrivateDnsEnabled": True}}

    assert differences(before, after) == ["vpce-1 PrivateDnsEnabled: False -> True"]


def test_changed_lists_read_as_removed_and_added_items() -> None:
    before = {"vpce-1": {"SubnetIds": ["subnet-a", "subnet-b"]}}
    after = {"vpce-1": {"SubnetIds": ["subnet-a", "subnet-c"]}}

    assert differences(before, after) == ["vpce-1 SubnetIds: -subnet-b, +subnet-c"]


def test_changed_rules_read_as_people_write_them() -> None:
    before = {"sg-1": {"IpPermissions": [{**HTTPS, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}}
    after = {"sg-1": {"IpPermissions": [{**HTTPS, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]}}

    assert differences(before, after) == ["sg-1 IpPermissions: -tcp 443 from 0.0.0.0/0, +tcp 443 from 10.0.0.0/16"]


def test_a_resource_read_on_one_side_only_is_a_difference() -> None:
    assert differences({"vpc-1": {}}, {}) == ["vpc-1: configuration read -> not read"]


def test_rules_describe_protocol_ports_and_source() -> None:
    assert [
        describe_rule({"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-1"}]}),
        describe_rule(
            {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "PrefixListIds": [{"PrefixListId": "pl-1"}]}
        ),
    ] == ["all traffic from sg-1", "tcp 0-65535 from pl-1"]
