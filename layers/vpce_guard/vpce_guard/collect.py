"""Facts collection: every describe a scan needs, for one account and region, with the fewest API calls.

Calls per scan (the floor ``make bench`` measures against): DescribeVpcEndpoints in pages of 1,000, one
paginated DescribeVpcEndpointServices, DescribeVpcs, DescribeSubnets, DescribeSecurityGroups,
DescribeRouteTables and DescribeNetworkAcls for the whole region (or filtered to the VPCs in scope), two
DescribeVpcAttribute calls (DNS support, DNS hostnames) per VPC that has an interface endpoint — the API has
no batched form —, DescribeVpnGateways and DescribeTransitGatewayVpcAttachments only where a VPC has an S3 or
DynamoDB interface endpoint and no gateway endpoint of that service (whether the VPC has a path from
elsewhere decides if a gateway would serve it), and, where a check judges traffic, one CloudWatch
GetMetricData per 500 interface endpoints. VPC-level facts are read once and shared by every endpoint of that
VPC.

``collect_deployed`` reads, for check-plan and check-template ``--live``, the same describes for the existing
VPCs a plan or template names by id, and the service details alone where it names none.

A describe that fails raises ``CollectionError``: a scan that could not see is an error, never "no findings".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import msgspec
from msgspec.structs import replace

from vpce_guard.aws import CALL_ERRORS, AwsSession, CollectionError
from vpce_guard.catalog import load_catalog
from vpce_guard.facts import GATEWAY, INACTIVE_STATES, INTERFACE
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
    OPERATIONS,
    RESULT_KEYS,
    SERVICES,
    Scope,
    Snapshot,
    TrafficWindow,
)

PAGE_SIZE = 1000
FILTER_VALUES_LIMIT = 200
DNS_ATTRIBUTES = ("enableDnsSupport", "enableDnsHostnames")
ATTRIBUTE_WORKERS = 8
SERVICE_DETAILS_MAX_AGE = 3600.0
# GetMetricData takes at most 500 queries a call; one data point per query and day keeps a call's answer far
# below its 100,800 data points.
TRAFFIC_QUERIES_PER_CALL = 500
TRAFFIC_PERIOD_SECONDS = 86400
PRIVATELINK_NAMESPACE = "AWS/PrivateLinkEndpoints"

Progress = Callable[[str], None]
T = TypeVar("T")

# The VPC-level describes: boto3's method, and the filter that selects a VPC's items.
_VPC_LEVEL = {
    DESCRIBE_VPCS: ("describe_vpcs", "vpc-id"),
    DESCRIBE_SUBNETS: ("describe_subnets", "vpc-id"),
    DESCRIBE_SECURITY_GROUPS: ("describe_security_groups", "vpc-id"),
    DESCRIBE_ROUTE_TABLES: ("describe_route_tables", "vpc-id"),
    DESCRIBE_NETWORK_ACLS: ("describe_network_acls", "vpc-id"),
}
# The VPCs' paths from elsewhere (on premises, other VPCs), read for the VPCs ``vpcs_needing_paths`` names.
_PATHS = {
    DESCRIBE_VPN_GATEWAYS: ("describe_vpn_gateways", "attachment.vpc-id"),
    DESCRIBE_TRANSIT_GATEWAY_ATTACHMENTS: ("describe_transit_gateway_vpc_attachments", "vpc-id"),
}


class ServiceDetailsCache(msgspec.Struct):
    """DescribeVpcEndpointServices answers kept per region for a while: what a region offers changes rarely,
    so a warm function need not ask again for every event."""

    max_age: float = SERVICE_DETAILS_MAX_AGE
    clock: Callable[[], float] = time.monotonic
    _entries: dict[str, tuple[float, Any]] = msgspec.field(default_factory=dict)

    def get(self, region: str) -> Any | None:
        entry = self._entries.get(region)
        return entry[1] if entry is not None and self.clock() - entry[0] < self.max_age else None

    def put(self, region: str, response: Any) -> None:
        self._entries[region] = (self.clock(), response)


def collect_snapshot(
    session: AwsSession,
    scope: Scope,
    progress: Progress | None = None,
    service_details: ServiceDetailsCache | None = None,
) -> Snapshot:
    """Describe everything the checks need within ``scope``, and the endpoints' traffic over
    ``scope.traffic_window`` where it has one."""
    return _Collector(session, scope, progress or (lambda message: None), service_details).run()


def collect_deployed(
    session: AwsSession, scope: Scope, planned: Sequence[Mapping[str, Any]], progress: Progress | None = None
) -> Snapshot:
    """What a plan or template leaves to what is already deployed (``--live``): the services' details (one
    call) and, for each VPC of ``scope`` (the existing VPCs the file's endpoints sit in), what a scan of that
    VPC reads; the DNS attributes and paths where the file's ``planned`` endpoints, described as the API
    describes endpoints, or the deployed ones need them. Only Describe calls."""
    return _Collector(session, scope, progress or (lambda message: None), None).deployed(planned)


class _Collector:
    def __init__(
        self, session: AwsSession, scope: Scope, progress: Progress, service_details: ServiceDetailsCache | None
    ) -> None:
        self.session = session
        self.ec2 = session.client("ec2")
        self.scope = scope
        self.progress = progress
        self.service_details = service_details

    def run(self) -> Snapshot:
        vpc_ids = self._vpc_ids()
        endpoints = self._endpoints_in(vpc_ids)
        responses = self._around(endpoints, self._services(), vpc_ids)
        if self.scope.traffic_window is not None:
            responses[GET_METRIC_DATA] = read_traffic(
                self.session, endpoints["VpcEndpoints"], self.scope.traffic_window, self.progress
            )
        scope = self.scope if vpc_ids is None else replace(self.scope, vpc_ids=tuple(vpc_ids))
        return Snapshot.from_responses(scope, responses)

    def deployed(self, planned: Sequence[Mapping[str, Any]]) -> Snapshot:
        """The services' details and, for the VPCs of the scope, what a scan reads of them, with the DNS
        attributes and paths read where ``planned`` endpoints (described as the API describes endpoints) or
        deployed ones need them. No VPC: the services' details alone."""
        vpc_ids = sorted(set(self.scope.vpc_ids))
        services = self._services()
        if not vpc_ids:
            responses: dict[str, Any] = {op: {RESULT_KEYS[op]: []} for op in OPERATIONS if op in RESULT_KEYS}
            return Snapshot.from_responses(
                self.scope, {**responses, DESCRIBE_SERVICES: services, DESCRIBE_VPC_ATTRIBUTE: []}
            )
        return Snapshot.from_responses(
            self.scope, self._around(self._endpoints_in(vpc_ids), services, vpc_ids, planned)
        )

    def _around(
        self, endpoints: Any, services: Any, vpc_ids: list[str] | None, planned: Sequence[Mapping[str, Any]] = ()
    ) -> dict[str, Any]:
        """The responses of a scan around ``endpoints``: the VPC-level describes, and the DNS attributes and
        paths of the VPCs whose endpoints (with ``planned`` in a VPC that exists) need them."""
        self.progress(f"{len(endpoints['VpcEndpoints'])} endpoints")
        responses: dict[str, Any] = {
            DESCRIBE_ENDPOINTS: endpoints,
            DESCRIBE_SERVICES: services,
            **self._vpc_facts(vpc_ids),
        }
        self.progress(
            f"{len(responses[DESCRIBE_VPCS]['Vpcs'])} VPCs, {len(responses[DESCRIBE_SUBNETS]['Subnets'])} subnets, "
            f"{len(responses[DESCRIBE_SECURITY_GROUPS]['SecurityGroups'])} security groups"
        )
        found = {vpc["VpcId"] for vpc in responses[DESCRIBE_VPCS]["Vpcs"]}
        judged = [*(endpoint for endpoint in planned if endpoint["VpcId"] in found), *endpoints["VpcEndpoints"]]
        responses[DESCRIBE_VPC_ATTRIBUTE] = self._dns_attributes(judged, services["ServiceDetails"])
        needing_paths = vpcs_needing_paths(judged)
        for operation, (method, by_vpc) in _PATHS.items():
            responses[operation] = {
                RESULT_KEYS[operation]: self._describe_filtered(operation, method, by_vpc, needing_paths)
            }
        return responses

    def _services(self) -> Any:
        cached = self.service_details.get(self.scope.region) if self.service_details else None
        if cached is not None:
            return cached
        services = self._describe(
            DESCRIBE_SERVICES, "describe_vpc_endpoint_services", PaginationConfig={"PageSize": PAGE_SIZE}
        )
        if self.service_details is not None:
            self.service_details.put(self.scope.region, services)
        return services

    def _vpc_ids(self) -> list[str] | None:
        """The VPCs judged: those named, or those of the endpoints named (the VPC-level checks need every
        endpoint of a VPC), or None for the whole region."""
        if self.scope.vpc_ids:
            return sorted(set(self.scope.vpc_ids))
        if self.scope.endpoint_ids:
            named = self._describe_filtered(
                DESCRIBE_ENDPOINTS, "describe_vpc_endpoints", "vpc-endpoint-id", self.scope.endpoint_ids
            )
            return sorted({endpoint["VpcId"] for endpoint in named})
        return None

    def _endpoints_in(self, vpc_ids: list[str] | None) -> Any:
        paging = {"PaginationConfig": {"PageSize": PAGE_SIZE}}
        if vpc_ids is None:
            return self._describe(DESCRIBE_ENDPOINTS, "describe_vpc_endpoints", **paging)
        return {
            "VpcEndpoints": self._describe_filtered(
                DESCRIBE_ENDPOINTS, "describe_vpc_endpoints", "vpc-id", vpc_ids, **paging
            )
        }

    def _vpc_facts(self, vpc_ids: list[str] | None) -> dict[str, Any]:
        """VPCs with their subnets, groups and route tables: the whole region (None) or the VPCs named."""
        if vpc_ids is None:
            return {operation: self._describe(operation, method) for operation, (method, _) in _VPC_LEVEL.items()}
        return {
            operation: {RESULT_KEYS[operation]: self._describe_filtered(operation, method, by_vpc, vpc_ids)}
            for operation, (method, by_vpc) in _VPC_LEVEL.items()
        }

    def _describe_filtered(
        self, operation: str, method: str, filter_name: str, values: Sequence[str], **parameters: Any
    ) -> list[Any]:
        """The items a filter selects, asking for at most 200 values at a time (the API's limit)."""
        items: list[Any] = []
        for chunk in _chunks(list(values), FILTER_VALUES_LIMIT):
            filters = [{"Name": filter_name, "Values": chunk}]
            items += self._describe(operation, method, Filters=filters, **parameters)[RESULT_KEYS[operation]]
        return items

    def _describe(self, operation: str, method: str, **parameters: Any) -> Any:
        return _describe_all(self.ec2, operation, method, **parameters)

    def _dns_attributes(self, endpoints: Iterable[dict[str, Any]], services: Iterable[dict[str, Any]]) -> list[Any]:
        """DNS attributes of the VPCs where private DNS matters."""
        vpc_ids = vpcs_needing_dns_attributes(endpoints, services)
        requests = [(vpc_id, attribute) for vpc_id in vpc_ids for attribute in DNS_ATTRIBUTES]
        if not requests:
            return []
        self.progress(f"DNS attributes of {len(vpc_ids)} VPCs")
        with ThreadPoolExecutor(max_workers=ATTRIBUTE_WORKERS) as pool:
            return list(pool.map(lambda request: self._attribute(*request), requests))

    def _attribute(self, vpc_id: str, attribute: str) -> Any:
        try:
            return self.ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)
        except CALL_ERRORS as error:
            raise CollectionError(DESCRIBE_VPC_ATTRIBUTE, self.ec2.meta.region_name, error, service="ec2") from error


def vpcs_needing_dns_attributes(endpoints: Iterable[Any], services: Iterable[Any]) -> list[str]:
    """The VPCs whose DNS attributes a scan reads: those with an active interface endpoint that has private
    DNS on or whose service offers a private DNS name."""
    offering_dns = {
        service["ServiceName"]
        for service in services
        if service.get("PrivateDnsName") or service.get("PrivateDnsNames")
    }
    return sorted(
        {
            endpoint["VpcId"]
            for endpoint in endpoints
            if endpoint.get("VpcEndpointType") == INTERFACE
            and endpoint.get("State", "").lower() not in INACTIVE_STATES
            and (endpoint.get("PrivateDnsEnabled") or endpoint.get("ServiceName") in offering_dns)
        }
    )


def read_traffic(
    session: AwsSession, endpoints: Iterable[Mapping[str, Any]], window: TrafficWindow, progress: Progress | None = None
) -> Any:
    """The bytes each active interface endpoint processed over ``window``: one GetMetricData query per endpoint
    (labelled with its id; a day's sum per data point), 500 queries a call, every page merged as boto3 builds
    it. Gateway endpoints publish no metrics (and cost nothing to run)."""
    queries = [
        {
            "Id": f"e{index}",
            "Label": endpoint["VpcEndpointId"],
            "MetricStat": {
                "Metric": {
                    "Namespace": PRIVATELINK_NAMESPACE,
                    "MetricName": "BytesProcessed",
                    "Dimensions": [
                        {"Name": "Endpoint Type", "Value": INTERFACE},
                        {"Name": "Service Name", "Value": endpoint.get("ServiceName", "")},
                        {"Name": "VPC Endpoint Id", "Value": endpoint["VpcEndpointId"]},
                        {"Name": "VPC Id", "Value": endpoint["VpcId"]},
                    ],
                },
                "Period": TRAFFIC_PERIOD_SECONDS,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
        for index, endpoint in enumerate(
            endpoint
            for endpoint in endpoints
            if endpoint.get("VpcEndpointType") == INTERFACE and endpoint.get("State", "").lower() not in INACTIVE_STATES
        )
    ]
    if progress is not None and queries:
        progress(f"traffic of {len(queries)} interface endpoints over {window.days:g} days")
    cloudwatch = session.client("cloudwatch")
    results: list[Any] = []
    for chunk in _chunks(queries, TRAFFIC_QUERIES_PER_CALL):
        results += _describe_all(
            cloudwatch,
            GET_METRIC_DATA,
            "get_metric_data",
            MetricDataQueries=chunk,
            StartTime=window.start,
            EndTime=window.end,
        )["MetricDataResults"]
    return {"MetricDataResults": results}


def vpcs_needing_paths(endpoints: Iterable[Any]) -> list[str]:
    """The VPCs whose private gateways and transit gateway attachments a scan reads: those with an active
    interface endpoint of a service that also takes a gateway endpoint (S3, DynamoDB), and no active gateway
    endpoint of it."""
    active = [endpoint for endpoint in endpoints if endpoint.get("State", "").lower() not in INACTIVE_STATES]
    gateways = {(e["VpcId"], e.get("ServiceName")) for e in active if e.get("VpcEndpointType") == GATEWAY}
    catalog = load_catalog()
    return sorted(
        {
            endpoint["VpcId"]
            for endpoint in active
            if endpoint.get("VpcEndpointType") == INTERFACE
            and catalog.lookup(endpoint.get("ServiceName"), GATEWAY) is not None
            and (endpoint["VpcId"], endpoint.get("ServiceName")) not in gateways
        }
    )


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def vpcs_of_endpoint_groups(session: AwsSession, group_ids: Sequence[str]) -> list[str]:
    """The VPCs where these security groups sit on an endpoint's network interfaces; none when no endpoint
    uses them, so a rule change on any other group costs one call and is dropped."""
    interfaces = _describe_all(
        session.client("ec2"),
        "DescribeNetworkInterfaces",
        "describe_network_interfaces",
        Filters=[
            {"Name": "group-id", "Values": list(group_ids)},
            {"Name": "interface-type", "Values": ["vpc_endpoint"]},
        ],
    )["NetworkInterfaces"]
    return sorted({interface["VpcId"] for interface in interfaces})


def vpcs_of_network_acls(session: AwsSession, network_acl_ids: Sequence[str]) -> list[str]:
    """The VPCs of these network ACLs: one DescribeNetworkAcls; a network ACL deleted since is none."""
    return _vpcs_of(session, DESCRIBE_NETWORK_ACLS, "describe_network_acls", "network-acl-id", network_acl_ids)


def vpcs_of_route_tables(session: AwsSession, route_table_ids: Sequence[str]) -> list[str]:
    return _vpcs_of(session, DESCRIBE_ROUTE_TABLES, "describe_route_tables", "route-table-id", route_table_ids)


def _vpcs_of(session: AwsSession, operation: str, method: str, filter_name: str, ids: Sequence[str]) -> list[str]:
    """The VPCs the resources of ``ids`` belong to, read with one filtered describe."""
    items = _describe_all(
        session.client("ec2"), operation, method, Filters=[{"Name": filter_name, "Values": list(ids)}]
    )
    return sorted({item["VpcId"] for item in items[RESULT_KEYS[operation]]})


def _describe_all(client: Any, operation: str, method: str, **parameters: Any) -> Any:
    """Every page of a describe, merged into one response as boto3 builds it (one call where the API has no
    pages, as DescribeVpnGateways)."""
    try:
        if not client.can_paginate(method):
            return getattr(client, method)(**parameters)
        return client.get_paginator(method).paginate(**parameters).build_full_result()
    except CALL_ERRORS as error:
        raise CollectionError(
            operation, client.meta.region_name, error, service=SERVICES.get(operation, "ec2")
        ) from error
