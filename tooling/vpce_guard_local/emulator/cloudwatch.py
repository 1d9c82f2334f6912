"""CloudWatch for the endpoints' traffic: AWS/PrivateLinkEndpoints metrics as AWS publishes them, and
GetMetricData answering as AWS answers where moto 5.2 does not.

Publishing (``publish_endpoint_traffic``, reached through the control path): AWS PrivateLink publishes, for
each interface endpoint, one data point per minute in which it carried traffic and none for a quiet minute,
in two dimension sets: (Endpoint Type, Service Name, VPC Endpoint Id, VPC Id) and, per subnet of the
endpoint, the same with Subnet Id; ``BytesProcessed`` in Bytes, both directions added up (what the endpoint's
owner is billed for). Gateway endpoints publish nothing. The emulator splits a minute's bytes evenly across
the endpoint's subnets (whole bytes, the remainder to the first subnets), so the subnets add up to the
endpoint.

GetMetricData (``metric_data``), for queries of a metric and a statistic:

- a query reads the metric of exactly its namespace, name and dimensions (moto drops the namespace once
  dimensions are given, mixing in another namespace's data of the same name);
- at most 500 queries a call, each id used once (``ValidationError``; moto takes any number, duplicates too);
- at most ``MaxDatapoints`` data points an answer (default 100,800): past it the answer stops, the queries it
  cut short say ``PartialData`` and a ``NextToken`` continues (moto answers everything at once);
- StartTime rounded down as CloudWatch rounds it: to the minute when less than 15 days ago, to 5 minutes up
  to 63 days, to the hour beyond;
- data points in periods counted from the (rounded) StartTime, EndTime exclusive, newest first unless
  ``ScanBy`` says ``TimestampAscending``; a period without data has no data point;
- answered from the data points grouped by metric, once per call (moto scans every data point for every query
  and period: minutes for an estate of thousands of endpoints).

A call with a math expression, a Metrics Insights query or an extended statistic keeps moto's own answer.
Published data points live in moto's CloudWatch backend of their account and region, so a reset forgets them.
A NextToken is an offset into the answer: data published between two pages shifts it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.cloudwatch.exceptions import ValidationError
from moto.cloudwatch.models import CloudWatchBackend, MetricAggregatedDatum, MetricDatum, cloudwatch_backends
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ec2.models import ec2_backends

from vpce_guard_local.emulator.paging import offset_token, token_offset
from vpce_guard_local.emulator.patching import Patches

NAMESPACE = "AWS/PrivateLinkEndpoints"
BYTES_PROCESSED = "BytesProcessed"
DEFAULT_ACCOUNT_ID = "123456789012"
MAX_QUERIES = 500
MAX_DATAPOINTS = 100_800
STATISTICS = ("Sum", "Average", "Minimum", "Maximum", "SampleCount")
ACCOUNT_ID = re.compile(r"^\d{12}$")

_TOKEN_PREFIX = "vpce-guard-metric-data:"


class InvalidNextToken(ServiceException):
    code = "InvalidNextToken"


# --- Publishing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Minute:
    """The bytes one interface endpoint processed in one minute (``at``: the minute's start, UTC)."""

    endpoint_id: str
    at: datetime
    bytes: int


def publish_endpoint_traffic(account_id: str, region: str, minutes: Iterable[Minute]) -> int:
    """Publish each minute's BytesProcessed of its endpoint, as AWS PrivateLink does; returns the data points
    written. Raises ValueError, writing nothing, for an unknown account, region or endpoint, an endpoint that
    is not an interface endpoint, a time without its zone, not a whole minute or ahead of now, or bytes not
    above zero (a minute without traffic has no data point)."""
    if not ACCOUNT_ID.fullmatch(account_id):
        raise ValueError(f"an account id is 12 digits, not {account_id!r}")
    if region not in cloudwatch_backends[account_id].regions:
        raise ValueError(f"unknown region {region!r}")
    endpoints = ec2_backends[account_id][region].vpc_end_points
    now = datetime.now(UTC)
    data: list[MetricDatum] = []
    for minute in minutes:
        endpoint = endpoints.get(minute.endpoint_id)
        if endpoint is None:
            raise ValueError(f"{minute.endpoint_id} is not an endpoint of account {account_id} in {region}")
        if endpoint.vpc_endpoint_type != "Interface":
            kind = endpoint.vpc_endpoint_type
            raise ValueError(f"{minute.endpoint_id} is a {kind} endpoint: AWS publishes no metrics for it")
        if minute.at.tzinfo is None:
            raise ValueError(f"{minute.at.isoformat()} has no time zone: give one, e.g. +00:00")
        at = minute.at.astimezone(UTC)
        if at.second or at.microsecond:
            raise ValueError(f"{minute.at.isoformat()} is not a whole minute: AWS publishes one data point a minute")
        if at > now:
            raise ValueError(f"{minute.at.isoformat()} lies ahead: traffic is published once it has passed")
        if minute.bytes <= 0:
            raise ValueError(f"{minute.endpoint_id} at {at.isoformat()}: a minute without traffic has no data point")
        dimensions = {
            "Endpoint Type": "Interface",
            "Service Name": endpoint.service_name,
            "VPC Endpoint Id": endpoint.id,
            "VPC Id": endpoint.vpc_id,
        }
        data.append(_bytes_datum(dimensions, at, minute.bytes))
        subnet_ids = list(endpoint.subnet_ids or [])
        for index, subnet_id in enumerate(subnet_ids):
            share = minute.bytes // len(subnet_ids) + (1 if index < minute.bytes % len(subnet_ids) else 0)
            if share:
                data.append(_bytes_datum({**dimensions, "Subnet Id": subnet_id}, at, share))
    cloudwatch_backends[account_id][region].metric_data.extend(data)
    return len(data)


def _bytes_datum(dimensions: Mapping[str, str], at: datetime, value: int) -> MetricDatum:
    return MetricDatum(
        NAMESPACE,
        BYTES_PROCESSED,
        float(value),
        [{"Name": name, "Value": value} for name, value in dimensions.items()],
        at,
        "Bytes",
    )


# --- GetMetricData ---------------------------------------------------------------------------------------


MetricKey = tuple[str, str, frozenset[tuple[str, str]]]
_Dated = tuple[datetime, Any]  # a data point's time (UTC) and moto's datum


@dataclass(frozen=True)
class _Point:
    at: datetime
    value: float


def metric_data(backend: CloudWatchBackend, params: Mapping[str, Any]) -> dict[str, Any]:
    """GetMetricData's answer to ``params`` from ``backend``'s data points: ``MetricDataResults`` and, when
    the answer stops at MaxDatapoints, ``NextToken``."""
    queries: Sequence[Mapping[str, Any]] = params.get("MetricDataQueries") or []
    if len(queries) > MAX_QUERIES:
        raise ValidationError(f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}.")
    if len({query.get("Id") for query in queries}) != len(queries):
        raise ValidationError("The values for parameter id in MetricDataQueries are not unique.")
    end = _utc(params["EndTime"])
    start = rounded_start(_utc(params["StartTime"]), datetime.now(UTC))
    if start >= end:
        raise ValidationError("The parameter EndTime must be greater than StartTime.")
    limit = int(params.get("MaxDatapoints") or MAX_DATAPOINTS)
    offset = 0
    if params.get("NextToken"):
        found = token_offset(_TOKEN_PREFIX, str(params["NextToken"]))
        if found is None:
            raise InvalidNextToken("The service returned an invalid next token.")
        offset = found
    descending = (params.get("ScanBy") or "TimestampDescending") == "TimestampDescending"
    by_metric = _by_metric(backend.get_all_metrics(), start, end)
    answers = [
        (query, _answer(query, by_metric, start, descending)) for query in queries if query.get("ReturnData", True)
    ]
    total = sum(len(points) for _, points in answers)
    results, begin = [], 0
    for query, points in answers:
        first, last = max(begin, offset), min(begin + len(points), offset + limit)
        # A query without data sits where its data would begin: on the page that holds that place.
        end_of_page = offset + limit
        on_page = first < last if points else offset <= begin and (begin < end_of_page or begin == total == end_of_page)
        if on_page:
            page = points[first - begin : last - begin] if points else []
            results.append(
                {
                    "Id": query["Id"],
                    "Label": query.get("Label") or query["MetricStat"]["Metric"]["MetricName"],
                    "Timestamps": [point.at for point in page],
                    "Values": [point.value for point in page],
                    "StatusCode": "Complete" if begin + len(points) <= offset + limit else "PartialData",
                }
            )
        begin += len(points)
    answer: dict[str, Any] = {"MetricDataResults": results, "Messages": []}
    if offset + limit < total:
        answer["NextToken"] = offset_token(_TOKEN_PREFIX, offset + limit)
    return answer


def rounded_start(start: datetime, now: datetime) -> datetime:
    """StartTime as CloudWatch reads it: rounded down to the minute when less than 15 days ago, to 5 minutes
    up to 63 days ago, to the hour beyond."""
    minute = start.replace(second=0, microsecond=0)
    age = now - start
    if age < timedelta(days=15):
        return minute
    if age <= timedelta(days=63):
        return minute.replace(minute=minute.minute - minute.minute % 5)
    return minute.replace(minute=0)


def _answer(
    query: Mapping[str, Any], by_metric: Mapping[MetricKey, list[_Dated]], start: datetime, descending: bool
) -> list[_Point]:
    """The query's data points: its statistic of each period that holds data of its metric (and unit)."""
    stat = query["MetricStat"]
    metric = stat["Metric"]
    key = (metric["Namespace"], metric["MetricName"], _dimensions(metric.get("Dimensions") or []))
    period = timedelta(seconds=int(stat["Period"]))
    unit = stat.get("Unit")
    periods: dict[int, list[Any]] = defaultdict(list)
    for at, datum in by_metric.get(key, ()):
        if unit is None or datum.unit == unit:
            periods[(at - start) // period].append(datum)
    points = [_Point(start + index * period, _statistic(stat["Stat"], data)) for index, data in periods.items()]
    return sorted(points, key=lambda point: point.at, reverse=descending)


def _by_metric(data: Iterable[Any], start: datetime, end: datetime) -> dict[MetricKey, list[_Dated]]:
    grouped: dict[MetricKey, list[_Dated]] = defaultdict(list)
    for datum in data:
        at = _utc(datum.timestamp)
        if start <= at < end:
            key = (datum.namespace, datum.name, frozenset((d.name, d.value) for d in datum.dimensions))
            grouped[key].append((at, datum))
    return grouped


def _statistic(stat: str, data: Sequence[Any]) -> float:
    """A statistic over the data points of one period; a statistic set counts as its sum, count, min, max."""
    sums = [datum.sum if isinstance(datum, MetricAggregatedDatum) else datum.value for datum in data]
    counts = [datum.sample_count if isinstance(datum, MetricAggregatedDatum) else 1.0 for datum in data]
    if stat == "Sum":
        return float(sum(sums))
    if stat == "SampleCount":
        return float(sum(counts))
    if stat == "Average":
        return float(sum(sums) / sum(counts))
    lows = [datum.min if isinstance(datum, MetricAggregatedDatum) else datum.value for datum in data]
    highs = [datum.max if isinstance(datum, MetricAggregatedDatum) else datum.value for datum in data]
    return float(min(lows) if stat == "Minimum" else max(highs))


def _dimensions(dimensions: Iterable[Mapping[str, str]]) -> frozenset[tuple[str, str]]:
    return frozenset((dimension["Name"], dimension["Value"]) for dimension in dimensions)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _served(queries: Iterable[Mapping[str, Any]]) -> bool:
    """Whether every query is a metric and one of the basic statistics (the rest stay moto's)."""
    return all("MetricStat" in query and query["MetricStat"].get("Stat") in STATISTICS for query in queries)


# --- Wiring into moto -------------------------------------------------------------------------------------


def _get_metric_data(self: CloudWatchResponse) -> ActionResult:
    params = self._get_params()
    if not _served(params.get("MetricDataQueries") or []):
        return PATCHES.originals["CloudWatchResponse.get_metric_data"](self)  # type: ignore[no-any-return]
    return ActionResult(metric_data(self.cloudwatch_backend, params))


PATCHES = Patches(((CloudWatchResponse, "get_metric_data", _get_metric_data),))


def install() -> None:
    """Make moto's GetMetricData answer as CloudWatch does in this process; calling it again changes nothing."""
    PATCHES.install()
