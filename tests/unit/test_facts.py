"""Facts built from raw describe responses, as AWS (and a saved snapshot) gives them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from vpce_guard.facts import build_facts
from vpce_guard.snapshot import Scope, Snapshot, SnapshotError, TrafficWindow

VPC = "vpc-1"


def snapshot(**responses: Any) -> Snapshot:
    empty = {
        "DescribeVpcEndpoints": {"VpcEndpoints": []},
        "DescribeVpcEndpointServices": {"ServiceDetails": [], "ServiceNames": []},
        "DescribeVpcs": {"Vpcs": []},
        "DescribeVpcAttribute": [],
        "DescribeSubnets": {"Subnets": []},
        "DescribeSecurityGroups": {"SecurityGroups": []},
        "DescribeRouteTables": {"RouteTables": []},
        "DescribeNetworkAcls": {"NetworkAcls": []},
        "DescribeVpnGateways": {"VpnGateways": []},
        "DescribeTransitGatewayVpcAttachments": {"TransitGatewayVpcAttachments": []},
    }
    return Snapshot(Scope("us-east-1"), {**empty, **responses})


def subnet(subnet_id: str, zone: str = "us-east-1a", zone_id: str = "use1-az6") -> dict[str, Any]:
    return {"SubnetId": subnet_id, "VpcId": VPC, "AvailabilityZone": zone, "AvailabilityZoneId": zone_id,
            "CidrBlock": "10.0.0.0/24", "AvailableIpAddressCount": 250}  # fmt: skip


def route_table(
    table_id: str, *, main: bool = False, subnets: tuple[str, ...] = (), igw: bool = False
) -> dict[str, Any]:
    associations = [{"Main": True}] if main else []
    associations += [{"Main": False, "SubnetId": s} for s in subnets]
    routes = [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}]
    if igw:
        routes.append({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"})
    return {"RouteTableId": table_id, "VpcId": VPC, "Associations": associations, "Routes": routes}


def test_subnet_without_explicit_association_uses_the_main_route_table() -> None:
    facts = build_facts(
        snapshot(
            DescribeSubnets={"Subnets": [subnet("subnet-a")]},
            DescribeRouteTables={"RouteTables": [route_table("rtb-main", main=True)]},
        )
    )

    assert facts.subnets["subnet-a"].route_table_id == "rtb-main"


def test_subnet_routed_to_an_internet_gateway_is_public() -> None:
    facts = build_facts(
        snapshot(
            DescribeSubnets={"Subnets": [subnet("subnet-a"), subnet("subnet-b")]},
            DescribeRouteTables={
                "RouteTables": [
                    route_table("rtb-main", main=True),
                    route_table("rtb-pub", subnets=("subnet-b",), igw=True),
                ]
            },
        )
    )

    assert (facts.subnets["subnet-a"].is_public, facts.subnets["subnet-b"].is_public) == (False, True)


def test_workload_subnets_are_the_private_ones() -> None:
    facts = build_facts(
        snapshot(
            DescribeSubnets={"Subnets": [subnet("subnet-a"), subnet("subnet-b")]},
            DescribeRouteTables={"RouteTables": [route_table("rtb-pub", subnets=("subnet-b",), igw=True)]},
        )
    )

    assert [s.id for s in facts.workload_subnets(VPC)] == ["subnet-a"]


def test_vpc_without_private_subnets_treats_all_as_workload() -> None:
    facts = build_facts(
        snapshot(
            DescribeSubnets={"Subnets": [subnet("subnet-a")]},
            DescribeRouteTables={"RouteTables": [route_table("rtb-pub", main=True, igw=True)]},
        )
    )

    assert [s.id for s in facts.workload_subnets(VPC)] == ["subnet-a"]


def test_service_offered_as_gateway_and_interface_gives_two_entries() -> None:
    detail = {
        "ServiceName": "com.amazonaws.us-east-1.s3",
        "Owner": "amazon",
        "VpcEndpointPolicySupported": True,
        "AvailabilityZones": ["us-east-1a"],
        "PrivateDnsNames": [{"PrivateDnsName": "s3.us-east-1.amazonaws.com"}],
    }
    facts = build_facts(
        snapshot(
            DescribeVpcEndpointServices={
                "ServiceDetails": [
                    {**detail, "ServiceType": [{"ServiceType": "Interface"}]},
                    {**detail, "ServiceType": [{"ServiceType": "Gateway"}]},
                ]
            }
        )
    )

    assert set(facts.services) == {
        ("com.amazonaws.us-east-1.s3", "Interface"),
        ("com.amazonaws.us-east-1.s3", "Gateway"),
    }


def test_vpc_dns_attributes_come_from_describe_vpc_attribute() -> None:
    facts = build_facts(
        snapshot(
            DescribeVpcs={"Vpcs": [{"VpcId": VPC, "OwnerId": "111122223333", "CidrBlock": "10.0.0.0/16"}]},
            DescribeVpcAttribute=[
                {"VpcId": VPC, "EnableDnsSupport": {"Value": True}},
                {"VpcId": VPC, "EnableDnsHostnames": {"Value": False}},
            ],
        )
    )

    assert (facts.vpcs[VPC].dns_support, facts.vpcs[VPC].dns_hostnames) == (True, False)


def test_vpc_cidrs_include_associated_ipv4_and_ipv6_blocks_only() -> None:
    raw = {
        "VpcId": VPC, "OwnerId": "111122223333", "CidrBlock": "10.0.0.0/16",
        "CidrBlockAssociationSet": [
            {"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
            {"CidrBlock": "10.9.0.0/16", "CidrBlockState": {"State": "disassociated"}},
        ],
        "Ipv6CidrBlockAssociationSet": [
            {"Ipv6CidrBlock": "2600:1f18::/56", "Ipv6CidrBlockState": {"State": "associated"}},
        ],
    }  # fmt: skip

    facts = build_facts(snapshot(DescribeVpcs={"Vpcs": [raw]}))

    assert facts.vpcs[VPC].cidrs == ("10.0.0.0/16", "2600:1f18::/56")


def test_a_subnet_keeps_its_associated_ipv6_blocks_only() -> None:
    raw = subnet("subnet-a") | {
        "Ipv6CidrBlockAssociationSet": [
            {"Ipv6CidrBlock": "2600:1f18::/64", "Ipv6CidrBlockState": {"State": "associated"}},
            {"Ipv6CidrBlock": "2600:1f18:0:1::/64", "Ipv6CidrBlockState": {"State": "disassociating"}},
        ]
    }

    facts = build_facts(snapshot(DescribeSubnets={"Subnets": [raw, subnet("subnet-b")]}))

    assert (facts.subnets["subnet-a"].ipv6_cidrs, facts.subnets["subnet-b"].ipv6_cidrs) == (("2600:1f18::/64",), ())


def test_deleted_endpoints_are_not_active() -> None:
    endpoint = {"VpcEndpointId": "vpce-1", "VpcId": VPC, "VpcEndpointType": "Interface", "State": "deleted",
                "ServiceName": "com.amazonaws.us-east-1.sts"}  # fmt: skip

    facts = build_facts(snapshot(DescribeVpcEndpoints={"VpcEndpoints": [endpoint]}))

    assert facts.active_endpoints == ()


def test_unreadable_policy_becomes_a_problem_naming_the_endpoint() -> None:
    endpoint = {"VpcEndpointId": "vpce-1", "VpcId": VPC, "VpcEndpointType": "Interface", "State": "available",
                "ServiceName": "com.amazonaws.us-east-1.sts", "PolicyDocument": "not json{"}  # fmt: skip

    facts = build_facts(snapshot(DescribeVpcEndpoints={"VpcEndpoints": [endpoint]}))

    assert [problem.resource_id for problem in facts.problems] == ["vpce-1"]
    assert facts.endpoints[0].policy is None


def test_endpoint_types_without_a_service_name_are_read() -> None:
    endpoint = {"VpcEndpointId": "vpce-r", "VpcId": VPC, "VpcEndpointType": "Resource", "State": "available"}

    facts = build_facts(snapshot(DescribeVpcEndpoints={"VpcEndpoints": [endpoint]}))

    assert facts.endpoints[0].service_name is None


def test_a_rule_whose_source_is_not_an_address_range_skips_its_group_with_a_problem() -> None:
    group = {
        "GroupId": "sg-1",
        "VpcId": VPC,
        "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0/33"}]}],
    }

    facts = build_facts(snapshot(DescribeSecurityGroups={"SecurityGroups": [group]}))

    assert "sg-1" not in facts.security_groups
    assert [problem.resource_id for problem in facts.problems] == ["sg-1"]


def test_a_groups_egress_rules_are_read_with_their_destinations() -> None:
    group = {
        "GroupId": "sg-1",
        "VpcId": VPC,
        "IpPermissionsEgress": [
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": "pl-63a5400a"}]},
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}], "UserIdGroupPairs": [{"GroupId": "sg-2"}]},
        ],
    }

    (https, everything) = (
        build_facts(snapshot(DescribeSecurityGroups={"SecurityGroups": [group]})).security_groups["sg-1"].egress
    )

    assert (https.admits_tcp_port(443), https.prefix_list_ids) == (True, ("pl-63a5400a",))
    assert (everything.protocol, everything.cidrs, everything.group_ids) == ("-1", ("10.0.0.0/16",), ("sg-2",))


def test_the_prefix_lists_routed_to_a_gateway_endpoint_are_its_services_addresses() -> None:
    table = route_table("rtb-1", subnets=("subnet-a",))
    table["Routes"] += [
        {"DestinationPrefixListId": "pl-63a5400a", "GatewayId": "vpce-s3"},
        {"DestinationPrefixListId": "pl-02cd2c6b", "GatewayId": "vpce-dynamodb"},
        {"DestinationPrefixListId": "pl-0customer00000001", "TransitGatewayId": "tgw-1"},
    ]
    gateway = {"VpcEndpointId": "vpce-s3", "VpcId": VPC, "VpcEndpointType": "Gateway", "State": "available"}

    facts = build_facts(
        snapshot(DescribeRouteTables={"RouteTables": [table]}, DescribeVpcEndpoints={"VpcEndpoints": [gateway]})
    )

    assert facts.prefix_lists_of(facts.endpoints) == {"pl-63a5400a"}


def test_a_response_item_missing_what_aws_always_returns_is_a_snapshot_error() -> None:
    endpoint = {"VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface", "State": "available"}

    with pytest.raises(SnapshotError, match="lacks the field 'VpcId'"):
        build_facts(snapshot(DescribeVpcEndpoints={"VpcEndpoints": [endpoint]}))


def test_services_without_a_policy_support_flag_are_taken_to_support_policies() -> None:
    detail = {"ServiceName": "com.amazonaws.us-east-1.sts", "ServiceType": [{"ServiceType": "Interface"}]}

    facts = build_facts(snapshot(DescribeVpcEndpointServices={"ServiceDetails": [detail]}))

    assert facts.services[("com.amazonaws.us-east-1.sts", "Interface")].policy_supported


def acl_entry(number: int, action: str, *, egress: bool = False, protocol: str = "6", **where: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"RuleNumber": number, "RuleAction": action, "Egress": egress, "Protocol": protocol}
    return entry | {"CidrBlock": "10.0.0.0/16"} | where


def test_a_network_acl_keeps_its_rules_in_the_order_aws_evaluates_them() -> None:
    facts = build_facts(
        snapshot(
            DescribeSubnets={"Subnets": [subnet("subnet-a")]},
            DescribeNetworkAcls={
                "NetworkAcls": [
                    {
                        "NetworkAclId": "acl-1",
                        "VpcId": VPC,
                        "IsDefault": False,
                        "Associations": [{"NetworkAclId": "acl-1", "SubnetId": "subnet-a"}],
                        "Entries": [
                            acl_entry(32767, "deny", protocol="-1", CidrBlock="0.0.0.0/0"),
                            acl_entry(200, "allow", PortRange={"From": 443, "To": 443}),
                            acl_entry(100, "deny", egress=True, Ipv6CidrBlock="::/0", CidrBlock=None),
                            acl_entry(100, "deny", PortRange={"From": 1024, "To": 65535}),
                        ],
                    }
                ]
            },
        )
    )

    acl = facts.network_acls["acl-1"]
    assert facts.subnets["subnet-a"].network_acl_id == "acl-1"
    assert acl.subnet_ids == ("subnet-a",)
    assert [(entry.egress, entry.number) for entry in acl.entries] == [
        (False, 100),
        (False, 200),
        (False, 32767),
        (True, 100),
    ]
    inbound_443 = acl.entries[1]
    assert (inbound_443.allows, inbound_443.protocol, inbound_443.cidr, inbound_443.ports) == (
        True,
        "6",
        "10.0.0.0/16",
        (443, 443),
    )
    assert acl.entries[2].ports is None
    assert acl.entries[3].cidr == "::/0"


def test_a_network_acl_with_an_unreadable_range_is_a_problem_not_a_verdict() -> None:
    facts = build_facts(
        snapshot(
            DescribeNetworkAcls={
                "NetworkAcls": [
                    {
                        "NetworkAclId": "acl-1",
                        "VpcId": VPC,
                        "Entries": [acl_entry(100, "allow", CidrBlock="10.0.0.0/33")],
                    }
                ]
            }
        )
    )

    assert facts.network_acls == {}
    assert [(problem.resource_id, problem.message) for problem in facts.problems] == [
        ("acl-1", "rule 100 has no readable address range; network ACL skipped")
    ]


def test_attached_private_gateways_and_transit_gateway_attachments_are_the_vpcs_paths_elsewhere() -> None:
    facts = build_facts(
        snapshot(
            DescribeVpcs={
                "Vpcs": [{"VpcId": VPC, "CidrBlock": "10.0.0.0/16"}, {"VpcId": "vpc-2", "CidrBlock": "10.1.0.0/16"}]
            },
            DescribeVpnGateways={
                "VpnGateways": [
                    {
                        "VpnGatewayId": "vgw-1",
                        "State": "available",
                        "VpcAttachments": [{"VpcId": VPC, "State": "attached"}],
                    },
                    {
                        "VpnGatewayId": "vgw-2",
                        "State": "available",
                        "VpcAttachments": [{"VpcId": "vpc-2", "State": "detached"}],
                    },
                    {
                        "VpnGatewayId": "vgw-3",
                        "State": "deleted",
                        "VpcAttachments": [{"VpcId": "vpc-2", "State": "attached"}],
                    },
                ]
            },
            DescribeTransitGatewayVpcAttachments={
                "TransitGatewayVpcAttachments": [
                    {"TransitGatewayAttachmentId": "tgw-attach-1", "VpcId": VPC, "State": "available"},
                    {"TransitGatewayAttachmentId": "tgw-attach-2", "VpcId": "vpc-2", "State": "deleted"},
                ]
            },
        )
    )

    assert facts.vpcs[VPC].on_premises_paths == ("tgw-attach-1", "vgw-1")
    assert facts.vpcs["vpc-2"].on_premises_paths == ()


def test_an_endpoint_keeps_when_it_was_made_and_whether_its_private_dns_answers_only_on_premises() -> None:
    endpoint = {
        "VpcEndpointId": "vpce-1",
        "VpcId": VPC,
        "VpcEndpointType": "Interface",
        "ServiceName": "com.amazonaws.us-east-1.s3",
        "CreationTimestamp": "2026-11-01T08:30:00+00:00",
        "PrivateDnsEnabled": True,
        "DnsOptions": {"DnsRecordIpType": "ipv4", "PrivateDnsOnlyForInboundResolverEndpoint": False},
    }
    without = {"VpcEndpointId": "vpce-2", "VpcId": VPC, "VpcEndpointType": "Gateway"}

    facts = build_facts(snapshot(DescribeVpcEndpoints={"VpcEndpoints": [endpoint, without]}))

    made, gateway = facts.endpoints
    assert made.created_at == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert made.private_dns_only_for_inbound_resolver is False
    assert (gateway.created_at, gateway.private_dns_only_for_inbound_resolver) == (None, None)


@pytest.mark.parametrize("written", ["2026-11-01T08:30:00", "2026-11-01T09:30:00+01:00"])
def test_a_creation_time_is_read_in_utc_and_one_without_a_zone_as_utc(written: str) -> None:
    endpoint = {"VpcEndpointId": "vpce-1", "VpcId": VPC, "VpcEndpointType": "Interface", "CreationTimestamp": written}

    (read,) = build_facts(snapshot(DescribeVpcEndpoints={"VpcEndpoints": [endpoint]})).endpoints

    assert read.created_at == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert read.created_at is not None
    assert read.created_at.tzinfo is UTC


WINDOW = TrafficWindow(datetime(2026, 11, 23, 7, 0, tzinfo=UTC), datetime(2026, 12, 7, 7, 0, tzinfo=UTC))


def test_traffic_sums_each_endpoints_values_across_pages_and_an_unanswered_query_is_a_problem() -> None:
    results = [
        {"Id": "e0", "Label": "vpce-busy", "Values": [1_000.0, 24.0], "StatusCode": "PartialData"},
        {"Id": "e0", "Label": "vpce-busy", "Values": [2.0], "StatusCode": "Complete"},
        {"Id": "e1", "Label": "vpce-idle", "Values": [], "StatusCode": "Complete"},
        {"Id": "e2", "Label": "vpce-unread", "Values": [], "StatusCode": "Forbidden"},
    ]
    facts = build_facts(
        Snapshot(
            Scope("us-east-1", traffic_window=WINDOW),
            {**snapshot().responses, "GetMetricData": {"MetricDataResults": results}},
        )
    )

    assert facts.traffic is not None
    assert facts.traffic.window == WINDOW
    assert facts.traffic.bytes_processed == {"vpce-busy": 1_026.0, "vpce-idle": 0.0}
    assert [(problem.resource_id, problem.message) for problem in facts.problems] == [
        ("vpce-unread", "CloudWatch did not answer for its traffic; traffic checks skipped")
    ]


def test_traffic_not_read_is_none_not_silence() -> None:
    assert build_facts(snapshot()).traffic is None
