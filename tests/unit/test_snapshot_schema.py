"""Snapshot files checked against botocore's model of each EC2 response, and against the snapshot's own format.

A file that departs from either is one error naming the file, the field's path and the fix; never a
traceback, never a field silently read as missing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpce_guard.checks import CheckSettings
from vpce_guard.scan import load_snapshot, scan_snapshot
from vpce_guard.snapshot import SCOPE_FILE, Snapshot, SnapshotError

VPC, SERVICE = "vpc-0a1b2c3d4e5f60718", "com.amazonaws.us-east-1.ssm"
PROPERTY = settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])


def responses() -> dict[str, Any]:
    """One VPC with an SSM endpoint whose private DNS is off, as boto3 returns the describes."""
    return {
        "DescribeVpcEndpoints": {
            "VpcEndpoints": [
                {
                    "VpcEndpointId": "vpce-0123456789abcdef0",
                    "VpcEndpointType": "Interface",
                    "VpcId": VPC,
                    "ServiceName": SERVICE,
                    "State": "available",
                    "PolicyDocument": json.dumps(
                        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
                    ),
                    "SubnetIds": ["subnet-0123456789abcdef0"],
                    "Groups": [{"GroupId": "sg-0123456789abcdef0", "GroupName": "endpoint"}],
                    "PrivateDnsEnabled": False,
                    "CreationTimestamp": "2026-11-22 09:30:00+00:00",
                    "OwnerId": "123456789012",
                    "Tags": [{"Key": "team", "Value": "platform"}],
                }
            ]
        },
        "DescribeVpcEndpointServices": {
            "ServiceNames": [SERVICE],
            "ServiceDetails": [
                {
                    "ServiceName": SERVICE,
                    "ServiceType": [{"ServiceType": "Interface"}],
                    "AvailabilityZones": ["us-east-1a"],
                    "PrivateDnsName": "ssm.us-east-1.amazonaws.com",
                    "VpcEndpointPolicySupported": True,
                }
            ],
        },
        "DescribeVpcs": {"Vpcs": [{"VpcId": VPC, "CidrBlock": "10.0.0.0/16", "OwnerId": "123456789012"}]},
        "DescribeVpcAttribute": [
            {"VpcId": VPC, "EnableDnsSupport": {"Value": True}},
            {"VpcId": VPC, "EnableDnsHostnames": {"Value": True}},
        ],
        "DescribeSubnets": {
            "Subnets": [
                {
                    "SubnetId": "subnet-0123456789abcdef0",
                    "VpcId": VPC,
                    "AvailabilityZone": "us-east-1a",
                    "AvailabilityZoneId": "use1-az1",
                    "CidrBlock": "10.0.1.0/24",
                    "AvailableIpAddressCount": 250,
                }
            ]
        },
        "DescribeSecurityGroups": {
            "SecurityGroups": [
                {
                    "GroupId": "sg-0123456789abcdef0",
                    "GroupName": "endpoint",
                    "VpcId": VPC,
                    "IpPermissions": [
                        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}
                    ],
                }
            ]
        },
        "DescribeRouteTables": {
            "RouteTables": [
                {
                    "RouteTableId": "rtb-0123456789abcdef0",
                    "VpcId": VPC,
                    "Associations": [{"Main": True, "RouteTableId": "rtb-0123456789abcdef0"}],
                    "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}],
                }
            ]
        },
        "DescribeNetworkAcls": {
            "NetworkAcls": [
                {
                    "NetworkAclId": "acl-0123456789abcdef0",
                    "VpcId": VPC,
                    "IsDefault": True,
                    "Associations": [{"SubnetId": "subnet-0123456789abcdef0"}],
                    "Entries": [
                        {
                            "RuleNumber": 100,
                            "Protocol": "-1",
                            "RuleAction": "allow",
                            "Egress": False,
                            "CidrBlock": "0.0.0.0/0",
                        },
                        {
                            "RuleNumber": 32767,
                            "Protocol": "-1",
                            "RuleAction": "deny",
                            "Egress": False,
                            "CidrBlock": "0.0.0.0/0",
                        },
                    ],
                }
            ]
        },
        "DescribeVpnGateways": {"VpnGateways": []},
        "DescribeTransitGatewayVpcAttachments": {"TransitGatewayVpcAttachments": []},
    }


def write(directory: Path, files: dict[str, Any], region: str | None = "us-east-1") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for operation, response in files.items():
        (directory / f"{operation}.json").write_text(json.dumps(response))
    if region:
        (directory / SCOPE_FILE).write_text(json.dumps({"region": region, "vpc_ids": [], "endpoint_ids": []}))
    return directory


def with_value(path: list[Any], value: Any) -> dict[str, Any]:
    """The responses with the value at ``path`` (operation first) replaced."""
    files = responses()
    parent = files
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return files


ENDPOINT = ["DescribeVpcEndpoints", "VpcEndpoints", 0]


def test_a_well_formed_snapshot_is_scanned(tmp_path: Path) -> None:
    findings = scan_snapshot(load_snapshot(write(tmp_path, responses())), CheckSettings()).findings

    assert "private-dns-disabled" in {finding.check_id for finding in findings}


@pytest.mark.parametrize(
    ("path", "value", "file", "message"),
    [
        (["DescribeVpcEndpoints", "VpcEndpoints"], [1], "DescribeVpcEndpoints", "VpcEndpoints[0]: expected an object"),
        ([*ENDPOINT, "State"], 5, "DescribeVpcEndpoints", "VpcEndpoints[0].State: expected a string, got the number 5"),
        (
            [*ENDPOINT, "PrivateDnsEnabled"],
            "false",
            "DescribeVpcEndpoints",
            "VpcEndpoints[0].PrivateDnsEnabled: expected a boolean, got the string 'false'",
        ),
        (
            [*ENDPOINT, "VpcEndpointType"],
            None,
            "DescribeVpcEndpoints",
            "VpcEndpoints[0].VpcEndpointType: expected a string, got null",
        ),
        (
            [*ENDPOINT, "PolicyDocument"],
            [{"Effect": "Allow"}],
            "DescribeVpcEndpoints",
            "VpcEndpoints[0].PolicyDocument: expected a string, got a list",
        ),
        (
            [*ENDPOINT, "CreationTimestamp"],
            "yesterday",
            "DescribeVpcEndpoints",
            "VpcEndpoints[0].CreationTimestamp: expected a timestamp string",
        ),
        (
            [*ENDPOINT, "PrivateDnsEnable"],
            True,
            "DescribeVpcEndpoints",
            "VpcEndpoints[0].PrivateDnsEnable: no such field in the API's VpcEndpoint",
        ),
        (
            ["DescribeSecurityGroups", "SecurityGroups", 0, "IpPermissions", 0, "FromPort"],
            "443",
            "DescribeSecurityGroups",
            "SecurityGroups[0].IpPermissions[0].FromPort: expected an integer, got the string '443'",
        ),
        (
            ["DescribeSubnets", "Subnets", 0, "AvailableIpAddressCount"],
            "abc",
            "DescribeSubnets",
            "Subnets[0].AvailableIpAddressCount: expected an integer, got the string 'abc'",
        ),
        (
            ["DescribeSubnets", "Subnets", 0, "AvailableIpAddressCount"],
            True,
            "DescribeSubnets",
            "Subnets[0].AvailableIpAddressCount: expected an integer, got the boolean true",
        ),
        (
            ["DescribeVpcAttribute", 0, "EnableDnsSupport", "Value"],
            "true",
            "DescribeVpcAttribute",
            "[0].EnableDnsSupport.Value: expected a boolean, got the string 'true'",
        ),
        (["DescribeVpcEndpoints"], {}, "DescribeVpcEndpoints", "VpcEndpoints: missing"),
        (["DescribeVpcAttribute"], {"VpcId": VPC}, "DescribeVpcAttribute", "expected a list of DescribeVpcAttribute"),
        (["DescribeVpcAttribute", 0], {"EnableDnsSupport": {"Value": True}}, "DescribeVpcAttribute", '"VpcId"'),
    ],
)
def test_a_field_of_the_wrong_type_is_one_error_naming_file_path_and_fix(
    path: list[Any], value: Any, file: str, message: str, tmp_path: Path
) -> None:
    write(tmp_path, with_value(path, value))

    with pytest.raises(SnapshotError) as error:
        Snapshot.load(tmp_path)

    assert str(error.value).startswith(f"{tmp_path}/{file}.json: ")
    assert message in str(error.value)
    assert str(error.value).endswith("re-save the snapshot with --save-snapshot")


def test_vpc_attributes_missing_where_a_scan_reads_them_are_an_error(tmp_path: Path) -> None:
    write(tmp_path, with_value(["DescribeVpcAttribute"], []))

    with pytest.raises(SnapshotError, match=f"lacks enableDnsSupport of {VPC}, enableDnsHostnames of {VPC}"):
        load_snapshot(tmp_path)


def test_no_vpc_attributes_are_needed_where_no_endpoint_uses_private_dns(tmp_path: Path) -> None:
    files = with_value(["DescribeVpcAttribute"], [])
    files["DescribeVpcEndpointServices"]["ServiceDetails"][0].pop("PrivateDnsName")

    assert load_snapshot(write(tmp_path, files)).response("DescribeVpcAttribute") == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"VpcEndpoints": ["\xff\xfe"]}', "is not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"{oops", "is not valid JSON"),
    ],
    ids=["not UTF-8", "deep nesting", "not JSON"],
)
def test_an_unreadable_file_is_an_error_naming_it(content: bytes, message: str, tmp_path: Path) -> None:
    write(tmp_path, responses())
    (tmp_path / "DescribeVpcEndpoints.json").write_bytes(content)

    with pytest.raises(SnapshotError, match=message):
        Snapshot.load(tmp_path)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_a_file_in_another_unicode_encoding_is_read(encoding: str, tmp_path: Path) -> None:
    write(tmp_path, responses())
    (tmp_path / "DescribeVpcs.json").write_bytes(json.dumps(responses()["DescribeVpcs"]).encode(encoding))

    assert Snapshot.load(tmp_path).response("DescribeVpcs") == responses()["DescribeVpcs"]


def test_a_region_other_than_the_snapshots_is_refused_naming_both(tmp_path: Path) -> None:
    write(tmp_path, responses(), region="us-east-1")

    with pytest.raises(SnapshotError, match="was read in us-east-1, not eu-west-1"):
        Snapshot.load(tmp_path, region="eu-west-1")


def test_the_snapshots_own_region_may_be_given(tmp_path: Path) -> None:
    write(tmp_path, responses(), region="us-east-1")

    assert Snapshot.load(tmp_path, region="us-east-1").scope.region == "us-east-1"


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ({"region": "mars-1"}, "the file: region 'mars-1' is not a known AWS region"),
        ({"region": "us-east-1", "vpc_ids": "vpc-1"}, "vpc_ids: Expected `array`, got `str`"),
        ({"region": "us-east-1", "regions": []}, "the file: Object contains unknown field `regions`"),
        ([], "the file: Expected `object`, got `array`"),
    ],
)
def test_a_malformed_scope_file_is_an_error_naming_the_field(scope: Any, message: str, tmp_path: Path) -> None:
    write(tmp_path, responses())
    (tmp_path / SCOPE_FILE).write_text(json.dumps(scope))

    with pytest.raises(SnapshotError, match=message):
        Snapshot.load(tmp_path)


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every scalar of a JSON document, with its path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def loaded_or_refused(directory: Path) -> Snapshot | SnapshotError:
    """The snapshot, or the error that refuses it; any other exception fails the test."""
    try:
        return load_snapshot(directory)
    except SnapshotError as error:
        return error


LEAVES = sorted(leaves(responses()), key=repr)
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
JSON = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)


def same_json_type(a: Any, b: Any) -> bool:
    kinds = (bool, int | float, str, type(None))
    return any(isinstance(a, kind) and isinstance(b, kind) for kind in kinds)


@PROPERTY
@given(leaf=st.sampled_from(LEAVES), value=JSON)
def test_a_field_given_a_value_of_another_type_is_refused_naming_its_path(
    leaf: tuple[tuple[Any, ...], Any], value: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path, original = leaf
    if same_json_type(value, original):
        return
    directory = write(tmp_path_factory.mktemp("snapshot"), with_value(list(path), value))

    with pytest.raises(SnapshotError) as error:
        load_snapshot(directory)

    assert f"{path[0]}.json: " in str(error.value)


@PROPERTY
@given(operation=st.sampled_from(sorted(responses())), document=JSON)
def test_any_json_in_a_file_is_loaded_or_refused_never_a_crash(
    operation: str, document: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    files = responses()
    files[operation] = document
    directory = write(tmp_path_factory.mktemp("snapshot"), files)

    loaded = loaded_or_refused(directory)

    if isinstance(loaded, Snapshot):
        scan_snapshot(loaded, CheckSettings())
    else:
        assert str(loaded).startswith(str(directory))


@PROPERTY
@given(operation=st.sampled_from(sorted(responses())), data=st.binary(max_size=100))
def test_any_bytes_in_a_file_are_loaded_or_refused_never_a_crash(
    operation: str, data: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = write(tmp_path_factory.mktemp("snapshot"), responses())
    (directory / f"{operation}.json").write_bytes(data)

    loaded = loaded_or_refused(directory)

    assert isinstance(loaded, Snapshot) or str(directory) in str(loaded)


def test_a_live_scans_snapshot_round_trips(tmp_path: Path) -> None:
    original = load_snapshot(write(tmp_path / "first", responses()))
    original.save(tmp_path / "second")

    assert load_snapshot(tmp_path / "second") == original


def test_every_field_survives_the_check_unchanged(tmp_path: Path) -> None:
    assert Snapshot.load(write(tmp_path, responses())).responses == copy.deepcopy(responses())
