"""A facts snapshot: the raw describe responses one scan read, as a directory of JSON files.

One file per API operation, ``<OperationName>.json``, each holding the response as boto3 returns it with
all pages merged into one response (``DescribeVpcAttribute.json`` holds a list of responses, one per VPC and
attribute). ``scan-scope.json`` records the region and scope of the scan. A snapshot can be scanned with no
AWS access at all: offline audits and reproducible bug reports.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DESCRIBE_ENDPOINTS = "DescribeVpcEndpoints"
DESCRIBE_SERVICES = "DescribeVpcEndpointServices"
DESCRIBE_VPCS = "DescribeVpcs"
DESCRIBE_VPC_ATTRIBUTE = "DescribeVpcAttribute"
DESCRIBE_SUBNETS = "DescribeSubnets"
DESCRIBE_SECURITY_GROUPS = "DescribeSecurityGroups"
DESCRIBE_ROUTE_TABLES = "DescribeRouteTables"

OPERATIONS = (
    DESCRIBE_ENDPOINTS,
    DESCRIBE_SERVICES,
    DESCRIBE_VPCS,
    DESCRIBE_VPC_ATTRIBUTE,
    DESCRIBE_SUBNETS,
    DESCRIBE_SECURITY_GROUPS,
    DESCRIBE_ROUTE_TABLES,
)
SCOPE_FILE = "scan-scope.json"
# The list each response holds (DescribeVpcAttribute.json is a list of responses instead).
RESULT_KEYS = {
    DESCRIBE_ENDPOINTS: "VpcEndpoints",
    DESCRIBE_SERVICES: "ServiceDetails",
    DESCRIBE_VPCS: "Vpcs",
    DESCRIBE_SUBNETS: "Subnets",
    DESCRIBE_SECURITY_GROUPS: "SecurityGroups",
    DESCRIBE_ROUTE_TABLES: "RouteTables",
}


class SnapshotError(Exception):
    """A snapshot directory that cannot be read as a scan's facts."""


@dataclass(frozen=True)
class Scope:
    """What a scan covers: one region, or some of its VPCs, or the VPCs of some endpoints.

    An endpoint scope judges the endpoints' whole VPCs: the VPC-level checks need every endpoint of a VPC.
    """

    region: str
    vpc_ids: tuple[str, ...] = ()
    endpoint_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "vpc_ids": list(self.vpc_ids), "endpoint_ids": list(self.endpoint_ids)}


@dataclass(frozen=True)
class Snapshot:
    scope: Scope
    responses: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_responses(cls, scope: Scope, responses: Mapping[str, Any]) -> Snapshot:
        """Normalise live responses to their JSON form, so a live scan and a scan of its saved snapshot
        read exactly the same facts."""
        return cls(
            scope,
            {op: json.loads(json.dumps(_without_metadata(r), default=str)) for op, r in responses.items()},
        )

    def response(self, operation: str) -> Any:
        return self.responses[operation]

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for operation, response in self.responses.items():
            _write_json(directory / f"{operation}.json", response)
        _write_json(directory / SCOPE_FILE, self.scope.to_dict())

    @classmethod
    def load(cls, directory: Path, region: str | None = None) -> Snapshot:
        """Read a snapshot; ``region`` is needed only when the directory has no scan-scope.json
        (a snapshot put together by hand from ``aws ec2 describe-…`` output)."""
        if not directory.is_dir():
            raise SnapshotError(f"snapshot directory {directory} does not exist")
        missing = [op for op in OPERATIONS if not (directory / f"{op}.json").is_file()]
        if missing:
            raise SnapshotError(
                f"snapshot {directory} lacks {', '.join(f'{op}.json' for op in missing)}; "
                "a snapshot needs one file per operation (see README, 'Facts snapshots')"
            )
        scope_file = directory / SCOPE_FILE
        if scope_file.is_file():
            raw_scope = _read_json(scope_file)
            if not isinstance(raw_scope, dict) or not (region or raw_scope.get("region")):
                raise SnapshotError(f"{scope_file} names no region: give the region with --region")
            scope = Scope(
                region=region or raw_scope["region"],
                vpc_ids=tuple(raw_scope.get("vpc_ids", ())),
                endpoint_ids=tuple(raw_scope.get("endpoint_ids", ())),
            )
        elif region:
            scope = Scope(region=region)
        else:
            raise SnapshotError(f"snapshot {directory} has no {SCOPE_FILE}: give the region with --region")
        responses = {op: _read_json(directory / f"{op}.json") for op in OPERATIONS}
        for operation, response in responses.items():
            _check_shape(directory / f"{operation}.json", operation, response)
        return cls(scope, responses)


def _check_shape(path: Path, operation: str, response: Any) -> None:
    """A response as boto3 returns it: an object holding the operation's list (a list of objects for
    DescribeVpcAttribute), not what ``--query`` leaves of it."""
    if operation == DESCRIBE_VPC_ATTRIBUTE:
        if not isinstance(response, list) or not all(isinstance(item, dict) for item in response):
            raise SnapshotError(f"{path} must hold a list of DescribeVpcAttribute responses")
        return
    key = RESULT_KEYS[operation]
    if not isinstance(response, dict) or not isinstance(response.get(key, []), list):
        raise SnapshotError(f'{path} must hold the {operation} response, an object with a "{key}" list')


def _without_metadata(response: Any) -> Any:
    if isinstance(response, list):
        return [_without_metadata(item) for item in response]
    if isinstance(response, dict):
        return {key: value for key, value in response.items() if key != "ResponseMetadata"}
    return response


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SnapshotError(f"{path} is not valid JSON: {error}") from error
