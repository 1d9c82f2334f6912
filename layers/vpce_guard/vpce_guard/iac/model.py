"""What a plan or a template says, as facts the checks read, and which of those facts it leaves unknown.

A reader (``plan``, ``template``) turns what its file says into a ``Draft``: the endpoints and the resources
around them, keyed by their id where the file gives it and by their address (or logical id) where the id is
known only after apply, with what it could not tell. ``assemble`` wires subnets to their route tables and
network ACLs as AWS does, and works out per endpoint which facts are unknown; ``judge`` runs the checks on the
facts and reports a check as not judged on an endpoint whose facts it reads are unknown: an unknown is never
taken for a pass or a fail.

What a plan never says is which zones a service is offered in: unless the services' details were read
(``--live``, ``vpce_guard.iac.live``), an AWS service is taken as offered in every zone where the VPC has a
subnet (AWS creates an endpoint only in the zones of its service, so a zone the endpoint sits in is one), and
as having a private DNS name (every AWS service's interface endpoint has one). A partner service's details
are unknown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
from msgspec.structs import replace

from vpce_guard.catalog import parse_service_name
from vpce_guard.checks import Check, CheckSettings
from vpce_guard.facts import (
    ASTERISK_RULE,
    GATEWAY,
    INTERFACE,
    AclEntry,
    Endpoint,
    Facts,
    NetworkAcl,
    RouteTable,
    SecurityGroup,
    Service,
    Subnet,
    Vpc,
)
from vpce_guard.findings import Finding

# The facts a check may read, as the reports name them.
SERVICE = "service"
PRIVATE_DNS = "private DNS"
POLICY = "policy"
OWNER = "owner account"
VPC = "VPC"
SUBNETS = "subnets"
ROUTE_TABLES = "route tables"
SECURITY_GROUPS = "security groups"
VPC_CONTENTS = "VPC contents"
FACTS = (SERVICE, PRIVATE_DNS, POLICY, OWNER, VPC, SUBNETS, ROUTE_TABLES, SECURITY_GROUPS, VPC_CONTENTS)
# IANA protocol numbers, as the facts hold a network ACL's protocol, from the names and numbers files give.
ACL_PROTOCOLS: Mapping[str, str] = {
    "-1": "-1", "all": "-1", "tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58",
    "6": "6", "17": "17", "1": "1", "58": "58",
}  # fmt: skip
BOTH_TYPES = frozenset({INTERFACE, GATEWAY})


class IacError(ValueError):
    """A file that is not a plan or template vpce-guard reads; the message says what is wrong with it."""


class Needs(msgspec.Struct, frozen=True):
    """What a check reads of an endpoint: the endpoint types it judges, the facts it needs to judge at all,
    and the facts whose absence can only add findings (a pass stands without them; a finding does not)."""

    endpoint_types: frozenset[str]
    facts: tuple[str, ...]
    findings_only: tuple[str, ...] = ()


_INTERFACE = frozenset({INTERFACE})
CHECK_FACTS: Mapping[str, Needs] = {
    "private-dns-disabled": Needs(_INTERFACE, (SERVICE, PRIVATE_DNS)),
    "vpc-dns-disabled": Needs(_INTERFACE, (SERVICE, PRIVATE_DNS, VPC)),
    "policy-any-principal": Needs(BOTH_TYPES, (SERVICE, POLICY)),
    "policy-wildcard-action": Needs(BOTH_TYPES, (SERVICE, POLICY)),
    # The owner's account only removes findings (a principal or a resource of the owner is ours).
    "policy-foreign-principal": Needs(BOTH_TYPES, (SERVICE, POLICY), (OWNER,)),
    "policy-any-resource": Needs(BOTH_TYPES, (SERVICE, POLICY), (OWNER,)),
    "az-coverage": Needs(_INTERFACE, (SERVICE, SUBNETS, VPC_CONTENTS)),
    "sg-https-blocked": Needs(_INTERFACE, (VPC, SECURITY_GROUPS)),
    "sg-open-to-world": Needs(_INTERFACE, (SECURITY_GROUPS,)),
    "gateway-route-coverage": Needs(frozenset({GATEWAY}), (ROUTE_TABLES, VPC_CONTENTS)),
    "nacl-blocks-https": Needs(_INTERFACE, (VPC, SUBNETS, SECURITY_GROUPS, VPC_CONTENTS)),
    "s3-interface-bypasses-gateway": Needs(_INTERFACE, (SERVICE, PRIVATE_DNS, VPC_CONTENTS)),
    "interface-where-gateway-serves": Needs(_INTERFACE, (SERVICE, VPC_CONTENTS)),
}
# Checks that judge what exists, not what is planned: not run before deploy.
NOT_BEFORE_DEPLOY: Mapping[str, str] = {
    "missing-baseline-endpoint": "it judges every endpoint of a VPC, most of which a plan or template does not hold",
    "endpoint-idle": "it judges the traffic an endpoint carried, which a planned endpoint has not",
}


class Draft(msgspec.Struct, frozen=True):
    """What a reader found. ``kind`` names the file (plan, template) in the reasons. Resources are keyed by
    their id, else their address; endpoints always by their address (the resource a person edits).

    ``whole_vpcs`` are the VPCs the file itself creates or manages: every subnet, route table, network ACL
    and endpoint of theirs is taken to be in it. ``unknown`` holds, per endpoint, the facts the reader could
    not tell and why; ``unknown_subnets``, ``unknown_groups`` and ``unknown_vpcs`` why a subnet's zone or
    range, a group's rules, or a VPC's attributes or contents are not known.

    What ``--live`` read of what is deployed: ``services``, the services' details (None: not read, taken as
    the module docstring says), and ``deployed_endpoints``, the endpoints already in the VPCs read, which the
    checks that read a VPC's other endpoints see and which are not judged. ``deployed_ids`` are the ids of
    deployed resources the file updates, replaces or deletes: the file's word on them stands.
    """

    kind: str
    region: str
    owner_id: str | None
    endpoints: tuple[Endpoint, ...] = ()
    unknown: Mapping[str, Mapping[str, str]] = msgspec.field(default_factory=dict)
    vpcs: Mapping[str, Vpc] = msgspec.field(default_factory=dict)
    whole_vpcs: frozenset[str] = frozenset()
    subnets: Mapping[str, Subnet] = msgspec.field(default_factory=dict)
    security_groups: Mapping[str, SecurityGroup] = msgspec.field(default_factory=dict)
    route_tables: Mapping[str, RouteTable] = msgspec.field(default_factory=dict)
    network_acls: Mapping[str, NetworkAcl] = msgspec.field(default_factory=dict)
    unknown_subnets: Mapping[str, str] = msgspec.field(default_factory=dict)
    unknown_groups: Mapping[str, str] = msgspec.field(default_factory=dict)
    unknown_vpcs: Mapping[str, str] = msgspec.field(default_factory=dict)
    unknown_contents: Mapping[str, str] = msgspec.field(default_factory=dict)
    lines: Mapping[str, int] = msgspec.field(default_factory=dict)
    services: Mapping[tuple[str, str], Service] | None = None
    deployed_endpoints: tuple[Endpoint, ...] = ()
    deployed_ids: frozenset[str] = frozenset()


class IacFacts(msgspec.Struct, frozen=True):
    """The facts of a plan or template, the facts unknown per endpoint (fact -> why), and the line of each
    resource in the file where the format gives it. ``deployed_endpoints`` are in the facts for the checks
    that read a VPC's other endpoints, and are not judged: the file does not hold them."""

    facts: Facts
    unknown: Mapping[str, Mapping[str, str]]
    lines: Mapping[str, int] = msgspec.field(default_factory=dict)
    deployed_endpoints: frozenset[str] = frozenset()


class Unjudged(msgspec.Struct, frozen=True):
    """A check not judged on a resource: the facts it reads that are unknown until apply, and why."""

    check_id: str
    resource_id: str
    unknown: Mapping[str, str]

    @property
    def detail(self) -> str:
        reasons = "; ".join(f"{fact}: {why}" for fact, why in self.unknown.items())
        return f"{self.check_id} not judged on {self.resource_id}: {reasons}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "resource_id": self.resource_id,
            "unknown": [{"fact": fact, "why": why} for fact, why in self.unknown.items()],
        }


class IacResult(msgspec.Struct, frozen=True):
    iac: IacFacts
    findings: list[Finding]
    unjudged: list[Unjudged]


def applicable(checks: Iterable[Check]) -> tuple[Check, ...]:
    """The checks that judge a plan or template; one that cannot is an error saying why."""
    checks = tuple(checks)
    for check in checks:
        if check.id in NOT_BEFORE_DEPLOY:
            raise IacError(f"{check.id} is not run before deploy: {NOT_BEFORE_DEPLOY[check.id]}")
    return checks


def judge(iac: IacFacts, settings: CheckSettings, checks: Sequence[Check]) -> IacResult:
    """The checks' findings on the facts, less those on an endpoint whose facts the check reads are unknown:
    those are reported as not judged, as is a check with no finding on such an endpoint."""
    findings: list[Finding] = []
    unjudged: list[Unjudged] = []
    for check in applicable(checks):
        needs = CHECK_FACTS[check.id]
        found: defaultdict[str, list[Finding]] = defaultdict(list)
        for finding in check.evaluate(iac.facts, settings):
            found[finding.resource_id].append(finding)
        for endpoint in iac.facts.active_endpoints:
            if endpoint.id in iac.deployed_endpoints:
                found.pop(endpoint.id, None)
                continue
            if endpoint.type not in needs.endpoint_types:
                continue
            unknown = iac.unknown.get(endpoint.id, {})
            missing = {fact: unknown[fact] for fact in needs.facts if fact in unknown}
            on_endpoint = found.pop(endpoint.id, [])
            if on_endpoint:
                missing |= {fact: unknown[fact] for fact in needs.findings_only if fact in unknown}
            if missing:
                unjudged.append(Unjudged(check.id, endpoint.id, missing))
            else:
                findings += on_endpoint
        findings += [finding for on_resource in found.values() for finding in on_resource]
    return IacResult(iac, sorted(findings, key=lambda finding: finding.sort_key), unjudged)


def assemble(draft: Draft) -> IacFacts:
    """The facts of a draft: subnets with the route table and network ACL AWS gives them, the services as read
    or, unread, those of AWS endpoints as the module docstring takes them, and the unknown facts of each
    endpoint."""
    subnets = _placed(draft.subnets, draft.route_tables, draft.network_acls)
    zones: defaultdict[str, set[str]] = defaultdict(set)
    for subnet in subnets.values():
        zones[subnet.vpc_id].add(subnet.zone_name)
    services = draft.services
    if services is None:
        services = _assumed_services(draft.endpoints, zones)
    facts = Facts(
        region=draft.region,
        endpoints=draft.endpoints + draft.deployed_endpoints,
        vpcs=draft.vpcs,
        subnets=subnets,
        security_groups=draft.security_groups,
        route_tables=draft.route_tables,
        services=services,
        network_acls=draft.network_acls,
    )
    unknown = {endpoint.id: _unknown(draft, facts, endpoint) for endpoint in draft.endpoints}
    return IacFacts(facts, unknown, draft.lines, frozenset(endpoint.id for endpoint in draft.deployed_endpoints))


def _assumed_services(endpoints: Iterable[Endpoint], zones: Mapping[str, set[str]]) -> dict[tuple[str, str], Service]:
    """The AWS services of ``endpoints`` as the module docstring takes them when their details are not read."""
    return {
        (endpoint.service_name, endpoint.type): Service(
            name=endpoint.service_name,
            endpoint_type=endpoint.type,
            private_dns_names=(f"the DNS name of {endpoint.service_name}",),
            zone_names=tuple(sorted(zones.get(endpoint.vpc_id, ()))),
        )
        for endpoint in endpoints
        if endpoint.service_name is not None and _is_aws_service(endpoint.service_name)
    }


def default_network_acl(acl_id: str, vpc: Vpc) -> NetworkAcl:
    """The network ACL AWS creates with a VPC: everything allowed both ways, for each address family the VPC
    has, then the ``*`` rules."""
    families = ["0.0.0.0/0"] + (["::/0"] if any(":" in cidr for cidr in vpc.cidrs) else [])
    entries = [
        AclEntry(100 + number, egress, True, "-1", cidr)
        for egress in (False, True)
        for number, cidr in enumerate(families)
    ]
    return NetworkAcl(acl_id, vpc.id, is_default=True, entries=acl_entries(entries))


def acl_entries(entries: Iterable[AclEntry]) -> tuple[AclEntry, ...]:
    """Rules in AWS's order of evaluation, with the ``*`` rules AWS adds to every network ACL."""
    rules = list(entries)
    for egress in (False, True):
        rules += [AclEntry(ASTERISK_RULE, egress, False, "-1", cidr) for cidr in ("0.0.0.0/0", "::/0")]
    return tuple(sorted(rules, key=_acl_order))


def _acl_order(entry: AclEntry) -> tuple[bool, int]:
    return entry.egress, entry.number


def _is_aws_service(service_name: str) -> bool:
    ref = parse_service_name(service_name)
    return ref is not None and ref.is_aws_service


def _placed(
    subnets: Mapping[str, Subnet], tables: Mapping[str, RouteTable], acls: Mapping[str, NetworkAcl]
) -> dict[str, Subnet]:
    """Each subnet with its route table (its explicit association, else its VPC's main table) and its network
    ACL (its association, else its VPC's default)."""
    explicit = {subnet_id: table for table in tables.values() for subnet_id in table.subnet_ids}
    main = {table.vpc_id: table for table in tables.values() if table.is_main}
    acl_of = {subnet_id: acl.id for acl in acls.values() for subnet_id in acl.subnet_ids}
    default_acl = {acl.vpc_id: acl.id for acl in acls.values() if acl.is_default}
    placed = {}
    for subnet_id, subnet in subnets.items():
        table = explicit.get(subnet_id) or main.get(subnet.vpc_id)
        placed[subnet_id] = replace(
            subnet,
            route_table_id=table.id if table else None,
            is_public=bool(table and table.routes_to_internet_gateway),
            network_acl_id=acl_of.get(subnet_id) or default_acl.get(subnet.vpc_id),
        )
    return placed


def _unknown(draft: Draft, facts: Facts, endpoint: Endpoint) -> dict[str, str]:
    """The facts of ``endpoint`` the draft leaves unknown, with why."""
    unknown = dict(draft.unknown.get(endpoint.id, {}))
    kind = draft.kind
    if endpoint.service_name is not None and draft.services is not None:
        if (endpoint.service_name, endpoint.type) not in draft.services:
            unknown.setdefault(
                SERVICE,
                f"{endpoint.service_name} is not offered to this account in {draft.region} for {endpoint.type} "
                "endpoints: DescribeVpcEndpointServices does not list it",
            )
    elif endpoint.service_name is not None and not _is_aws_service(endpoint.service_name):
        unknown.setdefault(
            SERVICE,
            f"{endpoint.service_name} is not an AWS service: its private DNS name and zones are not in the {kind} "
            "(--live reads them)",
        )
    if not endpoint.owner_id:
        unknown.setdefault(OWNER, f"the {kind} does not say which account owns it: give --account-id")
    vpc_id = endpoint.vpc_id
    if VPC not in unknown and vpc_id in draft.unknown_vpcs:
        unknown[VPC] = draft.unknown_vpcs[vpc_id]
    elif VPC not in unknown and vpc_id not in facts.vpcs:
        unknown[VPC] = f"{vpc_id} is not in the {kind}: its DNS attributes and ranges are unknown"
    if VPC_CONTENTS not in unknown:
        in_vpc = [subnet_id for subnet_id, subnet in draft.subnets.items() if subnet.vpc_id == vpc_id]
        if vpc_id in draft.unknown_contents:
            unknown[VPC_CONTENTS] = draft.unknown_contents[vpc_id]
        elif vpc_id not in draft.whole_vpcs:
            unknown[VPC_CONTENTS] = (
                f"{vpc_id} is not created by the {kind}: its other subnets, route tables, network ACLs and "
                "endpoints may not all be in it"
            )
        elif any(subnet_id in draft.unknown_subnets for subnet_id in in_vpc):
            first = next(subnet_id for subnet_id in in_vpc if subnet_id in draft.unknown_subnets)
            unknown[VPC_CONTENTS] = f"{first} of {vpc_id}: {draft.unknown_subnets[first]}"
    if endpoint.is_interface:
        _resources_unknown(unknown, SUBNETS, endpoint.subnet_ids, draft.subnets, draft.unknown_subnets, kind)
        _resources_unknown(
            unknown, SECURITY_GROUPS, endpoint.security_group_ids, draft.security_groups, draft.unknown_groups, kind
        )
    return unknown


def _resources_unknown(
    unknown: dict[str, str],
    fact: str,
    ids: Sequence[str],
    known: Mapping[str, object],
    why_unknown: Mapping[str, str],
    kind: str,
) -> None:
    if fact in unknown:
        return
    for resource_id in ids:
        if resource_id in why_unknown:
            unknown[fact] = f"{resource_id}: {why_unknown[resource_id]}"
            return
        if resource_id not in known:
            unknown[fact] = f"{resource_id} is not in the {kind}"
            return
