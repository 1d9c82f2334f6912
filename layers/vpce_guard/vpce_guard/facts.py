"""The facts the checks read: a typed model of one account and region, built from a snapshot's raw responses.

Checks never call AWS; they read these facts. Everything a check needs about a VPC (DNS attributes,
subnets, route tables) is shared by all endpoints of that VPC.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import cached_property
from ipaddress import ip_network
from typing import Any, TypeVar

import msgspec

from vpce_guard.catalog import same_service
from vpce_guard.findings import Problem
from vpce_guard.policy import Policy, PolicyError, parse_policy
from vpce_guard.snapshot import (
    DESCRIBE_ENDPOINTS,
    DESCRIBE_NETWORK_ACLS,
    DESCRIBE_ROUTE_TABLES,
    DESCRIBE_SECURITY_GROUPS,
    DESCRIBE_SERVICES,
    DESCRIBE_SUBNETS,
    DESCRIBE_TRANSIT_GATEWAY_ATTACHMENTS,
    DESCRIBE_VPC_ATTRIBUTE,
    DESCRIBE_VPCS,
    DESCRIBE_VPN_GATEWAYS,
    GET_METRIC_DATA,
    RESULT_KEYS,
    Snapshot,
    SnapshotError,
    TrafficWindow,
)

INTERFACE = "Interface"
GATEWAY = "Gateway"
# States in which an endpoint no longer carries traffic; moto also keeps deleted endpoints listed.
INACTIVE_STATES = frozenset({"deleting", "deleted", "failed", "rejected", "expired"})
IPV4_ANYWHERE = "0.0.0.0/0"
WORLD_CIDRS = frozenset({IPV4_ANYWHERE, "::/0"})
# Attachments that no longer connect the VPC anywhere.
DETACHED_STATES = frozenset({"detaching", "detached", "deleting", "deleted", "failed", "rejected"})
# The number of a network ACL's "*" rules, which deny what no other rule matched (one per direction and family).
ASTERISK_RULE = 32767
# What GetMetricData reports of a query whose values are all there (PartialData: more pages follow, merged).
METRIC_DATA_READ = frozenset({"Complete", "PartialData"})

T = TypeVar("T")


class Endpoint(msgspec.Struct, frozen=True):
    id: str
    vpc_id: str
    owner_id: str
    type: str
    service_name: str | None
    state: str
    private_dns_enabled: bool
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    route_table_ids: tuple[str, ...] = ()
    policy: Policy | None = None
    tags: Mapping[str, str] = msgspec.field(default_factory=dict)
    created_at: datetime | None = None
    # DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint: private DNS answers only queries from on premises
    # (through a Route 53 inbound Resolver endpoint); in-VPC calls resolve to the service's gateway endpoint.
    # None where the API does not say (an endpoint without private DNS, or a service without the option).
    private_dns_only_for_inbound_resolver: bool | None = None

    @property
    def is_active(self) -> bool:
        return self.state.lower() not in INACTIVE_STATES

    @property
    def is_interface(self) -> bool:
        return self.type == INTERFACE

    @property
    def is_gateway(self) -> bool:
        return self.type == GATEWAY


class Service(msgspec.Struct, frozen=True):
    """One entry of DescribeVpcEndpointServices; S3 and DynamoDB appear once per endpoint type."""

    name: str
    endpoint_type: str
    private_dns_names: tuple[str, ...] = ()
    policy_supported: bool = True
    zone_names: tuple[str, ...] = ()

    @property
    def offers_private_dns(self) -> bool:
        return bool(self.private_dns_names)


class Vpc(msgspec.Struct, frozen=True):
    id: str
    owner_id: str
    cidrs: tuple[str, ...]
    dns_support: bool | None = None
    dns_hostnames: bool | None = None
    tags: Mapping[str, str] = msgspec.field(default_factory=dict)
    # The attached virtual private gateways and transit gateway attachments: a path from on premises (or from
    # other networks) into the VPC, which a gateway endpoint does not serve.
    on_premises_paths: tuple[str, ...] = ()


class Subnet(msgspec.Struct, frozen=True):
    id: str
    vpc_id: str
    zone_name: str
    zone_id: str
    cidr: str
    available_ips: int = 0
    route_table_id: str | None = None
    is_public: bool = False
    network_acl_id: str | None = None
    ipv6_cidrs: tuple[str, ...] = ()


class IngressRule(msgspec.Struct, frozen=True):
    """One rule of a security group. An ingress rule's cidrs, groups and prefix lists are where traffic may come
    from; an egress rule (the same shape) names where it may go."""

    protocol: str
    from_port: int | None
    to_port: int | None
    cidrs: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    prefix_list_ids: tuple[str, ...] = ()

    def admits_tcp_port(self, port: int) -> bool:
        if self.protocol == "-1":
            return True
        if self.protocol not in ("tcp", "6"):
            return False
        low = self.from_port if self.from_port is not None else 0
        high = self.to_port if self.to_port is not None else 65535
        return low <= port <= high

    @property
    def world_cidrs(self) -> tuple[str, ...]:
        return tuple(cidr for cidr in self.cidrs if cidr in WORLD_CIDRS)


class SecurityGroup(msgspec.Struct, frozen=True):
    id: str
    vpc_id: str
    name: str
    ingress: tuple[IngressRule, ...] = ()
    egress: tuple[IngressRule, ...] = ()


class RouteTable(msgspec.Struct, frozen=True):
    id: str
    vpc_id: str
    is_main: bool = False
    subnet_ids: tuple[str, ...] = ()
    routes_to_internet_gateway: bool = False
    # (prefix list id, gateway endpoint id) of each route to a gateway endpoint: the service's public addresses.
    gateway_routes: tuple[tuple[str, str], ...] = ()


class AclEntry(msgspec.Struct, frozen=True):
    """One rule of a network ACL. ``protocol`` is the IP protocol number as AWS gives it ("-1": all, "6": TCP);
    ``ports`` is None where the rule names no port range (all ports)."""

    number: int
    egress: bool
    allows: bool
    protocol: str
    cidr: str
    ports: tuple[int, int] | None = None


class NetworkAcl(msgspec.Struct, frozen=True):
    """A network ACL with its rules in AWS's order of evaluation: lowest number first, the ``*`` rule (32767)
    last. Every subnet is associated with exactly one network ACL."""

    id: str
    vpc_id: str
    is_default: bool = False
    subnet_ids: tuple[str, ...] = ()
    entries: tuple[AclEntry, ...] = ()


class Traffic(msgspec.Struct, frozen=True):
    """The bytes each interface endpoint processed in ``window`` (CloudWatch, AWS/PrivateLinkEndpoints
    BytesProcessed, both directions: what the endpoint's owner is billed for). AWS publishes a data point only
    for a minute with traffic, so an endpoint read with no data point processed nothing; an endpoint that is
    not in ``bytes_processed`` was not read."""

    window: TrafficWindow
    bytes_processed: Mapping[str, float] = msgspec.field(default_factory=dict)


class Facts(msgspec.Struct, frozen=True, dict=True):
    region: str
    endpoints: tuple[Endpoint, ...] = ()
    vpcs: Mapping[str, Vpc] = msgspec.field(default_factory=dict)
    subnets: Mapping[str, Subnet] = msgspec.field(default_factory=dict)
    security_groups: Mapping[str, SecurityGroup] = msgspec.field(default_factory=dict)
    route_tables: Mapping[str, RouteTable] = msgspec.field(default_factory=dict)
    services: Mapping[tuple[str, str], Service] = msgspec.field(default_factory=dict)
    network_acls: Mapping[str, NetworkAcl] = msgspec.field(default_factory=dict)
    traffic: Traffic | None = None  # None: not read (no check that judges traffic was run)
    problems: tuple[Problem, ...] = ()

    @property
    def active_endpoints(self) -> tuple[Endpoint, ...]:
        return tuple(endpoint for endpoint in self.endpoints if endpoint.is_active)

    def service_of(self, endpoint: Endpoint) -> Service | None:
        """The service details of an endpoint; None when the API did not describe it (e.g. a partner
        service this account may not list)."""
        if endpoint.service_name is None:
            return None
        return self.services.get((endpoint.service_name, endpoint.type))

    def endpoints_in(self, vpc_id: str) -> tuple[Endpoint, ...]:
        return self._endpoints_by_vpc.get(vpc_id, ())

    def subnets_in(self, vpc_id: str) -> tuple[Subnet, ...]:
        return self._subnets_by_vpc.get(vpc_id, ())

    def workload_subnets(self, vpc_id: str) -> tuple[Subnet, ...]:
        """Where a VPC's workloads run: its private subnets (seed 000: EC2 and endpoint ENIs in private
        subnets, NAT in public ones), or all its subnets when it has no private one."""
        subnets = self.subnets_in(vpc_id)
        private = tuple(subnet for subnet in subnets if not subnet.is_public)
        return private or subnets

    def gateways_of(self, vpc_id: str, service_name: str | None) -> tuple[Endpoint, ...]:
        """The VPC's active gateway endpoints of the service ``service_name`` names (an interface or a gateway
        endpoint's service name), by id; AWS lets several split the VPC's route tables."""
        gateways = (
            endpoint
            for endpoint in self.endpoints_in(vpc_id)
            if endpoint.is_gateway and same_service(endpoint.service_name, service_name)
        )
        return tuple(sorted(gateways, key=lambda endpoint: endpoint.id))

    def route_tables_without(self, vpc_id: str, gateways: Iterable[Endpoint]) -> dict[str, tuple[str, ...]]:
        """The route tables the VPC's subnets use (each subnet's explicit association, else the main table)
        that none of ``gateways`` is associated with, by id, each with the subnets that use it: those subnets
        reach the service through NAT or the internet, or not at all."""
        associated = {table_id for gateway in gateways for table_id in gateway.route_table_ids}
        missing: defaultdict[str, list[str]] = defaultdict(list)
        for subnet in self.subnets_in(vpc_id):
            if subnet.route_table_id is not None and subnet.route_table_id not in associated:
                missing[subnet.route_table_id].append(subnet.id)
        return {table_id: tuple(sorted(missing[table_id])) for table_id in sorted(missing)}

    def prefix_lists_of(self, gateways: Iterable[Endpoint]) -> frozenset[str]:
        """The prefix lists the route tables send to ``gateways``: the ids of their service's public addresses
        (none where no route table routes to them)."""
        ids = {gateway.id for gateway in gateways}
        return frozenset(
            prefix_list
            for table in self.route_tables.values()
            for prefix_list, target in table.gateway_routes
            if target in ids
        )

    def tags_of(self, resource_id: str) -> Mapping[str, str]:
        """The tags of an endpoint or a VPC (where exemptions are set)."""
        resource = self._endpoints_by_id.get(resource_id) or self.vpcs.get(resource_id)
        return resource.tags if resource is not None else {}

    def zone_id(self, zone_name: str) -> str | None:
        """Zone names differ per account; zone ids do not. Map a name through this account's subnets."""
        return self._zone_ids.get(zone_name)

    @cached_property
    def _endpoints_by_id(self) -> Mapping[str, Endpoint]:
        return {endpoint.id: endpoint for endpoint in self.endpoints}

    @cached_property
    def _endpoints_by_vpc(self) -> Mapping[str, tuple[Endpoint, ...]]:
        return _group(self.active_endpoints, lambda endpoint: endpoint.vpc_id)

    @cached_property
    def _subnets_by_vpc(self) -> Mapping[str, tuple[Subnet, ...]]:
        return _group(self.subnets.values(), lambda subnet: subnet.vpc_id)

    @cached_property
    def _zone_ids(self) -> Mapping[str, str]:
        return {subnet.zone_name: subnet.zone_id for subnet in self.subnets.values()}


def _group(items: Iterable[T], key: Callable[[T], str]) -> Mapping[str, tuple[T, ...]]:
    groups: defaultdict[str, list[T]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return {name: tuple(members) for name, members in groups.items()}


def build_facts(snapshot: Snapshot) -> Facts:
    """The facts of one snapshot; what cannot be read becomes a problem naming the resource, and a response
    missing what AWS always returns is a SnapshotError naming the operation."""
    problems: list[Problem] = []
    try:
        endpoints = tuple(_endpoint(raw, problems) for raw in _items(snapshot, DESCRIBE_ENDPOINTS))
        route_tables = {raw["RouteTableId"]: _route_table(raw) for raw in _items(snapshot, DESCRIBE_ROUTE_TABLES)}
        groups = (_security_group(raw, problems) for raw in _items(snapshot, DESCRIBE_SECURITY_GROUPS))
        acls = (_network_acl(raw, problems) for raw in _items(snapshot, DESCRIBE_NETWORK_ACLS))
        network_acls = {acl.id: acl for acl in acls if acl is not None}
        return Facts(
            region=snapshot.scope.region,
            endpoints=endpoints,
            vpcs=_vpcs(snapshot),
            subnets=_subnets(_items(snapshot, DESCRIBE_SUBNETS), route_tables, _acl_of_subnet(snapshot)),
            security_groups={group.id: group for group in groups if group is not None},
            route_tables=route_tables,
            services=_services(_items(snapshot, DESCRIBE_SERVICES)),
            network_acls=network_acls,
            traffic=_traffic(snapshot, problems),
            problems=tuple(problems),
        )
    except KeyError as error:
        raise SnapshotError(f"a response of the snapshot lacks the field {error}, which AWS always returns") from error


def _items(snapshot: Snapshot, operation: str) -> list[Mapping[str, Any]]:
    items: list[Mapping[str, Any]] = snapshot.response(operation).get(RESULT_KEYS[operation], [])
    return items


def _endpoint(raw: Mapping[str, Any], problems: list[Problem]) -> Endpoint:
    policy = None
    document = raw.get("PolicyDocument")
    if document:
        try:
            policy = parse_policy(document)
        except PolicyError as error:
            problems.append(
                Problem(raw["VpcEndpointId"], f"endpoint policy cannot be read, policy checks skipped: {error}")
            )
    return Endpoint(
        id=raw["VpcEndpointId"],
        vpc_id=raw["VpcId"],
        owner_id=raw.get("OwnerId", ""),
        type=raw.get("VpcEndpointType", ""),
        service_name=raw.get("ServiceName"),
        state=raw.get("State", ""),
        private_dns_enabled=bool(raw.get("PrivateDnsEnabled", False)),
        subnet_ids=tuple(raw.get("SubnetIds", [])),
        security_group_ids=tuple(group["GroupId"] for group in raw.get("Groups", [])),
        route_table_ids=tuple(raw.get("RouteTableIds", [])),
        policy=policy,
        tags=_tags(raw),
        created_at=_timestamp(raw.get("CreationTimestamp")),
        private_dns_only_for_inbound_resolver=raw.get("DnsOptions", {}).get("PrivateDnsOnlyForInboundResolverEndpoint"),
    )


def _timestamp(value: str | None) -> datetime | None:
    """A time as a snapshot holds it (ISO 8601), in UTC; None where the response has none. AWS gives its times
    in UTC, so one written without a zone (a snapshot put together by hand) is read as UTC: compared with the
    traffic window, a time without a zone could not be placed at all."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _tags(raw: Mapping[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag.get("Value", "") for tag in raw.get("Tags", [])}


def _services(details: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], Service]:
    services = {}
    for raw in details:
        names = [entry["PrivateDnsName"] for entry in raw.get("PrivateDnsNames", []) if "PrivateDnsName" in entry]
        if not names and raw.get("PrivateDnsName"):
            names = [raw["PrivateDnsName"]]
        for service_type in raw.get("ServiceType", []):
            endpoint_type = service_type["ServiceType"]
            services[(raw["ServiceName"], endpoint_type)] = Service(
                name=raw["ServiceName"],
                endpoint_type=endpoint_type,
                private_dns_names=tuple(names),
                policy_supported=bool(raw.get("VpcEndpointPolicySupported", True)),
                zone_names=tuple(raw.get("AvailabilityZones", [])),
            )
    return services


def _vpcs(snapshot: Snapshot) -> dict[str, Vpc]:
    attributes: defaultdict[str, dict[str, bool]] = defaultdict(dict)
    for response in snapshot.response(DESCRIBE_VPC_ATTRIBUTE):
        for name in ("EnableDnsSupport", "EnableDnsHostnames"):
            if name in response:
                attributes[response["VpcId"]][name] = bool(response[name]["Value"])
    paths = _on_premises_paths(snapshot)
    vpcs = {}
    for raw in snapshot.response(DESCRIBE_VPCS).get("Vpcs", []):
        vpc_id = raw["VpcId"]
        cidrs = [
            item["CidrBlock"]
            for item in raw.get("CidrBlockAssociationSet", [])
            if item.get("CidrBlockState", {}).get("State", "associated") == "associated"
        ] or [raw["CidrBlock"]]
        cidrs += _ipv6_cidrs(raw)
        vpcs[vpc_id] = Vpc(
            id=vpc_id,
            owner_id=raw.get("OwnerId", ""),
            cidrs=tuple(cidrs),
            dns_support=attributes[vpc_id].get("EnableDnsSupport"),
            dns_hostnames=attributes[vpc_id].get("EnableDnsHostnames"),
            tags=_tags(raw),
            on_premises_paths=tuple(sorted(paths[vpc_id])),
        )
    return vpcs


def _ipv6_cidrs(raw: Mapping[str, Any]) -> list[str]:
    """The IPv6 ranges a VPC or a subnet holds (those being disassociated or failed are not)."""
    return [
        item["Ipv6CidrBlock"]
        for item in raw.get("Ipv6CidrBlockAssociationSet", [])
        if item.get("Ipv6CidrBlockState", {}).get("State", "associated") == "associated"
    ]


def _on_premises_paths(snapshot: Snapshot) -> Mapping[str, set[str]]:
    """Per VPC, the virtual private gateways and transit gateway attachments attached to it."""
    paths: defaultdict[str, set[str]] = defaultdict(set)
    for gateway in _items(snapshot, DESCRIBE_VPN_GATEWAYS):
        if gateway.get("State") in DETACHED_STATES:
            continue
        for attachment in gateway.get("VpcAttachments", []):
            if attachment.get("State") not in DETACHED_STATES:
                paths[attachment["VpcId"]].add(gateway["VpnGatewayId"])
    for attachment in _items(snapshot, DESCRIBE_TRANSIT_GATEWAY_ATTACHMENTS):
        if attachment.get("State") not in DETACHED_STATES:
            paths[attachment["VpcId"]].add(attachment["TransitGatewayAttachmentId"])
    return paths


def _route_table(raw: Mapping[str, Any]) -> RouteTable:
    associations = raw.get("Associations", [])
    return RouteTable(
        id=raw["RouteTableId"],
        vpc_id=raw["VpcId"],
        is_main=any(association.get("Main") for association in associations),
        subnet_ids=tuple(a["SubnetId"] for a in associations if a.get("SubnetId")),
        routes_to_internet_gateway=any(
            route.get("GatewayId", "").startswith("igw-")
            and (route.get("DestinationCidrBlock") == IPV4_ANYWHERE or route.get("DestinationIpv6CidrBlock") == "::/0")
            for route in raw.get("Routes", [])
        ),
        gateway_routes=tuple(
            (route["DestinationPrefixListId"], route["GatewayId"])
            for route in raw.get("Routes", [])
            if route.get("DestinationPrefixListId") and route.get("GatewayId", "").startswith("vpce-")
        ),
    )


def _subnets(
    raws: Iterable[Mapping[str, Any]], route_tables: Mapping[str, RouteTable], network_acls: Mapping[str, str]
) -> dict[str, Subnet]:
    """Subnets with their effective route table (their explicit association, else their VPC's main table) and
    their network ACL."""
    explicit = {subnet_id: table for table in route_tables.values() for subnet_id in table.subnet_ids}
    main = {table.vpc_id: table for table in route_tables.values() if table.is_main}
    subnets = {}
    for raw in raws:
        table = explicit.get(raw["SubnetId"]) or main.get(raw["VpcId"])
        subnets[raw["SubnetId"]] = Subnet(
            id=raw["SubnetId"],
            vpc_id=raw["VpcId"],
            zone_name=raw["AvailabilityZone"],
            zone_id=raw.get("AvailabilityZoneId", raw["AvailabilityZone"]),
            cidr=raw.get("CidrBlock", ""),
            available_ips=int(raw.get("AvailableIpAddressCount", 0)),
            route_table_id=table.id if table else None,
            is_public=bool(table and table.routes_to_internet_gateway),
            network_acl_id=network_acls.get(raw["SubnetId"]),
            ipv6_cidrs=tuple(_ipv6_cidrs(raw)),
        )
    return subnets


def _acl_of_subnet(snapshot: Snapshot) -> Mapping[str, str]:
    return {
        association["SubnetId"]: raw["NetworkAclId"]
        for raw in _items(snapshot, DESCRIBE_NETWORK_ACLS)
        for association in raw.get("Associations", [])
        if association.get("SubnetId")
    }


def _network_acl(raw: Mapping[str, Any], problems: list[Problem]) -> NetworkAcl | None:
    """A network ACL, or None (and a problem) when a rule cannot be read: judging the ACL without that rule
    could report a block that is not there, or miss one that is."""
    entries = []
    for entry in raw.get("Entries", []):
        cidr = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock") or ""
        try:
            ip_network(cidr, strict=False)
        except ValueError:
            problems.append(
                Problem(
                    raw["NetworkAclId"],
                    f"rule {entry.get('RuleNumber')} has no readable address range; network ACL skipped",
                )
            )
            return None
        port_range = entry.get("PortRange")
        entries.append(
            AclEntry(
                number=int(entry["RuleNumber"]),
                egress=bool(entry["Egress"]),
                allows=entry["RuleAction"] == "allow",
                protocol=str(entry["Protocol"]),
                cidr=cidr,
                ports=(int(port_range["From"]), int(port_range["To"])) if port_range else None,
            )
        )
    return NetworkAcl(
        id=raw["NetworkAclId"],
        vpc_id=raw["VpcId"],
        is_default=bool(raw.get("IsDefault", False)),
        subnet_ids=tuple(a["SubnetId"] for a in raw.get("Associations", []) if a.get("SubnetId")),
        entries=tuple(sorted(entries, key=lambda entry: (entry.egress, entry.number))),
    )


def _traffic(snapshot: Snapshot, problems: list[Problem]) -> Traffic | None:
    """The endpoints' traffic, where the snapshot holds it: each query's values summed (the pages of one
    query are merged by its label, the endpoint's id). A query CloudWatch could not answer is a problem, and
    its endpoint is left unread."""
    window = snapshot.scope.traffic_window
    if window is None:
        return None
    processed: defaultdict[str, float] = defaultdict(float)
    unread = set()
    for result in _items(snapshot, GET_METRIC_DATA):
        endpoint_id = result["Label"]
        if result.get("StatusCode", "Complete") not in METRIC_DATA_READ:
            unread.add(endpoint_id)
            continue
        processed[endpoint_id] += sum(result.get("Values", []))
    for endpoint_id in sorted(unread):
        problems.append(Problem(endpoint_id, "CloudWatch did not answer for its traffic; traffic checks skipped"))
    return Traffic(
        window, {endpoint_id: total for endpoint_id, total in processed.items() if endpoint_id not in unread}
    )


def _security_group(raw: Mapping[str, Any], problems: list[Problem]) -> SecurityGroup | None:
    """A group, or None (and a problem) when a rule's address range cannot be read: judging the group
    without that rule could report a block that is not there."""
    rules = tuple(_rule(permission) for permission in raw.get("IpPermissions", []))
    for rule in rules:
        for cidr in rule.cidrs:
            try:
                ip_network(cidr, strict=False)
            except ValueError:
                problems.append(Problem(raw["GroupId"], f"rule source {cidr!r} is not an address range; group skipped"))
                return None
    return SecurityGroup(
        id=raw["GroupId"],
        vpc_id=raw.get("VpcId", ""),
        name=raw.get("GroupName", ""),
        ingress=rules,
        egress=tuple(_rule(permission) for permission in raw.get("IpPermissionsEgress", [])),
    )


def _rule(raw: Mapping[str, Any]) -> IngressRule:
    return IngressRule(
        protocol=str(raw.get("IpProtocol", "-1")).lower(),
        from_port=raw.get("FromPort"),
        to_port=raw.get("ToPort"),
        cidrs=tuple(r["CidrIp"] for r in raw.get("IpRanges", []))
        + tuple(r["CidrIpv6"] for r in raw.get("Ipv6Ranges", [])),
        group_ids=tuple(pair["GroupId"] for pair in raw.get("UserIdGroupPairs", []) if "GroupId" in pair),
        prefix_list_ids=tuple(p["PrefixListId"] for p in raw.get("PrefixListIds", [])),
    )
