"""A Terraform plan (``terraform show -json PLAN``, format 1.x) read into facts (``vpce-guard check-plan``).

Every resource instance the plan leaves standing is read from its planned values (``resource_changes``' after,
with ``after_unknown`` saying what is known only after apply), and the data sources from the prior state,
through child modules and ``count`` / ``for_each`` instances. Resources refer to each other by id; an id known
only after apply is followed through the configuration's references instead (an endpoint's
``aws_subnet.private[*].id``, or a module variable to the expression its caller gave), so that an endpoint is
joined to its planned subnets, groups and VPC by address. What no reference settles stays unknown.

Terraform's defaults hold: an endpoint created without a policy gets AWS's full-access one; subnets without
an association use their VPC's main route table and default network ACL, which allows everything until an
``aws_default_network_acl`` says otherwise.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec
from msgspec.structs import replace

from vpce_guard.catalog import parse_service_name
from vpce_guard.facts import AclEntry, Endpoint, IngressRule, NetworkAcl, RouteTable, SecurityGroup, Subnet, Vpc
from vpce_guard.iac.model import (
    ACL_PROTOCOLS,
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
from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY, Policy, PolicyError, parse_policy

FORMAT_MAJOR = "1"
# The attributes of a network ACL rule the facts hold.
_ACL_RULE = ("protocol", "cidr_block", "ipv6_cidr_block", "from_port", "to_port")
_MODULE_STEP = re.compile(r'module\.([\w-]+)(?:\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?')
_OUTPUT = re.compile(r"^module\.([\w-]+)(?:\[[^\]]*\])?\.([\w-]+)")
_REFERENCE = re.compile(r'^(?:data\.)?([\w-]+)\.([\w-]+)(\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?$')


class _Unknown:
    """A value known only after apply."""


UNKNOWN = _Unknown()


class _Instance(msgspec.Struct):
    """One resource instance as planned: its values, which of them are unknown, and whether the plan
    creates it."""

    address: str
    module: str
    mode: str
    type: str
    name: str
    index: Any
    values: Mapping[str, Any]
    unknown: Mapping[str, Any] = msgspec.field(default_factory=dict)

    def get(self, attribute: str) -> Any:
        if self.unknown.get(attribute) is True:
            return UNKNOWN
        return self.values.get(attribute)

    @property
    def key(self) -> str:
        """Its id where known, else its address."""
        value = self.get("id")
        return value if isinstance(value, str) and value else self.address


def read_plan(text: str, source: str, *, region: str | None = None, account_id: str | None = None) -> IacFacts:
    """The facts of a plan's JSON text; ``source`` names the file in errors. Raises IacError for text that is
    not a plan of format 1.x."""
    return assemble(plan_draft(text, source, region=region, account_id=account_id))


def plan_draft(text: str, source: str, *, region: str | None = None, account_id: str | None = None) -> Draft:
    """What a plan's JSON text says, before it is assembled (and, with ``--live``, completed)."""
    return _Plan(_document(text, source)).draft(region, account_id)


def _document(text: str, source: str) -> Mapping[str, Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise IacError(f"{source} is not JSON ({error}): give the output of terraform show -json PLAN") from error
    if not isinstance(document, dict) or "format_version" not in document:
        raise IacError(f"{source} is not a Terraform plan: it has no format_version (terraform show -json PLAN)")
    version = str(document["format_version"])
    if version.split(".")[0] != FORMAT_MAJOR:
        raise IacError(f"{source} is a plan of format_version {version}; vpce-guard reads format 1.x")
    if "planned_values" not in document:
        raise IacError(f"{source} is a Terraform state, not a plan: it has no planned_values")
    return document


class _Plan:
    def __init__(self, plan: Mapping[str, Any]) -> None:
        self.plan = plan
        self.instances: dict[str, _Instance] = {}
        # Deployed resources the plan changes or deletes, by id: what --live reads of them is not what will be.
        self.deployed_ids = {
            before["id"]
            for change in plan.get("resource_changes", [])
            if isinstance(before := change.get("change", {}).get("before"), dict) and isinstance(before.get("id"), str)
        }
        for change in plan.get("resource_changes", []):
            actions = change.get("change", {}).get("actions", [])
            if "delete" in actions and "create" not in actions:
                continue
            self.instances[change["address"]] = _Instance(
                change["address"],
                change.get("module_address", ""),
                change.get("mode", "managed"),
                change["type"],
                change["name"],
                change.get("index"),
                change["change"].get("after") or {},
                change["change"].get("after_unknown") or {},
            )
        for source in (plan.get("planned_values", {}), plan.get("prior_state", {}).get("values", {})):
            for module_address, raw in _resources(source.get("root_module", {}), ""):
                if raw["address"] not in self.instances and (source is plan["planned_values"] or raw["mode"] == "data"):
                    self.instances[raw["address"]] = _Instance(
                        raw["address"], module_address, raw["mode"], raw["type"], raw["name"], raw.get("index"),
                        raw.get("values") or {},
                    )  # fmt: skip
        self.modules = dict(_config_modules(plan.get("configuration", {}).get("root_module", {}), ()))
        self.by_key = {instance.key: instance for instance in self.instances.values()}

    def of_type(self, *types: str) -> Iterator[_Instance]:
        return (instance for instance in self.instances.values() if instance.type in types)

    def draft(self, region: str | None, account_id: str | None) -> Draft:
        owner = account_id or next(
            (i.values.get("account_id") for i in self.of_type("aws_caller_identity") if i.values.get("account_id")),
            None,
        )
        vpcs, unknown_vpcs, whole = self._vpcs()
        subnets, unknown_subnets = self._subnets()
        groups, unknown_groups = self._security_groups()
        tables, (acls, unknown_contents) = self._route_tables(vpcs, whole), self._network_acls(vpcs, whole)
        for why in self._unlinked_associations():
            unknown_contents = dict.fromkeys(whole, why)
        endpoints, unknown = self._endpoints(owner or "")
        paths = self._paths()
        return Draft(
            kind="plan",
            region=region or self._region(endpoints),
            owner_id=owner,
            endpoints=endpoints,
            unknown=unknown,
            vpcs={key: replace(vpc, on_premises_paths=tuple(sorted(paths[key]))) for key, vpc in vpcs.items()},
            whole_vpcs=frozenset(whole),
            subnets=subnets,
            security_groups=groups,
            route_tables=tables,
            network_acls=acls,
            unknown_subnets=unknown_subnets,
            unknown_groups=unknown_groups,
            unknown_vpcs=unknown_vpcs,
            unknown_contents=unknown_contents,
            deployed_ids=frozenset(self.deployed_ids),
        )

    # --- references -------------------------------------------------------------------------------------

    def link(self, instance: _Instance, attribute: str, target: str) -> str | None:
        """The key of the ``target``-type resource an attribute names: its id where known, else the one
        instance its expression refers to; None when neither settles it."""
        value = instance.get(attribute)
        if isinstance(value, str) and value:
            return value
        referred = self.referred(instance, attribute, target)
        return referred[0].key if len(referred) == 1 else None

    def links(self, instance: _Instance, attribute: str, target: str) -> tuple[tuple[str, ...], str | None]:
        """The keys of the ``target``-type resources a list attribute names, and why they are not known (None
        when they are): known elements as they are, unknown ones through the expression's references when
        those name exactly as many instances whose id is unknown."""
        unknown = instance.unknown.get(attribute)
        values = instance.values.get(attribute)
        if unknown is True or (values is None and unknown):
            return (), f"{instance.address}.{attribute} is known only after apply"
        values = values or []
        flags = unknown if isinstance(unknown, list) else [False] * len(values)
        known = tuple(value for value, flag in zip(values, flags, strict=False) if not flag and isinstance(value, str))
        pending = sum(1 for flag in flags if flag)
        if not pending:
            return known, None
        referred = [i for i in self.referred(instance, attribute, target) if i.key == i.address]
        if len(referred) != pending:
            return known, f"{pending} of {instance.address}.{attribute} are known only after apply"
        return known + tuple(i.key for i in referred), None

    def referred(self, instance: _Instance, attribute: str, target: str) -> list[_Instance]:
        """The ``target``-type instances the configuration expression of an attribute (or of the blocks it
        holds) refers to."""
        references = list(_references(self._expressions(instance).get(attribute)))
        return self._resolve(instance.module, references, target)

    def _expressions(self, instance: _Instance) -> Mapping[str, Any]:
        module = self.modules.get(_config_path(instance.module), {})
        for resource in module.get("resources", []):
            if (resource.get("mode"), resource.get("type"), resource.get("name")) == (
                instance.mode,
                instance.type,
                instance.name,
            ):
                expressions: Mapping[str, Any] = resource.get("expressions", {})
                return expressions
        return {}

    def _resolve(self, module: str, references: list[str], target: str) -> list[_Instance]:
        """Instances of ``target`` named by references made in ``module``: a resource (all its instances, or
        the indexed one), a variable (followed to its caller's expression), a module's output (followed
        into it)."""
        wanted: defaultdict[str, set[str]] = defaultdict(set)
        found: list[_Instance] = []
        for reference in references:
            if reference.startswith("var."):
                found += self._variable(module, reference.split(".")[1].split("[")[0], target)
            elif reference.startswith("module.") and reference.count(".") >= 2:
                found += self._output(module, reference, target)
            elif (match := _REFERENCE.match(reference)) and match.group(1) == target:
                wanted[match.group(2)].add(match.group(3) or "")
        for name, indexes in wanted.items():
            indexed = {index for index in indexes if index}
            found += [
                instance
                for instance in self.of_type(target)
                if instance.module == module
                and instance.name == name
                and (not indexed or _index_text(instance.index) in indexed)
            ]
        return list({instance.address: instance for instance in found}.values())

    def _variable(self, module: str, variable: str, target: str) -> list[_Instance]:
        """A module's variable, followed to the expression its call gave it, in the calling module."""
        steps = list(_MODULE_STEP.finditer(module))
        if not steps:
            return []
        parent = module[: steps[-1].start()].rstrip(".")
        calls = self.modules.get(_config_path(parent), {}).get("module_calls", {})
        expression = calls.get(steps[-1].group(1), {}).get("expressions", {}).get(variable)
        return self._resolve(parent, list(_references(expression)), target)

    def _output(self, module: str, reference: str, target: str) -> list[_Instance]:
        """A child module's output, followed to its expression inside each instance of the module."""
        match = _OUTPUT.match(reference)
        if match is None:
            return []
        child = f"{module}.module.{match.group(1)}" if module else f"module.{match.group(1)}"
        outputs = self.modules.get(_config_path(child), {}).get("outputs", {})
        references = list(_references(outputs.get(match.group(2), {}).get("expression")))
        instances = {i.module for i in self.instances.values() if _config_path(i.module) == _config_path(child)}
        return [found for each in sorted(instances) for found in self._resolve(each, references, target)]

    # --- resources --------------------------------------------------------------------------------------

    def _vpcs(self) -> tuple[dict[str, Vpc], dict[str, str], set[str]]:
        vpcs, unknown, whole = {}, {}, set()
        for instance in self.of_type("aws_vpc"):
            cidrs = [instance.get("cidr_block")]
            cidrs += [a.get("cidr_block") for a in instance.values.get("cidr_block_associations") or []]
            ipv6 = instance.get("ipv6_cidr_block")
            support, hostnames = instance.get("enable_dns_support"), instance.get("enable_dns_hostnames")
            if any(value is UNKNOWN for value in (cidrs[0], support, hostnames)):
                unknown[instance.key] = f"{instance.address}: its range or DNS attributes are known only after apply"
            vpcs[instance.key] = Vpc(
                id=instance.key,
                owner_id=str(instance.values.get("owner_id") or ""),
                cidrs=tuple(dict.fromkeys(c for c in [*cidrs, ipv6] if isinstance(c, str) and c)),
                dns_support=support if isinstance(support, bool) else None,
                dns_hostnames=hostnames if isinstance(hostnames, bool) else None,
            )
            if instance.mode == "managed":
                whole.add(instance.key)
        return vpcs, unknown, whole

    def _paths(self) -> Mapping[str, set[str]]:
        """Per VPC, the virtual private gateways and transit gateway attachments the plan attaches to it."""
        paths: defaultdict[str, set[str]] = defaultdict(set)
        for instance in self.of_type(
            "aws_vpn_gateway", "aws_vpn_gateway_attachment", "aws_ec2_transit_gateway_vpc_attachment"
        ):
            vpc_id = self.link(instance, "vpc_id", "aws_vpc")
            if vpc_id is not None:
                paths[vpc_id].add(instance.address)
        return paths

    def _subnets(self) -> tuple[dict[str, Subnet], dict[str, str]]:
        subnets, unknown = {}, {}
        for instance in self.of_type("aws_subnet"):
            zone, zone_id, cidr = (instance.get(a) for a in ("availability_zone", "availability_zone_id", "cidr_block"))
            if zone is UNKNOWN or cidr is UNKNOWN:
                unknown[instance.key] = "its zone or range is known only after apply"
            ipv6 = instance.get("ipv6_cidr_block")
            subnets[instance.key] = Subnet(
                id=instance.key,
                vpc_id=self.link(instance, "vpc_id", "aws_vpc") or f"the VPC of {instance.address}",
                zone_name=zone if isinstance(zone, str) else "",
                zone_id=zone_id if isinstance(zone_id, str) and zone_id else (zone if isinstance(zone, str) else ""),
                cidr=cidr if isinstance(cidr, str) else "",
                ipv6_cidrs=(ipv6,) if isinstance(ipv6, str) and ipv6 else (),
            )
        return subnets, unknown

    def _security_groups(self) -> tuple[dict[str, SecurityGroup], dict[str, str]]:
        rules: defaultdict[str, list[IngressRule]] = defaultdict(list)
        unknown: dict[str, str] = {}
        unlinked = []
        for instance in self.of_type("aws_security_group_rule", "aws_vpc_security_group_ingress_rule"):
            if instance.type == "aws_security_group_rule" and instance.get("type") != "ingress":
                continue
            group = self.link(instance, "security_group_id", "aws_security_group")
            rule = _standalone_rule(instance, self)
            if group is None:
                unlinked.append(instance.address)
            elif rule is None:
                unknown[group] = f"rule {instance.address} holds values known only after apply"
            else:
                rules[group].append(rule)
        groups = {}
        for instance in self.of_type("aws_security_group"):
            inline = instance.unknown.get("ingress")
            if inline is True or (isinstance(inline, list) and any(_any_true(item) for item in inline)):
                unknown[instance.key] = "its inline rules hold values known only after apply"
            own = [_inline_rule(raw, instance.key) for raw in instance.values.get("ingress") or []]
            groups[instance.key] = SecurityGroup(
                id=instance.key,
                vpc_id=self.link(instance, "vpc_id", "aws_vpc") or "",
                name=str(instance.values.get("name") or instance.address),
                ingress=tuple(own + rules[instance.key]),
            )
        for rule_address in unlinked:
            for key in groups:
                unknown.setdefault(key, f"the group of rule {rule_address} is known only after apply")
        return groups, unknown

    def _route_tables(self, vpcs: Mapping[str, Vpc], whole: set[str]) -> dict[str, RouteTable]:
        tables: dict[str, RouteTable] = {}
        public = {
            self.link(i, "route_table_id", "aws_route_table") for i in self.of_type("aws_route") if _to_igw(i, self)
        }
        main: dict[str, str] = {}
        for instance in self.of_type("aws_route_table", "aws_default_route_table"):
            vpc_id = self.link(instance, "vpc_id", "aws_vpc")
            if instance.type == "aws_default_route_table":
                vpc_id = self._referred_vpc(instance, "default_route_table_id")
            if vpc_id is None:
                continue
            routes = instance.values.get("route") or []
            to_igw = any(_route_to_igw(route) for route in routes) or instance.key in public
            pending = any(_default_route(route) and not route.get("gateway_id") for route in routes)
            to_igw = to_igw or (pending and bool(self.referred(instance, "route", "aws_internet_gateway")))
            tables[instance.key] = RouteTable(instance.key, vpc_id, routes_to_internet_gateway=to_igw)
            if instance.type == "aws_default_route_table":
                main[vpc_id] = instance.key
        for instance in self.of_type("aws_main_route_table_association"):
            vpc_id, table = (
                self.link(instance, "vpc_id", "aws_vpc"),
                self.link(instance, "route_table_id", "aws_route_table"),
            )
            if vpc_id is not None and table is not None:
                main[vpc_id] = table
        for vpc_id in whole:
            if vpc_id not in main:
                main[vpc_id] = f"the main route table of {vpc_id}"
                tables[main[vpc_id]] = RouteTable(main[vpc_id], vpc_id)
        associated: defaultdict[str, list[str]] = defaultdict(list)
        for instance in self.of_type("aws_route_table_association"):
            subnet, table = (
                self.link(instance, "subnet_id", "aws_subnet"),
                self.link(instance, "route_table_id", "aws_route_table"),
            )
            if subnet is not None and table is not None:
                associated[table].append(subnet)
        main_tables = set(main.values())
        return {
            key: replace(table, is_main=key in main_tables, subnet_ids=tuple(associated[key]))
            for key, table in tables.items()
            if table.vpc_id in vpcs or key in main_tables
        }

    def _network_acls(self, vpcs: Mapping[str, Vpc], whole: set[str]) -> tuple[dict[str, NetworkAcl], dict[str, str]]:
        """The network ACLs, and why a VPC's are unknown: an ACL whose VPC or subnets, or a rule whose ACL or
        values, are known only after apply (the subnet would otherwise be judged under its VPC's default
        ACL, which allows everything)."""
        rules: defaultdict[str, list[AclEntry]] = defaultdict(list)
        unknown: dict[str, str] = {}
        for instance in self.of_type("aws_network_acl_rule"):
            acl = self.link(instance, "network_acl_id", "aws_network_acl")
            pending = [
                a for a in ("rule_number", "egress", "rule_action", *_ACL_RULE) if instance.unknown.get(a) is True
            ]
            if acl is None or pending:
                why = f"{instance.address}.{(pending or ['network_acl_id'])[0]} is known only after apply"
                unknown |= dict.fromkeys(self._vpcs_of(acl, whole), why)
                continue
            rules[acl].append(
                _acl_entry(instance.values, bool(instance.values.get("egress")), "rule_number", "rule_action")
            )
        subnets_of: defaultdict[str, list[str]] = defaultdict(list)
        for instance in self.of_type("aws_network_acl_association"):
            acl, subnet = (
                self.link(instance, "network_acl_id", "aws_network_acl"),
                self.link(instance, "subnet_id", "aws_subnet"),
            )
            if acl is not None and subnet is not None:
                subnets_of[acl].append(subnet)
        acls: dict[str, NetworkAcl] = {}
        defaults = set()
        for instance in self.of_type("aws_network_acl", "aws_default_network_acl"):
            is_default = instance.type == "aws_default_network_acl"
            vpc_id = (
                self._referred_vpc(instance, "default_network_acl_id")
                if is_default
                else self.link(instance, "vpc_id", "aws_vpc")
            )
            if vpc_id is None:
                unknown |= dict.fromkeys(whole, f"the VPC of {instance.address} is known only after apply")
                continue
            subnet_ids, unknown_subnets = self.links(instance, "subnet_ids", "aws_subnet")
            if unknown_subnets:
                unknown[vpc_id] = unknown_subnets
            for block in ("ingress", "egress"):
                if _any_true(instance.unknown.get(block)):
                    unknown[vpc_id] = f"{instance.address}.{block} holds values known only after apply"
            entries = [
                _acl_entry(raw, egress, "rule_no", "action")
                for egress in (False, True)
                for raw in instance.values.get("egress" if egress else "ingress") or []
            ]
            acls[instance.key] = NetworkAcl(
                instance.key,
                vpc_id,
                is_default=is_default,
                subnet_ids=tuple(dict.fromkeys([*subnet_ids, *subnets_of[instance.key]])),
                entries=acl_entries([*entries, *rules[instance.key]]),
            )
            if is_default:
                defaults.add(vpc_id)
        for vpc_id in sorted(whole - defaults):
            default = default_network_acl(f"the default network ACL of {vpc_id}", vpcs[vpc_id])
            acls[default.id] = default
        return acls, unknown

    def _vpcs_of(self, acl: str | None, whole: set[str]) -> list[str]:
        """The VPC of the network ACL keyed ``acl``, or every VPC the plan creates when that is not known."""
        vpc_id = next(
            (self.link(i, "vpc_id", "aws_vpc") for i in self.of_type("aws_network_acl") if acl and i.key == acl),
            None,
        )
        return [vpc_id] if vpc_id else sorted(whole)

    def _referred_vpc(self, instance: _Instance, attribute: str) -> str | None:
        """The VPC whose default route table or network ACL an ``aws_default_*`` resource takes over."""
        referred = self.referred(instance, attribute, "aws_vpc")
        if len(referred) == 1:
            return referred[0].key
        value = instance.get(attribute)
        owner = next((vpc for vpc in self.of_type("aws_vpc") if value and vpc.values.get(attribute) == value), None)
        return owner.key if owner else None

    def _unlinked_associations(self) -> list[str]:
        """Associations whose subnet, route table or network ACL is known only after apply: where they put a
        subnet is unknown, so no VPC's contents are fully known."""
        unlinked = []
        for instance in self.of_type("aws_route_table_association", "aws_network_acl_association"):
            other = "route_table_id" if instance.type == "aws_route_table_association" else "network_acl_id"
            target = "aws_route_table" if other == "route_table_id" else "aws_network_acl"
            if self.link(instance, "subnet_id", "aws_subnet") is None or self.link(instance, other, target) is None:
                unlinked.append(f"what {instance.address} associates is known only after apply")
        return unlinked

    def _endpoints(self, owner: str) -> tuple[tuple[Endpoint, ...], dict[str, dict[str, str]]]:
        by_id = {
            value: instance.address
            for instance in self.of_type("aws_vpc_endpoint")
            if isinstance(value := instance.get("id"), str)
        }
        associated: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
        policies: dict[str, _Instance] = {}
        for instance in self.of_type(
            "aws_vpc_endpoint_subnet_association",
            "aws_vpc_endpoint_security_group_association",
            "aws_vpc_endpoint_route_table_association",
            "aws_vpc_endpoint_policy",
        ):
            endpoint = self.link(instance, "vpc_endpoint_id", "aws_vpc_endpoint")
            endpoint = by_id.get(endpoint or "", endpoint)
            if endpoint is None:
                continue
            if instance.type == "aws_vpc_endpoint_policy":
                policies[endpoint] = instance
                continue
            attribute, target = {
                "aws_vpc_endpoint_subnet_association": ("subnet_id", "aws_subnet"),
                "aws_vpc_endpoint_security_group_association": ("security_group_id", "aws_security_group"),
                "aws_vpc_endpoint_route_table_association": ("route_table_id", "aws_route_table"),
            }[instance.type]
            key = self.link(instance, attribute, target)
            associated[(endpoint, attribute)].append(key if key is not None else f"{instance.address} (unknown)")
        endpoints, unknown = [], {}
        for instance in self.of_type("aws_vpc_endpoint"):
            why: dict[str, str] = {}
            endpoints.append(self._endpoint(instance, owner, associated, policies.get(instance.address), why))
            unknown[instance.address] = why
        return tuple(endpoints), unknown

    def _endpoint(
        self,
        instance: _Instance,
        owner: str,
        associated: Mapping[tuple[str, str], list[str]],
        policy_resource: _Instance | None,
        why: dict[str, str],
    ) -> Endpoint:
        address = instance.address
        service = instance.get("service_name")
        if not isinstance(service, str):
            why[SERVICE] = f"{address}.service_name is known only after apply"
        endpoint_type = instance.get("vpc_endpoint_type")
        dns = instance.get("private_dns_enabled")
        if not isinstance(dns, bool):
            why[PRIVATE_DNS] = f"{address}.private_dns_enabled is known only after apply"
        vpc_id = self.link(instance, "vpc_id", "aws_vpc")
        if vpc_id is None:
            why[VPC] = f"{address}.vpc_id is known only after apply"
        lists = {}
        for attribute, target, fact in (
            ("subnet_ids", "aws_subnet", SUBNETS),
            ("security_group_ids", "aws_security_group", SECURITY_GROUPS),
            ("route_table_ids", "aws_route_table", ROUTE_TABLES),
        ):
            extra = associated.get((address, attribute), [])
            keys, unknown = self.links(instance, attribute, target)
            if unknown and (extra or attribute not in self._expressions(instance)):
                keys, unknown = (), None  # computed: the associations (or nothing) say
            if attribute == "security_group_ids" and not keys and not extra and endpoint_type == "Interface":
                unknown = f"{address} names no security group: AWS attaches its VPC's default group"
            if unknown:
                why[fact] = unknown
            if any(key.endswith("(unknown)") for key in extra):
                why[fact] = f"an association of {address} is known only after apply"
            lists[attribute] = tuple(dict.fromkeys([*keys, *(k for k in extra if not k.endswith("(unknown)"))]))
        dns_options = instance.values.get("dns_options") or [{}]
        inbound_only = dns_options[0].get("private_dns_only_for_inbound_resolver_endpoint") if dns_options else None
        return Endpoint(
            id=address,
            vpc_id=vpc_id or f"the VPC of {address}",
            owner_id=owner,
            type=endpoint_type if isinstance(endpoint_type, str) else "Gateway",
            service_name=service if isinstance(service, str) else None,
            state="available",
            private_dns_enabled=dns is True,
            subnet_ids=lists["subnet_ids"],
            security_group_ids=lists["security_group_ids"],
            route_table_ids=lists["route_table_ids"],
            policy=self._policy(instance, policy_resource, why),
            tags=instance.values.get("tags") or {},
            private_dns_only_for_inbound_resolver=inbound_only if isinstance(inbound_only, bool) else None,
        )

    def _policy(self, instance: _Instance, resource: _Instance | None, why: dict[str, str]) -> Policy | None:
        """The endpoint's policy: its ``aws_vpc_endpoint_policy``'s, else its own, else (none given) AWS's
        full-access default."""
        holder = resource or instance
        document = holder.get("policy")
        if document is UNKNOWN and resource is None and "policy" not in self._expressions(instance):
            document = json.dumps(DEFAULT_ENDPOINT_POLICY)
        if not isinstance(document, str) or not document:
            if document is UNKNOWN:
                why[POLICY] = f"{holder.address}.policy is known only after apply"
            return None
        try:
            return parse_policy(document)
        except PolicyError as error:
            why[POLICY] = f"{holder.address}.policy cannot be read: {error}"
            return None

    def _region(self, endpoints: tuple[Endpoint, ...]) -> str:
        """The AWS provider's region where the configuration gives it as a constant, else the region of the
        first service name."""
        for provider in self.plan.get("configuration", {}).get("provider_config", {}).values():
            region = provider.get("expressions", {}).get("region", {}).get("constant_value")
            if provider.get("name") == "aws" and isinstance(region, str):
                return region
        refs = (parse_service_name(endpoint.service_name) for endpoint in endpoints)
        return next((ref.region for ref in refs if ref is not None), "")


def _resources(module: Mapping[str, Any], address: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for resource in module.get("resources", []):
        yield address, resource
    for child in module.get("child_modules", []):
        yield from _resources(child, child.get("address", ""))


def _config_modules(module: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, module
    for name, call in module.get("module_calls", {}).items():
        yield from _config_modules(call.get("module", {}), (*path, name))


def _config_path(module_address: str) -> tuple[str, ...]:
    return tuple(match.group(1) for match in _MODULE_STEP.finditer(module_address))


def _references(expression: Any) -> Iterator[str]:
    """Every reference of an expression, or of the expressions of the blocks it holds."""
    if isinstance(expression, list):
        for item in expression:
            yield from _references(item)
    elif isinstance(expression, dict):
        if isinstance(expression.get("references"), list):
            yield from expression["references"]
        else:
            for value in expression.values():
                yield from _references(value)


def _index_text(index: Any) -> str:
    return f"[{json.dumps(index)}]" if index is not None else ""


def _any_true(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_any_true(item) for item in value.values())
    if isinstance(value, list):
        return any(_any_true(item) for item in value)
    return value is True


def _inline_rule(raw: Mapping[str, Any], group: str) -> IngressRule:
    return IngressRule(
        protocol=_protocol_name(raw.get("protocol")),
        from_port=raw.get("from_port"),
        to_port=raw.get("to_port"),
        cidrs=tuple(raw.get("cidr_blocks") or ()) + tuple(raw.get("ipv6_cidr_blocks") or ()),
        group_ids=tuple(raw.get("security_groups") or ()) + ((group,) if raw.get("self") else ()),
        prefix_list_ids=tuple(raw.get("prefix_list_ids") or ()),
    )


def _standalone_rule(instance: _Instance, plan: _Plan) -> IngressRule | None:
    """An ``aws_security_group_rule`` or ``aws_vpc_security_group_ingress_rule``; None when a value it
    holds is known only after apply."""
    if instance.type == "aws_security_group_rule":
        source = instance.get("source_security_group_id")
        if source is UNKNOWN:
            source = plan.link(instance, "source_security_group_id", "aws_security_group")
            if source is None:
                return None
        if any(_any_true(instance.unknown.get(a)) for a in ("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids")):
            return None
        group = plan.link(instance, "security_group_id", "aws_security_group") or ""
        rule = _inline_rule(instance.values, group)
        return replace(rule, group_ids=rule.group_ids + ((source,) if source else ()))
    source = instance.get("referenced_security_group_id")
    if source is UNKNOWN:
        source = plan.link(instance, "referenced_security_group_id", "aws_security_group")
        if source is None:
            return None
    if any(instance.get(a) is UNKNOWN for a in ("cidr_ipv4", "cidr_ipv6", "prefix_list_id")):
        return None
    protocol = _protocol_name(instance.values.get("ip_protocol"))
    return IngressRule(
        protocol=protocol,
        from_port=instance.values.get("from_port") if protocol != "-1" else None,
        to_port=instance.values.get("to_port") if protocol != "-1" else None,
        cidrs=tuple(c for c in (instance.values.get("cidr_ipv4"), instance.values.get("cidr_ipv6")) if c),
        group_ids=(source,) if source else (),
        prefix_list_ids=(instance.values["prefix_list_id"],) if instance.values.get("prefix_list_id") else (),
    )


def _protocol_name(value: Any) -> str:
    """A security group rule's protocol as the facts hold it (``tcp``, ``-1``...)."""
    text = str(value if value is not None else "-1").lower()
    return "-1" if text == "all" else text


def _acl_entry(raw: Mapping[str, Any], egress: bool, number: str, action: str) -> AclEntry:
    protocol = ACL_PROTOCOLS.get(str(raw.get("protocol", "-1")).lower(), str(raw.get("protocol")))
    has_ports = protocol in ("6", "17") and raw.get("from_port") is not None
    return AclEntry(
        number=int(raw[number]),
        egress=egress,
        allows=str(raw.get(action, "")).lower() == "allow",
        protocol=protocol,
        cidr=raw.get("cidr_block") or raw.get("ipv6_cidr_block") or "",
        ports=(int(raw["from_port"]), int(raw["to_port"])) if has_ports else None,
    )


def _default_route(route: Mapping[str, Any]) -> bool:
    return route.get("cidr_block") == "0.0.0.0/0" or route.get("ipv6_cidr_block") == "::/0"


def _route_to_igw(route: Mapping[str, Any]) -> bool:
    return _default_route(route) and str(route.get("gateway_id") or "").startswith("igw-")


def _to_igw(instance: _Instance, plan: _Plan) -> bool:
    """An ``aws_route`` of the default route to an internet gateway, by id or by reference."""
    values = instance.values
    default = values.get("destination_cidr_block") == "0.0.0.0/0" or values.get("destination_ipv6_cidr_block") == "::/0"
    gateway = instance.get("gateway_id")
    if isinstance(gateway, str):
        return default and gateway.startswith("igw-")
    return default and bool(plan.referred(instance, "gateway_id", "aws_internet_gateway"))
