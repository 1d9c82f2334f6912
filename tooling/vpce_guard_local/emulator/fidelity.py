"""Fidelity fixes: moto 5.2's VPC endpoint API made to answer as AWS does where vpce-guard depends on it.

``install()`` patches moto's EC2 backend and response classes in this process, so the fixes apply to the
emulator's server and to in-process ``moto.mock_aws`` alike. Each fix is a function below whose docstring
names the AWS behaviour it reproduces; the patched moto methods at the end only wire them in.
"""

from __future__ import annotations

import ipaddress
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError, InvalidNextToken, InvalidSecurityGroupNotFoundError
from moto.ec2.models import EC2Backend, ec2_backends
from moto.ec2.models.subnets import Subnet
from moto.ec2.models.vpcs import VPCBackend, VPCEndPoint
from moto.ec2.responses.vpcs import VPCs
from moto.ec2.utils import add_tag_specification

from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY
from vpce_guard_local.emulator import services
from vpce_guard_local.emulator.paging import offset_token, token_offset
from vpce_guard_local.emulator.patching import Patches

MIN_PAGE_SIZE = 5
MAX_PAGE_SIZE = 1000
DEFAULT_POLICY_DOCUMENT = json.dumps(DEFAULT_ENDPOINT_POLICY)
INBOUND_RESOLVER_ONLY = "PrivateDnsOnlyForInboundResolverEndpoint"
BOTH_TYPES = frozenset({"Gateway", "Interface"})

_TOKEN_PREFIX = "vpce-guard-offset:"


# --- The fixes -----------------------------------------------------------------------------------------


def require_known_service(backend: EC2Backend, service_name: str, endpoint_type: str) -> services.OfferedService:
    """CreateVpcEndpoint accepts only a service the region offers, and only in a type it offers.

    AWS answers ``InvalidServiceName`` "The Vpc Endpoint Service 'com.amazonaws.us-east-1.nope' does not
    exist" for an unknown name, and ``InvalidParameter`` "Endpoint type (Gateway) does not match available
    service types ([Interface])." for a Gateway endpoint to an interface-only service. moto accepts both.
    Known: moto's defaults for the region, the services moto lacks (see ``services``) and the endpoint
    services created in the emulator.
    """
    service = services.find(backend, service_name)
    if service is None:
        raise EC2ClientError("InvalidServiceName", f"The Vpc Endpoint Service '{service_name}' does not exist")
    if endpoint_type not in service.endpoint_types:
        offered = ", ".join(sorted(service.endpoint_types))
        raise EC2ClientError(
            "InvalidParameter",
            f"Endpoint type ({endpoint_type}) does not match available service types ([{offered}]).",
        )
    return service


def require_options_fit_type(endpoint_type: str, subnet_ids: Sequence[str], route_table_ids: Sequence[str]) -> None:
    """Subnets belong to interface endpoints, route tables to gateway endpoints.

    AWS: ``InvalidParameter`` "Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC
    Endpoints." and "Route table IDs are only supported for Gateway type VPC Endpoint." moto keeps either.
    """
    if subnet_ids and endpoint_type == "Gateway":
        raise EC2ClientError(
            "InvalidParameter",
            "Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC Endpoints.",
        )
    if route_table_ids and endpoint_type != "Gateway":
        raise EC2ClientError("InvalidParameter", "Route table IDs are only supported for Gateway type VPC Endpoint.")


def require_existing_resources(
    backend: EC2Backend,
    subnet_ids: Iterable[str] = (),
    group_ids: Iterable[str] = (),
    route_table_ids: Iterable[str] = (),
) -> list[Subnet]:
    """The subnets, security groups and route tables an endpoint call names exist; returns the subnets.

    AWS: ``InvalidSubnetID.NotFound`` "The subnet ID 'subnet-…' does not exist", ``InvalidGroup.NotFound``
    "The security group 'sg-…' does not exist", ``InvalidRouteTableID.NotFound`` "The routeTable ID 'rtb-…'
    does not exist". moto's ModifyVpcEndpoint stores unknown ids, and its CreateVpcEndpoint invents a
    security group for an unknown id.
    """
    subnets = [backend.get_subnet(subnet_id) for subnet_id in dict.fromkeys(subnet_ids)]
    for group_id in group_ids:
        if backend.get_security_group_from_id(group_id) is None:
            raise InvalidSecurityGroupNotFoundError(group_id)
    for route_table_id in route_table_ids:
        backend.get_route_table(route_table_id)
    return subnets


def require_supported_zones(service: services.OfferedService, subnets: Iterable[Subnet]) -> None:
    """Every subnet of an endpoint is in a zone the service is offered in.

    AWS: ``InvalidParameter`` "The VPC endpoint service com.amazonaws.us-east-1.email-smtp does not support
    the availability zone of the subnet: subnet-…." moto offers every service in every zone; the emulator
    narrows a service's zones with ``Emulator.restrict_service_zones``.
    """
    for subnet in subnets:
        if subnet.availability_zone not in service.zone_names:
            raise EC2ClientError(
                "InvalidParameter",
                f"The VPC endpoint service {service.name} does not support the availability zone of the "
                f"subnet: {subnet.id}.",
            )


def require_one_subnet_per_zone(subnets: Iterable[Subnet]) -> None:
    """An endpoint has at most one subnet per availability zone.

    AWS: ``DuplicateSubnetsInSameZone`` "Found another VPC endpoint subnet in the availability zone of
    subnet-…. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint
    service." on CreateVpcEndpoint and on ModifyVpcEndpoint AddSubnetIds. moto accepts any number.
    """
    zones: set[str] = set()
    for subnet in subnets:
        if subnet.availability_zone in zones:
            raise EC2ClientError(
                "DuplicateSubnetsInSameZone",
                f"Found another VPC endpoint subnet in the availability zone of {subnet.id}. VPC endpoint "
                "subnets should be in different availability zones supported by the VPC endpoint service.",
            )
        zones.add(subnet.availability_zone)


def require_valid_policy(policy_document: str | None) -> None:
    """An endpoint policy is JSON.

    AWS: ``InvalidPolicyDocument`` "The Policy Document is not valid. Syntax error at position (1,75)"
    (line, column). moto stores any text. Only the syntax is checked, not the policy grammar.
    """
    if policy_document is None:
        return
    try:
        json.loads(policy_document)
    except json.JSONDecodeError as error:
        raise EC2ClientError(
            "InvalidPolicyDocument",
            f"The Policy Document is not valid. Syntax error at position ({error.lineno},{error.colno})",
        ) from error


def default_security_groups(backend: EC2Backend, vpc_id: str, group_ids: Sequence[str] | None) -> list[str]:
    """An interface endpoint created without security groups gets the VPC's default group, as in AWS.

    moto leaves it with none, which hides the common real-world case of endpoints on the default group.
    """
    if group_ids:
        return list(group_ids)
    default = backend.get_default_security_group(vpc_id)
    return [default.id] if default is not None else []


def route_default_vpc_to_the_internet(backend: EC2Backend, vpc_id: str) -> None:
    """A default VPC is public: AWS attaches an internet gateway and routes 0.0.0.0/0 from the main route
    table to it, so every default subnet is a public subnet.

    moto creates the default VPC and its subnets without either, which makes them look private.
    """
    gateway = backend.create_internet_gateway()
    backend.attach_internet_gateway(gateway.id, vpc_id)
    main_table = backend.describe_route_tables(filters={"vpc-id": [vpc_id], "association.main": ["true"]})[0]
    backend.create_route(main_table.id, "0.0.0.0/0", gateway_id=gateway.id)


def gateway_private_dns_off(endpoint: VPCEndPoint) -> None:
    """Gateway endpoints report ``PrivateDnsEnabled`` false in AWS (private DNS is an interface feature).

    moto reports true, its default for every endpoint.
    """
    if endpoint.vpc_endpoint_type == "Gateway":
        endpoint.private_dns_enabled = False


def set_private_dns(endpoint: VPCEndPoint, enabled: bool | None) -> None:
    """ModifyVpcEndpoint ``PrivateDnsEnabled`` turns an interface endpoint's private DNS on or off.

    moto ignores the parameter. AWS documents it for interface endpoints only; for a gateway endpoint the
    emulator answers ``InvalidParameter`` "Private DNS can only be enabled or disabled for Interface type
    VPC Endpoint." (the code is AWS's usual one for a misplaced option; the message is an approximation).
    """
    if enabled is None:
        return
    if endpoint.vpc_endpoint_type != "Interface":
        raise EC2ClientError(
            "InvalidParameter", "Private DNS can only be enabled or disabled for Interface type VPC Endpoint."
        )
    endpoint.private_dns_enabled = enabled


def endpoint_dns_options(
    endpoint_type: str,
    offers_gateway: bool,
    private_dns: bool,
    requested: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """An interface endpoint reports ``DnsOptions``; CreateVpcEndpoint and ModifyVpcEndpoint set them.

    AWS reports the DNS record type (``ipv4`` unless asked otherwise) on every interface endpoint and, where
    the service also offers gateway endpoints (S3, DynamoDB) and private DNS is on,
    ``PrivateDnsOnlyForInboundResolverEndpoint``. Private DNS turned on without the option said turns it on:
    the S3 user guide calls it selected by default, and a CreateVpcEndpoint or ModifyVpcEndpoint that leaves
    it out is answered as if it asked for true. With private DNS off the option is not reported. Gateway
    endpoints report no DnsOptions. moto ignores the parameter and reports none.
    """
    if endpoint_type != "Interface":
        return None
    before = current or {}
    options: dict[str, Any] = {
        "DnsRecordIpType": requested.get("DnsRecordIpType") or before.get("DnsRecordIpType") or "ipv4"
    }
    if offers_gateway and private_dns:
        options[INBOUND_RESOLVER_ONLY] = bool(
            requested.get(INBOUND_RESOLVER_ONLY, before.get(INBOUND_RESOLVER_ONLY, True))
        )
    return options


def require_inbound_resolver_option_allowed(
    backend: EC2Backend,
    endpoint_type: str,
    vpc_id: str,
    service: services.OfferedService | None,
    private_dns: bool,
    requested: Mapping[str, Any],
    resulting: Mapping[str, Any] | None,
) -> None:
    """``PrivateDnsOnlyForInboundResolverEndpoint`` is refused where AWS refuses it.

    AWS: on a gateway endpoint, ``InvalidParameter`` "DnsOptions PrivateDnsOnlyForInboundResolverEndpoint is
    applicable only to Interface VPC Endpoints."; true (asked for, or by default with private DNS turned on)
    in a VPC without a gateway endpoint of the service, ``InvalidParameter`` "To set
    PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC vpc-… must have a Gateway endpoint for the
    service.". The API reference offers the option only for services with both endpoint types and with private
    DNS on: the option on another service, or true with private DNS off, the emulator answers with
    ``InvalidParameter`` and a message of its own (AWS's wording for these two is not known). moto accepts
    anything.
    """
    if INBOUND_RESOLVER_ONLY in requested and endpoint_type != "Interface":
        raise EC2ClientError(
            "InvalidParameter",
            "DnsOptions PrivateDnsOnlyForInboundResolverEndpoint is applicable only to Interface VPC Endpoints.",
        )
    if INBOUND_RESOLVER_ONLY in requested and (service is None or not service.endpoint_types >= BOTH_TYPES):
        raise EC2ClientError(
            "InvalidParameter",
            "DnsOptions PrivateDnsOnlyForInboundResolverEndpoint is applicable only to services that support both "
            "Gateway and Interface VPC Endpoints.",
        )
    if requested.get(INBOUND_RESOLVER_ONLY) and not private_dns:
        raise EC2ClientError(
            "InvalidParameter",
            "DnsOptions PrivateDnsOnlyForInboundResolverEndpoint can be true only with PrivateDnsEnabled true.",
        )
    if (
        service is not None
        and (resulting or {}).get(INBOUND_RESOLVER_ONLY)
        and not _has_gateway(backend, vpc_id, service)
    ):
        raise EC2ClientError(
            "InvalidParameter",
            f"To set PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC {vpc_id} must have a Gateway "
            "endpoint for the service.",
        )


def reset_policy(endpoint: VPCEndPoint, reset: bool) -> None:
    """ModifyVpcEndpoint ``ResetPolicy`` restores the default full-access policy, as AWS does.

    The default is ``{"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
    "Action": "*", "Resource": "*"}]}``. moto ignores the parameter. With a PolicyDocument in the same
    call, the reset wins.
    """
    if reset:
        endpoint.policy_document = DEFAULT_POLICY_DOCUMENT


def sync_network_interfaces(backend: EC2Backend, endpoint: VPCEndPoint) -> None:
    """An interface endpoint has one network interface per subnet, carrying the endpoint's security groups.

    AWS creates a requester-managed interface (type ``vpc_endpoint``, description "VPC Endpoint Interface
    vpce-…") in each subnet, adds and removes them with the subnets, and applies the endpoint's groups to
    them. moto creates them only on CreateVpcEndpoint, without the groups or an address in the subnet, and
    never adds or removes any on ModifyVpcEndpoint.
    """
    if endpoint.vpc_endpoint_type != "Interface":
        return
    subnet_ids: list[str] = list(endpoint.subnet_ids or [])
    groups = [backend.get_security_group_from_id(group_id) for group_id in endpoint.security_group_ids]
    by_subnet: dict[str, Any] = {}
    for eni_id in endpoint.network_interface_ids:
        eni = backend.enis.get(eni_id)
        if eni is None:
            continue
        if eni.subnet.id in subnet_ids and eni.subnet.id not in by_subnet:
            by_subnet[eni.subnet.id] = eni
        else:
            backend.enis.pop(eni_id)
    for subnet_id in subnet_ids:
        if subnet_id not in by_subnet:
            subnet = backend.get_subnet(subnet_id)
            by_subnet[subnet_id] = backend.create_network_interface(subnet, _address_in(subnet.cidr_block))
    for eni in by_subnet.values():
        eni._group_set = [group for group in groups if group is not None]
        eni.description = f"VPC Endpoint Interface {endpoint.id}"
        eni.interface_type = "vpc_endpoint"
        eni.requester_managed = True
    endpoint.network_interface_ids = [by_subnet[subnet_id].id for subnet_id in subnet_ids]


def sync_gateway_routes(
    backend: EC2Backend, endpoint: VPCEndPoint, added: Iterable[str], removed: Iterable[str]
) -> None:
    """A gateway endpoint routes the service's prefix list in each route table associated with it.

    AWS adds the route when ModifyVpcEndpoint associates a route table and removes it on dissociation;
    moto does so only on CreateVpcEndpoint and DeleteVpcEndpoints.
    """
    prefix_list_id = endpoint.destination_prefix_list_id
    if endpoint.vpc_endpoint_type != "Gateway" or prefix_list_id is None:
        return
    for route_table_id in removed:
        # moto types the CIDR as required; it is unused when a prefix list is given.
        backend.delete_route(route_table_id, None, destination_prefix_list_id=prefix_list_id)  # type: ignore[arg-type]
    for route_table_id in added:
        backend.create_route(route_table_id, None, gateway_id=endpoint.id, destination_prefix_list_id=prefix_list_id)


def set_endpoint_created(account_id: str, region: str, endpoint_id: str, created_at: datetime) -> None:
    """The endpoint reads as created at ``created_at`` (its ``CreationTimestamp``), as one made long ago does.

    moto stamps an endpoint with the moment it is created, and only AWS sets the time: a test or the demo
    backdates an endpoint this way to stand for one that has run for weeks. Raises ValueError for an unknown
    endpoint, or a time without its zone or ahead of now.
    """
    endpoint = ec2_backends[account_id][region].vpc_end_points.get(endpoint_id)
    if endpoint is None:
        raise ValueError(f"{endpoint_id} is not an endpoint of account {account_id} in {region}")
    if created_at.tzinfo is None:
        raise ValueError(f"{created_at.isoformat()} has no time zone: give one, e.g. +00:00")
    if created_at > datetime.now(UTC):
        raise ValueError(f"{created_at.isoformat()} lies ahead: an endpoint is created before it is described")
    # moto keeps the time as naive UTC.
    endpoint.creation_timestamp = created_at.astimezone(UTC).replace(tzinfo=None)


def page_size(max_results: int | None) -> int:
    """The page size of a Describe call: ``MaxResults`` within AWS's bounds.

    AWS returns at most 1,000 items a page (a larger MaxResults is cut to 1,000, per the API reference)
    and rejects a MaxResults below 5 with ``InvalidParameterValue`` "Value ( 2 ) for parameter maxResults
    is invalid. Expecting a value greater than 5." (the message EC2 Describe calls give; assumed identical
    for the VPC endpoint calls). moto ignores MaxResults on DescribeVpcEndpoints.
    """
    if max_results is None:
        return MAX_PAGE_SIZE
    if max_results < MIN_PAGE_SIZE:
        raise EC2ClientError(
            "InvalidParameterValue",
            f"Value ( {max_results} ) for parameter maxResults is invalid. Expecting a value greater than 5.",
        )
    return min(max_results, MAX_PAGE_SIZE)


def paginate(items: Sequence[Any], max_results: int | None, next_token: str | None) -> tuple[list[Any], str | None]:
    """One page of ``items`` and the opaque token for the next page (None on the last).

    DescribeVpcEndpoints pages in AWS; moto returns everything at once, so paginating callers (and boto3's
    paginator) never see a second page. A token this code did not issue: ``InvalidNextToken`` "The token
    '…' is invalid".
    """
    size = page_size(max_results)
    start = _token_offset(next_token) if next_token else 0
    end = start + size
    return list(items[start:end]), _offset_token(end) if end < len(items) else None


def endpoint_filter_value(endpoint: VPCEndPoint, filter_name: str, method_name: str | None = None) -> Any:
    """DescribeVpcEndpoints honours the ``vpc-endpoint-id`` filter, as AWS does.

    moto answers HTTP 500 (filter not implemented); its other endpoint filters are left to moto.
    """
    if filter_name == "vpc-endpoint-id":
        return endpoint.id
    return PATCHES.originals["VPCEndPoint.get_filter_value"](endpoint, filter_name, method_name)


def _has_gateway(backend: EC2Backend, vpc_id: str, service: services.OfferedService) -> bool:
    """The VPC has a gateway endpoint of the service that is not being deleted."""
    return any(
        endpoint.vpc_id == vpc_id
        and endpoint.service_name == service.name
        and endpoint.vpc_endpoint_type == "Gateway"
        and endpoint.state not in ("deleting", "deleted")
        for endpoint in backend.vpc_end_points.values()
    )


def _address_in(cidr_block: str) -> str:
    """A host address of the subnet outside the five AWS reserves (first four and last)."""
    network = ipaddress.ip_network(cidr_block)
    return str(network.network_address + 4 + random.randrange(max(network.num_addresses - 5, 1)))


def _offset_token(offset: int) -> str:
    return offset_token(_TOKEN_PREFIX, offset)


def _token_offset(token: str) -> int:
    offset = token_offset(_TOKEN_PREFIX, token)
    if offset is None:
        raise InvalidNextToken(token)
    return offset


# --- Wiring into moto -------------------------------------------------------------------------------------


def _create_vpc_endpoint(
    self: EC2Backend,
    vpc_id: str,
    service_name: str,
    endpoint_type: str | None,
    policy_document: str | None,
    route_table_ids: list[str],
    subnet_ids: list[str] | None = None,
    network_interface_ids: list[str] | None = None,
    dns_entries: dict[str, str] | None = None,
    client_token: str | None = None,
    security_group_ids: list[str] | None = None,
    tags: dict[str, str] | None = None,
    private_dns_enabled: bool | None = None,
    dns_options: Mapping[str, Any] | None = None,
) -> VPCEndPoint:
    self.get_vpc(vpc_id)
    endpoint_type = endpoint_type or "Gateway"
    route_table_ids = list(route_table_ids or [])
    service = require_known_service(self, service_name, endpoint_type)
    require_options_fit_type(endpoint_type, subnet_ids or [], route_table_ids)
    require_valid_policy(policy_document)
    subnets = require_existing_resources(self, subnet_ids or [], security_group_ids or [], route_table_ids)
    require_supported_zones(service, subnets)
    require_one_subnet_per_zone(subnets)
    requested = dns_options or {}
    private_dns = endpoint_type == "Interface" and private_dns_enabled is not False
    resulting = endpoint_dns_options(endpoint_type, service.endpoint_types >= BOTH_TYPES, private_dns, requested)
    require_inbound_resolver_option_allowed(self, endpoint_type, vpc_id, service, private_dns, requested, resulting)
    if endpoint_type == "Interface":
        security_group_ids = default_security_groups(self, vpc_id, security_group_ids)
    endpoint: VPCEndPoint = PATCHES.originals["VPCBackend.create_vpc_endpoint"](
        self,
        vpc_id=vpc_id,
        service_name=service_name,
        endpoint_type=endpoint_type,
        policy_document=policy_document,
        route_table_ids=route_table_ids,
        subnet_ids=[],
        network_interface_ids=network_interface_ids,
        dns_entries=dns_entries,
        client_token=client_token,
        security_group_ids=security_group_ids,
        tags=tags,
        private_dns_enabled=private_dns_enabled,
    )
    endpoint.subnet_ids = [subnet.id for subnet in subnets]
    endpoint.dns_options = resulting  # type: ignore[attr-defined]  # moto serializes DnsOptions from it
    gateway_private_dns_off(endpoint)
    sync_network_interfaces(self, endpoint)
    return endpoint


def _modify_vpc_endpoint(
    self: EC2Backend,
    vpc_id: str,
    policy_doc: str | None,
    add_subnets: list[str] | None,
    remove_subnets: list[str] | None,
    remove_route_tables: list[str] | None,
    add_route_tables: list[str] | None,
    add_security_groups: list[str] | None,
    remove_security_groups: list[str] | None,
    private_dns_enabled: bool | None = None,
    reset: bool = False,
    dns_options: Mapping[str, Any] | None = None,
) -> None:
    endpoint = self.get_vpc_end_point(vpc_id)
    added = require_existing_resources(self, add_subnets or [], add_security_groups or [], add_route_tables or [])
    if added:
        service = services.find(self, endpoint.service_name)
        if service is not None:
            require_supported_zones(service, added)
        kept = [
            self.get_subnet(subnet_id)
            for subnet_id in endpoint.subnet_ids or []
            if subnet_id not in (remove_subnets or []) and subnet_id not in (add_subnets or [])
        ]
        require_one_subnet_per_zone(kept + added)
    require_valid_policy(policy_doc)
    requested = dns_options or {}
    service = services.find(self, endpoint.service_name)
    offers_gateway = service is not None and service.endpoint_types >= BOTH_TYPES
    endpoint_type = endpoint.vpc_endpoint_type or "Gateway"
    private_dns = bool(endpoint.private_dns_enabled if private_dns_enabled is None else private_dns_enabled)
    resulting = endpoint_dns_options(
        endpoint_type, offers_gateway, private_dns, requested, getattr(endpoint, "dns_options", None)
    )
    require_inbound_resolver_option_allowed(
        self, endpoint_type, endpoint.vpc_id, service, private_dns, requested, resulting
    )
    set_private_dns(endpoint, private_dns_enabled)
    endpoint.dns_options = resulting  # type: ignore[attr-defined]  # moto serializes DnsOptions from it
    associated = set(endpoint.route_table_ids)
    PATCHES.originals["VPCBackend.modify_vpc_endpoint"](
        self,
        vpc_id,
        policy_doc,
        add_subnets,
        remove_subnets,
        remove_route_tables,
        add_route_tables,
        add_security_groups,
        remove_security_groups,
    )
    reset_policy(endpoint, reset)
    sync_network_interfaces(self, endpoint)
    sync_gateway_routes(
        self,
        endpoint,
        added=[table for table in endpoint.route_table_ids if table not in associated],
        removed=[table for table in associated if table not in endpoint.route_table_ids],
    )


def _describe_vpc_endpoint_services(
    self: EC2Backend,
    service_names: list[str],
    filters: Any,
    max_results: int | None,
    next_token: str | None,
    region: str,
) -> dict[str, Any]:
    result: dict[str, Any] = PATCHES.originals["VPCBackend.describe_vpc_endpoint_services"](
        self, service_names, filters, page_size(max_results), next_token, region
    )
    restricted = services.restrictions(region)
    result["servicesDetails"] = [services.restrict(entry, restricted) for entry in result["servicesDetails"]]
    return result


def _collect_default_endpoint_services(account_id: str, region: str) -> list[services.ServiceEntry]:
    entries: list[services.ServiceEntry] = PATCHES.originals["VPCBackend._collect_default_endpoint_services"](
        account_id, region
    )
    services.complete_defaults(entries, region)
    return entries


def _modify_vpc_endpoint_response(self: VPCs) -> ActionResult:
    self.ec2_backend.modify_vpc_endpoint(
        vpc_id=self._get_param("VpcEndpointId"),
        policy_doc=self._get_param("PolicyDocument"),
        add_subnets=self._get_param("AddSubnetIds", []),
        remove_subnets=self._get_param("RemoveSubnetIds", []),
        add_route_tables=self._get_param("AddRouteTableIds", []),
        remove_route_tables=self._get_param("RemoveRouteTableIds", []),
        add_security_groups=self._get_param("AddSecurityGroupIds", []),
        remove_security_groups=self._get_param("RemoveSecurityGroupIds", []),
        private_dns_enabled=self._get_bool_param("PrivateDnsEnabled"),
        reset=bool(self._get_bool_param("ResetPolicy", False)),
        dns_options=_dns_options_param(self),
    )
    return ActionResult({"Return": True})


def _create_vpc_endpoint_response(self: VPCs) -> ActionResult:
    endpoint = self.ec2_backend.create_vpc_endpoint(
        vpc_id=self._get_param("VpcId"),
        service_name=self._get_param("ServiceName"),
        endpoint_type=self._get_param("VpcEndpointType"),
        policy_document=self._get_param("PolicyDocument"),
        route_table_ids=self._get_param("RouteTableIds", []),
        subnet_ids=self._get_param("SubnetIds", []),
        client_token=self._get_param("ClientToken"),
        security_group_ids=self._get_param("SecurityGroupIds", []),
        tags=add_tag_specification(self._get_param("TagSpecifications", [])),
        private_dns_enabled=self._get_bool_param("PrivateDnsEnabled", if_none=True),
        dns_options=_dns_options_param(self),
    )
    return ActionResult({"VpcEndpoint": endpoint})


def _dns_options_param(self: VPCs) -> dict[str, Any]:
    """The DnsOptions of a request, booleans as booleans (the query protocol sends them as text)."""
    raw = self._get_param("DnsOptions") or {}
    return {
        name: str(value).lower() == "true" if name == INBOUND_RESOLVER_ONLY else value for name, value in raw.items()
    }


def _create_default_vpc(self: EC2Backend) -> Any:
    vpc = PATCHES.originals["VPCBackend.create_default_vpc"](self)
    route_default_vpc_to_the_internet(self, vpc.id)
    return vpc


def _describe_vpc_endpoints_response(self: VPCs) -> ActionResult:
    endpoints = self.ec2_backend.describe_vpc_endpoints(
        vpc_end_point_ids=self._get_param("VpcEndpointIds", []), filters=self._filters_from_querystring()
    )
    page, next_token = paginate(endpoints, self._get_int_param("MaxResults"), self._get_param("NextToken"))
    return ActionResult({"VpcEndpoints": page, "NextToken": next_token})


PATCHES = Patches(
    (
        (VPCBackend, "create_default_vpc", _create_default_vpc),
        (VPCBackend, "create_vpc_endpoint", _create_vpc_endpoint),
        (VPCBackend, "modify_vpc_endpoint", _modify_vpc_endpoint),
        (VPCBackend, "describe_vpc_endpoint_services", _describe_vpc_endpoint_services),
        (VPCBackend, "_collect_default_endpoint_services", staticmethod(_collect_default_endpoint_services)),
        (VPCs, "create_vpc_endpoint", _create_vpc_endpoint_response),
        (VPCs, "modify_vpc_endpoint", _modify_vpc_endpoint_response),
        (VPCs, "describe_vpc_endpoints", _describe_vpc_endpoints_response),
        (VPCEndPoint, "get_filter_value", endpoint_filter_value),
    )
)


def install() -> None:
    """Apply every fix to moto in this process; calling it again changes nothing."""
    PATCHES.install()
