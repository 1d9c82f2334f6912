"""The fidelity fixes, each through the server over HTTP: VPC endpoints behave as in AWS, not as in moto."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from vpce_guard_local.emulator import Emulator, fidelity

pytestmark = pytest.mark.server

REGION = "us-east-1"
STS = f"com.amazonaws.{REGION}.sts"
S3 = f"com.amazonaws.{REGION}.s3"
DEFAULT_POLICY = {
    "Version": "2008-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


@dataclass(frozen=True)
class Network:
    """A VPC with two subnets in zone a, one in zone b, a security group and a route table."""

    vpc_id: str
    zone_a: str
    zone_a_other: str
    zone_b: str
    group_id: str
    route_table_id: str


@pytest.fixture
def ec2(aws: Emulator) -> Any:
    return aws.client("ec2")


@pytest.fixture
def network(ec2: Any) -> Network:
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]

    def subnet(cidr: str, zone: str) -> str:
        return str(
            ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=f"{REGION}{zone}")["Subnet"]["SubnetId"]
        )

    return Network(
        vpc_id=vpc_id,
        zone_a=subnet("10.0.1.0/24", "a"),
        zone_a_other=subnet("10.0.2.0/24", "a"),
        zone_b=subnet("10.0.3.0/24", "b"),
        group_id=ec2.create_security_group(VpcId=vpc_id, GroupName="vpce", Description="vpce")["GroupId"],
        route_table_id=ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"],
    )


def interface_endpoint(ec2: Any, network: Network, service: str = STS, **options: Any) -> str:
    options.setdefault("SubnetIds", [network.zone_a])
    options.setdefault("SecurityGroupIds", [network.group_id])
    created = ec2.create_vpc_endpoint(VpcId=network.vpc_id, ServiceName=service, VpcEndpointType="Interface", **options)
    return str(created["VpcEndpoint"]["VpcEndpointId"])


def gateway_endpoint(ec2: Any, network: Network, **options: Any) -> str:
    created = ec2.create_vpc_endpoint(VpcId=network.vpc_id, ServiceName=S3, VpcEndpointType="Gateway", **options)
    return str(created["VpcEndpoint"]["VpcEndpointId"])


def described(ec2: Any, endpoint_id: str) -> Any:
    return ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]


def error_code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def enis(ec2: Any, endpoint_id: str) -> list[Any]:
    ids = described(ec2, endpoint_id)["NetworkInterfaceIds"]
    return list(ec2.describe_network_interfaces(NetworkInterfaceIds=ids)["NetworkInterfaces"]) if ids else []


def prefix_list_routes(ec2: Any, route_table_id: str) -> list[Any]:
    routes = ec2.describe_route_tables(RouteTableIds=[route_table_id])["RouteTables"][0]["Routes"]
    return [route for route in routes if "DestinationPrefixListId" in route]


# --- ModifyVpcEndpoint options -------------------------------------------------------------------------


def test_modify_turns_private_dns_off_and_on(ec2: Any, network: Network) -> None:
    endpoint_id = interface_endpoint(ec2, network)

    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PrivateDnsEnabled=False)
    turned_off = described(ec2, endpoint_id)["PrivateDnsEnabled"]
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PrivateDnsEnabled=True)

    assert turned_off is False
    assert described(ec2, endpoint_id)["PrivateDnsEnabled"] is True


def test_private_dns_on_a_gateway_endpoint_is_rejected(ec2: Any, network: Network) -> None:
    endpoint_id = gateway_endpoint(ec2, network)

    with pytest.raises(ClientError) as caught:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PrivateDnsEnabled=True)

    assert error_code(caught) == "InvalidParameter"


def test_reset_policy_restores_the_default_full_access_policy(ec2: Any, network: Network) -> None:
    narrow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}],
    }
    endpoint_id = gateway_endpoint(ec2, network, PolicyDocument=json.dumps(narrow))

    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, ResetPolicy=True)

    assert json.loads(described(ec2, endpoint_id)["PolicyDocument"]) == DEFAULT_POLICY


def test_modify_replaces_the_policy_document(ec2: Any, network: Network) -> None:
    endpoint_id = interface_endpoint(ec2, network)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:*", "Resource": "*"}],
    }

    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PolicyDocument=json.dumps(policy))

    assert json.loads(described(ec2, endpoint_id)["PolicyDocument"]) == policy


def test_malformed_policy_document_is_rejected_on_create(ec2: Any, network: Network) -> None:
    with pytest.raises(ClientError) as caught:
        interface_endpoint(ec2, network, PolicyDocument="not json{")

    assert error_code(caught) == "InvalidPolicyDocument"


def test_malformed_policy_document_is_rejected_on_modify(ec2: Any, network: Network) -> None:
    endpoint_id = interface_endpoint(ec2, network)

    with pytest.raises(ClientError) as caught:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PolicyDocument='{"Version": "2012-10-17",')

    assert error_code(caught) == "InvalidPolicyDocument"
    assert "Syntax error at position (1,26)" in str(caught.value)


def test_adding_and_removing_subnets_adds_and_removes_network_interfaces(ec2: Any, network: Network) -> None:
    endpoint_id = interface_endpoint(ec2, network)

    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, AddSubnetIds=[network.zone_b])
    after_add = {eni["SubnetId"] for eni in enis(ec2, endpoint_id)}
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, RemoveSubnetIds=[network.zone_a])

    assert after_add == {network.zone_a, network.zone_b}
    assert described(ec2, endpoint_id)["SubnetIds"] == [network.zone_b]
    assert [eni["SubnetId"] for eni in enis(ec2, endpoint_id)] == [network.zone_b]


def test_endpoint_network_interfaces_look_as_in_aws(ec2: Any, network: Network) -> None:
    endpoint_id = interface_endpoint(ec2, network)

    (eni,) = enis(ec2, endpoint_id)

    assert eni["InterfaceType"] == "vpc_endpoint"
    assert eni["RequesterManaged"] is True
    assert eni["Description"] == f"VPC Endpoint Interface {endpoint_id}"
    assert eni["PrivateIpAddress"].startswith("10.0.1.")


def test_security_group_changes_reach_the_endpoint_and_its_interfaces(ec2: Any, network: Network) -> None:
    endpoint_id = interface_endpoint(ec2, network)
    other = ec2.create_security_group(VpcId=network.vpc_id, GroupName="other", Description="other")["GroupId"]

    ec2.modify_vpc_endpoint(
        VpcEndpointId=endpoint_id, AddSecurityGroupIds=[other], RemoveSecurityGroupIds=[network.group_id]
    )

    assert [group["GroupId"] for group in described(ec2, endpoint_id)["Groups"]] == [other]
    assert [group["GroupId"] for group in enis(ec2, endpoint_id)[0]["Groups"]] == [other]


def test_adding_and_removing_route_tables_adds_and_removes_prefix_list_routes(ec2: Any, network: Network) -> None:
    endpoint_id = gateway_endpoint(ec2, network)

    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, AddRouteTableIds=[network.route_table_id])
    routes_after_add = prefix_list_routes(ec2, network.route_table_id)
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, RemoveRouteTableIds=[network.route_table_id])

    assert [route["GatewayId"] for route in routes_after_add] == [endpoint_id]
    assert described(ec2, endpoint_id)["RouteTableIds"] == []
    assert prefix_list_routes(ec2, network.route_table_id) == []


# --- Subnets per zone, and resources that must exist -----------------------------------------------------


def test_second_subnet_in_same_zone_is_rejected(ec2: Any, network: Network) -> None:
    with pytest.raises(ClientError) as caught:
        interface_endpoint(ec2, network, SubnetIds=[network.zone_a, network.zone_a_other])

    assert error_code(caught) == "DuplicateSubnetsInSameZone"


def test_adding_a_subnet_in_a_zone_already_served_is_rejected(ec2: Any, network: Network) -> None:
    endpoint_id = interface_endpoint(ec2, network)

    with pytest.raises(ClientError) as caught:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, AddSubnetIds=[network.zone_a_other])

    assert error_code(caught) == "DuplicateSubnetsInSameZone"
    assert described(ec2, endpoint_id)["SubnetIds"] == [network.zone_a]


def test_swapping_the_subnet_of_a_zone_in_one_call_is_accepted(ec2: Any, network: Network) -> None:
    endpoint_id = interface_endpoint(ec2, network)

    ec2.modify_vpc_endpoint(
        VpcEndpointId=endpoint_id, AddSubnetIds=[network.zone_a_other], RemoveSubnetIds=[network.zone_a]
    )

    assert described(ec2, endpoint_id)["SubnetIds"] == [network.zone_a_other]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"AddSubnetIds": ["subnet-0123456789abcdef0"]}, "InvalidSubnetID.NotFound"),
        ({"AddSecurityGroupIds": ["sg-0123456789abcdef0"]}, "InvalidGroup.NotFound"),
    ],
)
def test_modify_rejects_unknown_subnets_and_groups(
    ec2: Any, network: Network, change: dict[str, list[str]], code: str
) -> None:
    endpoint_id = interface_endpoint(ec2, network)

    with pytest.raises(ClientError) as caught:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, **change)

    assert error_code(caught) == code


def test_modify_rejects_an_unknown_route_table(ec2: Any, network: Network) -> None:
    endpoint_id = gateway_endpoint(ec2, network)

    with pytest.raises(ClientError) as caught:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, AddRouteTableIds=["rtb-0123456789abcdef0"])

    assert error_code(caught) == "InvalidRouteTableID.NotFound"


def test_create_rejects_an_unknown_security_group(ec2: Any, network: Network) -> None:
    with pytest.raises(ClientError) as caught:
        interface_endpoint(ec2, network, SecurityGroupIds=["sg-0123456789abcdef0"])

    assert error_code(caught) == "InvalidGroup.NotFound"


def test_interface_endpoint_without_groups_gets_the_vpc_default_group(ec2: Any, network: Network) -> None:
    default = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [network.vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]

    endpoint_id = interface_endpoint(ec2, network, SecurityGroupIds=[])

    assert [group["GroupId"] for group in described(ec2, endpoint_id)["Groups"]] == [default]


def test_route_tables_on_an_interface_endpoint_are_rejected(ec2: Any, network: Network) -> None:
    with pytest.raises(ClientError) as caught:
        interface_endpoint(ec2, network, RouteTableIds=[network.route_table_id])

    assert error_code(caught) == "InvalidParameter"


# --- Zones per service ----------------------------------------------------------------------------------


def test_restricted_service_is_described_in_its_zones_only(aws: Emulator, ec2: Any) -> None:
    aws.restrict_service_zones(STS, [f"{REGION}b", f"{REGION}a"])

    (details,) = ec2.describe_vpc_endpoint_services(ServiceNames=[STS])["ServiceDetails"]

    assert details["AvailabilityZones"] == [f"{REGION}a", f"{REGION}b"]


def test_subnet_outside_the_service_zones_is_rejected_on_create(aws: Emulator, ec2: Any, network: Network) -> None:
    aws.restrict_service_zones(STS, [f"{REGION}b"])

    with pytest.raises(ClientError) as caught:
        interface_endpoint(ec2, network, SubnetIds=[network.zone_a])

    assert error_code(caught) == "InvalidParameter"
    assert "does not support the availability zone of the subnet" in str(caught.value)


def test_subnet_outside_the_service_zones_is_rejected_on_modify(aws: Emulator, ec2: Any, network: Network) -> None:
    aws.restrict_service_zones(STS, [f"{REGION}a"])
    endpoint_id = interface_endpoint(ec2, network)

    with pytest.raises(ClientError) as caught:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, AddSubnetIds=[network.zone_b])

    assert error_code(caught) == "InvalidParameter"


def test_a_restriction_covers_one_region_only(aws: Emulator) -> None:
    aws.restrict_service_zones(STS, [f"{REGION}a"])

    ireland = "com.amazonaws.eu-west-1.sts"
    (details,) = aws.client("ec2", "eu-west-1").describe_vpc_endpoint_services(ServiceNames=[ireland])["ServiceDetails"]

    assert len(details["AvailabilityZones"]) == 3


def test_a_restriction_covers_every_account(aws: Emulator) -> None:
    aws.restrict_service_zones(STS, [f"{REGION}a"])
    member = aws.client("ec2", account_id="111111111111")

    (details,) = member.describe_vpc_endpoint_services(ServiceNames=[STS])["ServiceDetails"]

    assert member.describe_vpcs()["Vpcs"][0]["OwnerId"] == "111111111111"
    assert details["AvailabilityZones"] == [f"{REGION}a"]


# --- Service names and endpoint types ---------------------------------------------------------------------


def test_unknown_service_name_is_rejected(ec2: Any, network: Network) -> None:
    with pytest.raises(ClientError) as caught:
        interface_endpoint(ec2, network, service=f"com.amazonaws.{REGION}.no-such-service")

    assert error_code(caught) == "InvalidServiceName"


def test_gateway_endpoint_to_an_interface_only_service_is_rejected(ec2: Any, network: Network) -> None:
    with pytest.raises(ClientError) as caught:
        ec2.create_vpc_endpoint(VpcId=network.vpc_id, ServiceName=STS, VpcEndpointType="Gateway")

    assert error_code(caught) == "InvalidParameter"
    assert "does not match available service types ([Interface])" in str(caught.value)


@pytest.mark.parametrize("key", ["s3", "dynamodb"])
def test_s3_and_dynamodb_take_gateway_and_interface_endpoints(ec2: Any, network: Network, key: str) -> None:
    service = f"com.amazonaws.{REGION}.{key}"

    gateway = ec2.create_vpc_endpoint(VpcId=network.vpc_id, ServiceName=service, VpcEndpointType="Gateway")
    interface = interface_endpoint(ec2, network, service=service)

    assert gateway["VpcEndpoint"]["VpcEndpointType"] == "Gateway"
    assert described(ec2, interface)["VpcEndpointType"] == "Interface"


def test_endpoint_service_created_in_the_emulator_is_accepted_in_its_zones(
    aws: Emulator, ec2: Any, network: Network
) -> None:
    balancer = aws.client("elbv2").create_load_balancer(
        Name="partner", Type="network", Scheme="internal", Subnets=[network.zone_a]
    )["LoadBalancers"][0]["LoadBalancerArn"]
    service = ec2.create_vpc_endpoint_service_configuration(NetworkLoadBalancerArns=[balancer])["ServiceConfiguration"]

    endpoint_id = interface_endpoint(ec2, network, service=service["ServiceName"])
    with pytest.raises(ClientError) as caught:
        interface_endpoint(ec2, network, service=service["ServiceName"], SubnetIds=[network.zone_b])

    assert service["ServiceName"].startswith(f"com.amazonaws.vpce.{REGION}.vpce-svc-")
    assert described(ec2, endpoint_id)["State"] == "available"
    assert error_code(caught) == "InvalidParameter"


def test_the_services_vpce_guard_knows_are_offered(ec2: Any) -> None:
    interface_only = [
        "bedrock-runtime", "bedrock-agent-runtime", "bedrock-agentcore.gateway", "sts", "logs", "ecr.api",
        "ecr.dkr", "ssm", "ssmmessages", "ec2messages", "secretsmanager", "kms", "sqs", "sns", "monitoring",
        "execute-api", "lambda", "ec2",
    ]  # fmt: skip
    wanted = {(f"com.amazonaws.{REGION}.{key}", "Interface") for key in [*interface_only, "s3", "dynamodb"]}
    wanted |= {(S3, "Gateway"), (f"com.amazonaws.{REGION}.dynamodb", "Gateway")}
    pages = ec2.get_paginator("describe_vpc_endpoint_services").paginate()
    offered = {
        (details["ServiceName"], kind["ServiceType"])
        for page in pages
        for details in page["ServiceDetails"]
        for kind in details["ServiceType"]
    }

    assert wanted <= offered


def test_added_services_look_as_in_aws(ec2: Any) -> None:
    names = [f"com.amazonaws.{REGION}.bedrock-agentcore.gateway", f"com.amazonaws.{REGION}.dynamodb"]

    details = ec2.describe_vpc_endpoint_services(ServiceNames=names)["ServiceDetails"]
    by_kind = {(entry["ServiceName"], entry["ServiceType"][0]["ServiceType"]): entry for entry in details}

    agentcore = by_kind[(names[0], "Interface")]
    assert agentcore["PrivateDnsName"] == f"gateway.bedrock-agentcore.{REGION}.amazonaws.com"
    assert agentcore["VpcEndpointPolicySupported"] is True
    assert by_kind[(names[1], "Interface")]["PrivateDnsName"] == f"dynamodb.{REGION}.amazonaws.com"


def test_gateway_services_advertise_no_private_dns_name(ec2: Any) -> None:
    details = ec2.describe_vpc_endpoint_services(Filters=[{"Name": "service-type", "Values": ["Gateway"]}])

    assert {entry["ServiceName"] for entry in details["ServiceDetails"]} >= {S3}
    assert all("PrivateDnsName" not in entry for entry in details["ServiceDetails"])


# --- Private DNS defaults ---------------------------------------------------------------------------------


def test_gateway_endpoint_reports_private_dns_disabled(ec2: Any, network: Network) -> None:
    endpoint_id = gateway_endpoint(ec2, network, RouteTableIds=[network.route_table_id])

    assert described(ec2, endpoint_id)["PrivateDnsEnabled"] is False


def test_interface_endpoint_private_dns_is_on_by_default(ec2: Any, network: Network) -> None:
    assert described(ec2, interface_endpoint(ec2, network))["PrivateDnsEnabled"] is True


def test_endpoint_type_defaults_to_gateway(ec2: Any, network: Network) -> None:
    created = ec2.create_vpc_endpoint(VpcId=network.vpc_id, ServiceName=S3)["VpcEndpoint"]

    # Without a type, moto stored none and failed deleting the endpoint.
    ec2.delete_vpc_endpoints(VpcEndpointIds=[created["VpcEndpointId"]])

    assert created["VpcEndpointType"] == "Gateway"


# --- DNS options: private DNS only for the inbound Resolver endpoint ------------------------------------------

INBOUND_ONLY = "PrivateDnsOnlyForInboundResolverEndpoint"
GATEWAY_REQUIRED = "To set PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC {} must have a Gateway endpoint"


def s3_interface(ec2: Any, network: Network, **options: Any) -> str:
    return interface_endpoint(ec2, network, service=S3, **options)


def test_an_interface_endpoint_reports_its_dns_record_type(ec2: Any, network: Network) -> None:
    assert described(ec2, interface_endpoint(ec2, network))["DnsOptions"] == {"DnsRecordIpType": "ipv4"}


def test_a_gateway_endpoint_reports_no_dns_options(ec2: Any, network: Network) -> None:
    assert "DnsOptions" not in described(ec2, gateway_endpoint(ec2, network))


def test_an_s3_interface_endpoint_with_private_dns_answers_only_the_inbound_resolver_by_default(
    ec2: Any, network: Network
) -> None:
    gateway_endpoint(ec2, network, RouteTableIds=[network.route_table_id])

    created = ec2.create_vpc_endpoint(
        VpcId=network.vpc_id, ServiceName=S3, VpcEndpointType="Interface", SubnetIds=[network.zone_a]
    )["VpcEndpoint"]

    assert created["DnsOptions"] == {"DnsRecordIpType": "ipv4", INBOUND_ONLY: True}
    assert described(ec2, created["VpcEndpointId"])["DnsOptions"][INBOUND_ONLY] is True


def test_the_default_needs_a_gateway_endpoint_of_the_service_in_the_vpc(ec2: Any, network: Network) -> None:
    with pytest.raises(ClientError) as caught:
        s3_interface(ec2, network)

    assert error_code(caught) == "InvalidParameter"
    assert GATEWAY_REQUIRED.format(network.vpc_id) in str(caught.value)


def test_an_s3_interface_endpoint_asked_to_answer_every_resolver_keeps_false(ec2: Any, network: Network) -> None:
    endpoint_id = s3_interface(ec2, network, DnsOptions={INBOUND_ONLY: False})

    assert described(ec2, endpoint_id)["DnsOptions"] == {"DnsRecordIpType": "ipv4", INBOUND_ONLY: False}


def test_modify_sets_the_option_true_once_the_vpc_has_a_gateway_endpoint_and_back_false(
    ec2: Any, network: Network
) -> None:
    endpoint_id = s3_interface(ec2, network, DnsOptions={INBOUND_ONLY: False})
    with pytest.raises(ClientError) as refused:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, DnsOptions={INBOUND_ONLY: True})
    gateway_endpoint(ec2, network, RouteTableIds=[network.route_table_id])

    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, DnsOptions={INBOUND_ONLY: True})
    turned_on = described(ec2, endpoint_id)["DnsOptions"][INBOUND_ONLY]
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, DnsOptions={INBOUND_ONLY: False})

    assert GATEWAY_REQUIRED.format(network.vpc_id) in str(refused.value)
    assert turned_on is True
    assert described(ec2, endpoint_id)["DnsOptions"][INBOUND_ONLY] is False


def test_modify_of_something_else_keeps_the_option(ec2: Any, network: Network) -> None:
    endpoint_id = s3_interface(ec2, network, DnsOptions={INBOUND_ONLY: False})

    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, AddSubnetIds=[network.zone_b])

    assert described(ec2, endpoint_id)["DnsOptions"][INBOUND_ONLY] is False


def test_private_dns_turned_on_without_the_option_turns_it_on(ec2: Any, network: Network) -> None:
    gateway_endpoint(ec2, network, RouteTableIds=[network.route_table_id])
    endpoint_id = s3_interface(ec2, network, PrivateDnsEnabled=False)
    without_private_dns = described(ec2, endpoint_id)["DnsOptions"]

    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PrivateDnsEnabled=True)

    assert without_private_dns == {"DnsRecordIpType": "ipv4"}
    assert described(ec2, endpoint_id)["DnsOptions"][INBOUND_ONLY] is True


def test_private_dns_turned_on_in_a_vpc_without_a_gateway_endpoint_is_refused(ec2: Any, network: Network) -> None:
    endpoint_id = s3_interface(ec2, network, PrivateDnsEnabled=False)

    with pytest.raises(ClientError) as caught:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PrivateDnsEnabled=True)

    assert GATEWAY_REQUIRED.format(network.vpc_id) in str(caught.value)
    assert described(ec2, endpoint_id)["PrivateDnsEnabled"] is False


def test_the_option_on_a_gateway_endpoint_is_refused(ec2: Any, network: Network) -> None:
    with pytest.raises(ClientError) as caught:
        gateway_endpoint(ec2, network, DnsOptions={INBOUND_ONLY: True})

    assert error_code(caught) == "InvalidParameter"
    assert "applicable only to Interface VPC Endpoints" in str(caught.value)


def test_the_option_on_a_service_without_gateway_endpoints_is_refused(ec2: Any, network: Network) -> None:
    with pytest.raises(ClientError) as caught:
        interface_endpoint(ec2, network, DnsOptions={INBOUND_ONLY: False})

    assert error_code(caught) == "InvalidParameter"


def test_the_option_true_with_private_dns_off_is_refused(ec2: Any, network: Network) -> None:
    gateway_endpoint(ec2, network, RouteTableIds=[network.route_table_id])

    with pytest.raises(ClientError) as caught:
        s3_interface(ec2, network, PrivateDnsEnabled=False, DnsOptions={INBOUND_ONLY: True})

    assert error_code(caught) == "InvalidParameter"


# --- DescribeVpcEndpoints paging and filters ----------------------------------------------------------------


@pytest.fixture
def twelve_endpoints(ec2: Any, network: Network) -> list[str]:
    return [gateway_endpoint(ec2, network) for _ in range(12)]


def test_describe_vpc_endpoints_pages_for_the_paginator(ec2: Any, twelve_endpoints: list[str]) -> None:
    pages = list(ec2.get_paginator("describe_vpc_endpoints").paginate(PaginationConfig={"PageSize": 5}))

    assert [len(page["VpcEndpoints"]) for page in pages] == [5, 5, 2]
    assert [endpoint["VpcEndpointId"] for page in pages for endpoint in page["VpcEndpoints"]] == twelve_endpoints


def test_describe_vpc_endpoints_rejects_max_results_below_five(ec2: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ec2.describe_vpc_endpoints(MaxResults=4)

    assert error_code(caught) == "InvalidParameterValue"


def test_describe_vpc_endpoints_rejects_a_token_it_did_not_issue(ec2: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ec2.describe_vpc_endpoints(NextToken="vpce-0123456789abcdef0")

    assert error_code(caught) == "InvalidNextToken"


def test_pages_hold_at_most_one_thousand_endpoints() -> None:
    page, next_token = fidelity.paginate(range(2500), 5000, None)

    assert len(page) == fidelity.MAX_PAGE_SIZE
    assert fidelity.paginate(range(2500), None, next_token)[0][0] == 1000


def test_vpc_endpoint_id_filter_selects_endpoints(ec2: Any, network: Network) -> None:
    wanted, _ = gateway_endpoint(ec2, network), gateway_endpoint(ec2, network)

    found = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-endpoint-id", "Values": [wanted]}])["VpcEndpoints"]

    assert [endpoint["VpcEndpointId"] for endpoint in found] == [wanted]


def test_vpc_id_filter_selects_endpoints(ec2: Any, network: Network) -> None:
    elsewhere = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.create_vpc_endpoint(VpcId=elsewhere, ServiceName=S3, VpcEndpointType="Gateway")
    wanted = gateway_endpoint(ec2, network)

    found = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [network.vpc_id]}])["VpcEndpoints"]

    assert [endpoint["VpcEndpointId"] for endpoint in found] == [wanted]


def test_vpc_endpoint_ids_still_select_endpoints(ec2: Any, twelve_endpoints: list[str]) -> None:
    found = ec2.describe_vpc_endpoints(VpcEndpointIds=twelve_endpoints[3:5])["VpcEndpoints"]

    assert [endpoint["VpcEndpointId"] for endpoint in found] == twelve_endpoints[3:5]


# --- DescribeVpcEndpointServices and VPC attributes --------------------------------------------------------


def test_describe_vpc_endpoint_services_pages(ec2: Any) -> None:
    everything = ec2.describe_vpc_endpoint_services()["ServiceDetails"]

    pages = list(ec2.get_paginator("describe_vpc_endpoint_services").paginate(PaginationConfig={"PageSize": 100}))

    assert len(pages) == -(-len(everything) // 100)
    assert [entry["ServiceId"] for page in pages for entry in page["ServiceDetails"]] == [
        entry["ServiceId"] for entry in everything
    ]


def test_describe_vpc_endpoint_services_selects_by_service_names(ec2: Any) -> None:
    found = ec2.describe_vpc_endpoint_services(ServiceNames=[STS, S3])

    assert sorted(found["ServiceNames"]) == [S3, S3, STS]


@pytest.mark.parametrize(
    ("attribute", "parameter"), [("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")]
)
def test_vpc_dns_attributes_round_trip(ec2: Any, network: Network, attribute: str, parameter: str) -> None:
    values = []
    for value in (True, False):
        ec2.modify_vpc_attribute(VpcId=network.vpc_id, **{parameter: {"Value": value}})
        values.append(ec2.describe_vpc_attribute(VpcId=network.vpc_id, Attribute=attribute)[parameter]["Value"])

    assert values == [True, False]


# --- The default VPC ----------------------------------------------------------------------------------------


def test_default_vpc_main_route_table_routes_to_an_internet_gateway(ec2: Any) -> None:
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]

    main_table = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"][0]

    assert any(
        route.get("DestinationCidrBlock") == "0.0.0.0/0" and route.get("GatewayId", "").startswith("igw-")
        for route in main_table["Routes"]
    )
