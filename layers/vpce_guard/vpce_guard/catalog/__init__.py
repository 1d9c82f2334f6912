"""The service catalog: what an endpoint's service is, beyond what DescribeVpcEndpointServices says.

At run time the API is the truth for private DNS names, policy support and zones. The catalog (data, in
``services.json``) adds what the API does not say: the least-privilege action set for an endpoint policy,
whether the service's callers are IAM principals at all, and the per-partition service-name prefix (in the
China regions the prefix is ``cn.com.amazonaws`` for some services and ``com.amazonaws`` for others, and
differs between the S3 gateway and interface endpoints; seed 003). For a data-perimeter rewrite it also says
whether the service's requests can be bounded to the organization's resources, whether its action set is
complete, which AWS-owned resources its endpoint must keep admitting, and which of its actions federated
callers send unsigned. ``services.json`` is validated (with msgspec) when it is loaded: a wrong entry is an error
that names it, never a default.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from vpce_guard import identifiers
from vpce_guard.identifiers import PARTITIONS, partition_of
from vpce_guard.schemas import problem

CATALOG_FILE = "services.json"
STANDARD_PREFIXES = frozenset({"com.amazonaws", "cn.com.amazonaws"})
ARN_PLACEHOLDERS = frozenset({"partition", "region"})
EndpointType = Literal["Gateway", "Interface"]
ServicePrefix = Literal["com.amazonaws", "cn.com.amazonaws"]
Caller = Literal["anyone", "organization"]
PARTNER_KEY_PREFIX = "vpce-svc-"
_SERVICE_NAME = re.compile(r"^(?P<prefix>.+?)\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.(?P<key>.+)$")


class ServiceRef(msgspec.Struct, frozen=True):
    """A parsed endpoint service name: ``<prefix>.<region>.<key>``.

    The key keeps its dots (``ecr.api``, ``bedrock-agentcore.gateway``): cutting at the last dot is a known
    bug of other tools.
    """

    name: str
    prefix: str
    region: str
    key: str

    @property
    def is_partner(self) -> bool:
        """An endpoint service run by another account (``com.amazonaws.vpce.<region>.vpce-svc-…``)."""
        return self.key.startswith(PARTNER_KEY_PREFIX)

    @property
    def is_aws_service(self) -> bool:
        return self.prefix in STANDARD_PREFIXES and not self.is_partner


class OwnedResourceGrant(msgspec.Struct, frozen=True):
    """One AWS-owned resource, for one partition and region: the ARN an endpoint policy names, the actions it
    admits on it and who calls (``anyone``: unauthenticated readers such as agents and package managers;
    ``organization``: the organization's own principals)."""

    arn: str
    actions: tuple[str, ...]
    callers: Caller
    purpose: str


# Every entry read from the file is frozen once loaded and has no field it does not declare (forbid_unknown_fields):
# a misspelt key is an error, not a silently missing fact.
class AwsOwnedResource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An AWS-owned resource the service's endpoint must keep admitting once its policy bounds resources to
    the organization. The ARN is a template, so one entry serves every partition and region it applies to."""

    arn: str
    actions: Annotated[tuple[str, ...], msgspec.Meta(min_length=1)]
    callers: Caller
    purpose: Annotated[str, msgspec.Meta(min_length=1)]
    source: Annotated[str, msgspec.Meta(min_length=1)]
    partitions: Annotated[tuple[str, ...], msgspec.Meta(min_length=1)] = PARTITIONS

    def __post_init__(self) -> None:
        """The ARN is a template that renders in every partition, of partitions served, and the actions are its
        service's. Each message names its field: msgspec places it at the resource, not the field."""
        try:
            unknown = sorted(_template_fields(self.arn) - ARN_PLACEHOLDERS)
        except ValueError as error:
            raise ValueError(f"arn {error}") from None
        if unknown:
            raise ValueError(
                f"arn {self.arn!r} has unknown placeholder(s) {', '.join('{' + name + '}' for name in unknown)}; "
                "the known ones are {partition} and {region}"
            )
        if not self.arn.startswith("arn:{partition}:"):
            raise ValueError(
                f"arn {self.arn!r} must start with arn:{{partition}}: so that it renders in every partition"
            )
        unserved = [partition for partition in self.partitions if partition not in PARTITIONS]
        if unserved:
            raise ValueError(
                f"partitions names unknown partition(s) {', '.join(unserved)}; the partitions are "
                f"{', '.join(PARTITIONS)}"
            )
        service = self.arn.split(":")[2]
        wrong = [action for action in self.actions if not action.startswith(f"{service}:")]
        if wrong:
            raise ValueError(f"actions {', '.join(wrong)} are not actions of {service}, the service of {self.arn!r}")

    def grant_for(self, partition: str, region: str) -> OwnedResourceGrant:
        return OwnedResourceGrant(
            arn=self.arn.format(partition=partition, region=region),
            actions=self.actions,
            callers=self.callers,
            purpose=self.purpose,
        )


class CatalogService(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A service as the catalog knows it. ``actions`` is the least-privilege set for an endpoint policy;
    ``actions_complete`` says it is every action the endpoint serves, so narrowing a policy to it denies no
    caller. ``resource_org_id`` says the service's requests carry ``aws:ResourceOrgID`` and
    ``aws:ResourceAccount`` for a resource of a known owner, so a policy may bound resources to the organization
    (with ``aws_owned_resources`` still admitted). ``federated_principals`` are the actions federated callers send
    unsigned, with no ``aws:PrincipalOrgID``."""

    key: str
    iam_prefix: Annotated[str, msgspec.Meta(min_length=1)]
    endpoint_types: Annotated[tuple[EndpointType, ...], msgspec.Meta(min_length=1)]
    actions: tuple[str, ...]
    actions_complete: bool
    resource_org_id: bool
    iam_principals: bool = True
    china_prefix: Mapping[str, ServicePrefix] = msgspec.field(default_factory=dict)
    source: Annotated[str, msgspec.Meta(min_length=1)]
    aws_owned_resources: tuple[AwsOwnedResource, ...] = ()
    federated_principals: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        foreign = [action for action in self.actions if not action.startswith(f"{self.iam_prefix}:")]
        if foreign:
            raise ValueError(f"actions {', '.join(foreign)} do not start with the service's {self.iam_prefix}:")
        if not set(self.china_prefix) <= set(self.endpoint_types):
            raise ValueError(f"china_prefix names endpoint types the service does not have: {dict(self.china_prefix)}")
        if self.actions_complete and not self.actions:
            raise ValueError("actions_complete is true but actions is empty")
        unlisted = [action for action in self.federated_principals if action not in self.actions]
        if unlisted:
            raise ValueError(f"federated_principals {', '.join(unlisted)} are not in the service's actions")

    @property
    def knows_narrower_actions(self) -> bool:
        return bool(self.actions)

    def aws_owned_resources_for(self, partition: str, region: str) -> tuple[OwnedResourceGrant, ...]:
        """The AWS-owned resources of this service in ``region``, as the concrete ARNs of its partition."""
        actual = partition_of(identifiers.region(region))
        if partition != actual:
            raise ValueError(f"{region} is a region of the {actual} partition, not of {partition}")
        return tuple(
            resource.grant_for(partition, region)
            for resource in self.aws_owned_resources
            if partition in resource.partitions
        )


class BaselineEntry(msgspec.Struct, frozen=True):
    service: str
    endpoint_type: str


class Catalog(msgspec.Struct, frozen=True):
    services: Mapping[str, CatalogService]
    baseline: tuple[BaselineEntry, ...]
    china_regions: frozenset[str]

    def lookup(self, service_name: str | None, endpoint_type: str) -> CatalogService | None:
        """The catalog entry for an endpoint of ``endpoint_type`` to an AWS service: S3 and DynamoDB take both
        types, every other service only Interface. None for partner and unknown services."""
        ref = parse_service_name(service_name)
        entry = self.services.get(ref.key) if ref is not None and ref.is_aws_service else None
        return entry if entry is not None and endpoint_type in entry.endpoint_types else None

    def service_name(self, key: str, region: str, endpoint_type: str) -> str:
        """The endpoint service name of ``key`` in ``region`` for an endpoint of ``endpoint_type``."""
        entry = self.services.get(key)
        prefix = "com.amazonaws"
        if entry is not None and region in self.china_regions:
            prefix = entry.china_prefix.get(endpoint_type, prefix)
        return f"{prefix}.{region}.{key}"

    def baseline_for(self, keys: tuple[str, ...] | None) -> tuple[BaselineEntry, ...]:
        """The baseline named by service keys (their gateway form where one exists), or the default."""
        if keys is None:
            return self.baseline
        unknown = [key for key in keys if key not in self.services]
        if unknown:
            raise ValueError(
                f"unknown baseline service(s): {', '.join(unknown)}; known: {', '.join(sorted(self.services))}"
            )
        return tuple(
            BaselineEntry(key, "Gateway" if "Gateway" in self.services[key].endpoint_types else "Interface")
            for key in keys
        )


def parse_service_name(service_name: str | None) -> ServiceRef | None:
    """Split an endpoint service name; None when it names no region (e.g. ``com.amazonaws.s3-global.…``)."""
    if not service_name:
        return None
    match = _SERVICE_NAME.match(service_name)
    if match is None:
        return None
    return ServiceRef(service_name, match["prefix"], match["region"], match["key"])


def same_service(name: str | None, other: str | None) -> bool:
    """Two endpoint service names name one service: the same key in the same region, whatever the prefix (in
    the China regions the S3 gateway and interface names differ in it, seed 003); a partner's or an unreadable
    name only itself."""
    if name is None or other is None:
        return False
    ref, other_ref = parse_service_name(name), parse_service_name(other)
    if ref is None or other_ref is None or not (ref.is_aws_service and other_ref.is_aws_service):
        return name == other
    return (ref.key, ref.region) == (other_ref.key, other_ref.region)


class _BaselineRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    service: str
    type: EndpointType


class _CatalogFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    about: str
    china_regions: tuple[str, ...]
    baseline: tuple[_BaselineRow, ...]
    services: Mapping[str, Mapping[str, Any]]


class CatalogError(ValueError):
    """``services.json`` does not say what the catalog needs: the message names the entry, the field and why."""


def parse_catalog(raw: Mapping[str, Any]) -> Catalog:
    """The catalog described by the parsed ``services.json``, every entry validated."""
    document = _validated(_CatalogFile, raw, "")
    services = {
        key: _validated(CatalogService, {**entry, "key": key}, f"services.{key}")
        for key, entry in document.services.items()
    }
    for index, row in enumerate(document.baseline):
        service = services.get(row.service)
        if service is None or row.type not in service.endpoint_types:
            raise CatalogError(
                f"{CATALOG_FILE}: baseline[{index}]: {row.service} ({row.type}) is not a catalogued service "
                f"and endpoint type; fix the entry in vpce_guard/catalog/{CATALOG_FILE}"
            )
    return Catalog(
        services=services,
        baseline=tuple(BaselineEntry(row.service, row.type) for row in document.baseline),
        china_regions=frozenset(document.china_regions),
    )


@cache
def load_catalog() -> Catalog:
    text = resources.files(__package__).joinpath(CATALOG_FILE).read_text(encoding="utf-8")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogError(f"{CATALOG_FILE} is not JSON: {error}") from None
    return parse_catalog(raw)


_EntryT = TypeVar("_EntryT", bound=msgspec.Struct)


def _validated(entry: type[_EntryT], data: Mapping[str, Any], where: str) -> _EntryT:
    """``data`` read as ``entry``, or CatalogError naming the wrong field below ``where``, e.g.
    ``services.s3.aws_owned_resources[2].arn``."""
    try:
        return msgspec.convert(data, entry)
    except msgspec.ValidationError as error:
        raise CatalogError(
            f"{CATALOG_FILE}: {problem(error, '(the whole file)', where)}; fix the entry in "
            f"vpce_guard/catalog/{CATALOG_FILE}"
        ) from None


def _template_fields(template: str) -> frozenset[str]:
    """The placeholders of an ARN template; a conversion, a format spec or an unmatched brace is refused."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise ValueError(f"{template!r} is not a template: {error}") from None
    if any(conversion or spec for _, name, spec, conversion in parsed if name is not None):
        raise ValueError(f"{template!r}: placeholders take no conversion or format, e.g. {{region}}")
    return frozenset(name for _, name, _, _ in parsed if name is not None)
