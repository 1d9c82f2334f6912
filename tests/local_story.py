"""The samples' story (events/README.md) built in the emulator, so the sample events can be retargeted at real
resources: a VPC with private subnets in two zones, an SSM interface endpoint in one subnet with private DNS
off behind an HTTPS group, an S3 gateway endpoint on the first subnet's route table, a subnet in a third zone
with a route table of its own, and the VPC's default network ACL; and, which no sample names, a DynamoDB
interface endpoint in both subnets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vpce_guard_local.estate import EstateBuilder
from vpce_guard_local.samples import (
    SAMPLE_ACCOUNT,
    SAMPLE_ENDPOINT,
    SAMPLE_GATEWAY,
    SAMPLE_GATEWAY_TABLE,
    SAMPLE_GROUP,
    SAMPLE_NETWORK_ACL,
    SAMPLE_NEW_SUBNET,
    SAMPLE_NEW_TABLE,
    SAMPLE_SUBNETS,
    SAMPLE_VPC,
    load_event,
    retarget,
)


def build_story(ec2: Any, region: str, account_id: str) -> dict[str, str]:
    """Build the story; returns the map from the samples' ids to the ids built."""
    build = EstateBuilder(ec2, region)
    vpc = build.vpc("10.60.0.0/16", zones=2, public_subnet=False, name="sample-story")
    group = build.security_group(vpc, "sample-story-endpoints", https_from_cidrs=[vpc.cidr])
    ssm = build.interface_endpoint(
        vpc, "ssm", subnet_ids=vpc.private_subnet_ids[:1], group_ids=[group], private_dns=False
    )
    gateway = build.gateway_endpoint(vpc, "s3", route_table_ids=vpc.private_route_table_ids[:1])
    # An interface endpoint of a service that also takes a free gateway endpoint, and no gateway endpoint of it:
    # the evaluations read whether the VPC has a path from elsewhere.
    build.interface_endpoint(vpc, "dynamodb", subnet_ids=vpc.private_subnet_ids, group_ids=[group], private_dns=False)
    third_zone = ec2.describe_availability_zones()["AvailabilityZones"][2]["ZoneName"]
    new_subnet = ec2.create_subnet(VpcId=vpc.id, CidrBlock="10.60.32.0/20", AvailabilityZone=third_zone)["Subnet"]
    new_table = ec2.create_route_table(VpcId=vpc.id)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=new_table, SubnetId=new_subnet["SubnetId"])
    defaults = [{"Name": "vpc-id", "Values": [vpc.id]}, {"Name": "default", "Values": ["true"]}]
    (network_acl,) = ec2.describe_network_acls(Filters=defaults)["NetworkAcls"]
    return {
        SAMPLE_ACCOUNT: account_id,
        SAMPLE_VPC: vpc.id,
        SAMPLE_SUBNETS[0]: vpc.private_subnet_ids[0],
        SAMPLE_SUBNETS[1]: vpc.private_subnet_ids[1],
        SAMPLE_NEW_SUBNET: new_subnet["SubnetId"],
        SAMPLE_ENDPOINT: ssm,
        SAMPLE_GATEWAY: gateway,
        SAMPLE_GROUP: group,
        SAMPLE_GATEWAY_TABLE: vpc.private_route_table_ids[0],
        SAMPLE_NEW_TABLE: new_table,
        SAMPLE_NETWORK_ACL: network_acl["NetworkAclId"],
    }


def story_event(name: str, ids: Mapping[str, str]) -> dict[str, Any]:
    """The sample event ``name``, about the story built."""
    return retarget(load_event(name), ids)
