"""The service catalog: what an endpoint's service is, beyond what DescribeVpcEndpointServices says.

At run time the API is the truth for private DNS names, policy support and zones. The catalog (data, in
``services.json``) adds what the API does not say: the least-privilege action set for an endpoint policy,
whether the service's callers are IAM principals at all, and the per-partition service-name prefix (in the
China regions the prefix is ``cn.com.amazonaws`` for some services and ``com.amazonaws`` for others, and
differs between the S3 gateway and interface endpoints; seed 003).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

STANDARD_PREFIXES = frozenset({"com.amazonaws", "cn.com.amazonaws"})
PARTNER_KEY_PREFIX = "vpce-svc-"
_SERVICE_NAME = re.compile(r"^(?P<prefix>.+?)\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.(?P<key>.+)$")


@dataclass(frozen=True)
class ServiceRef:
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


@dataclass(frozen=True)
class CatalogService:
    key: str
    iam_prefix: str
    endpoint_types: tuple[str, ...]
    actions: tuple[str, ...]
    iam_principals: bool
    china_prefix: Mapping[str, str]
    source: str

    @property
    def knows_narrower_actions(self) -> bool:
        return bool(self.actions)


@dataclass(frozen=True)
class BaselineEntry:
    service: str
    endpoint_type: str


@dataclass(frozen=True)
class Catalog:
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


def _service(key: str, raw: Mapping[str, Any]) -> CatalogService:
    return CatalogService(
        key=key,
        iam_prefix=raw["iam_prefix"],
        endpoint_types=tuple(raw["endpoint_types"]),
        actions=tuple(raw["actions"]),
        iam_principals=raw.get("iam_principals", True),
        china_prefix=dict(raw.get("china_prefix", {})),
        source=raw["source"],
    )


@cache
def load_catalog() -> Catalog:
    raw = json.loads(resources.files(__package__).joinpath("services.json").read_text(encoding="utf-8"))
    return Catalog(
        services={key: _service(key, entry) for key, entry in raw["services"].items()},
        baseline=tuple(BaselineEntry(item["service"], item["type"]) for item in raw["baseline"]),
        china_regions=frozenset(raw["china_regions"]),
    )
