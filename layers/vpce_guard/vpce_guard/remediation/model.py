"""What a remediation is before it runs: the resources it changes, the exact API calls, and why not when not.

A plan is data (remediations are plans before they are calls): dry-run prints it, the state table
records it before it is applied, and the executor makes exactly its calls and no other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from vpce_guard.bucket_policies import BucketPolicyReader
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding
from vpce_guard.judge import Activity

ENDPOINT = "endpoint"
VPC = "vpc"
SECURITY_GROUP = "security-group"
# AWS ids carry their resource type as a prefix; "vpce-" before "vpc-", which it starts with.
_KIND_BY_PREFIX = (("vpce-", ENDPOINT), ("vpc-", VPC), ("sg-", SECURITY_GROUP))
# The parameter of each mutating call that names the resource it changes.
_RESOURCE_PARAMETERS = ("VpcEndpointId", "GroupId", "VpcId")


def kind_of(resource_id: str) -> str:
    """The kind of resource an AWS id names; ValueError for an id of any other kind."""
    for prefix, kind in _KIND_BY_PREFIX:
        if resource_id.startswith(prefix):
            return kind
    raise ValueError(f"{resource_id!r} is not the id of an endpoint, a VPC or a security group")


class ResourceRef(msgspec.Struct, frozen=True):
    """A resource a remediation changes, and where it lives: what the change record keeps, the lease holds
    and rollback reads again."""

    kind: str
    id: str
    vpc_id: str
    account: str
    region: str

    def related(self, resource_id: str) -> ResourceRef:
        """Another resource of the same VPC, account and region (one plan never leaves its VPC)."""
        kind = kind_of(resource_id)
        return ResourceRef(kind, resource_id, resource_id if kind == VPC else self.vpc_id, self.account, self.region)

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id, "vpc_id": self.vpc_id, "account": self.account, "region": self.region}

    @classmethod
    def from_dict(cls, raw: Mapping[str, str]) -> ResourceRef:
        return cls(raw["kind"], raw["id"], raw["vpc_id"], raw["account"], raw["region"])


class ApiCall(msgspec.Struct, frozen=True):
    """One mutating call, exactly as boto3 takes it: ``session.client(service).<method>(**parameters)``."""

    service: str
    method: str
    parameters: Mapping[str, Any]

    @property
    def operation(self) -> str:
        """The API's name for the call: ``modify_vpc_endpoint`` is ``ModifyVpcEndpoint``."""
        return "".join(part.capitalize() for part in self.method.split("_"))

    @property
    def iam_action(self) -> str:
        return f"{self.service}:{self.operation}"

    @property
    def resource_id(self) -> str:
        """The id of the resource the call changes."""
        return next(str(self.parameters[name]) for name in _RESOURCE_PARAMETERS if name in self.parameters)

    def describe(self) -> str:
        """One line, for dry-run output and tickets: the operation and every parameter, values as sent."""
        rendered = ", ".join(f"{name}={_render(value)}" for name, value in self.parameters.items())
        return f"{self.operation}({rendered})"

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "method": self.method, "parameters": dict(self.parameters)}


def _render(value: Any) -> str:
    """Scalars as Python writes them (``True``, as boto3 takes them), lists and maps as compact JSON."""
    return json.dumps(value, separators=(",", ":")) if isinstance(value, (list, Mapping)) else str(value)


class Plan(msgspec.Struct, frozen=True):
    """The calls that fix one finding, in order. ``resource`` is the resource the fix is about; a plan may
    also change others of the same VPC (the VPC's DNS attributes before private DNS, several groups)."""

    finding: Finding
    resource: ResourceRef
    calls: tuple[ApiCall, ...]
    summary: str
    preview: Mapping[str, Any] | None = None  # for a policy rewrite: the current and proposed policies, judged

    @property
    def resources(self) -> tuple[ResourceRef, ...]:
        """Every resource the calls change, ``resource`` first: what the executor snapshots."""
        ids = dict.fromkeys([self.resource.id, *(call.resource_id for call in self.calls)])
        return tuple(
            self.resource if resource_id == self.resource.id else self.resource.related(resource_id)
            for resource_id in ids
        )


class TicketOnly(msgspec.Struct, frozen=True):
    """A finding that is not changed automatically, and why: a person decides."""

    finding: Finding
    reason: str
    preview: Mapping[str, Any] | None = None  # the change a person is asked to review, when there is one


class PlanOptions(msgspec.Struct, frozen=True):
    """What a playbook may do beyond its own finding: bound policies to this organization (else to the
    endpoint owner's account and the trusted accounts), keeping the partner resources named, and fix the
    VPC's DNS attributes first when vpc-dns-disabled is enforced. ``activity`` is what CloudTrail showed of
    the endpoints' use, by endpoint id: every caller seen must keep its access. ``bucket_policies`` reads the
    account's bucket policies before S3 calls move to a gateway endpoint (None: they cannot be read): called only
    once nothing else stands in the way, so a plan that tickets for another reason costs no S3 call."""

    org_id: str | None = None
    fix_vpc_dns: bool = False
    trusted_accounts: tuple[str, ...] = ()
    partner_resources: tuple[str, ...] = ()
    activity: Mapping[str, Activity] = msgspec.field(default_factory=dict)
    bucket_policies: BucketPolicyReader | None = None


Planner = Callable[[Finding, Facts, PlanOptions], "Plan | TicketOnly"]


class Playbook(msgspec.Struct, frozen=True):
    """The remediation of one action (``finding.remediation.action``): the checks it serves, every IAM
    action its plans and their rollbacks may call (so a deployment's policy can be derived and held to
    them), and the planner."""

    action: str
    check_ids: tuple[str, ...]
    permissions: tuple[str, ...]
    plan: Planner
