"""The service catalog: partition-aware names, gateway vs interface, least-privilege actions."""

from __future__ import annotations

import pytest

from vpce_guard.catalog import load_catalog, parse_service_name

catalog = load_catalog()

REQUIRED_SERVICES = [
    "bedrock-runtime", "bedrock-agent-runtime", "bedrock-agentcore.gateway", "s3", "dynamodb", "sts", "logs",
    "ecr.api", "ecr.dkr", "ssm", "ssmmessages", "ec2messages", "secretsmanager", "kms", "sqs", "sns",
    "monitoring", "execute-api", "lambda", "ec2",
]  # fmt: skip


def test_service_key_keeps_its_dots() -> None:
    assert parse_service_name("com.amazonaws.us-east-1.ecr.api").key == "ecr.api"  # type: ignore[union-attr]


def test_agentcore_gateway_is_one_service() -> None:
    entry = catalog.lookup("com.amazonaws.us-west-2.bedrock-agentcore.gateway", "Interface")

    assert entry is not None
    assert entry.key == "bedrock-agentcore.gateway"


def test_china_prefix_is_recognised() -> None:
    ref = parse_service_name("cn.com.amazonaws.cn-north-1.sqs")

    assert (ref.prefix, ref.region, ref.key) == ("cn.com.amazonaws", "cn-north-1", "sqs")  # type: ignore[union-attr]


def test_partner_service_is_not_an_aws_service() -> None:
    ref = parse_service_name("com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0")

    assert ref is not None
    assert ref.is_partner
    assert catalog.lookup(ref.name, "Interface") is None


def test_aws_api_prefix_is_parsed_but_unknown_to_the_catalog() -> None:
    ref = parse_service_name("aws.api.us-east-1.kendra-ranking")

    assert ref is not None
    assert (ref.prefix, ref.key) == ("aws.api", "kendra-ranking")
    assert catalog.lookup(ref.name, "Interface") is None


def test_name_without_a_region_is_not_parsed() -> None:
    assert parse_service_name("com.amazonaws.s3-global.accesspoint") is None


def test_govcloud_region_is_parsed() -> None:
    assert parse_service_name("com.amazonaws.us-gov-west-1.sts").region == "us-gov-west-1"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("key", "endpoint_type", "expected"),
    [
        ("sqs", "Interface", "cn.com.amazonaws.cn-north-1.sqs"),
        ("ssm", "Interface", "com.amazonaws.cn-north-1.ssm"),
        ("s3", "Interface", "cn.com.amazonaws.cn-north-1.s3"),
        ("s3", "Gateway", "com.amazonaws.cn-north-1.s3"),
        ("ecr.dkr", "Interface", "cn.com.amazonaws.cn-north-1.ecr.dkr"),
    ],
)
def test_china_service_names_follow_seed_003_per_service_and_type(key: str, endpoint_type: str, expected: str) -> None:
    assert catalog.service_name(key, "cn-north-1", endpoint_type) == expected


def test_global_regions_use_the_com_amazonaws_prefix() -> None:
    assert catalog.service_name("sqs", "eu-west-1", "Interface") == "com.amazonaws.eu-west-1.sqs"


@pytest.mark.parametrize("key", REQUIRED_SERVICES)
def test_the_catalog_knows_the_services_users_put_endpoints_on(key: str) -> None:
    assert key in catalog.services


@pytest.mark.parametrize("key", ["s3", "dynamodb"])
def test_s3_and_dynamodb_exist_as_gateway_and_interface(key: str) -> None:
    assert set(catalog.services[key].endpoint_types) == {"Gateway", "Interface"}


def test_actions_belong_to_the_service_iam_prefix() -> None:
    wrong = [
        action
        for service in catalog.services.values()
        for action in service.actions
        if not action.startswith(f"{service.iam_prefix}:")
    ]

    assert wrong == []


def test_agentcore_gateway_callers_are_not_iam_principals() -> None:
    assert catalog.services["bedrock-agentcore.gateway"].iam_principals is False


def test_default_baseline_is_the_seed_002_production_minimum() -> None:
    assert [(entry.service, entry.endpoint_type) for entry in catalog.baseline] == [
        ("s3", "Gateway"), ("ecr.api", "Interface"), ("ecr.dkr", "Interface"), ("sts", "Interface"),
        ("logs", "Interface"), ("ssm", "Interface"), ("ssmmessages", "Interface"), ("ec2messages", "Interface"),
    ]  # fmt: skip


def test_baseline_from_keys_takes_the_gateway_form_where_one_exists() -> None:
    assert [entry.endpoint_type for entry in catalog.baseline_for(("dynamodb", "sts"))] == [
        "Gateway",
        "Interface",
    ]


def test_unknown_baseline_service_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown baseline service"):
        catalog.baseline_for(("s3", "no-such-service"))


def test_lookup_is_keyed_on_service_name_and_endpoint_type() -> None:
    assert catalog.lookup("com.amazonaws.us-east-1.s3", "Gateway") is not None
    assert catalog.lookup("com.amazonaws.us-east-1.sts", "Gateway") is None
