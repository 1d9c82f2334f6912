"""Small builders for realistic facts, so that each check test states only what its scenario is about.

The default estate: one VPC (10.0.0.0/16) in us-east-1 with a private subnet in each of three zones, a
private route table, a public subnet behind an internet gateway in the first zone, and an endpoint security
group admitting TCP 443 from the VPC CIDR. Zone names map to zone ids the way one account sees them
(us-east-1a is use1-az4 here): checks must compare zone ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from msgspec.structs import replace

from vpce_guard.facts import (
    ASTERISK_RULE,
    GATEWAY,
    INTERFACE,
    AclEntry,
    Endpoint,
    Facts,
    IngressRule,
    NetworkAcl,
    RouteTable,
    SecurityGroup,
    Service,
    Subnet,
    Vpc,
)

REGION = "us-east-1"
ACCOUNT_ID = "111122223333"
VPC_ID = "vpc-0a1b2c3d4e5f60001"
VPC_CIDR = "10.0.0.0/16"
ENDPOINT_SG = "sg-0e0d0c0b0a0900001"
CLIENT_SG = "sg-0c1c2c3c4c5c60001"
PRIVATE_TABLE = "rtb-0private000000001"
PUBLIC_TABLE = "rtb-0public0000000001"
MAIN_TABLE = "rtb-0main00000000001"
DEFAULT_ACL = "acl-0default000000001"
# (zone name, zone id) as one account sees them; names are shuffled per account, ids are not.
ZONES = (("us-east-1a", "use1-az4"), ("us-east-1b", "use1-az6"), ("us-east-1c", "use1-az1"))
ZONE_NAMES = tuple(name for name, _ in ZONES)


def service_name(key: str, *, region: str = REGION, prefix: str = "com.amazonaws") -> str:
    return f"{prefix}.{region}.{key}"


def vpc(
    vpc_id: str = VPC_ID,
    *,
    cidrs: Sequence[str] = (VPC_CIDR,),
    dns_support: bool | None = True,
    dns_hostnames: bool | None = True,
    on_premises_paths: Sequence[str] = (),
) -> Vpc:
    return Vpc(
        id=vpc_id,
        owner_id=ACCOUNT_ID,
        cidrs=tuple(cidrs),
        dns_support=dns_support,
        dns_hostnames=dns_hostnames,
        on_premises_paths=tuple(on_premises_paths),
    )


def subnet(
    subnet_id: str,
    zone: int,
    *,
    vpc_id: str = VPC_ID,
    route_table_id: str | None = PRIVATE_TABLE,
    public: bool = False,
    index: int = 0,
) -> Subnet:
    """A /24 in zone ``zone`` (an index into ZONES); ``index`` tells apart several subnets in one zone."""
    zone_name, zone_id = ZONES[zone]
    return Subnet(
        id=subnet_id,
        vpc_id=vpc_id,
        zone_name=zone_name,
        zone_id=zone_id,
        cidr=f"10.0.{16 * zone + index}.0/24",
        available_ips=251,
        route_table_id=route_table_id,
        is_public=public,
    )


def private_subnets(zones: Iterable[int] = (0, 1, 2), *, vpc_id: str = VPC_ID) -> tuple[Subnet, ...]:
    return tuple(subnet(f"subnet-0private{zone:010d}", zone, vpc_id=vpc_id) for zone in zones)


def public_subnet(zone: int = 0, *, vpc_id: str = VPC_ID) -> Subnet:
    return subnet(f"subnet-0public{zone:011d}", zone, vpc_id=vpc_id, route_table_id=PUBLIC_TABLE, public=True)


def route_table(
    table_id: str, *, subnet_ids: Sequence[str] = (), is_main: bool = False, internet: bool = False
) -> RouteTable:
    return RouteTable(
        id=table_id,
        vpc_id=VPC_ID,
        is_main=is_main,
        subnet_ids=tuple(subnet_ids),
        routes_to_internet_gateway=internet,
    )


def interface_endpoint(
    endpoint_id: str = "vpce-0interface000001",
    *,
    service: str = "bedrock-runtime",
    name: str | None = None,
    subnets: Iterable[Subnet] | None = None,
    security_group_ids: Sequence[str] = (ENDPOINT_SG,),
    private_dns: bool = True,
    state: str = "available",
    endpoint_type: str = INTERFACE,
    vpc_id: str = VPC_ID,
    inbound_resolver_only: bool | None = None,
) -> Endpoint:
    """An interface endpoint for ``service`` with a subnet in each zone (the default private subnets);
    ``inbound_resolver_only`` is its DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint."""
    return Endpoint(
        id=endpoint_id,
        vpc_id=vpc_id,
        owner_id=ACCOUNT_ID,
        type=endpoint_type,
        service_name=name or service_name(service),
        state=state,
        private_dns_enabled=private_dns,
        subnet_ids=tuple(item.id for item in (private_subnets() if subnets is None else subnets)),
        security_group_ids=tuple(security_group_ids),
        private_dns_only_for_inbound_resolver=inbound_resolver_only,
    )


def gateway_endpoint(
    endpoint_id: str = "vpce-0gateway00000001",
    *,
    service: str = "s3",
    name: str | None = None,
    route_table_ids: Sequence[str] = (PRIVATE_TABLE,),
    state: str = "available",
    vpc_id: str = VPC_ID,
) -> Endpoint:
    return Endpoint(
        id=endpoint_id,
        vpc_id=vpc_id,
        owner_id=ACCOUNT_ID,
        type=GATEWAY,
        service_name=name or service_name(service),
        state=state,
        private_dns_enabled=False,
        route_table_ids=tuple(route_table_ids),
    )


def aws_service(
    key: str = "bedrock-runtime",
    *,
    endpoint_type: str = INTERFACE,
    name: str | None = None,
    zone_names: Sequence[str] = ZONE_NAMES,
    private_dns: bool | None = None,
) -> Service:
    """An AWS service as DescribeVpcEndpointServices lists it; by default only interface services offer a
    private DNS name."""
    full_name = name or service_name(key)
    with_dns = endpoint_type == INTERFACE if private_dns is None else private_dns
    return Service(
        name=full_name,
        endpoint_type=endpoint_type,
        private_dns_names=(f"{key}.{REGION}.amazonaws.com",) if with_dns else (),
        zone_names=tuple(zone_names),
    )


def tcp_rule(
    port: int = 443,
    *,
    to_port: int | None = None,
    cidrs: Sequence[str] = (),
    group_ids: Sequence[str] = (),
    prefix_list_ids: Sequence[str] = (),
    protocol: str = "tcp",
) -> IngressRule:
    return IngressRule(
        protocol=protocol,
        from_port=port,
        to_port=port if to_port is None else to_port,
        cidrs=tuple(cidrs),
        group_ids=tuple(group_ids),
        prefix_list_ids=tuple(prefix_list_ids),
    )


def all_traffic_rule(*, cidrs: Sequence[str] = (), group_ids: Sequence[str] = ()) -> IngressRule:
    return IngressRule(protocol="-1", from_port=None, to_port=None, cidrs=tuple(cidrs), group_ids=tuple(group_ids))


def security_group(
    group_id: str = ENDPOINT_SG,
    *rules: IngressRule,
    name: str = "vpce-endpoint-sg",
    vpc_id: str = VPC_ID,
    egress: Sequence[IngressRule] = (),
) -> SecurityGroup:
    """A group with ``rules``; with none given, the usual endpoint group admitting TCP 443 from the VPC. Its
    ``egress`` rules name where traffic may go."""
    return SecurityGroup(
        id=group_id,
        vpc_id=vpc_id,
        name=name,
        ingress=rules or (tcp_rule(cidrs=(VPC_CIDR,)),),
        egress=tuple(egress),
    )


def acl_rule(
    number: int,
    action: str = "allow",
    *,
    egress: bool = False,
    protocol: str = "-1",
    cidr: str = "0.0.0.0/0",
    ports: tuple[int, int] | None = None,
) -> AclEntry:
    return AclEntry(number=number, egress=egress, allows=action == "allow", protocol=protocol, cidr=cidr, ports=ports)


def asterisk_rules(*cidrs: str) -> tuple[AclEntry, ...]:
    """The "*" rules every network ACL ends with, denying each range given in both directions."""
    return tuple(
        acl_rule(ASTERISK_RULE, "deny", egress=egress, cidr=cidr) for egress in (False, True) for cidr in cidrs
    )


def network_acl(
    *rules: AclEntry, acl_id: str = DEFAULT_ACL, subnet_ids: Sequence[str] | None = None, vpc_id: str = VPC_ID
) -> NetworkAcl:
    """A network ACL with ``rules`` and its "*" rules, in AWS's order (per direction, lowest number first),
    associated with ``subnet_ids`` (by default every subnet of the default estate); with no rules given, the
    default network ACL: rule 100 allows everything in both directions."""
    given = rules or (acl_rule(100), acl_rule(100, egress=True))
    entries = sorted((*given, *asterisk_rules("0.0.0.0/0")), key=lambda entry: (entry.egress, entry.number))
    associated = [item.id for item in (*private_subnets(), public_subnet())] if subnet_ids is None else subnet_ids
    return NetworkAcl(
        id=acl_id, vpc_id=vpc_id, is_default=not rules, subnet_ids=tuple(associated), entries=tuple(entries)
    )


def facts(
    *,
    endpoints: Iterable[Endpoint] = (),
    vpcs: Iterable[Vpc] | None = None,
    subnets: Iterable[Subnet] | None = None,
    security_groups: Iterable[SecurityGroup] | None = None,
    route_tables: Iterable[RouteTable] | None = None,
    services: Iterable[Service] = (),
    network_acls: Iterable[NetworkAcl] = (),
    region: str = REGION,
) -> Facts:
    """Facts of the default estate, with any part replaced; each subnet has the network ACL associated with it."""
    acls = tuple(network_acls)
    acl_of = {subnet_id: acl.id for acl in acls for subnet_id in acl.subnet_ids}
    subnet_list = tuple(
        replace(item, network_acl_id=acl_of.get(item.id, item.network_acl_id))
        for item in (subnets if subnets is not None else (*private_subnets(), public_subnet()))
    )
    default_tables = (
        route_table(PRIVATE_TABLE, subnet_ids=[s.id for s in subnet_list if s.route_table_id == PRIVATE_TABLE]),
        route_table(
            PUBLIC_TABLE,
            subnet_ids=[s.id for s in subnet_list if s.route_table_id == PUBLIC_TABLE],
            internet=True,
        ),
        route_table(MAIN_TABLE, is_main=True),
    )
    return Facts(
        region=region,
        endpoints=tuple(endpoints),
        vpcs={item.id: item for item in (vpcs if vpcs is not None else (vpc(),))},
        subnets={item.id: item for item in subnet_list},
        security_groups={
            item.id: item for item in (security_groups if security_groups is not None else (security_group(),))
        },
        route_tables={item.id: item for item in (route_tables if route_tables is not None else default_tables)},
        services={(item.name, item.endpoint_type): item for item in services},
        network_acls={acl.id: acl for acl in acls},
    )
