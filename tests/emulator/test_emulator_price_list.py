"""The Price List Query API's GetProducts over HTTP, with boto3's own ``pricing`` client: the products seeded,
as AWS shapes them (each a JSON document in a string), selected by the request's filters and paged with
NextToken; AWS's errors for a wrong parameter or token; what the emulator does not implement, refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from price_list_support import CATALOG_US_EAST_1, endpoint_and_nat_products

from vpce_guard_local.emulator import Emulator, RecordedCall

pytestmark = pytest.mark.server


def term(field: str, value: str) -> dict[str, str]:
    return {"Type": "TERM_MATCH", "Field": field, "Value": value}


@pytest.fixture
def pricing(aws: Emulator) -> Any:
    aws.seed_price_list(
        endpoint_and_nat_products("us-east-1", **CATALOG_US_EAST_1)
        + endpoint_and_nat_products("eu-west-1", zone_hour=0.011, gb=(0.01, 0.006, 0.004), nat_hour=0.048, nat_gb=0.048)
    )
    return aws.client("pricing", "us-east-1")


def usage_types(price_list: list[str]) -> list[str]:
    return [json.loads(entry)["product"]["attributes"]["usagetype"] for entry in price_list]


def test_a_product_is_found_by_its_attributes_and_comes_as_aws_writes_it(pricing: Any) -> None:
    answer = pricing.get_products(
        ServiceCode="AmazonVPC", Filters=[term("regionCode", "us-east-1"), term("usagetype", "USE1-VpcEndpoint-Hours")]
    )

    (entry,) = answer["PriceList"]
    assert isinstance(entry, str)
    product = json.loads(entry)
    assert answer["FormatVersion"] == "aws_v1"
    assert (product["serviceCode"], product["product"]["productFamily"]) == ("AmazonVPC", "VpcEndpoint")
    (on_demand,) = product["terms"]["OnDemand"].values()
    (dimension,) = on_demand["priceDimensions"].values()
    assert (dimension["unit"], dimension["pricePerUnit"], on_demand["effectiveDate"]) == (
        "Hrs",
        {"USD": "0.0100000000"},
        "2026-04-01T00:00:00Z",
    )


def test_every_filter_must_match_and_the_product_family_is_a_field_too(pricing: Any) -> None:
    answer = pricing.get_products(
        ServiceCode="AmazonEC2", Filters=[term("regionCode", "eu-west-1"), term("productFamily", "NAT Gateway")]
    )

    assert usage_types(answer["PriceList"]) == ["EU-NatGateway-Hours", "EU-NatGateway-Bytes"]


def test_another_service_codes_products_are_not_returned(pricing: Any) -> None:
    answer = pricing.get_products(ServiceCode="AmazonVPC", Filters=[term("usagetype", "NatGateway-Hours")])

    assert answer["PriceList"] == []


def test_pages_of_max_results_continue_with_next_token_and_the_paginator_reads_them_all(pricing: Any) -> None:
    first = pricing.get_products(ServiceCode="AmazonVPC", MaxResults=2)
    pages = list(
        pricing.get_paginator("get_products").paginate(ServiceCode="AmazonVPC", PaginationConfig={"PageSize": 2})
    )

    assert len(first["PriceList"]) == 2
    assert "NextToken" in first
    assert [len(page["PriceList"]) for page in pages] == [2, 2, 2]
    assert len({entry for page in pages for entry in page["PriceList"]}) == 6


def test_a_token_the_api_did_not_issue_is_invalid(pricing: Any) -> None:
    with pytest.raises(ClientError) as refused:
        pricing.get_products(ServiceCode="AmazonVPC", NextToken="made-up")

    assert refused.value.response["Error"]["Code"] == "InvalidNextTokenException"


def test_more_than_a_hundred_results_a_page_is_an_invalid_parameter(pricing: Any) -> None:
    with pytest.raises(ClientError) as refused:
        pricing.get_products(ServiceCode="AmazonVPC", MaxResults=101)

    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_filter_type_the_emulator_does_not_implement_answers_501(pricing: Any) -> None:
    contains = {"Type": "CONTAINS", "Field": "usagetype", "Value": "Hours"}

    with pytest.raises(ClientError) as refused:
        pricing.get_products(ServiceCode="AmazonVPC", Filters=[contains])

    assert refused.value.response["Error"]["Code"] == "NotImplemented"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_the_apis_other_operations_answer_501(pricing: Any) -> None:
    with pytest.raises(ClientError) as refused:
        pricing.describe_services()

    assert refused.value.response["Error"]["Code"] == "NotImplemented"


def test_the_call_is_recorded_as_pricing_get_products(aws: Emulator, pricing: Any) -> None:
    aws.clear_recorded_calls()

    pricing.get_products(ServiceCode="AmazonVPC")

    assert [call.iam_action for call in aws.recorded_calls()] == ["pricing:GetProducts"]
    assert aws.recorded_calls() == [RecordedCall("testing", "pricing", "GetProducts")]


def test_a_reset_forgets_the_products(aws: Emulator, pricing: Any) -> None:
    aws.reset()

    assert pricing.get_products(ServiceCode="AmazonVPC")["PriceList"] == []


def test_an_entry_not_shaped_as_aws_shapes_one_is_refused_naming_it(aws: Emulator) -> None:
    (good, *_) = endpoint_and_nat_products("us-east-1", **CATALOG_US_EAST_1)

    with pytest.raises(ValueError, match="entry 1: needs serviceCode"):
        aws.seed_price_list([good, {"product": good["product"]}])

    assert aws.client("pricing").get_products(ServiceCode="AmazonVPC")["PriceList"] == []
