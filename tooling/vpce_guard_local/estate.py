"""Builds VPC estates through the EC2 API: the demo's, the integration tests' and the benchmarks' estates.

Estates are built the way people build them in AWS (private subnets with their own route tables, a public
subnet behind an internet gateway, endpoint security groups), so what the checks see is realistic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vpce_guard.catalog import load_catalog
from vpce_guard.identifiers import partition_of
from vpce_guard.perimeter import Perimeter, ServiceProfile, rewrite
from vpce_guard_local.samples import SAMPLE_ACCOUNT, SAMPLE_ENDPOINT, SAMPLE_GROUP, SAMPLE_VPC

HTTPS = 443


@dataclass(frozen=True)
class BuiltVpc:
    id: str
    owner_id: str
    cidr: str
    zone_names: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    private_route_table_ids: tuple[str, ...]
    public_subnet_ids: tuple[str, ...] = ()
    public_route_table_ids: tuple[str, ...] = ()


class EstateBuilder:
    def __init__(self, ec2: Any, region: str) -> None:
        self.ec2 = ec2
        self.region = region
        self._zone_names = tuple(zone["ZoneName"] for zone in ec2.describe_availability_zones()["AvailabilityZones"])

    def service_name(self, key: str, endpoint_type: str = "Interface") -> str:
        return load_catalog().service_name(key, self.region, endpoint_type)

    def vpc(
        self,
        cidr: str,
        *,
        zones: int = 3,
        public_subnet: bool = True,
        name: str = "",
    ) -> BuiltVpc:
        """A VPC with DNS support and hostnames on, one private subnet (and route table) per zone and,
        optionally, a public subnet in the first zone routed to an internet gateway."""
        created = self.ec2.create_vpc(CidrBlock=cidr, TagSpecifications=_name_tag("vpc", name))["Vpc"]
        vpc_id, owner_id = created["VpcId"], created["OwnerId"]
        self.set_vpc_dns(vpc_id, support=True, hostnames=True)
        base = cidr.split("/")[0].rsplit(".", 2)[0]
        zone_names = self._zone_names[:zones]
        private_subnets, private_tables = [], []
        for index, zone in enumerate(zone_names):
            subnet_id = self._subnet(vpc_id, f"{base}.{index * 16}.0/20", zone)
            table_id = self.ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
            self.ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
            private_subnets.append(subnet_id)
            private_tables.append(table_id)
        if not public_subnet:
            return BuiltVpc(vpc_id, owner_id, cidr, zone_names, tuple(private_subnets), tuple(private_tables))
        public_subnet_id = self._subnet(vpc_id, f"{base}.240.0/24", zone_names[0])
        gateway_id = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc_id)
        public_table = self.ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        self.ec2.create_route(RouteTableId=public_table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway_id)
        self.ec2.associate_route_table(RouteTableId=public_table, SubnetId=public_subnet_id)
        return BuiltVpc(
            vpc_id,
            owner_id,
            cidr,
            zone_names,
            tuple(private_subnets),
            tuple(private_tables),
            (public_subnet_id,),
            (public_table,),
        )

    def set_vpc_dns(self, vpc_id: str, *, support: bool, hostnames: bool) -> None:
        self.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": support})
        self.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": hostnames})

    def _subnet(self, vpc_id: str, cidr: str, zone: str) -> str:
        return str(self.ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"])

    def security_group(
        self,
        vpc: BuiltVpc,
        name: str,
        *,
        https_from_cidrs: Sequence[str] = (),
        https_from_groups: Sequence[str] = (),
        other_ports: Sequence[int] = (),
    ) -> str:
        group_id = str(self.ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc.id)["GroupId"])
        permissions: list[dict[str, Any]] = []
        if https_from_cidrs or https_from_groups:
            permissions.append(
                {
                    "IpProtocol": "tcp",
                    "FromPort": HTTPS,
                    "ToPort": HTTPS,
                    "IpRanges": [{"CidrIp": cidr} for cidr in https_from_cidrs if ":" not in cidr],
                    "Ipv6Ranges": [{"CidrIpv6": cidr} for cidr in https_from_cidrs if ":" in cidr],
                    "UserIdGroupPairs": [{"GroupId": group} for group in https_from_groups],
                }
            )
        permissions += [
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": vpc.cidr}]}
            for port in other_ports
        ]
        if permissions:
            self.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=permissions)
        return group_id

    def deny_https(self, vpc: BuiltVpc, cidr: str, *, rule_number: int = 90) -> str:
        """An inbound deny of TCP 443 from ``cidr`` in the VPC's default network ACL, numbered before the rule 100
        that allows everything; returns the network ACL's id."""
        defaults = [{"Name": "vpc-id", "Values": [vpc.id]}, {"Name": "default", "Values": ["true"]}]
        (acl,) = self.ec2.describe_network_acls(Filters=defaults)["NetworkAcls"]
        self.ec2.create_network_acl_entry(
            NetworkAclId=acl["NetworkAclId"],
            RuleNumber=rule_number,
            Protocol="6",
            RuleAction="deny",
            Egress=False,
            CidrBlock=cidr,
            PortRange={"From": HTTPS, "To": HTTPS},
        )
        return str(acl["NetworkAclId"])

    def interface_endpoint(
        self,
        vpc: BuiltVpc,
        service_key: str,
        *,
        subnet_ids: Sequence[str],
        group_ids: Sequence[str],
        private_dns: bool = True,
        policy: Mapping[str, Any] | None = None,
        name: str = "",
        inbound_resolver_only: bool | None = None,
    ) -> str:
        """``inbound_resolver_only`` sets DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint (S3 and DynamoDB:
        AWS turns it on with private DNS unless told otherwise, which needs a gateway endpoint of the service)."""
        parameters: dict[str, Any] = {
            "VpcEndpointType": "Interface",
            "VpcId": vpc.id,
            "ServiceName": self.service_name(service_key),
            "SubnetIds": list(subnet_ids),
            "SecurityGroupIds": list(group_ids),
            "PrivateDnsEnabled": private_dns,
            "TagSpecifications": _name_tag("vpc-endpoint", name or service_key),
        }
        if policy is not None:
            parameters["PolicyDocument"] = json.dumps(policy)
        if inbound_resolver_only is not None:
            parameters["DnsOptions"] = {"PrivateDnsOnlyForInboundResolverEndpoint": inbound_resolver_only}
        return str(self.ec2.create_vpc_endpoint(**parameters)["VpcEndpoint"]["VpcEndpointId"])

    def gateway_endpoint(
        self,
        vpc: BuiltVpc,
        service_key: str,
        *,
        route_table_ids: Sequence[str],
        policy: Mapping[str, Any] | None = None,
        name: str = "",
    ) -> str:
        parameters: dict[str, Any] = {
            "VpcEndpointType": "Gateway",
            "VpcId": vpc.id,
            "ServiceName": self.service_name(service_key, "Gateway"),
            "RouteTableIds": list(route_table_ids),
            "TagSpecifications": _name_tag("vpc-endpoint", name or service_key),
        }
        if policy is not None:
            parameters["PolicyDocument"] = json.dumps(policy)
        return str(self.ec2.create_vpc_endpoint(**parameters)["VpcEndpoint"]["VpcEndpointId"])


@dataclass(frozen=True)
class PlantedMistake:
    """An SSM endpoint with private DNS off in a private VPC of its own: where the loop's demos and tests
    start (the finding is private-dns-disabled, fixed automatically when that check is enforced)."""

    account_id: str
    vpc: BuiltVpc
    group_id: str
    endpoint_id: str

    def story_ids(self) -> dict[str, str]:
        """The sample events' story ids mapped to these resources, for ``samples.retarget``."""
        return {
            SAMPLE_ACCOUNT: self.account_id,
            SAMPLE_VPC: self.vpc.id,
            SAMPLE_GROUP: self.group_id,
            SAMPLE_ENDPOINT: self.endpoint_id,
        }


def plant_private_dns_mistake(ec2: Any, region: str, cidr: str = "10.40.0.0/16") -> PlantedMistake:
    """A VPC of the ``ec2`` client's account with an SSM endpoint whose private DNS is off, built right
    otherwise (every zone, 443 from the VPC, a least-privilege policy)."""
    build = EstateBuilder(ec2, region)
    vpc = build.vpc(cidr, zones=2, public_subnet=False, name="workloads-private")
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    endpoint = build.interface_endpoint(
        vpc,
        "ssm",
        subnet_ids=vpc.private_subnet_ids,
        group_ids=[group],
        private_dns=False,
        policy=least_privilege_policy("ssm", vpc.owner_id, region),
    )
    return PlantedMistake(vpc.owner_id, vpc, group, endpoint)


def least_privilege_policy(service_key: str, account_id: str, region: str) -> dict[str, Any]:
    """The policy a careful team writes: the data-perimeter policy of the service (principals and resources of
    one account, AWS services, the AWS-owned resources the endpoint must reach), narrowed to the catalog's
    actions where they are complete for the endpoint."""
    entry = load_catalog().services[service_key]
    profile = ServiceProfile.of(entry, partition_of(region), region)
    return rewrite(None, profile, Perimeter(owner=account_id), entry.actions if entry.actions_complete else None)


def _name_tag(resource_type: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}]}] if name else []
