"""check-plan and check-template --live through the emulator: what the file names by id (an existing VPC,
its subnets and groups) and the services' zones are read with Describe calls only, and judge what the file
alone leaves not judged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vpce_guard.aws import AwsSession
from vpce_guard.cli import main
from vpce_guard.facts import Endpoint
from vpce_guard.iac.live import read_deployed
from vpce_guard.iac.model import Draft
from vpce_guard.iac.plan import plan_draft
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import BuiltVpc, EstateBuilder

pytestmark = pytest.mark.server

ACCOUNT_ID = "123456789012"
BEDROCK = f"com.amazonaws.{REGION}.bedrock-runtime"
ENDPOINT = "aws_vpc_endpoint.bedrock"
INVOKE_IN_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT_ID}},
        }
    ],
}
# The one read --live makes for one endpoint in an existing VPC with private DNS on.
CALLS_FOR_ONE_ENDPOINT = {
    "DescribeVpcEndpointServices": 1,
    "DescribeVpcs": 1,
    "DescribeSubnets": 1,
    "DescribeSecurityGroups": 1,
    "DescribeRouteTables": 1,
    "DescribeNetworkAcls": 1,
    "DescribeVpcEndpoints": 1,
    "DescribeVpcAttribute": 2,
}


@pytest.fixture
def builder(ec2: Any) -> EstateBuilder:
    return EstateBuilder(ec2, REGION)


@pytest.fixture
def existing(builder: EstateBuilder) -> BuiltVpc:
    """A deployed VPC with a private subnet in each of three zones."""
    return builder.vpc("10.60.0.0/16", zones=3, public_subnet=False)


@pytest.fixture
def group(builder: EstateBuilder, existing: BuiltVpc) -> str:
    return builder.security_group(existing, "bedrock-endpoint", https_from_cidrs=[existing.cidr])


def plan_naming(
    vpc_id: str, subnet_ids: list[str], group_id: str, data_subnets: list[dict[str, Any]]
) -> dict[str, Any]:
    """A plan of one Bedrock endpoint in an existing VPC given by id, its subnets read by ``data "aws_subnet"``
    (``data_subnets``: their values in the prior state) or given by id, and an existing group given by id."""
    data = [
        {
            "address": f"data.aws_subnet.private[{index}]",
            "mode": "data",
            "type": "aws_subnet",
            "name": "private",
            "index": index,
            "values": values,
        }
        for index, values in enumerate(data_subnets)
    ]
    after = {
        "vpc_id": vpc_id,
        "service_name": BEDROCK,
        "vpc_endpoint_type": "Interface",
        "private_dns_enabled": True,
        "subnet_ids": subnet_ids,
        "security_group_ids": [group_id],
        "policy": json.dumps(INVOKE_IN_ACCOUNT),
    }
    expressions: dict[str, Any] = {name: {"constant_value": value} for name, value in after.items()}
    if data:
        expressions["subnet_ids"] = {"references": ["data.aws_subnet.private", "data.aws_subnet.private[0].id"]}
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": {"resources": [{**_resource(), "values": after}]}},
        "resource_changes": [
            {
                **_resource(),
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": {"id": True}},
            }
        ],
        "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": data}}},
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": REGION}}}},
            "root_module": {"resources": [{**_resource(), "expressions": expressions}]},
        },
    }


def _resource() -> dict[str, Any]:
    return {"address": ENDPOINT, "mode": "managed", "type": "aws_vpc_endpoint", "name": "bedrock"}


def data_subnet(ec2: Any, subnet_id: str) -> dict[str, Any]:
    """A subnet as ``data "aws_subnet"`` holds it in the prior state."""
    raw = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
    return {
        "id": subnet_id,
        "vpc_id": raw["VpcId"],
        "availability_zone": raw["AvailabilityZone"],
        "availability_zone_id": raw["AvailabilityZoneId"],
        "cidr_block": raw["CidrBlock"],
    }


def zone_id_of(ec2: Any, subnet_id: str) -> str:
    return str(ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["AvailabilityZoneId"])


def write(tmp_path: Path, name: str, document: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def check(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, dict[str, Any], str]:
    code = main([*arguments, "--account-id", ACCOUNT_ID, "--format", "json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else {}, captured.err


def az_coverage(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [finding for finding in report["findings"] if finding["check_id"] == "az-coverage"]


def unjudged(report: dict[str, Any], check_id: str) -> list[dict[str, str]]:
    return [fact for item in report["unknown"] if item["check_id"] == check_id for fact in item["unknown"]]


def one_zone_plan(tmp_path: Path, ec2: Any, existing: BuiltVpc, group: str) -> str:
    first = existing.private_subnet_ids[0]
    return write(tmp_path, "plan.json", plan_naming(existing.id, [first], group, [data_subnet(ec2, first)]))


def test_without_live_the_zone_checks_on_an_existing_vpc_are_not_judged(
    tmp_path: Path, ec2: Any, existing: BuiltVpc, group: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, _ = check(capsys, "check-plan", one_zone_plan(tmp_path, ec2, existing, group))

    assert code == 0
    assert az_coverage(report) == []
    assert {"fact": "VPC contents", "why": f"{existing.id} is not created by the plan: its other subnets, route "
            "tables, network ACLs and endpoints may not all be in it"} in unjudged(report, "az-coverage")  # fmt: skip


def test_live_judges_an_endpoint_in_one_zone_against_the_vpcs_real_zones(
    tmp_path: Path, aws_env: Emulator, ec2: Any, existing: BuiltVpc, group: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = one_zone_plan(tmp_path, ec2, existing, group)

    code, report, err = check(capsys, "check-plan", path, "--live", "--endpoint-url", aws_env.url)

    assert code == 0
    (finding,) = az_coverage(report)
    assert finding["resource_id"] == ENDPOINT
    others = sorted(zone_id_of(ec2, subnet_id) for subnet_id in existing.private_subnet_ids[1:])
    assert finding["evidence"]["missing_zone_ids"] == others
    assert report["unknown"] == []
    assert f"read what is deployed in {REGION} with 9 API calls" in err


def test_live_requires_no_subnet_in_a_zone_the_service_is_not_offered_in(
    tmp_path: Path, aws_env: Emulator, ec2: Any, existing: BuiltVpc, group: str, capsys: pytest.CaptureFixture[str]
) -> None:
    aws_env.restrict_service_zones(BEDROCK, list(existing.zone_names[:2]))
    path = one_zone_plan(tmp_path, ec2, existing, group)

    _, report, _ = check(capsys, "check-plan", path, "--live", "--endpoint-url", aws_env.url)

    (finding,) = az_coverage(report)
    assert finding["evidence"]["missing_zone_ids"] == [zone_id_of(ec2, existing.private_subnet_ids[1])]


def test_live_passes_an_endpoint_in_every_zone_the_service_is_offered_in(
    tmp_path: Path, aws_env: Emulator, ec2: Any, existing: BuiltVpc, group: str, capsys: pytest.CaptureFixture[str]
) -> None:
    aws_env.restrict_service_zones(BEDROCK, list(existing.zone_names[:2]))
    two = list(existing.private_subnet_ids[:2])
    path = write(tmp_path, "plan.json", plan_naming(existing.id, two, group, [data_subnet(ec2, s) for s in two]))

    code, report, _ = check(capsys, "check-plan", path, "--live", "--endpoint-url", aws_env.url, "--fail-on", "LOW")

    assert code == 0
    assert report == {"findings": [], "unknown": []}


def test_live_names_a_subnet_that_does_not_exist_and_leaves_its_checks_not_judged(
    tmp_path: Path, aws_env: Emulator, existing: BuiltVpc, group: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "plan.json", plan_naming(existing.id, ["subnet-0123456789abcdef0"], group, []))

    _, report, _ = check(capsys, "check-plan", path, "--live", "--endpoint-url", aws_env.url)

    assert az_coverage(report) == []
    assert unjudged(report, "az-coverage") == [
        {
            "fact": "subnets",
            "why": f"subnet-0123456789abcdef0: not found in {existing.id} in {REGION} (DescribeSubnets did not "
            "return it)",
        }
    ]


def test_live_names_a_vpc_that_does_not_exist(
    tmp_path: Path, aws_env: Emulator, group: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = "vpc-0123456789abcdef0"
    path = write(tmp_path, "plan.json", plan_naming(missing, ["subnet-0123456789abcdef0"], group, []))

    _, report, _ = check(capsys, "check-plan", path, "--live", "--endpoint-url", aws_env.url)

    why = f"{missing} does not exist in {REGION}: DescribeVpcs did not return it"
    assert {"fact": "VPC", "why": why} in unjudged(report, "vpc-dns-disabled")
    assert {"fact": "VPC contents", "why": why} in unjudged(report, "az-coverage")


def test_live_makes_only_describe_calls_and_counts_them(
    tmp_path: Path, aws_env: Emulator, ec2: Any, existing: BuiltVpc, group: str
) -> None:
    draft = plan_draft(Path(one_zone_plan(tmp_path, ec2, existing, group)).read_text(), "plan.json")
    session = AwsSession(REGION, endpoint_url=aws_env.url)

    read_deployed(session, draft)

    assert dict(session.counter.calls) == CALLS_FOR_ONE_ENDPOINT
    assert all(operation.startswith("Describe") for operation in session.counter.calls)


def test_a_failed_read_is_an_error_not_the_assumption(
    tmp_path: Path, ec2: Any, existing: BuiltVpc, group: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    path = one_zone_plan(tmp_path, ec2, existing, group)

    code, report, err = check(capsys, "check-plan", path, "--live", "--endpoint-url", "http://127.0.0.1:9")

    assert code == 2
    assert report == {}
    assert f"DescribeVpcEndpointServices failed in {REGION}" in err


# A Bedrock endpoint in an existing VPC, its subnets and group given as parameters.
TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {
        "VpcId": {"Type": "AWS::EC2::VPC::Id"},
        "SubnetIds": {"Type": "List<AWS::EC2::Subnet::Id>"},
        "GroupId": {"Type": "AWS::EC2::SecurityGroup::Id"},
    },
    "Resources": {
        "BedrockEndpoint": {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {
                "VpcEndpointType": "Interface",
                "VpcId": {"Ref": "VpcId"},
                "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.bedrock-runtime"},
                "PrivateDnsEnabled": True,
                "SubnetIds": {"Ref": "SubnetIds"},
                "SecurityGroupIds": [{"Ref": "GroupId"}],
                "PolicyDocument": INVOKE_IN_ACCOUNT,
            },
        }
    },
}


def template_arguments(tmp_path: Path, existing: BuiltVpc, group: str, subnet_ids: list[str]) -> list[str]:
    return [
        "check-template",
        write(tmp_path, "template.json", TEMPLATE),
        "--region",
        REGION,
        "--parameter",
        f"VpcId={existing.id}",
        "--parameter",
        f"SubnetIds={','.join(subnet_ids)}",
        "--parameter",
        f"GroupId={group}",
    ]


def test_a_template_on_an_existing_vpc_leaves_its_zones_not_judged_without_live(
    tmp_path: Path, existing: BuiltVpc, group: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, _ = check(capsys, *template_arguments(tmp_path, existing, group, [existing.private_subnet_ids[0]]))

    assert az_coverage(report) == []
    assert "az-coverage" in {item["check_id"] for item in report["unknown"]}


def test_live_judges_a_template_on_an_existing_vpc_against_the_services_zones(
    tmp_path: Path, aws_env: Emulator, ec2: Any, existing: BuiltVpc, group: str, capsys: pytest.CaptureFixture[str]
) -> None:
    aws_env.restrict_service_zones(BEDROCK, list(existing.zone_names[:2]))
    arguments = template_arguments(tmp_path, existing, group, [existing.private_subnet_ids[0]])

    _, report, _ = check(capsys, *arguments, "--live", "--endpoint-url", aws_env.url)

    (finding,) = az_coverage(report)
    assert finding["resource_id"] == "BedrockEndpoint"
    assert finding["evidence"]["missing_zone_ids"] == [zone_id_of(ec2, existing.private_subnet_ids[1])]
    assert report["unknown"] == []


def test_profile_and_endpoint_url_go_with_live(
    tmp_path: Path, existing: BuiltVpc, group: str, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = template_arguments(tmp_path, existing, group, [existing.private_subnet_ids[0]])

    code, _, err = check(capsys, *arguments, "--endpoint-url", "http://127.0.0.1:9")

    assert code == 2
    assert "--endpoint-url goes with --live" in err


def test_live_on_a_file_that_creates_its_vpc_reads_the_services_details_alone(aws_env: Emulator) -> None:
    endpoint = Endpoint(ENDPOINT, "aws_vpc.main", ACCOUNT_ID, "Interface", BEDROCK, "available", True, ("s",))
    draft = Draft("plan", REGION, ACCOUNT_ID, (endpoint,), whole_vpcs=frozenset({"aws_vpc.main"}))
    session = AwsSession(REGION, endpoint_url=aws_env.url)

    completed = read_deployed(session, draft)

    assert dict(session.counter.calls) == {"DescribeVpcEndpointServices": 1}
    assert completed.services is not None
    assert (BEDROCK, "Interface") in completed.services
