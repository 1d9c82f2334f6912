"""``--live``: what a plan or template leaves unknown or assumed, read from what is already deployed.

A file names existing resources by id (a data source, a template parameter) without saying what they are,
and never says which zones a service is offered in. ``--live`` reads, with Describe calls only
(``vpce_guard.collect.collect_deployed``): the services' details, and each existing VPC the file's endpoints
sit in as a scan of that VPC reads it (its ranges, DNS attributes, subnets, security groups, route tables,
network ACLs, endpoints and paths from elsewhere). ``complete`` merges what was read into the file's draft, a
pure function: what the file plans wins over what is deployed, and what the read did not find stays unknown,
saying so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from msgspec.structs import replace

from vpce_guard.aws import AwsSession
from vpce_guard.collect import Progress, collect_deployed
from vpce_guard.facts import Facts, Service, Vpc, build_facts
from vpce_guard.iac.model import VPC, Draft
from vpce_guard.snapshot import Scope

T = TypeVar("T")


def read_deployed(session: AwsSession, draft: Draft, progress: Progress | None = None) -> Draft:
    """The draft completed by what is deployed in the session's region. A failed call raises
    CollectionError: never a fallback to what the file leaves assumed."""
    vpc_ids = existing_vpcs(draft)
    snapshot = collect_deployed(session, Scope(session.region, vpc_ids), described(draft), progress)
    return complete(draft, build_facts(snapshot), vpc_ids)


def existing_vpcs(draft: Draft) -> tuple[str, ...]:
    """The VPCs to read: those the file's endpoints sit in, named by id, that the file does not create."""
    return tuple(
        sorted(
            {
                endpoint.vpc_id
                for endpoint in draft.endpoints
                if endpoint.vpc_id not in draft.whole_vpcs and VPC not in draft.unknown.get(endpoint.id, {})
            }
        )
    )


def described(draft: Draft) -> list[dict[str, Any]]:
    """The file's endpoints as DescribeVpcEndpoints describes endpoints, as far as the collection reads them
    to decide which VPCs' DNS attributes and paths it needs."""
    return [
        {
            "VpcId": endpoint.vpc_id,
            "VpcEndpointType": endpoint.type,
            "State": endpoint.state,
            "PrivateDnsEnabled": endpoint.private_dns_enabled,
            **({"ServiceName": endpoint.service_name} if endpoint.service_name is not None else {}),
        }
        for endpoint in draft.endpoints
    ]


def complete(draft: Draft, deployed: Facts, vpc_ids: Sequence[str]) -> Draft:
    """The draft with what ``deployed`` holds of the VPCs ``vpc_ids``, which are then whole, and the services'
    details read. What the file plans (a resource of its own, or one it changes) wins over what is deployed; a
    resource the file deletes is dropped. A VPC, subnet or security group the read did not find is unknown,
    naming it."""
    region = deployed.region
    found = [vpc_id for vpc_id in vpc_ids if vpc_id in deployed.vpcs]
    missing = {
        vpc_id: f"{vpc_id} does not exist in {region}: DescribeVpcs did not return it"
        for vpc_id in vpc_ids
        if vpc_id not in deployed.vpcs
    }
    subnets = {**_standing(deployed.subnets, draft), **draft.subnets}
    groups = {**_standing(deployed.security_groups, draft), **draft.security_groups}
    unknown_subnets, unknown_groups = dict(draft.unknown_subnets), dict(draft.unknown_groups)
    for endpoint in draft.endpoints:
        if endpoint.vpc_id not in vpc_ids:
            continue
        where = f"not found in {endpoint.vpc_id} in {region}"
        for subnet_id in endpoint.subnet_ids:
            if subnet_id not in subnets:
                unknown_subnets[subnet_id] = f"{where} (DescribeSubnets did not return it)"
        for group_id in endpoint.security_group_ids:
            if group_id not in groups:
                unknown_groups[group_id] = f"{where} (DescribeSecurityGroups did not return it)"
    return replace(
        draft,
        region=region,
        vpcs={**draft.vpcs, **{vpc_id: _vpc(deployed.vpcs[vpc_id], draft.vpcs.get(vpc_id)) for vpc_id in found}},
        whole_vpcs=draft.whole_vpcs | set(found),
        subnets=subnets,
        security_groups=groups,
        route_tables={**_standing(deployed.route_tables, draft), **draft.route_tables},
        network_acls={**_standing(deployed.network_acls, draft), **draft.network_acls},
        unknown_subnets=unknown_subnets,
        unknown_groups=unknown_groups,
        unknown_vpcs={**{k: why for k, why in draft.unknown_vpcs.items() if k not in found}, **missing},
        unknown_contents={**draft.unknown_contents, **missing},
        services=_services(deployed, draft),
        deployed_endpoints=tuple(
            endpoint for endpoint in deployed.active_endpoints if endpoint.id not in draft.deployed_ids
        ),
    )


def _services(deployed: Facts, draft: Draft) -> dict[tuple[str, str], Service]:
    """The services as read, each also taken as offered in the file's zones that no answer names (a template's
    ``Fn::GetAZs`` index, "zone 2 of us-east-1"), as without ``--live``: such a zone cannot be compared with
    the zones read."""
    named = {zone for service in deployed.services.values() for zone in service.zone_names}
    named |= {subnet.zone_name for subnet in deployed.subnets.values()}
    unnamed = tuple(sorted({s.zone_name for s in draft.subnets.values() if s.zone_name and s.zone_name not in named}))
    return {
        key: replace(service, zone_names=service.zone_names + unnamed) for key, service in deployed.services.items()
    }


def _standing(deployed: Mapping[str, T], draft: Draft) -> dict[str, T]:
    """What is deployed less what the file changes or deletes (the file's word on those stands)."""
    return {resource_id: item for resource_id, item in deployed.items() if resource_id not in draft.deployed_ids}


def _vpc(deployed: Vpc, filed: Vpc | None) -> Vpc:
    """A VPC as deployed, with the paths from elsewhere the file attaches to it, and the DNS attributes the
    file's data source gives where the read had no need of them."""
    if filed is None:
        return deployed
    return replace(
        deployed,
        dns_support=filed.dns_support if deployed.dns_support is None else deployed.dns_support,
        dns_hostnames=filed.dns_hostnames if deployed.dns_hostnames is None else deployed.dns_hostnames,
        on_premises_paths=tuple(sorted({*deployed.on_premises_paths, *filed.on_premises_paths})),
    )
