"""Network ACL fixes: moto 5.2's network ACL API made to answer as AWS does where vpce-guard depends on it.

The network ACL check reads DescribeNetworkAcls: every rule as AWS keeps it (protocol numbers, port ranges only
where they apply, the ``*`` rules, IPv6 rules in a VPC with IPv6) and the association of every subnet. The
on-change function finds the VPC of a changed network ACL with the ``network-acl-id`` filter. ``install()``
patches moto's EC2 backend in this process; each fix is a function below whose docstring names the AWS
behaviour it reproduces, and the patched moto methods at the end only wire them in.
"""

from __future__ import annotations

import re
from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models import EC2Backend
from moto.ec2.models.network_acls import NetworkAcl, NetworkAclBackend, NetworkAclEntry
from moto.ec2.models.subnets import SubnetBackend
from moto.ec2.models.vpcs import VPCBackend

from vpce_guard_local.emulator.patching import Patches

# The rule that denies what no other rule matches, shown as "*" by the console.
ASTERISK = 32767
# The rule a default network ACL allows all IPv6 traffic with, beside rule 100 for IPv4.
DEFAULT_IPV6_RULE = 101
ANY_IPV4, ANY_IPV6 = "0.0.0.0/0", "::/0"
ALL_PROTOCOLS = "-1"
# TCP and UDP: the protocols a rule's port range applies to.
PORTED_PROTOCOLS = frozenset({"6", "17"})
PROTOCOL_NUMBER = re.compile(r"-1|[0-9]{1,3}")
# A default network ACL's rules per direction as AWS makes them, before anyone changes them.
UNTOUCHED_DEFAULT = [(100, "allow", ALL_PROTOCOLS, ANY_IPV4), (ASTERISK, "deny", ALL_PROTOCOLS, ANY_IPV4)]


# --- The fixes -----------------------------------------------------------------------------------------


def require_protocol_number(protocol: Any) -> str:
    """A rule's protocol is its IP protocol number: "-1" for all, "6" for TCP, "17" for UDP.

    AWS answers ``InvalidParameterValue`` "Invalid value 'tcp' for IP protocol. Unknown protocol." for a name
    (the AWS CLI translates names before it calls; the API does not). moto stores the name, and
    DescribeNetworkAcls then answers ``"Protocol": "tcp"``, which AWS never does.
    """
    text = str(protocol)
    if not PROTOCOL_NUMBER.fullmatch(text) or (text != ALL_PROTOCOLS and int(text) > 255):
        raise EC2ClientError("InvalidParameterValue", f"Invalid value '{text}' for IP protocol. Unknown protocol.")
    return text


def ports_of(protocol: str, port_from: int | None, port_to: int | None) -> tuple[int | None, int | None]:
    """A rule keeps a port range only for TCP and UDP.

    AWS lets a rule for "-1", or for any protocol but TCP, UDP and ICMP, match every port whatever range the
    call gave, and DescribeNetworkAcls shows no ``PortRange`` for it. moto keeps the range and returns it.
    """
    return (port_from, port_to) if protocol in PORTED_PROTOCOLS else (None, None)


def require_entry(acl: NetworkAcl, rule_number: int, egress: bool) -> NetworkAclEntry:
    """DeleteNetworkAclEntry and ReplaceNetworkAclEntry name a rule the network ACL has, in that direction.

    AWS answers ``InvalidNetworkAclEntry.NotFound``. moto fails with an internal error (HTTP 500), and its
    ReplaceNetworkAclEntry deletes the old rule before it validates the new one.
    """
    for entry in acl.network_acl_entries:
        if entry.egress == egress and entry.rule_number == rule_number:
            return entry
    direction = "egress" if egress else "ingress"
    raise EC2ClientError(
        "InvalidNetworkAclEntry.NotFound",
        f"The network ACL {acl.id} has no {direction} entry with rule number {rule_number}",
    )


def add_asterisk_entries(backend: EC2Backend, acl: NetworkAcl) -> None:
    """Every network ACL ends with ``*`` rules (rule number 32767) denying what no other rule matches, in each
    direction: one for IPv4, and one for IPv6 in a VPC with an IPv6 block.

    AWS's CreateNetworkAcl returns a new network ACL with them, and DescribeNetworkAcls lists them; they
    cannot be changed. moto gives a new network ACL no rules at all.
    """
    ranges = (ANY_IPV4, ANY_IPV6) if _has_ipv6(backend, acl.vpc_id) else (ANY_IPV4,)
    for cidr in ranges:
        for egress in (True, False):
            _append(backend, acl, ASTERISK, "deny", egress, cidr)


def add_default_ipv6_entries(backend: EC2Backend, vpc_id: str) -> None:
    """A VPC that has an IPv6 block, from its creation or associated later, has IPv6 rules in its network ACLs.

    AWS ("Default network ACL for a VPC"): the default network ACL gets rule 101 allowing all IPv6 traffic in
    each direction, except a direction whose rules someone modified, and every network ACL gets the ``*`` rule
    denying IPv6 (::/0) in each direction. moto adds no IPv6 rule.
    """
    if not _has_ipv6(backend, vpc_id):
        return
    for acl in list(backend.network_acls.values()):
        if acl.vpc_id != vpc_id:
            continue
        for egress in (True, False):
            if any(e.egress == egress and e.ipv6_cidr_block == ANY_IPV6 for e in acl.network_acl_entries):
                continue
            if acl.default and _rules(acl, egress) == UNTOUCHED_DEFAULT:
                _append(backend, acl, DEFAULT_IPV6_RULE, "allow", egress, ANY_IPV6)
            _append(backend, acl, ASTERISK, "deny", egress, ANY_IPV6)


def network_acl_filter_value(acl: NetworkAcl, filter_name: str, method_name: str | None = None) -> Any:
    """DescribeNetworkAcls selects network ACLs by ``network-acl-id``, as every describe selects by its id.

    vpce-guard's on-change function finds the VPC of a changed network ACL this way (a deleted one is then an
    empty answer, not an error). moto answers that the filter is not implemented.
    """
    if filter_name == "network-acl-id":
        return acl.id
    return PATCHES.originals["NetworkAcl.get_filter_value"](acl, filter_name, method_name)


def require_network_acls(backend: EC2Backend, network_acl_ids: list[str]) -> None:
    """DescribeNetworkAcls of an id that does not exist is ``InvalidNetworkAclID.NotFound``; moto answers with
    the route table error ``InvalidRouteTableID.NotFound``."""
    for network_acl_id in network_acl_ids:
        backend.get_network_acl(network_acl_id)


def require_association(backend: EC2Backend, association_id: str, network_acl_id: str) -> None:
    """ReplaceNetworkAclAssociation names an association that exists and a network ACL that exists, and
    changes nothing when either does not.

    AWS answers ``InvalidAssociationID.NotFound`` and ``InvalidNetworkAclID.NotFound``. moto fails with an
    internal error for an unknown association and, for an unknown network ACL, first removes the subnet's
    association, leaving the subnet with no network ACL at all.
    """
    backend.get_network_acl(network_acl_id)
    if not any(association_id in acl._associations for acl in backend.network_acls.values()):
        raise EC2ClientError("InvalidAssociationID.NotFound", f"The association ID '{association_id}' does not exist")


def forget_associations(backend: EC2Backend, subnet_id: str) -> None:
    """A deleted subnet is no longer associated with a network ACL: DescribeNetworkAcls stops listing it.
    moto keeps the association of a deleted subnet."""
    for acl in backend.network_acls.values():
        for association_id, association in list(acl._associations.items()):
            if association.subnet_id == subnet_id:
                del acl._associations[association_id]


def _has_ipv6(backend: EC2Backend, vpc_id: str) -> bool:
    return bool(backend.get_vpc(vpc_id).get_cidr_block_association_set(ipv6=True))


def _rules(acl: NetworkAcl, egress: bool) -> list[tuple[int, str, str, str | None]]:
    return sorted(
        (entry.rule_number, entry.rule_action, entry.protocol, entry.cidr_block)
        for entry in acl.network_acl_entries
        if entry.egress == egress
    )


def _append(backend: EC2Backend, acl: NetworkAcl, rule_number: int, action: str, egress: bool, cidr: str) -> None:
    """A rule AWS makes itself, added past moto's check that rule numbers are unique per direction (the IPv4
    and the IPv6 ``*`` rules share 32767)."""
    ipv6 = ":" in cidr
    acl.network_acl_entries.append(
        NetworkAclEntry(
            backend,
            network_acl_id=acl.id,
            rule_number=rule_number,
            protocol=ALL_PROTOCOLS,
            rule_action=action,
            egress=egress,
            cidr_block=None if ipv6 else cidr,  # type: ignore[arg-type]
            icmp_code=None,
            icmp_type=None,
            port_range_from=None,
            port_range_to=None,
            ipv6_cidr_block=cidr if ipv6 else None,
        )
    )


# --- Wiring into moto -------------------------------------------------------------------------------------


def _create_network_acl(
    self: EC2Backend, vpc_id: str, tags: list[dict[str, str]] | None = None, default: bool = False
) -> NetworkAcl:
    acl: NetworkAcl = PATCHES.originals["NetworkAclBackend.create_network_acl"](self, vpc_id, tags, default)
    if default:
        add_default_ipv6_entries(self, vpc_id)
    else:
        add_asterisk_entries(self, acl)
    return acl


def _create_network_acl_entry(
    self: EC2Backend,
    network_acl_id: str,
    rule_number: int,
    protocol: str,
    rule_action: str,
    egress: bool,
    cidr_block: str,
    icmp_code: int | None,
    icmp_type: int | None,
    port_range_from: int | None,
    port_range_to: int | None,
    ipv6_cidr_block: str | None,
) -> NetworkAclEntry:
    protocol = require_protocol_number(protocol)
    port_range_from, port_range_to = ports_of(protocol, port_range_from, port_range_to)
    created: NetworkAclEntry = PATCHES.originals["NetworkAclBackend.create_network_acl_entry"](
        self,
        network_acl_id=network_acl_id,
        rule_number=rule_number,
        protocol=protocol,
        rule_action=rule_action,
        egress=egress,
        cidr_block=cidr_block,
        icmp_code=icmp_code,
        icmp_type=icmp_type,
        port_range_from=port_range_from,
        port_range_to=port_range_to,
        ipv6_cidr_block=ipv6_cidr_block,
    )
    return created


def _delete_network_acl_entry(self: EC2Backend, network_acl_id: str, rule_number: int, egress: bool) -> NetworkAclEntry:
    acl = self.get_network_acl(network_acl_id)
    entry = require_entry(acl, rule_number, egress)
    acl.network_acl_entries.remove(entry)
    return entry


def _replace_network_acl_entry(
    self: EC2Backend,
    network_acl_id: str,
    rule_number: int,
    protocol: str,
    rule_action: str,
    egress: bool,
    cidr_block: str,
    icmp_code: int | None,
    icmp_type: int | None,
    port_range_from: int | None,
    port_range_to: int | None,
    ipv6_cidr_block: str | None,
) -> NetworkAclEntry:
    require_protocol_number(protocol)
    require_entry(self.get_network_acl(network_acl_id), rule_number, egress)
    replaced: NetworkAclEntry = PATCHES.originals["NetworkAclBackend.replace_network_acl_entry"](
        self,
        network_acl_id=network_acl_id,
        rule_number=rule_number,
        protocol=protocol,
        rule_action=rule_action,
        egress=egress,
        cidr_block=cidr_block,
        icmp_code=icmp_code,
        icmp_type=icmp_type,
        port_range_from=port_range_from,
        port_range_to=port_range_to,
        ipv6_cidr_block=ipv6_cidr_block,
    )
    return replaced


def _replace_network_acl_association(self: EC2Backend, association_id: str, network_acl_id: str) -> Any:
    require_association(self, association_id, network_acl_id)
    return PATCHES.originals["NetworkAclBackend.replace_network_acl_association"](self, association_id, network_acl_id)


def _describe_network_acls(
    self: EC2Backend, network_acl_ids: list[str] | None = None, filters: Any = None
) -> list[NetworkAcl]:
    require_network_acls(self, network_acl_ids or [])
    acls: list[NetworkAcl] = PATCHES.originals["NetworkAclBackend.describe_network_acls"](
        self, network_acl_ids, filters
    )
    return acls


def _associate_vpc_cidr_block(
    self: EC2Backend, vpc_id: str, cidr_block: str, amazon_provided_ipv6_cidr_block: bool
) -> dict[str, Any]:
    association: dict[str, Any] = PATCHES.originals["VPCBackend.associate_vpc_cidr_block"](
        self, vpc_id, cidr_block, amazon_provided_ipv6_cidr_block
    )
    if amazon_provided_ipv6_cidr_block:
        add_default_ipv6_entries(self, vpc_id)
    return association


def _delete_subnet(self: EC2Backend, subnet_id: str) -> Any:
    deleted = PATCHES.originals["SubnetBackend.delete_subnet"](self, subnet_id)
    forget_associations(self, subnet_id)
    return deleted


PATCHES = Patches(
    (
        (NetworkAclBackend, "create_network_acl", _create_network_acl),
        (NetworkAclBackend, "create_network_acl_entry", _create_network_acl_entry),
        (NetworkAclBackend, "delete_network_acl_entry", _delete_network_acl_entry),
        (NetworkAclBackend, "replace_network_acl_entry", _replace_network_acl_entry),
        (NetworkAclBackend, "replace_network_acl_association", _replace_network_acl_association),
        (NetworkAclBackend, "describe_network_acls", _describe_network_acls),
        (NetworkAcl, "get_filter_value", network_acl_filter_value),
        (VPCBackend, "associate_vpc_cidr_block", _associate_vpc_cidr_block),
        (SubnetBackend, "delete_subnet", _delete_subnet),
    )
)


def install() -> None:
    """Apply every fix to moto in this process; calling it again changes nothing."""
    PATCHES.install()
