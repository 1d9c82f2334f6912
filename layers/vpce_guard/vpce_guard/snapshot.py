"""A facts snapshot: the raw describe responses one scan read, as a directory of JSON files.

One file per API operation, ``<OperationName>.json``, each holding the response as boto3 returns it with
all pages merged into one response (``DescribeVpcAttribute.json`` holds a list of responses, one per VPC and
attribute). ``scan-scope.json`` records the region and scope of the scan. A snapshot can be scanned with no
AWS access at all: offline audits and reproducible bug reports.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import botocore.session
import msgspec

from vpce_guard import identifiers, schemas

DESCRIBE_ENDPOINTS = "DescribeVpcEndpoints"
DESCRIBE_SERVICES = "DescribeVpcEndpointServices"
DESCRIBE_VPCS = "DescribeVpcs"
DESCRIBE_VPC_ATTRIBUTE = "DescribeVpcAttribute"
DESCRIBE_SUBNETS = "DescribeSubnets"
DESCRIBE_SECURITY_GROUPS = "DescribeSecurityGroups"
DESCRIBE_ROUTE_TABLES = "DescribeRouteTables"
DESCRIBE_NETWORK_ACLS = "DescribeNetworkAcls"
DESCRIBE_VPN_GATEWAYS = "DescribeVpnGateways"
DESCRIBE_TRANSIT_GATEWAY_ATTACHMENTS = "DescribeTransitGatewayVpcAttachments"
# CloudWatch's: the bytes each interface endpoint processed, read only when a check judges traffic.
GET_METRIC_DATA = "GetMetricData"

OPERATIONS = (
    DESCRIBE_ENDPOINTS,
    DESCRIBE_SERVICES,
    DESCRIBE_VPCS,
    DESCRIBE_VPC_ATTRIBUTE,
    DESCRIBE_SUBNETS,
    DESCRIBE_SECURITY_GROUPS,
    DESCRIBE_ROUTE_TABLES,
    DESCRIBE_NETWORK_ACLS,
    DESCRIBE_VPN_GATEWAYS,
    DESCRIBE_TRANSIT_GATEWAY_ATTACHMENTS,
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
    DESCRIBE_NETWORK_ACLS: "NetworkAcls",
    DESCRIBE_VPN_GATEWAYS: "VpnGateways",
    DESCRIBE_TRANSIT_GATEWAY_ATTACHMENTS: "TransitGatewayVpcAttachments",
    GET_METRIC_DATA: "MetricDataResults",
}
# The API each operation belongs to, for the model its file is checked against: EC2's unless named here.
SERVICES = {GET_METRIC_DATA: "cloudwatch"}


class SnapshotError(Exception):
    """A snapshot directory that cannot be read as a scan's facts."""


class Scope(msgspec.Struct, frozen=True):
    """What a scan covers: one region, or some of its VPCs, or the VPCs of some endpoints.

    An endpoint scope judges the endpoints' whole VPCs: the VPC-level checks need every endpoint of a VPC.
    """

    region: str
    vpc_ids: tuple[str, ...] = ()
    endpoint_ids: tuple[str, ...] = ()
    traffic_window: TrafficWindow | None = None

    def to_dict(self) -> dict[str, Any]:
        scope: dict[str, Any] = {
            "region": self.region,
            "vpc_ids": list(self.vpc_ids),
            "endpoint_ids": list(self.endpoint_ids),
        }
        if self.traffic_window is not None:
            scope["traffic_window"] = self.traffic_window.to_dict()
        return scope


class TrafficWindow(msgspec.Struct, frozen=True):
    """The span over which the endpoints' traffic was read (GetMetricData.json), from ``start`` to ``end``."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


class Snapshot(msgspec.Struct, frozen=True):
    scope: Scope
    responses: Mapping[str, Any] = msgspec.field(default_factory=dict)

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
        """Write the snapshot into ``directory``, new or empty (``check_destination``)."""
        check_destination(directory)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            for operation, response in self.responses.items():
                _write_json(directory / f"{operation}.json", response)
            _write_json(directory / SCOPE_FILE, self.scope.to_dict())
        except OSError as error:
            raise SnapshotError(f"cannot write the snapshot to {directory}: {error.strerror}") from error

    @classmethod
    def load(cls, directory: Path, region: str | None = None) -> Snapshot:
        """Read a snapshot, each file checked against the API's model of its response; ``region`` is
        needed only when the directory has no scan-scope.json (a snapshot put together by hand from
        ``aws ec2 describe-…`` output), and must otherwise be the region the snapshot was read in."""
        if not directory.is_dir():
            raise SnapshotError(f"snapshot directory {directory} does not exist")
        missing = [op for op in OPERATIONS if not (directory / f"{op}.json").is_file()]
        if missing:
            raise SnapshotError(
                f"snapshot {directory} lacks {', '.join(f'{op}.json' for op in missing)}; "
                "a snapshot needs one file per operation (see README, 'Facts snapshots')"
            )
        scope = _scope(directory, region)
        traffic_file = directory / f"{GET_METRIC_DATA}.json"
        if (scope.traffic_window is not None) != traffic_file.is_file():
            held, lacking = (SCOPE_FILE + "'s traffic_window", traffic_file.name)
            if scope.traffic_window is None:
                held, lacking = lacking, held
            raise SnapshotError(
                f"snapshot {directory} has {held} but not {lacking}: the endpoints' traffic is read over its "
                "window, so a snapshot holds both or neither; re-save it with --save-snapshot"
            )
        operations = (*OPERATIONS, GET_METRIC_DATA) if scope.traffic_window else OPERATIONS
        responses = {op: _read_json(directory / f"{op}.json") for op in operations}
        for operation, response in responses.items():
            _check_response(directory / f"{operation}.json", operation, response)
        return cls(scope, responses)


class _WindowFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    start: Annotated[datetime, msgspec.Meta(tz=True)]
    end: Annotated[datetime, msgspec.Meta(tz=True)]

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("the traffic window ends before it starts")


class _ScopeFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """scan-scope.json as ``save`` writes it; the region may be missing only from a hand-made one."""

    region: str | None = None
    vpc_ids: tuple[str, ...] = ()
    endpoint_ids: tuple[str, ...] = ()
    traffic_window: _WindowFile | None = None

    def __post_init__(self) -> None:
        schemas.check_fields(self, region=identifiers.region)


def _scope(directory: Path, region: str | None) -> Scope:
    """The snapshot's scope; a region given must be the one it was read in (findings are never relabelled)."""
    scope_file = directory / SCOPE_FILE
    if not scope_file.is_file():
        if region is None:
            raise SnapshotError(f"snapshot {directory} has no {SCOPE_FILE}: give the region with --region")
        return Scope(region=region)
    try:
        recorded = msgspec.convert(_read_json(scope_file), _ScopeFile)
    except msgspec.ValidationError as error:
        raise SnapshotError(f"{scope_file}: {schemas.problem(error, 'the file')}") from error
    if recorded.region and region and region != recorded.region:
        raise SnapshotError(
            f"snapshot {directory} was read in {recorded.region}, not {region}: drop --region, or scan a "
            f"snapshot saved in {region}"
        )
    chosen = recorded.region or region
    if chosen is None:
        raise SnapshotError(f"{scope_file} names no region: give the region with --region")
    window = recorded.traffic_window
    traffic = TrafficWindow(window.start, window.end) if window is not None else None
    return Scope(chosen, recorded.vpc_ids, recorded.endpoint_ids, traffic)


def check_destination(directory: Path) -> None:
    """Refuse a place ``save`` could not write a snapshot to, before any work is done: a file, a directory
    that already holds files (another snapshot's would be mixed in), or a place that cannot be written."""
    try:
        if directory.exists():
            if not directory.is_dir():
                raise SnapshotError(f"{directory} is a file: save the snapshot to a new or empty directory")
            if any(directory.iterdir()):
                raise SnapshotError(f"{directory} is not empty: save the snapshot to a new or empty directory")
            nearest = directory
        else:
            nearest = next(parent for parent in directory.absolute().parents if parent.exists())
            if not nearest.is_dir():
                raise SnapshotError(f"cannot create {directory}: {nearest} is a file, not a directory")
    except OSError as error:
        raise SnapshotError(f"cannot use {directory} for the snapshot: {error.strerror}") from error
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise SnapshotError(f"cannot write to {nearest}: save the snapshot where you may write")


def _check_response(path: Path, operation: str, response: Any) -> None:
    """A response as boto3 returns it, field by field against botocore's model of the operation's output:
    an object holding the operation's list (a list of such objects for DescribeVpcAttribute), not what
    ``--query`` leaves of it. The first mismatch is an error naming the file and the field's path."""
    shape = _output_shape(operation)
    try:
        if operation == DESCRIBE_VPC_ATTRIBUTE:
            if not isinstance(response, list):
                raise _Mismatch(_expected("a list of DescribeVpcAttribute responses", response))
            for index, item in enumerate(response):
                try:
                    _check_value(item, shape)
                    if "VpcId" not in item:
                        raise _Mismatch(_expected('a response with its "VpcId"', item))
                except _Mismatch as mismatch:
                    mismatch.where = f"[{index}]{mismatch.where}"
                    raise
            return
        key = RESULT_KEYS[operation]
        if not isinstance(response, dict):
            raise _Mismatch(_expected(f'the {operation} response, an object with a "{key}" list', response))
        if key not in response:
            raise _Mismatch(f"missing: the file holds the {operation} response, with its list", key)
        _check_value(response, shape)
    except _Mismatch as mismatch:
        where = f"{mismatch.where.lstrip('.')}: " if mismatch.where else ""
        raise SnapshotError(f"{path}: {where}{mismatch}; re-save the snapshot with --save-snapshot") from None


class _Mismatch(Exception):
    """How a value departs from its shape; ``where`` is its path, built as the error leaves each level (so
    that checking a valid snapshot builds no paths at all)."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


def _expected(what: str, value: Any) -> str:
    return f"expected {what}, got {_describe(value)}"


def _check_value(value: Any, shape: Any) -> None:
    """``value`` (JSON) is what ``shape`` (a botocore shape) describes, recursively; raises _Mismatch."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise _Mismatch(_expected(f"an object ({shape.name})", value))
        members = shape.members
        for name, member in value.items():
            if name not in members:
                raise _Mismatch(f"no such field in the API's {shape.name}", f".{name}")
            try:
                _check_value(member, members[name])
            except _Mismatch as mismatch:
                mismatch.where = f".{name}{mismatch.where}"
                raise
    elif kind == "list":
        if not isinstance(value, list):
            raise _Mismatch(_expected("a list", value))
        for index, item in enumerate(value):
            try:
                _check_value(item, shape.member)
            except _Mismatch as mismatch:
                mismatch.where = f"[{index}]{mismatch.where}"
                raise
    elif kind == "map":
        if not isinstance(value, dict):
            raise _Mismatch(_expected("an object", value))
        for name, item in value.items():
            try:
                _check_value(item, shape.value)
            except _Mismatch as mismatch:
                mismatch.where = f".{name}{mismatch.where}"
                raise
    elif not _is_scalar(value, kind):
        raise _Mismatch(_expected(_SCALARS.get(kind, kind), value))


_SCALARS = {
    "string": "a string",
    "blob": "a string",
    "boolean": "a boolean",
    "integer": "an integer",
    "long": "an integer",
    "float": "a number",
    "double": "a number",
    "timestamp": "a timestamp string (ISO 8601)",
}


def _is_scalar(value: Any, kind: str) -> bool:
    if kind in ("string", "blob"):
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("integer", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("float", "double"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "timestamp" and isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    return False


def _describe(value: Any) -> str:
    """A JSON value as an error message shows it: its type, and a scalar's value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {json.dumps(value)}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value[:80]!r}"
    return "a list" if isinstance(value, list) else "an object"


@cache
def _output_shape(operation: str) -> Any:
    """botocore's model of an operation's output, the schema a snapshot file is checked against."""
    service = SERVICES.get(operation, "ec2")
    return botocore.session.get_session().get_service_model(service).operation_model(operation).output_shape


def _without_metadata(response: Any) -> Any:
    if isinstance(response, list):
        return [_without_metadata(item) for item in response]
    if isinstance(response, dict):
        return {key: value for key, value in response.items() if key != "ResponseMetadata"}
    return response


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def _read_json(path: Path) -> Any:
    """A file's JSON, in UTF-8 (with or without a byte-order mark) or UTF-16/32 with one."""
    try:
        return json.loads(path.read_bytes())
    except OSError as error:
        raise SnapshotError(f"cannot read {path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise SnapshotError(f"{path} is not UTF-8 text (byte {error.start}); re-save the snapshot") from error
    except json.JSONDecodeError as error:
        raise SnapshotError(f"{path} is not valid JSON: {error}") from error
    except RecursionError as error:
        raise SnapshotError(f"{path} is nested too deeply to be an EC2 response") from error
