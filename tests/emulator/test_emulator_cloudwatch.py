"""CloudWatch for the endpoints' traffic, over HTTP: AWS/PrivateLinkEndpoints data points as AWS PrivateLink
publishes them, and GetMetricData answering as CloudWatch does where moto does not (exact metrics, its limits,
paging, StartTime rounding)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import EstateBuilder

pytestmark = pytest.mark.server

REGION = "us-east-1"
NAMESPACE = "AWS/PrivateLinkEndpoints"
DAY = 86400
# A whole minute a little in the past: traffic is published once it has passed.
NOW = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)


@dataclass(frozen=True)
class Endpoints:
    vpc_id: str
    subnet_ids: tuple[str, ...]
    interface: str
    gateway: str
    service_name: str


@pytest.fixture
def cloudwatch(aws: Emulator) -> Any:
    return aws.client("cloudwatch", REGION)


@pytest.fixture
def endpoints(aws: Emulator) -> Endpoints:
    build = EstateBuilder(aws.client("ec2", REGION), REGION)
    vpc = build.vpc("10.0.0.0/16", zones=2, public_subnet=False)
    group = build.security_group(vpc, "vpce", https_from_cidrs=[vpc.cidr])
    interface = build.interface_endpoint(vpc, "sts", subnet_ids=vpc.private_subnet_ids, group_ids=[group])
    gateway = build.gateway_endpoint(vpc, "s3", route_table_ids=vpc.private_route_table_ids)
    return Endpoints(vpc.id, vpc.private_subnet_ids, interface, gateway, build.service_name("sts"))


def dimensions(endpoints: Endpoints, subnet_id: str | None = None) -> list[dict[str, str]]:
    endpoint_level = [
        {"Name": "Endpoint Type", "Value": "Interface"},
        {"Name": "Service Name", "Value": endpoints.service_name},
        {"Name": "VPC Endpoint Id", "Value": endpoints.interface},
        {"Name": "VPC Id", "Value": endpoints.vpc_id},
    ]
    return endpoint_level + ([{"Name": "Subnet Id", "Value": subnet_id}] if subnet_id else [])


def query(
    query_id: str, metric_dimensions: list[dict[str, str]], *, namespace: str = NAMESPACE, period: int = DAY
) -> dict[str, Any]:
    return {
        "Id": query_id,
        "Label": query_id,
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": "BytesProcessed", "Dimensions": metric_dimensions},
            "Period": period,
            "Stat": "Sum",
        },
    }


def window(days: int = 14) -> dict[str, datetime]:
    return {"StartTime": NOW - timedelta(days=days), "EndTime": NOW + timedelta(minutes=1)}


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_published_traffic_is_summed_per_day_for_the_endpoint_and_each_of_its_subnets(
    aws: Emulator, cloudwatch: Any, endpoints: Endpoints
) -> None:
    aws.publish_endpoint_traffic(
        {
            endpoints.interface: {
                NOW - timedelta(days=1): 1_001,
                NOW - timedelta(days=1) + timedelta(minutes=1): 9,
                NOW: 500,
            }
        }
    )
    first, second = endpoints.subnet_ids

    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            query("endpoint", dimensions(endpoints)),
            query("first", dimensions(endpoints, first)),
            query("second", dimensions(endpoints, second)),
        ],
        **window(),
    )

    sums = {result["Id"]: result["Values"] for result in answer["MetricDataResults"]}
    assert sums == {"endpoint": [500.0, 1_010.0], "first": [250.0, 506.0], "second": [250.0, 504.0]}
    assert {result["StatusCode"] for result in answer["MetricDataResults"]} == {"Complete"}


def test_the_data_points_are_per_minute_in_bytes_with_awss_two_dimension_sets(
    aws: Emulator, cloudwatch: Any, endpoints: Endpoints
) -> None:
    written = aws.publish_endpoint_traffic({endpoints.interface: {NOW: 3}})

    in_bytes = query("minute", dimensions(endpoints), period=60)
    in_bytes["MetricStat"]["Unit"] = "Bytes"

    listed = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    (minute,) = cloudwatch.get_metric_data(MetricDataQueries=[in_bytes], **window(1))["MetricDataResults"]

    assert written == 3
    assert sorted(sorted(d["Name"] for d in metric["Dimensions"]) for metric in listed) == [
        ["Endpoint Type", "Service Name", "Subnet Id", "VPC Endpoint Id", "VPC Id"],
        ["Endpoint Type", "Service Name", "Subnet Id", "VPC Endpoint Id", "VPC Id"],
        ["Endpoint Type", "Service Name", "VPC Endpoint Id", "VPC Id"],
    ]
    assert (minute["Values"], minute["Timestamps"]) == ([3.0], [NOW])


def test_an_endpoint_without_traffic_has_no_data_point(aws: Emulator, cloudwatch: Any, endpoints: Endpoints) -> None:
    (result,) = cloudwatch.get_metric_data(MetricDataQueries=[query("idle", dimensions(endpoints))], **window())[
        "MetricDataResults"
    ]

    assert (result["Values"], result["StatusCode"]) == ([], "Complete")


@pytest.mark.parametrize(
    ("traffic", "message"),
    [
        ({"vpce-0000000000000000f": {NOW: 1}}, "vpce-0000000000000000f is not an endpoint of account"),
        ({"gateway": {NOW: 1}}, "is a Gateway endpoint: AWS publishes no metrics for it"),
        ({"interface": {NOW: 0}}, "a minute without traffic has no data point"),
        ({"interface": {NOW + timedelta(seconds=30): 1}}, "is not a whole minute"),
        ({"interface": {NOW + timedelta(hours=1): 1}}, "lies ahead"),
    ],
)
def test_traffic_aws_would_not_publish_is_refused_naming_why(
    aws: Emulator, cloudwatch: Any, endpoints: Endpoints, traffic: dict[str, dict[datetime, int]], message: str
) -> None:
    named = {getattr(endpoints, key, key): minutes for key, minutes in traffic.items()}

    with pytest.raises(ValueError, match=message):
        aws.publish_endpoint_traffic(named)
    assert cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"] == []


def test_a_query_reads_its_namespace_only(aws: Emulator, cloudwatch: Any, endpoints: Endpoints) -> None:
    aws.publish_endpoint_traffic({endpoints.interface: {NOW: 100}})
    cloudwatch.put_metric_data(
        Namespace="Custom/Copies",
        MetricData=[
            {"MetricName": "BytesProcessed", "Dimensions": dimensions(endpoints), "Timestamp": NOW, "Value": 7}
        ],
    )

    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            query("aws", dimensions(endpoints)),
            query("custom", dimensions(endpoints), namespace="Custom/Copies"),
        ],
        **window(),
    )

    assert [result["Values"] for result in answer["MetricDataResults"]] == [[100.0], [7.0]]


def test_more_than_500_queries_in_a_call_are_refused(cloudwatch: Any, endpoints: Endpoints) -> None:
    queries = [query(f"q{index}", dimensions(endpoints)) for index in range(501)]

    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_data(MetricDataQueries=queries, **window())
    assert error_of(caught) == (
        "ValidationError",
        "The collection MetricDataQueries must not have a size greater than 500.",
    )
    assert len(cloudwatch.get_metric_data(MetricDataQueries=queries[:500], **window())["MetricDataResults"]) == 500


def test_a_query_id_used_twice_is_refused(cloudwatch: Any, endpoints: Endpoints) -> None:
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_data(
            MetricDataQueries=[query("same", dimensions(endpoints)), query("same", dimensions(endpoints))], **window()
        )
    assert error_of(caught) == ("ValidationError", "The values for parameter id in MetricDataQueries are not unique.")


def test_an_answer_stops_at_max_datapoints_and_its_next_token_continues(
    aws: Emulator, cloudwatch: Any, endpoints: Endpoints
) -> None:
    aws.publish_endpoint_traffic({endpoints.interface: {NOW - timedelta(days=days): 10 + days for days in range(3)}})
    first, _ = endpoints.subnet_ids
    queries = [query("endpoint", dimensions(endpoints)), query("subnet", dimensions(endpoints, first))]

    page = cloudwatch.get_metric_data(MetricDataQueries=queries, MaxDatapoints=4, **window())
    rest = cloudwatch.get_metric_data(MetricDataQueries=queries, NextToken=page["NextToken"], **window())

    assert [(r["Id"], r["Values"], r["StatusCode"]) for r in page["MetricDataResults"]] == [
        ("endpoint", [10.0, 11.0, 12.0], "Complete"),
        ("subnet", [5.0], "PartialData"),
    ]
    assert [(r["Id"], r["Values"], r["StatusCode"]) for r in rest["MetricDataResults"]] == [
        ("subnet", [6.0, 6.0], "Complete")
    ]
    assert "NextToken" not in rest


def test_boto3s_paginator_reads_every_page(aws: Emulator, cloudwatch: Any, endpoints: Endpoints) -> None:
    aws.publish_endpoint_traffic({endpoints.interface: {NOW - timedelta(days=days): 1 for days in range(5)}})

    merged = (
        cloudwatch.get_paginator("get_metric_data")
        .paginate(MetricDataQueries=[query("e", dimensions(endpoints))], MaxDatapoints=2, **window())
        .build_full_result()
    )

    assert sum(sum(result["Values"]) for result in merged["MetricDataResults"]) == 5.0


def test_a_token_the_emulator_did_not_issue_is_refused(cloudwatch: Any, endpoints: Endpoints) -> None:
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_data(MetricDataQueries=[query("e", dimensions(endpoints))], NextToken="nope", **window())
    assert error_of(caught)[0] == "InvalidNextToken"


def test_a_start_more_than_63_days_ago_is_rounded_down_to_the_hour(
    aws: Emulator, cloudwatch: Any, endpoints: Endpoints
) -> None:
    hour = NOW.replace(minute=0) - timedelta(days=70)
    aws.publish_endpoint_traffic({endpoints.interface: {hour + timedelta(minutes=5): 42}})

    (result,) = cloudwatch.get_metric_data(
        MetricDataQueries=[query("e", dimensions(endpoints), period=3600)],
        StartTime=hour + timedelta(minutes=30),
        EndTime=hour + timedelta(hours=2),
    )["MetricDataResults"]

    assert (result["Values"], result["Timestamps"]) == ([42.0], [hour])


def test_an_endpoint_can_read_as_made_weeks_ago(aws: Emulator, endpoints: Endpoints) -> None:
    made = NOW - timedelta(days=40)

    aws.set_endpoint_created(endpoints.interface, made)

    (described,) = aws.client("ec2", REGION).describe_vpc_endpoints(VpcEndpointIds=[endpoints.interface])[
        "VpcEndpoints"
    ]
    assert described["CreationTimestamp"] == made
    with pytest.raises(ValueError, match="lies ahead"):
        aws.set_endpoint_created(endpoints.interface, NOW + timedelta(days=1))


def test_a_reset_forgets_the_published_traffic(aws: Emulator, cloudwatch: Any, endpoints: Endpoints) -> None:
    aws.publish_endpoint_traffic({endpoints.interface: {NOW: 1}})

    aws.reset()

    assert aws.client("cloudwatch", REGION).list_metrics(Namespace=NAMESPACE)["Metrics"] == []
