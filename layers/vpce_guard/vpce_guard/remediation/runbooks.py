"""Generic runbooks: the EC2 calls every playbook and every rollback is made of, and what each call must
leave behind when it worked.

Playbooks (one per remediation action, ``playbooks/``) decide what to change for a finding; these build the
calls, so every plan speaks the API one way. Each call's expectations are what the executor verifies by
reading the configuration again: a value set reads back as set, ids and rules added are present, those
removed are gone. Other changes to the same resource in the meantime do not fail the verification.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY
from vpce_guard.remediation.configuration import (
    INBOUND_RESOLVER_ONLY,
    Configurations,
    describe_rule,
    normalise_permissions,
    rule_key,
)
from vpce_guard.remediation.model import ApiCall

EC2 = "ec2"
# ModifyVpcEndpoint's list parameters, by the configuration key they change.
_ENDPOINT_LISTS = {
    "SubnetIds": ("AddSubnetIds", "RemoveSubnetIds"),
    "RouteTableIds": ("AddRouteTableIds", "RemoveRouteTableIds"),
    "SecurityGroupIds": ("AddSecurityGroupIds", "RemoveSecurityGroupIds"),
}


def modify_endpoint(
    endpoint_id: str,
    *,
    private_dns: bool | None = None,
    inbound_resolver_only: bool | None = None,
    policy: Mapping[str, Any] | None = None,
    reset_policy: bool = False,
    add: Mapping[str, Sequence[str]] | None = None,
    remove: Mapping[str, Sequence[str]] | None = None,
) -> ApiCall:
    """One ModifyVpcEndpoint. ``add`` and ``remove`` map a configuration key (``SubnetIds``,
    ``RouteTableIds``, ``SecurityGroupIds``) to the ids to add or remove; ``reset_policy`` restores the
    default policy, which AWS does with ResetPolicy rather than a document; ``inbound_resolver_only`` sets
    DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint alone (the record type is left as it is)."""
    parameters: dict[str, Any] = {"VpcEndpointId": endpoint_id}
    if private_dns is not None:
        parameters["PrivateDnsEnabled"] = private_dns
    if inbound_resolver_only is not None:
        parameters["DnsOptions"] = {INBOUND_RESOLVER_ONLY: inbound_resolver_only}
    if policy is not None:
        parameters["PolicyDocument"] = json.dumps(policy, separators=(",", ":"))
    if reset_policy:
        parameters["ResetPolicy"] = True
    for changes, position in ((add or {}, 0), (remove or {}, 1)):
        for key, ids in changes.items():
            if ids:
                parameters[_ENDPOINT_LISTS[key][position]] = list(ids)
    return ApiCall(EC2, "modify_vpc_endpoint", parameters)


def set_vpc_attribute(vpc_id: str, attribute: str, value: bool) -> ApiCall:
    """ModifyVpcAttribute takes one attribute per call (``EnableDnsSupport`` or ``EnableDnsHostnames``)."""
    return ApiCall(EC2, "modify_vpc_attribute", {"VpcId": vpc_id, attribute: {"Value": value}})


def authorize_ingress(group_id: str, rules: Iterable[Mapping[str, Any]], description: str | None = None) -> ApiCall:
    """AuthorizeSecurityGroupIngress of one-source rules (the configuration's form), each source described
    when ``description`` is given, so people can tell where the rule came from."""
    permissions = [_described(rule, description) for rule in rules]
    return ApiCall(EC2, "authorize_security_group_ingress", {"GroupId": group_id, "IpPermissions": permissions})


def revoke_ingress(group_id: str, rules: Iterable[Mapping[str, Any]]) -> ApiCall:
    """RevokeSecurityGroupIngress of exactly these rules; other sources of the same ports stay."""
    return ApiCall(
        EC2, "revoke_security_group_ingress", {"GroupId": group_id, "IpPermissions": [dict(rule) for rule in rules]}
    )


def rules_from(protocol: str, from_port: int | None, to_port: int | None, cidrs: Iterable[str]) -> list[dict[str, Any]]:
    """One-source rules admitting ``protocol`` and ports from each CIDR, IPv4 or IPv6."""
    base: dict[str, Any] = {"IpProtocol": protocol}
    if protocol != "-1":
        base.update(
            {port: value for port, value in (("FromPort", from_port), ("ToPort", to_port)) if value is not None}
        )
    return [
        {**base, "Ipv6Ranges": [{"CidrIpv6": cidr}]} if ":" in cidr else {**base, "IpRanges": [{"CidrIp": cidr}]}
        for cidr in cidrs
    ]


def _described(rule: Mapping[str, Any], description: str | None) -> dict[str, Any]:
    if description is None:
        return dict(rule)
    return {
        name: [{**source, "Description": description} for source in value] if isinstance(value, list) else value
        for name, value in rule.items()
    }


class Expectation(msgspec.Struct, frozen=True):
    """What a successful call leaves: ``key`` of ``resource_id`` is ``value``, or includes or excludes
    every item of it."""

    resource_id: str
    key: str
    relation: str
    value: Any

    def met(self, configurations: Configurations) -> bool:
        actual = configurations.get(self.resource_id, {}).get(self.key)
        if self.relation == "is":
            return bool(actual == self.value)
        present = {_text(item) for item in actual or []}
        wanted = {_text(item) for item in self.value}
        return wanted <= present if self.relation == "includes" else not wanted & present

    def describe(self, configurations: Configurations) -> str:
        actual = configurations.get(self.resource_id, {}).get(self.key)
        return f"{self.resource_id} {self.key}: expected {self.relation} {_shown(self.value)}, read {_shown(actual)}"


def expectations(call: ApiCall) -> list[Expectation]:
    """What ``call`` must leave behind when AWS accepted it."""
    parameters, target = call.parameters, call.resource_id
    if call.method == "modify_vpc_attribute":
        return [Expectation(target, key, "is", value["Value"]) for key, value in parameters.items() if key != "VpcId"]
    if call.method in ("authorize_security_group_ingress", "revoke_security_group_ingress"):
        relation = "includes" if call.method.startswith("authorize") else "excludes"
        return [Expectation(target, "IpPermissions", relation, normalise_permissions(parameters["IpPermissions"]))]
    found = []
    if "PrivateDnsEnabled" in parameters:
        found.append(Expectation(target, "PrivateDnsEnabled", "is", parameters["PrivateDnsEnabled"]))
    if INBOUND_RESOLVER_ONLY in parameters.get("DnsOptions", {}):
        found.append(Expectation(target, INBOUND_RESOLVER_ONLY, "is", parameters["DnsOptions"][INBOUND_RESOLVER_ONLY]))
    if parameters.get("ResetPolicy"):
        found.append(Expectation(target, "PolicyDocument", "is", dict(DEFAULT_ENDPOINT_POLICY)))
    elif "PolicyDocument" in parameters:
        found.append(Expectation(target, "PolicyDocument", "is", json.loads(parameters["PolicyDocument"])))
    for key, (add, remove) in _ENDPOINT_LISTS.items():
        found += [Expectation(target, key, "includes", parameters[add])] if add in parameters else []
        found += [Expectation(target, key, "excludes", parameters[remove])] if remove in parameters else []
    return found


def _text(item: Any) -> str:
    return rule_key(item) if isinstance(item, Mapping) else str(item)


def _shown(value: Any) -> str:
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        return "[" + "; ".join(describe_rule(rule) for rule in value) + "]"
    return json.dumps(value, separators=(",", ":")) if isinstance(value, (Mapping, list)) else str(value)
