"""Terraform plans written by hand from Terraform's documented JSON output format (format_version 1.x): each
resource instance a ``resource_changes`` entry (after, after_unknown) and a ``planned_values`` entry, each
resource block a configuration entry with its expressions' references.

The estate of seed 004: a VPC with two private subnets (count) in two zones and a developers' subnet, and a
module "bedrock" holding the bedrock-runtime interface endpoint (private DNS on, its policy scoped to the two
Invoke actions) and its security group admitting 443 from the developers' subnet. The VPC and the subnets are
passed to the module as variables, so the endpoint reaches them only through references.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

REGION = "us-east-1"
ACCOUNT_ID = "111122223333"
BEDROCK = f"com.amazonaws.{REGION}.bedrock-runtime"
ENDPOINT = "module.bedrock.aws_vpc_endpoint.bedrock_runtime"
GROUP = "module.bedrock.aws_security_group.bedrock_endpoint"
VPC_CIDR = "10.20.0.0/16"
DEVELOPERS_CIDR = "10.20.8.0/22"
INVOKE_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": "*",
        }
    ],
}
ACCOUNT_BOUNDED = {
    "Version": "2012-10-17",
    "Statement": [{**INVOKE_ONLY["Statement"][0], "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT_ID}}}],
}
FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


@dataclass
class Resource:
    """One resource instance: its address parts, planned values, which of them are unknown (after_unknown),
    and its block's expressions (attribute -> references, or a constant)."""

    type: str
    name: str
    after: dict[str, Any]
    unknown: dict[str, Any] = field(default_factory=dict)
    module: str = ""
    index: Any = None
    mode: str = "managed"
    actions: Sequence[str] = ("create",)
    references: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @property
    def address(self) -> str:
        local = f"{'data.' if self.mode == 'data' else ''}{self.type}.{self.name}"
        index = f"[{json.dumps(self.index)}]" if self.index is not None else ""
        return f"{self.module + '.' if self.module else ''}{local}{index}"


def refs(*addresses: str) -> list[str]:
    """A reference as Terraform lists it: each step of the traversal (``aws_vpc.main.id``, ``aws_vpc.main``)."""
    steps: list[str] = []
    for address in addresses:
        parts = address.split(".")
        for end in range(len(parts), 1, -1):
            step = ".".join(parts[:end])
            steps += [step, step.split("[")[0]] if step.endswith("]") else [step]
    return list(dict.fromkeys(steps))


def build_plan(
    resources: Sequence[Resource],
    module_calls: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    *,
    prior_data: Sequence[Resource] = (),
    provider_region: str | None = REGION,
) -> dict[str, Any]:
    """A plan of ``resources`` (and data sources read into the prior state), with module calls given as
    module name -> variable -> references (each module called from the root)."""
    changes, planned = [], _module_tree()
    for resource in resources:
        change: dict[str, Any] = {
            "address": resource.address,
            "mode": resource.mode,
            "type": resource.type,
            "name": resource.name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {
                "actions": list(resource.actions),
                "before": None,
                "after": resource.after,
                "after_unknown": resource.unknown,
            },
        }
        if resource.module:
            change["module_address"] = resource.module
        if resource.index is not None:
            change["index"] = resource.index
        changes.append(change)
        _planned(planned, resource)
    prior = _module_tree()
    for resource in prior_data:
        _planned(prior, resource)
    configuration: dict[str, Any] = {"root_module": _config(resources, "", module_calls or {})}
    if provider_region:
        configuration["provider_config"] = {
            "aws": {"name": "aws", "expressions": {"region": {"constant_value": provider_region}}}
        }
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": planned},
        "resource_changes": changes,
        "prior_state": {"format_version": "1.0", "values": {"root_module": prior}},
        "configuration": configuration,
    }


def _module_tree() -> dict[str, Any]:
    return {"resources": [], "child_modules": []}


def _planned(root: dict[str, Any], resource: Resource) -> None:
    module = root
    if resource.module:
        module = next((m for m in root["child_modules"] if m["address"] == resource.module), None) or {
            "address": resource.module,
            "resources": [],
        }
        if module not in root["child_modules"]:
            root["child_modules"].append(module)
    entry = {
        "address": resource.address,
        "mode": resource.mode,
        "type": resource.type,
        "name": resource.name,
        "values": resource.after,
    }
    if resource.index is not None:
        entry["index"] = resource.index
    module["resources"].append(entry)


def _config(
    resources: Sequence[Resource], module: str, calls: Mapping[str, Mapping[str, Sequence[str]]]
) -> dict[str, Any]:
    blocks: dict[tuple[str, str, str], dict[str, Any]] = {}
    for resource in resources:
        if resource.module.split("[")[0] != module:
            continue
        expressions = {
            attribute: {"references": list(references)} for attribute, references in resource.references.items()
        }
        for attribute, value in resource.after.items():
            if attribute not in expressions and attribute not in resource.unknown:
                expressions[attribute] = {"constant_value": value}
        blocks[(resource.mode, resource.type, resource.name)] = {
            "address": f"{resource.type}.{resource.name}",
            "mode": resource.mode,
            "type": resource.type,
            "name": resource.name,
            "expressions": expressions,
        }
    config: dict[str, Any] = {"resources": list(blocks.values())}
    if not module:
        config["module_calls"] = {
            name: {
                "source": f"./modules/{name}",
                "expressions": {variable: {"references": list(r)} for variable, r in variables.items()},
                "module": _config(resources, f"module.{name}", {}),
            }
            for name, variables in calls.items()
        }
    return config


def vpc(*, hostnames: bool = True, name: str = "main") -> Resource:
    return Resource(
        "aws_vpc",
        name,
        {"cidr_block": VPC_CIDR, "enable_dns_support": True, "enable_dns_hostnames": hostnames},
        {"id": True, "main_route_table_id": True, "default_network_acl_id": True},
    )


def subnet(name: str, cidr: str, zone: str | None, *, index: Any = None, vpc_name: str = "main") -> Resource:
    after = {"cidr_block": cidr, **({"availability_zone": zone} if zone else {})}
    unknown = {
        "id": True,
        "vpc_id": True,
        "availability_zone_id": True,
        **({} if zone else {"availability_zone": True}),
    }
    return Resource(
        "aws_subnet", name, after, unknown, index=index, references={"vpc_id": refs(f"aws_vpc.{vpc_name}.id")}
    )


def endpoint(
    *,
    private_dns: bool = True,
    policy: Mapping[str, Any] | None = INVOKE_ONLY,
    subnets: int = 2,
    service: str = BEDROCK,
    module: str = "module.bedrock",
    name: str = "bedrock_runtime",
    group: str = "aws_security_group.bedrock_endpoint",
) -> Resource:
    after: dict[str, Any] = {
        "service_name": service,
        "vpc_endpoint_type": "Interface",
        "private_dns_enabled": private_dns,
        "subnet_ids": [None] * subnets,
        "security_group_ids": [None],
    }
    references: dict[str, Sequence[str]] = {
        "vpc_id": ["var.vpc_id"],
        "subnet_ids": ["var.private_subnet_ids"],
        "security_group_ids": refs(f"{group}.id"),
    }
    unknown: dict[str, Any] = {
        "id": True,
        "vpc_id": True,
        "subnet_ids": [True] * subnets,
        "security_group_ids": [True],
        "network_interface_ids": True,
        "dns_entry": True,
    }
    if policy is not None:
        after["policy"] = json.dumps(policy)
    else:
        unknown["policy"] = True
    return Resource("aws_vpc_endpoint", name, after, unknown, module=module, references=references)


def endpoint_group(cidrs: Sequence[str] = (DEVELOPERS_CIDR,), module: str = "module.bedrock") -> Resource:
    rule = {
        "from_port": 443,
        "to_port": 443,
        "protocol": "tcp",
        "cidr_blocks": list(cidrs),
        "ipv6_cidr_blocks": [],
        "security_groups": [],
        "prefix_list_ids": [],
        "self": False,
        "description": "",
    }
    return Resource(
        "aws_security_group",
        "bedrock_endpoint",
        {"name_prefix": "bedrock-endpoint-", "ingress": [rule]},
        {"id": True, "vpc_id": True, "name": True, "arn": True},
        module=module,
        references={"vpc_id": ["var.vpc_id"]},
    )


def seed_004(
    *,
    private_dns: bool = True,
    policy: Mapping[str, Any] | None = INVOKE_ONLY,
    endpoint_subnets: int = 2,
    hostnames: bool = True,
    group_cidrs: Sequence[str] = (DEVELOPERS_CIDR,),
    private_zones: Sequence[str | None] = ("us-east-1a", "us-east-1b"),
) -> dict[str, Any]:
    """Seed 004's module as planned, with the variation a test names. With ``endpoint_subnets`` 1 the module
    is given the first private subnet only."""
    private = [subnet("private", f"10.20.{i}.0/24", zone, index=i) for i, zone in enumerate(private_zones)]
    subnets_passed = refs("aws_subnet.private") if endpoint_subnets > 1 else refs("aws_subnet.private[0].id")
    return build_plan(
        [
            vpc(hostnames=hostnames),
            *private,
            subnet("developers", DEVELOPERS_CIDR, "us-east-1b"),
            endpoint(private_dns=private_dns, policy=policy, subnets=endpoint_subnets),
            endpoint_group(group_cidrs),
        ],
        {"bedrock": {"vpc_id": refs("aws_vpc.main.id"), "private_subnet_ids": subnets_passed}},
    )
