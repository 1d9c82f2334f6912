"""The service catalog: partition-aware names, gateway vs interface, least-privilege actions, and the facts a
data-perimeter rewrite needs (resource bounds, complete action sets, AWS-owned resources, federated callers)."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

import botocore.session
import pytest

from vpce_guard.catalog import CatalogError, load_catalog, parse_catalog, parse_service_name, same_service

catalog = load_catalog()
PERIMETER_SERVICES = [
    "sts", "s3", "dynamodb", "ecr.api", "ecr.dkr", "ssm", "ssmmessages", "ec2messages", "kms", "logs",
    "secretsmanager", "bedrock-runtime",
]  # fmt: skip

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


def test_the_china_s3_gateway_and_interface_names_are_one_service() -> None:
    assert same_service("com.amazonaws.cn-north-1.s3", "cn.com.amazonaws.cn-north-1.s3")


@pytest.mark.parametrize(
    "other",
    [
        "com.amazonaws.us-west-2.s3",
        "com.amazonaws.us-east-1.dynamodb",
        "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0",
        None,
    ],
)
def test_another_region_key_or_a_partner_is_another_service(other: str | None) -> None:
    assert not same_service("com.amazonaws.us-east-1.s3", other)


def test_a_partner_service_is_only_itself() -> None:
    partner = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"

    assert same_service(partner, partner)


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


def raw_catalog() -> dict[str, Any]:
    """The catalog file as shipped, parsed, for tests that break one entry of it."""
    text = resources.files("vpce_guard.catalog").joinpath("services.json").read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    return copy.deepcopy(raw)


def s3_arns(partition: str, region: str) -> set[str]:
    return {grant.arn for grant in catalog.services["s3"].aws_owned_resources_for(partition, region)}


@pytest.mark.parametrize("key", PERIMETER_SERVICES)
def test_the_data_perimeter_services_are_catalogued(key: str) -> None:
    assert key in catalog.services


@pytest.mark.parametrize("key", sorted(catalog.services))
def test_every_service_and_every_aws_owned_resource_says_where_its_facts_come_from(key: str) -> None:
    service = catalog.services[key]

    assert service.source.strip()
    assert all(resource.source.strip() for resource in service.aws_owned_resources)


@pytest.mark.parametrize("flag", ["resource_org_id", "actions_complete"])
def test_a_service_without_a_perimeter_flag_is_refused_at_load(flag: str) -> None:
    raw = raw_catalog()
    del raw["services"]["kms"][flag]

    with pytest.raises(CatalogError, match=rf"services\.kms: Object missing required field `{flag}`"):
        parse_catalog(raw)


def test_a_flag_written_as_a_string_is_refused_rather_than_read_as_true() -> None:
    raw = raw_catalog()
    raw["services"]["s3"]["resource_org_id"] = "false"

    with pytest.raises(CatalogError, match=r"services\.s3\.resource_org_id: Expected `bool`, got `str`"):
        parse_catalog(raw)


def test_a_misspelt_field_is_refused_rather_than_ignored() -> None:
    raw = raw_catalog()
    raw["services"]["sts"]["federated_principal"] = ["sts:AssumeRoleWithSAML"]

    with pytest.raises(CatalogError, match=r"services\.sts: Object contains unknown field `federated_principal`"):
        parse_catalog(raw)


def test_an_unknown_placeholder_is_refused_at_load_naming_the_entry() -> None:
    raw = raw_catalog()
    raw["services"]["s3"]["aws_owned_resources"][2]["arn"] = "arn:{partition}:s3:::repo-{zone}/*"

    with pytest.raises(
        CatalogError, match=r"services\.s3\.aws_owned_resources\[2\]: arn 'arn:.*' has unknown placeholder.*\{zone\}"
    ):
        parse_catalog(raw)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:s3:::amazonlinux-2-repos-{region}/*",
        "arn:{partition}:s3:::amazonlinux-2-repos-{region!r}/*",
        "arn:{partition}:s3:::amazonlinux-2-repos-{region/*",
    ],
)
def test_an_arn_that_would_not_render_in_every_partition_is_refused(arn: str) -> None:
    raw = raw_catalog()
    raw["services"]["s3"]["aws_owned_resources"][0]["arn"] = arn

    with pytest.raises(CatalogError, match=rf"services\.s3\.aws_owned_resources\[0\]: arn {re.escape(repr(arn))}"):
        parse_catalog(raw)


def test_an_owned_resource_action_of_another_service_is_refused() -> None:
    raw = raw_catalog()
    raw["services"]["s3"]["aws_owned_resources"][0]["actions"] = ["ecr:BatchGetImage"]

    with pytest.raises(CatalogError, match=r"not actions of s3"):
        parse_catalog(raw)


def test_an_unknown_partition_is_refused() -> None:
    raw = raw_catalog()
    raw["services"]["s3"]["aws_owned_resources"][0]["partitions"] = ["aws-moon"]

    with pytest.raises(
        CatalogError, match=r"services\.s3\.aws_owned_resources\[0\]: partitions names unknown partition\(s\) aws-moon"
    ):
        parse_catalog(raw)


def test_a_federated_action_the_service_does_not_list_is_refused() -> None:
    raw = raw_catalog()
    raw["services"]["sts"]["federated_principals"].append("sts:AssumeRoleWithOIDC")

    with pytest.raises(CatalogError, match=r"services\.sts: federated_principals sts:AssumeRoleWithOIDC"):
        parse_catalog(raw)


def test_a_baseline_service_the_catalog_lacks_is_refused() -> None:
    raw = raw_catalog()
    raw["baseline"].append({"service": "sts", "type": "Gateway"})

    with pytest.raises(CatalogError, match=r"baseline\[8\]: sts \(Gateway\)"):
        parse_catalog(raw)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:s3:::amazonlinux-2-repos-us-east-1/*",
        "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*",
        "arn:aws:s3:::aws-ssm-us-east-1/*",
        "arn:aws:s3:::us-east-1-birdwatcher-prod/*",
        "arn:aws:s3:::amazoncloudwatch-agent-us-east-1/*",
        "arn:aws:s3:::aws-codedeploy-us-east-1/*",
        "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*",
    ],
)
def test_the_s3_endpoint_admits_the_aws_owned_buckets_of_us_east_1(arn: str) -> None:
    assert arn in s3_arns("aws", "us-east-1")


def test_aws_owned_buckets_render_in_the_china_partition() -> None:
    arns = s3_arns("aws-cn", "cn-north-1")

    assert "arn:aws-cn:s3:::prod-cn-north-1-starport-layer-bucket/*" in arns
    assert "arn:aws-cn:s3:::aws-ssm-cn-north-1/*" in arns
    assert all(arn.startswith("arn:aws-cn:s3:::") for arn in arns)


def test_china_repository_hosts_get_their_amazonaws_com_cn_names_only_in_china() -> None:
    assert "arn:aws-cn:s3:::packages.cn-north-1.amazonaws.com.cn/*" in s3_arns("aws-cn", "cn-north-1")
    assert not any(arn.endswith(".amazonaws.com.cn/*") for arn in s3_arns("aws", "us-east-1"))


def test_aws_owned_buckets_are_read_only_and_open_to_unauthenticated_readers() -> None:
    grants = catalog.services["s3"].aws_owned_resources_for("aws", "eu-west-1")

    assert {(grant.actions, grant.callers) for grant in grants} == {(("s3:GetObject",), "anyone")}


def test_ssm_admits_amazon_owned_documents_and_public_parameters_to_the_organization() -> None:
    grants = {grant.arn: grant for grant in catalog.services["ssm"].aws_owned_resources_for("aws", "us-east-1")}

    assert grants["arn:aws:ssm:us-east-1::document/*"].callers == "organization"
    assert "ssm:SendCommand" in grants["arn:aws:ssm:us-east-1::document/*"].actions
    assert "arn:aws:ssm:us-east-1::parameter/aws/*" in grants


def test_a_region_of_another_partition_is_refused() -> None:
    with pytest.raises(ValueError, match="cn-north-1 is a region of the aws-cn partition, not of aws"):
        catalog.services["s3"].aws_owned_resources_for("aws", "cn-north-1")


def test_a_service_without_aws_owned_resources_renders_none() -> None:
    assert catalog.services["kms"].aws_owned_resources_for("aws", "us-east-1") == ()


def test_sts_lists_every_action_of_the_sts_api() -> None:
    operations = botocore.session.get_session().get_service_model("sts").operation_names

    assert {f"sts:{operation}" for operation in operations} <= set(catalog.services["sts"].actions)


def test_sts_names_the_unsigned_federated_calls() -> None:
    federated = catalog.services["sts"].federated_principals

    assert {"sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"} <= set(federated)


def test_only_sts_has_federated_callers() -> None:
    assert [key for key, service in catalog.services.items() if service.federated_principals] == ["sts"]


def test_bedrock_runtime_action_set_is_complete_for_every_runtime_operation() -> None:
    service = catalog.services["bedrock-runtime"]
    operations = botocore.session.get_session().get_service_model("bedrock-runtime").operation_names

    assert service.actions_complete
    assert {f"bedrock:{operation}" for operation in operations} <= set(service.actions)


@pytest.mark.parametrize("key", ["s3", "dynamodb", "sts", "kms", "ecr.api", "ecr.dkr", "ssm", "logs", "secretsmanager"])
def test_broad_services_are_not_narrowed_without_evidence(key: str) -> None:
    assert catalog.services[key].actions_complete is False


@pytest.mark.parametrize("key", ["s3", "dynamodb", "sts", "kms", "logs", "secretsmanager", "ssm"])
def test_services_with_organization_owned_resources_can_be_bounded_by_resource_org_id(key: str) -> None:
    assert catalog.services[key].resource_org_id is True


@pytest.mark.parametrize("key", ["ecr.api", "ecr.dkr", "bedrock-runtime", "ssmmessages", "ec2messages"])
def test_services_reaching_aws_owned_or_ownerless_resources_get_no_resource_bound(key: str) -> None:
    service = catalog.services[key]

    assert service.resource_org_id is False
    assert "aws:ResourceOrgID" in service.source
