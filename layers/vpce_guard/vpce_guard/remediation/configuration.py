"""Configuration snapshots: what a remediation can change on a resource, read from AWS as plain JSON.

The same reading serves "before" (the snapshot a rollback restores), "after" (the verification) and "now"
(has someone changed it since?), so two readings compare equal exactly when the resource is configured the
same. What does not change behaviour is left out: policies are parsed (formatting does not count), id lists
are sorted, and security group rules are split into one rule per source, without descriptions or rule ids.

A snapshot of several resources (``Configurations``) maps each resource id to its configuration:

- endpoint: ``PrivateDnsEnabled``, ``PrivateDnsOnlyForInboundResolverEndpoint`` (from its ``DnsOptions``; None
  where AWS does not say), ``PolicyDocument``, ``SubnetIds``, ``SecurityGroupIds``, ``RouteTableIds``;
- VPC: ``EnableDnsSupport``, ``EnableDnsHostnames``;
- security group: ``IpPermissions`` (inbound), each rule in the shape AuthorizeSecurityGroupIngress takes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from vpce_guard.aws import AwsSession
from vpce_guard.remediation.model import ENDPOINT, SECURITY_GROUP, VPC, ResourceRef

Configuration = dict[str, Any]
Configurations = dict[str, Configuration]

INBOUND_RESOLVER_ONLY = "PrivateDnsOnlyForInboundResolverEndpoint"
DNS_SUPPORT = "EnableDnsSupport"
DNS_HOSTNAMES = "EnableDnsHostnames"
# The API's attribute names for DescribeVpcAttribute, by the response keys above.
_ATTRIBUTE_NAMES = {DNS_SUPPORT: "enableDnsSupport", DNS_HOSTNAMES: "enableDnsHostnames"}
# The sources a rule may name, and the one field of each that identifies it.
_SOURCES = (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6"), ("PrefixListIds", "PrefixListId"))

READ_PERMISSIONS = ("ec2:DescribeVpcEndpoints", "ec2:DescribeVpcAttribute", "ec2:DescribeSecurityGroups")


def read_configuration(session: AwsSession, resource: ResourceRef) -> Configuration:
    """The configuration of one resource now. Raises the botocore error of a call AWS rejects (e.g.
    ``InvalidVpcEndpointId.NotFound`` for an endpoint deleted since)."""
    ec2 = session.client("ec2")
    if resource.kind == ENDPOINT:
        (endpoint,) = ec2.describe_vpc_endpoints(VpcEndpointIds=[resource.id])["VpcEndpoints"]
        return endpoint_configuration(endpoint)
    if resource.kind == VPC:
        return {
            key: bool(ec2.describe_vpc_attribute(VpcId=resource.id, Attribute=name)[key]["Value"])
            for key, name in _ATTRIBUTE_NAMES.items()
        }
    if resource.kind == SECURITY_GROUP:
        (group,) = ec2.describe_security_groups(GroupIds=[resource.id])["SecurityGroups"]
        return {"IpPermissions": normalise_permissions(group.get("IpPermissions", []))}
    raise ValueError(f"no configuration is read for a resource of kind {resource.kind!r} ({resource.id})")


def read_configurations(session: AwsSession, resources: Iterable[ResourceRef]) -> Configurations:
    return {resource.id: read_configuration(session, resource) for resource in resources}


def endpoint_configuration(endpoint: Mapping[str, Any]) -> Configuration:
    """An endpoint's configuration from its DescribeVpcEndpoints entry."""
    document = endpoint.get("PolicyDocument")
    return {
        "PrivateDnsEnabled": bool(endpoint.get("PrivateDnsEnabled", False)),
        INBOUND_RESOLVER_ONLY: endpoint.get("DnsOptions", {}).get(INBOUND_RESOLVER_ONLY),
        "PolicyDocument": json.loads(document) if document else None,
        "SubnetIds": sorted(endpoint.get("SubnetIds", [])),
        "SecurityGroupIds": sorted(group["GroupId"] for group in endpoint.get("Groups", [])),
        "RouteTableIds": sorted(endpoint.get("RouteTableIds", [])),
    }


def normalise_permissions(permissions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rules as AWS holds them, one per source: each IpPermission split by source, descriptions dropped,
    sorted. The protocol and ports are kept as given (no FromPort/ToPort for all traffic)."""
    rules = []
    for permission in permissions:
        base: dict[str, Any] = {"IpProtocol": str(permission["IpProtocol"])}
        for port in ("FromPort", "ToPort"):
            if permission.get(port) is not None:
                base[port] = permission[port]
        for element, field in _SOURCES:
            rules += [{**base, element: [{field: source[field]}]} for source in permission.get(element, [])]
        for pair in permission.get("UserIdGroupPairs", []):
            source = {name: pair[name] for name in ("GroupId", "UserId") if name in pair}
            rules.append({**base, "UserIdGroupPairs": [source]})
    return sorted(_unique(rules), key=rule_key)


def rule_key(rule: Mapping[str, Any]) -> str:
    return json.dumps(rule, sort_keys=True)


def _unique(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({rule_key(rule): rule for rule in rules}.values())


def differences(a: Mapping[str, Mapping[str, Any]], b: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What differs between two snapshots, one readable line per resource and attribute, e.g.
    ``vpce-0abc PrivateDnsEnabled: False -> True`` or ``sg-0abc IpPermissions: +tcp 443 from 10.0.0.0/16``."""
    lines = []
    for resource_id in sorted(set(a) | set(b)):
        if resource_id not in a or resource_id not in b:
            lines.append(f"{resource_id}: {_presence(resource_id, a)} -> {_presence(resource_id, b)}")
            continue
        old, new = a[resource_id], b[resource_id]
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                lines.append(f"{resource_id} {key}: {_change(old.get(key), new.get(key))}")
    return lines


def _presence(resource_id: str, snapshot: Mapping[str, Any]) -> str:
    return "configuration read" if resource_id in snapshot else "not read"


def _change(old: Any, new: Any) -> str:
    if isinstance(old, list) and isinstance(new, list):
        old_items = {_item(item): item for item in old}
        new_items = {_item(item): item for item in new}
        added = [f"+{text}" for text in new_items if text not in old_items]
        removed = [f"-{text}" for text in old_items if text not in new_items]
        return ", ".join(removed + added)
    return f"{_value(old)} -> {_value(new)}"


def _item(item: Any) -> str:
    return describe_rule(item) if isinstance(item, Mapping) else str(item)


def _value(value: Any) -> str:
    return json.dumps(value, separators=(",", ":")) if isinstance(value, Mapping) else str(value)


def describe_rule(rule: Mapping[str, Any]) -> str:
    """A one-source rule as people read it: ``tcp 443 from 10.0.0.0/16``, ``all traffic from sg-0abc``."""
    protocol = rule["IpProtocol"]
    if protocol == "-1":
        traffic = "all traffic"
    elif rule.get("FromPort") == rule.get("ToPort"):
        traffic = f"{protocol} {rule.get('FromPort')}"
    else:
        traffic = f"{protocol} {rule.get('FromPort')}-{rule.get('ToPort')}"
    sources = [source[field] for element, field in _SOURCES for source in rule.get(element, [])]
    sources += [pair["GroupId"] for pair in rule.get("UserIdGroupPairs", []) if "GroupId" in pair]
    return f"{traffic} from {', '.join(sources)}"
