"""A CloudFormation template (YAML or JSON) read into facts (``vpce-guard check-template``).

YAML is read by PyYAML (the ``iac`` extra) with a constructor per short-form intrinsic (``!Ref``, ``!Sub``,
``!GetAtt``...) giving the long form, so both forms read alike; a SAM template is transformed first by the
project's own offline transform (the SAM translator, in the ``iac`` extra too). Intrinsics are resolved where
the template and the flags settle them: parameters (``--parameter``, else their defaults), the region and
account pseudo parameters (``--region``, ``--account-id``), conditions, ``Fn::If``, ``Fn::Sub``,
``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap`` and ``Fn::GetAZs`` (the zone at index i of a
region is a zone of its own, named by its index). A ``Ref`` or ``Fn::GetAtt`` to a resource of the template
joins the two by logical id; the ARN of one of its resources is an ARN of the stack's account and region
(the policy checks read no more of it). Everything else is unknown until deploy.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import ipaddress
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec

from vpce_guard.facts import AclEntry, Endpoint, IngressRule, NetworkAcl, RouteTable, SecurityGroup, Subnet, Vpc
from vpce_guard.iac.model import (
    ACL_PROTOCOLS,
    FACTS,
    POLICY,
    PRIVATE_DNS,
    ROUTE_TABLES,
    SECURITY_GROUPS,
    SERVICE,
    SUBNETS,
    VPC,
    Draft,
    IacError,
    IacFacts,
    acl_entries,
    assemble,
    default_network_acl,
)
from vpce_guard.identifiers import partition_of
from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY, Policy, PolicyError, parse_policy

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
# The offline SAM transform of the project's tooling, found by name: the runtime never imports it directly.
SAM_TOOLING = "vpce_guard_local.sam.template"
IAC_EXTRA = "pip install 'vpce-guard[iac]'"
_LIST_TYPES = ("List<", "CommaDelimitedList")
_SUB_TOKEN = re.compile(r"\$\{([^}!][^}]*)\}")
# Attributes that are the property of the same name, as the template gives it.
_ATTRIBUTES_AS_GIVEN = frozenset(
    {("AWS::EC2::VPC", "CidrBlock"), ("AWS::EC2::Subnet", "CidrBlock"), ("AWS::EC2::Subnet", "AvailabilityZone")}
)


class Unknown(msgspec.Struct, frozen=True):
    """A value known only at deploy, and why."""

    why: str


def parameter_value(declaration: Mapping[str, Any], value: Any) -> Any:
    """A parameter's value as ``Ref`` gives it: a list type's as a list, a boolean as CloudFormation writes it,
    anything else as text."""
    if str(declaration.get("Type", "")).startswith(_LIST_TYPES) and isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, list) else str(value)


class ResourceRef(msgspec.Struct, frozen=True):
    """A ``Ref`` or ``Fn::GetAtt`` naming a resource of the template: its physical id, known at deploy."""

    logical_id: str


class _Zones(msgspec.Struct, frozen=True):
    """``Fn::GetAZs``: the zones of a region, each named by its index."""

    region: str


class _Removed:
    """``Ref AWS::NoValue``: the property or list item is dropped."""


_REMOVED = _Removed()


def read_template(
    path: Path,
    *,
    parameters: Mapping[str, str] | None = None,
    region: str | None = None,
    account_id: str | None = None,
) -> IacFacts:
    """The facts of a CloudFormation template file. Raises IacError for a file that is not a template, a
    parameter the template does not declare, or a YAML or SAM template without the ``iac`` extra."""
    return assemble(template_draft(path, parameters=parameters, region=region, account_id=account_id))


def template_draft(
    path: Path,
    *,
    parameters: Mapping[str, str] | None = None,
    region: str | None = None,
    account_id: str | None = None,
) -> Draft:
    """What a template file says, before it is assembled (and, with ``--live``, completed)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise IacError(f"cannot read template file {path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise IacError(f"template file {path} is not UTF-8 text: undecodable byte at offset {error.start}") from error
    document, lines = _parse(text, path)
    given = dict(parameters or {})
    undeclared = sorted(set(given) - set(document.get("Parameters") or {}))
    if undeclared:
        raise IacError(f"{path} declares no parameter {', '.join(undeclared)}")
    if SAM_TRANSFORM in _as_list(document.get("Transform")):
        document = _sam_transformed(path, given, region)
    return _Template(document, given, region, account_id, lines).draft()


def _parse(text: str, path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The template and the line of each resource."""
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise IacError(f"{path} is not valid JSON: {error}") from error
        lines = _json_lines(text, document)
    else:
        document, lines = _yaml(text, path)
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise IacError(f"{path} is not a CloudFormation template: it has no Resources section")
    return document, lines


def _yaml(text: str, path: Path) -> tuple[Any, dict[str, int]]:
    if importlib.util.find_spec("yaml") is None:
        raise IacError(f"reading a YAML template needs PyYAML: {IAC_EXTRA}")
    import yaml

    # YAML with CloudFormation's short-form intrinsics, read as their long form.
    loader_class: Any = type("CloudFormationLoader", (yaml.SafeLoader,), {})

    def intrinsic(loader: Any, suffix: str, node: Any) -> dict[str, Any]:
        name = suffix
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if name == "Ref" or name == "Condition":
            return {name: value}
        if name == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{name}": value}

    loader_class.add_multi_constructor("!", intrinsic)
    try:
        document = yaml.load(text, Loader=loader_class)
        root = yaml.compose(text, Loader=loader_class)
    except yaml.YAMLError as error:
        raise IacError(f"{path} is not valid YAML: {error}") from error
    lines: dict[str, int] = {}
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "Resources" and isinstance(value, yaml.MappingNode):
                lines = {name.value: name.start_mark.line + 1 for name, _ in value.value}
    return document, lines


def _json_lines(text: str, document: Any) -> dict[str, int]:
    """Each resource's line in a JSON template: where its key first appears after ``"Resources"``."""
    start = text.find('"Resources"')
    lines = {}
    for logical_id in (document.get("Resources") or {}) if isinstance(document, dict) else {}:
        at = text.find(json.dumps(logical_id) + ":", start) if start >= 0 else -1
        if at < 0:
            at = text.find(json.dumps(logical_id), start)
        if at >= 0:
            lines[logical_id] = text.count("\n", 0, at) + 1
    return lines


def _sam_transformed(path: Path, parameters: Mapping[str, str], region: str | None) -> dict[str, Any]:
    """The CloudFormation a SAM template becomes, by the project's offline transform."""
    if importlib.util.find_spec("samtranslator") is None or importlib.util.find_spec(SAM_TOOLING) is None:
        raise IacError(f"{path} is a SAM template; transforming it needs the SAM translator: {IAC_EXTRA}")
    tooling = importlib.import_module(SAM_TOOLING)
    try:
        # The translator prints notices of its own; stdout carries the report.
        with contextlib.redirect_stdout(sys.stderr):
            document: dict[str, Any] = tooling.SamTemplate.load(path).transform(parameters, region).document
    except ValueError as error:
        raise IacError(str(error)) from error
    return document


class _Template:
    def __init__(
        self,
        document: Mapping[str, Any],
        parameters: Mapping[str, str],
        region: str | None,
        account_id: str | None,
        lines: Mapping[str, int],
    ) -> None:
        self.document, self.region, self.account_id, self.lines = document, region, account_id, lines
        self.resources: Mapping[str, Mapping[str, Any]] = document.get("Resources") or {}
        self.parameters = self._parameter_values(parameters)
        self.conditions: dict[str, bool | Unknown] = {}

    def _parameter_values(self, given: Mapping[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, declaration in (self.document.get("Parameters") or {}).items():
            if name in given:
                value: Any = given[name]
            elif "Default" in declaration:
                value = declaration["Default"]
            else:
                values[name] = Unknown(f"parameter {name} has no value: give --parameter {name}=VALUE")
                continue
            values[name] = parameter_value(declaration, value)
        return values

    # --- intrinsics -------------------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """``value`` with its intrinsics resolved; unknown parts as Unknown, ``AWS::NoValue`` dropped."""
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not _REMOVED]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
            if key.startswith("Fn::"):
                return Unknown(f"{key} is resolved only at deploy")
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _REMOVED}

    def _ref(self, name: Any) -> Any:
        pseudo = {
            "AWS::Region": self.region or Unknown("the region: give --region"),
            "AWS::AccountId": self.account_id or Unknown("the account: give --account-id"),
            "AWS::Partition": partition_of(self.region) if self.region else Unknown("the partition: give --region"),
            "AWS::URLSuffix": "amazonaws.com.cn" if (self.region or "").startswith("cn-") else "amazonaws.com",
        }
        if name == "AWS::NoValue":
            return _REMOVED
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return ResourceRef(str(name))
        return Unknown(f"Ref {name} is known only at deploy")

    def _get_att(self, argument: Any) -> Any:
        target, attribute = (argument.split(".", 1) if isinstance(argument, str) else [*argument, ""])[:2]
        if target not in self.resources:
            return Unknown(f"Fn::GetAtt {target}.{attribute}: no such resource")
        if attribute == "Arn":
            return self._arn(str(target))
        if attribute in ("GroupId", "Id", "VpcId", "SubnetId", "RouteTableId", "NetworkAclId"):
            return ResourceRef(str(target))
        if (self.resources[target].get("Type"), attribute) in _ATTRIBUTES_AS_GIVEN:
            return self.resolve((self.resources[target].get("Properties") or {}).get(attribute))
        return Unknown(f"{target}.{attribute} is known only at deploy")

    def _arn(self, logical_id: str) -> Any:
        """An ARN of the stack's account and region standing for the resource's (module docstring)."""
        resource_type = str(self.resources[logical_id].get("Type", ""))
        parts = resource_type.split("::")
        if len(parts) < 3 or parts[1] in ("S3", "IAM") or not (self.region and self.account_id):
            return Unknown(f"the ARN of {logical_id} is known only at deploy")
        return f"arn:{partition_of(self.region)}:{parts[1].lower()}:{self.region}:{self.account_id}:{logical_id}"

    def _sub(self, argument: Any) -> Any:
        template, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        values = {name: self.resolve(value) for name, value in variables.items()}

        def value(name: str) -> Any:
            if name in values:
                return values[name]
            return self._get_att(name) if "." in name else self._ref(name)

        pieces = {name: value(name) for name in _SUB_TOKEN.findall(template)}
        for name, piece in pieces.items():
            if not isinstance(piece, str):
                return piece if isinstance(piece, Unknown) else Unknown(f"${{{name}}} is known only at deploy")
        return _SUB_TOKEN.sub(lambda match: str(pieces[match.group(1)]), template).replace("${!", "${")

    def _join(self, argument: Any) -> Any:
        delimiter, items = argument[0], self.resolve(argument[1])
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            return _first_unknown(items) or Unknown("an Fn::Join of values known only at deploy")
        return str(delimiter).join(items)

    def _select(self, argument: Any) -> Any:
        index, items = self.resolve(argument[0]), self.resolve(argument[1])
        if isinstance(items, _Zones) and str(index).isdigit():
            return f"zone {int(index) + 1} of {items.region}"
        if isinstance(items, list) and str(index).isdigit() and int(index) < len(items):
            return items[int(index)]
        return _first_unknown([index, items]) or Unknown("an Fn::Select known only at deploy")

    def _split(self, argument: Any) -> Any:
        delimiter, text = argument[0], self.resolve(argument[1])
        return text.split(delimiter) if isinstance(text, str) else Unknown("an Fn::Split known only at deploy")

    def _get_azs(self, argument: Any) -> Any:
        region = self.resolve(argument) or self.region
        return _Zones(region) if isinstance(region, str) and region else Unknown("the region: give --region")

    def _find_in_map(self, argument: Any) -> Any:
        names = [self.resolve(item) for item in argument]
        found: Any = self.document.get("Mappings") or {}
        for name in names:
            if not isinstance(name, str) or not isinstance(found, dict) or name not in found:
                return _first_unknown(names) or Unknown("an Fn::FindInMap known only at deploy")
            found = found[name]
        return self.resolve(found)

    def _if(self, argument: Any) -> Any:
        chosen = self.condition(argument[0])
        if isinstance(chosen, Unknown):
            return chosen
        return self.resolve(argument[1] if chosen else argument[2])

    def condition(self, name: str) -> bool | Unknown:
        if name not in self.conditions:
            declared = (self.document.get("Conditions") or {}).get(name)
            self.conditions[name] = Unknown(f"no condition {name}") if declared is None else self._truth(declared)
        return self.conditions[name]

    def _truth(self, value: Any) -> bool | Unknown:
        if not (isinstance(value, dict) and len(value) == 1):
            return Unknown(f"a condition vpce-guard cannot evaluate: {value}")
        ((key, argument),) = value.items()
        if key == "Condition":
            return self.condition(str(argument))
        if key == "Fn::Equals":
            left, right = self.resolve(argument[0]), self.resolve(argument[1])
            return _first_unknown([left, right]) or _text(left) == _text(right)
        operands = [self._truth(item) for item in argument] if isinstance(argument, list) else []
        known = [operand for operand in operands if isinstance(operand, bool)]
        if key == "Fn::Not" and len(operands) == 1:
            return operands[0] if isinstance(operands[0], Unknown) else not operands[0]
        if key == "Fn::And":
            return False if False in known else (_first_unknown(operands) or True)
        if key == "Fn::Or":
            return True if True in known else (_first_unknown(operands) or False)
        return Unknown(f"a condition vpce-guard cannot evaluate: {key}")

    # --- resources --------------------------------------------------------------------------------------

    def of_type(self, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The resources of a type that are created (a condition known false leaves one out), with their
        properties resolved."""
        for logical_id, resource in self.resources.items():
            if resource.get("Type") != resource_type:
                continue
            condition = self.condition(resource["Condition"]) if "Condition" in resource else True
            if condition is False:
                continue
            properties = self.resolve(resource.get("Properties") or {})
            if isinstance(condition, Unknown):
                properties["__condition__"] = condition
            yield logical_id, properties

    def link(self, value: Any) -> str | None:
        if isinstance(value, ResourceRef):
            return value.logical_id
        return value if isinstance(value, str) and value else None

    def links(self, value: Any) -> tuple[tuple[str, ...], str | None]:
        if isinstance(value, Unknown):
            return (), value.why
        items = value if isinstance(value, list) else []
        unknown = _first_unknown(items)
        if unknown:
            return (), unknown.why
        return tuple(key for key in (self.link(item) for item in items) if key), None

    def draft(self) -> Draft:
        vpcs, unknown_vpcs, unknown_paths = self._vpcs()
        subnets, unknown_subnets = self._subnets()
        groups, unknown_groups = self._security_groups()
        tables, unknown_tables = self._route_tables(vpcs)
        acls, unknown_acls = self._network_acls(vpcs)
        endpoints, unknown = self._endpoints()
        return Draft(
            kind="template",
            region=self.region or "",
            owner_id=self.account_id,
            endpoints=endpoints,
            unknown=unknown,
            vpcs=vpcs,
            whole_vpcs=frozenset(vpcs),
            subnets=subnets,
            security_groups=groups,
            route_tables=tables,
            network_acls=acls,
            unknown_subnets=unknown_subnets,
            unknown_groups=unknown_groups,
            unknown_vpcs=unknown_vpcs,
            unknown_contents=unknown_acls | unknown_tables | unknown_paths,
            lines=self.lines,
        )

    def _vpcs(self) -> tuple[dict[str, Vpc], dict[str, str], dict[str, str]]:
        """The VPCs; why a VPC's attributes are unknown; and why its contents are (a path on premises that
        may or may not be attached)."""
        extra: defaultdict[str, list[Any]] = defaultdict(list)
        for _, block in self.of_type("AWS::EC2::VPCCidrBlock"):
            vpc_id = self.link(block.get("VpcId"))
            if vpc_id is not None:
                cidr = block.get("CidrBlock") or block.get("Ipv6CidrBlock") or Unknown("an IPv6 range")
                extra[vpc_id].append(block.get("__condition__") or cidr)
        paths: defaultdict[str, list[str]] = defaultdict(list)
        unknown_paths: dict[str, str] = {}
        for resource_type in ("AWS::EC2::VPCGatewayAttachment", "AWS::EC2::TransitGatewayAttachment",
                              "AWS::EC2::TransitGatewayVpcAttachment"):  # fmt: skip
            for logical_id, attachment in self.of_type(resource_type):
                vpc_id = self.link(attachment.get("VpcId"))
                if vpc_id and (resource_type != "AWS::EC2::VPCGatewayAttachment" or "VpnGatewayId" in attachment):
                    paths[vpc_id].append(logical_id)
                    if unsure := _unsure(logical_id, attachment):
                        unknown_paths[vpc_id] = unsure
        vpcs, unknown = {}, {}
        for logical_id, properties in self.of_type("AWS::EC2::VPC"):
            cidrs = [properties.get("CidrBlock", Unknown("allocated from an IPAM pool")), *extra[logical_id]]
            support = _boolean(properties.get("EnableDnsSupport", True))
            hostnames = _boolean(properties.get("EnableDnsHostnames", False))
            if "__condition__" in properties:
                unknown[logical_id] = _created(logical_id, properties["__condition__"])
            elif _first_unknown([*cidrs, support, hostnames]):
                unknown[logical_id] = f"{logical_id}: its ranges or DNS attributes are known only at deploy"
            vpcs[logical_id] = Vpc(
                id=logical_id,
                owner_id=self.account_id or "",
                cidrs=tuple(cidr for cidr in cidrs if isinstance(cidr, str)),
                dns_support=support if isinstance(support, bool) else None,
                dns_hostnames=hostnames if isinstance(hostnames, bool) else None,
                on_premises_paths=tuple(sorted(paths[logical_id])),
            )
        return vpcs, unknown, unknown_paths

    def _subnets(self) -> tuple[dict[str, Subnet], dict[str, str]]:
        subnets, unknown = {}, {}
        for logical_id, properties in self.of_type("AWS::EC2::Subnet"):
            zone, zone_id = properties.get("AvailabilityZone"), properties.get("AvailabilityZoneId")
            cidr, ipv6 = properties.get("CidrBlock"), properties.get("Ipv6CidrBlock")
            named = zone_id if isinstance(zone_id, str) else zone
            if "__condition__" in properties:
                unknown[logical_id] = _created(logical_id, properties["__condition__"])
            elif not isinstance(named, str) or not isinstance(cidr, str):
                unknown[logical_id] = "its zone or range is known only at deploy"
            subnets[logical_id] = Subnet(
                id=logical_id,
                vpc_id=self.link(properties.get("VpcId")) or f"the VPC of {logical_id}",
                zone_name=named if isinstance(named, str) else "",
                zone_id=named if isinstance(named, str) else "",
                cidr=cidr if isinstance(cidr, str) else "",
                ipv6_cidrs=(ipv6,) if isinstance(ipv6, str) else (),
            )
        return subnets, unknown

    def _security_groups(self) -> tuple[dict[str, SecurityGroup], dict[str, str]]:
        rules: defaultdict[str, list[Any]] = defaultdict(list)
        unknown: dict[str, str] = {}
        for logical_id, rule in self.of_type("AWS::EC2::SecurityGroupIngress"):
            group = self.link(rule.get("GroupId")) or self.link(rule.get("GroupName"))
            if group is None:
                unknown["*"] = f"the group of {logical_id} is known only at deploy"
            else:
                rules[group].append(rule)
        groups = {}
        for logical_id, properties in self.of_type("AWS::EC2::SecurityGroup"):
            raws = [*(properties.get("SecurityGroupIngress") or []), *rules[logical_id]]
            if "__condition__" in properties:
                unknown[logical_id] = _created(logical_id, properties["__condition__"])
            elif _first_unknown(raws):
                unknown[logical_id] = "its rules hold values known only at deploy"
            groups[logical_id] = SecurityGroup(
                id=logical_id,
                vpc_id=self.link(properties.get("VpcId")) or "",
                name=str(properties.get("GroupName") or logical_id),
                ingress=tuple(self._ingress(raw) for raw in raws if isinstance(raw, dict)),
            )
        if "*" in unknown:
            unknown = dict.fromkeys(groups, unknown.pop("*")) | unknown
        return groups, unknown

    def _ingress(self, raw: Mapping[str, Any]) -> IngressRule:
        protocol = str(raw.get("IpProtocol", "-1")).lower()
        source = self.link(raw.get("SourceSecurityGroupId"))
        return IngressRule(
            protocol=protocol,
            from_port=_port(raw.get("FromPort")) if protocol != "-1" else None,
            to_port=_port(raw.get("ToPort")) if protocol != "-1" else None,
            cidrs=tuple(raw[key] for key in ("CidrIp", "CidrIpv6") if isinstance(raw.get(key), str)),
            group_ids=(source,) if source else (),
            prefix_list_ids=(raw["SourcePrefixListId"],) if isinstance(raw.get("SourcePrefixListId"), str) else (),
        )

    def _route_tables(self, vpcs: Mapping[str, Vpc]) -> tuple[dict[str, RouteTable], dict[str, str]]:
        """The route tables, and why a VPC's are unknown: a table, route or association that may not be
        created, or whose values are known only at deploy."""
        public: set[str | None] = set()
        unknown: dict[str, str] = {}
        for logical_id, route in self.of_type("AWS::EC2::Route"):
            if unsure := _unsure(logical_id, route):
                unknown |= self._contents_unknown(vpcs, unsure, self.link(route.get("RouteTableId")))
                continue
            gateway = route.get("GatewayId")
            to_igw = (
                isinstance(gateway, ResourceRef)
                and self.resources.get(gateway.logical_id, {}).get("Type") == "AWS::EC2::InternetGateway"
            ) or (isinstance(gateway, str) and gateway.startswith("igw-"))
            default = (
                route.get("DestinationCidrBlock") == "0.0.0.0/0" or route.get("DestinationIpv6CidrBlock") == "::/0"
            )
            if to_igw and default:
                public.add(self.link(route.get("RouteTableId")))
        associated: defaultdict[str, list[str]] = defaultdict(list)
        for logical_id, association in self.of_type("AWS::EC2::SubnetRouteTableAssociation"):
            table, subnet = self.link(association.get("RouteTableId")), self.link(association.get("SubnetId"))
            if unsure := _unsure(logical_id, association) or _unlinked(logical_id, table, subnet):
                unknown |= self._contents_unknown(vpcs, unsure, subnet, table)
            elif table and subnet:
                associated[table].append(subnet)
        tables = {}
        for logical_id, properties in self.of_type("AWS::EC2::RouteTable"):
            tables[logical_id] = RouteTable(
                logical_id,
                self.link(properties.get("VpcId")) or "",
                subnet_ids=tuple(associated[logical_id]),
                routes_to_internet_gateway=logical_id in public,
            )
            if "__condition__" in properties:
                unknown |= self._contents_unknown(vpcs, _created(logical_id, properties["__condition__"]), logical_id)
        for vpc_id in vpcs:
            main = f"the main route table of {vpc_id}"
            tables[main] = RouteTable(main, vpc_id, is_main=True)
        return tables, unknown

    def _network_acls(self, vpcs: Mapping[str, Vpc]) -> tuple[dict[str, NetworkAcl], dict[str, str]]:
        """The network ACLs, and why a VPC's are unknown: an ACL, entry or association that may not be
        created, or whose values are known only at deploy (the subnet would otherwise be judged under its
        VPC's default ACL, which allows everything)."""
        entries: defaultdict[str, list[AclEntry]] = defaultdict(list)
        unknown: dict[str, str] = {}
        for logical_id, raw in self.of_type("AWS::EC2::NetworkAclEntry"):
            acl = self.link(raw.get("NetworkAclId"))
            entry = _acl_entry(logical_id, raw)
            if isinstance(entry, Unknown) or acl is None:
                why = entry.why if isinstance(entry, Unknown) else f"{logical_id} names no network ACL"
                unknown |= self._contents_unknown(vpcs, why, acl)
            else:
                entries[acl].append(entry)
        associated: defaultdict[str, list[str]] = defaultdict(list)
        for logical_id, association in self.of_type("AWS::EC2::SubnetNetworkAclAssociation"):
            acl, subnet = self.link(association.get("NetworkAclId")), self.link(association.get("SubnetId"))
            if unsure := _unsure(logical_id, association) or _unlinked(logical_id, acl, subnet):
                unknown |= self._contents_unknown(vpcs, unsure, subnet, acl)
            elif acl and subnet:
                associated[acl].append(subnet)
        acls = {}
        for logical_id, properties in self.of_type("AWS::EC2::NetworkAcl"):
            acls[logical_id] = NetworkAcl(
                logical_id,
                self.link(properties.get("VpcId")) or "",
                subnet_ids=tuple(associated[logical_id]),
                entries=acl_entries(entries[logical_id]),
            )
            if "__condition__" in properties:
                unknown |= self._contents_unknown(vpcs, _created(logical_id, properties["__condition__"]), logical_id)
        for vpc_id, vpc in vpcs.items():
            default = default_network_acl(f"the default network ACL of {vpc_id}", vpc)
            acls[default.id] = default
        return acls, unknown

    def _contents_unknown(self, vpcs: Mapping[str, Vpc], why: str, *keys: str | None) -> dict[str, str]:
        """``why`` for the VPC of each resource of the template ``keys`` name (a subnet, route table or
        network ACL), or for every VPC of the template when none says which."""
        named = {self._vpc_of(key) for key in keys if key in self.resources} - {None}
        return dict.fromkeys(sorted(vpc_id for vpc_id in named if vpc_id) or vpcs, why)

    def _vpc_of(self, logical_id: str | None) -> str | None:
        properties = self.resources[logical_id or ""].get("Properties") or {}
        return self.link(self.resolve(properties.get("VpcId")))

    def _endpoints(self) -> tuple[tuple[Endpoint, ...], dict[str, dict[str, str]]]:
        endpoints, unknown = [], {}
        for logical_id, properties in self.of_type("AWS::EC2::VPCEndpoint"):
            why: dict[str, str] = {}
            condition = properties.pop("__condition__", None)
            service = properties.get("ServiceName")
            if not isinstance(service, str):
                why[SERVICE] = _why(service, f"{logical_id}'s ServiceName")
            endpoint_type = properties.get("VpcEndpointType", "Gateway")
            dns = _boolean(properties.get("PrivateDnsEnabled", False))
            if not isinstance(dns, bool):
                why[PRIVATE_DNS] = _why(dns, f"{logical_id}'s PrivateDnsEnabled")
            vpc_id = self.link(properties.get("VpcId"))
            if vpc_id is None:
                why[VPC] = _why(properties.get("VpcId"), f"{logical_id}'s VpcId")
            lists = {}
            for key, fact in (("SubnetIds", SUBNETS), ("SecurityGroupIds", SECURITY_GROUPS),
                              ("RouteTableIds", ROUTE_TABLES)):  # fmt: skip
                lists[key], reason = self.links(properties.get(key, []))
                if reason:
                    why[fact] = reason
            if endpoint_type == "Interface" and SECURITY_GROUPS not in why and not lists["SecurityGroupIds"]:
                why[SECURITY_GROUPS] = f"{logical_id} names no security group: AWS attaches its VPC's default group"
            inbound = (properties.get("DnsOptions") or {}).get("PrivateDnsOnlyForInboundResolverEndpoint")
            endpoints.append(
                Endpoint(
                    id=logical_id,
                    vpc_id=vpc_id or f"the VPC of {logical_id}",
                    owner_id=self.account_id or "",
                    type=str(endpoint_type),
                    service_name=service if isinstance(service, str) else None,
                    state="available",
                    private_dns_enabled=dns is True,
                    subnet_ids=lists["SubnetIds"],
                    security_group_ids=lists["SecurityGroupIds"],
                    route_table_ids=lists["RouteTableIds"],
                    policy=self._policy(logical_id, properties, why),
                    private_dns_only_for_inbound_resolver=_inbound_only(inbound),
                )
            )
            # An endpoint that may never exist: every fact of it is unknown.
            unknown[logical_id] = dict.fromkeys(FACTS, _created(logical_id, condition)) if condition else why
        return tuple(endpoints), unknown

    def _policy(self, logical_id: str, properties: Mapping[str, Any], why: dict[str, str]) -> Policy | None:
        document = properties.get("PolicyDocument", DEFAULT_ENDPOINT_POLICY)
        unknown = _first_unknown(document) if not isinstance(document, Unknown) else document
        if unknown is None and _holds_reference(document):
            unknown = Unknown("it names a resource of the template whose id is known only at deploy")
        if unknown is not None:
            why[POLICY] = f"{logical_id}'s PolicyDocument: {unknown.why}"
            return None
        try:
            return parse_policy(document)
        except PolicyError as error:
            why[POLICY] = f"{logical_id}'s PolicyDocument cannot be read: {error}"
            return None


_FUNCTIONS: Mapping[str, Callable[[_Template, Any], Any]] = {
    "Ref": _Template._ref,
    "Fn::GetAtt": _Template._get_att,
    "Fn::Sub": _Template._sub,
    "Fn::Join": _Template._join,
    "Fn::Select": _Template._select,
    "Fn::Split": _Template._split,
    "Fn::GetAZs": _Template._get_azs,
    "Fn::FindInMap": _Template._find_in_map,
    "Fn::If": _Template._if,
}


def _first_unknown(value: Any) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return next((found for item in items if (found := _first_unknown(item)) is not None), None)


def _holds_reference(value: Any) -> bool:
    if isinstance(value, ResourceRef | _Zones):
        return True
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_holds_reference(item) for item in items)


def _text(value: Any) -> Any:
    """A value as Fn::Equals compares it: booleans as CloudFormation writes them."""
    return ("true" if value else "false") if isinstance(value, bool) else value


def _created(logical_id: str, condition: Unknown) -> str:
    return f"whether {logical_id} is created is known only at deploy ({condition.why})"


def _unsure(logical_id: str, properties: Mapping[str, Any]) -> str | None:
    """Why a resource's existence or one of its values is known only at deploy; None when all are known."""
    condition = properties.get("__condition__")
    if isinstance(condition, Unknown):
        return _created(logical_id, condition)
    unknown = _first_unknown(properties)
    return f"{logical_id}: {unknown.why}" if unknown else None


def _unlinked(logical_id: str, *keys: str | None) -> str | None:
    """Why an association's ends are unknown: one of them names no resource of the template or id."""
    return None if all(keys) else f"what {logical_id} associates is known only at deploy"


def _acl_entry(logical_id: str, raw: Mapping[str, Any]) -> AclEntry | Unknown:
    """A NetworkAclEntry's rule, or why it is unknown: it may not be created, or a value it holds is known
    only at deploy. A value that is not one AWS takes is an IacError naming the entry."""
    if unsure := _unsure(logical_id, raw):
        return Unknown(unsure)
    protocol = ACL_PROTOCOLS.get(str(raw.get("Protocol", "-1")).lower(), str(raw.get("Protocol")))
    cidr = raw.get("CidrBlock") or raw.get("Ipv6CidrBlock")
    ports = raw.get("PortRange") if protocol in ("6", "17") else None
    number = _port(raw.get("RuleNumber"))
    bounds = (_port(ports.get("From")), _port(ports.get("To"))) if isinstance(ports, dict) else None
    if number is None:
        raise IacError(f"network ACL entry {logical_id}: RuleNumber {raw.get('RuleNumber')!r} is not a number")
    if not isinstance(cidr, str) or not _is_network(cidr):
        raise IacError(f"network ACL entry {logical_id}: {cidr!r} is not a CidrBlock or Ipv6CidrBlock")
    if ports is not None and (bounds is None or None in bounds):
        raise IacError(f"network ACL entry {logical_id}: PortRange {ports!r} is not From and To port numbers")
    return AclEntry(
        number=number,
        egress=_boolean(raw.get("Egress", False)) is True,
        allows=str(raw.get("RuleAction", "")).lower() == "allow",
        protocol=protocol,
        cidr=cidr,
        ports=(bounds[0], bounds[1]) if bounds and bounds[0] is not None and bounds[1] is not None else None,
    )


def _is_network(cidr: str) -> bool:
    try:
        ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return True


def _why(value: Any, what: str) -> str:
    return value.why if isinstance(value, Unknown) else f"{what} is known only at deploy"


def _boolean(value: Any) -> bool | Unknown:
    if isinstance(value, bool | Unknown):
        return value
    text = str(value).lower()
    return True if text == "true" else False if text == "false" else Unknown(f"{value!r} is not a boolean")


def _inbound_only(value: Any) -> bool | None:
    """DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint: a boolean, or CloudFormation's names for it."""
    named = {"onlyinboundresolver": True, "allresolvers": False, "true": True, "false": False}
    return named.get(str(value).lower()) if value is not None else None


def _port(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
