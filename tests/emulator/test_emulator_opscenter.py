"""Systems Manager OpsCenter, which moto lacks, over HTTP: CreateOpsItem, GetOpsItem, UpdateOpsItem and
DescribeOpsItems with the API's shapes, constraints and errors, and deduplication by ``/aws/dedup``."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server


@pytest.fixture
def ssm(aws: Emulator) -> Any:
    return aws.client("ssm")


def create(ssm: Any, title: str = "Endpoint has private DNS off", **options: Any) -> str:
    request = {"Title": title, "Description": "Private DNS is off.", "Source": "vpce-guard", **options}
    return str(ssm.create_ops_item(**request)["OpsItemId"])


def searchable(value: str) -> dict[str, str]:
    return {"Value": value, "Type": "SearchableString"}


def dedup(key: str) -> dict[str, dict[str, str]]:
    return {"/aws/dedup": searchable(json.dumps({"dedupString": key}))}


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> dict[str, Any]:
    return dict(caught.value.response)


def ids_where(ssm: Any, *filters: dict[str, Any]) -> list[str]:
    return [s["OpsItemId"] for s in ssm.describe_ops_items(OpsItemFilters=list(filters))["OpsItemSummaries"]]


# --- Create and get -----------------------------------------------------------------------------------------


def test_a_created_opsitem_is_read_back_whole(aws: Emulator, ssm: Any) -> None:
    reply = ssm.create_ops_item(
        Title="t", Description="d", Source="vpce-guard", Severity="2", Category="Security", Priority=3,
        OperationalData={"k": {"Value": "v", "Type": "String"}},
    )  # fmt: skip

    item = ssm.get_ops_item(OpsItemId=reply["OpsItemId"])["OpsItem"]

    assert re.fullmatch(r"oi-[0-9a-f]{12}", reply["OpsItemId"])
    assert reply["OpsItemArn"] == f"arn:aws:ssm:{aws.region}:123456789012:opsitem/{reply['OpsItemId']}"
    assert {key: item[key] for key in ("Title", "Description", "Source", "Severity", "Category", "Priority")} == {
        "Title": "t", "Description": "d", "Source": "vpce-guard", "Severity": "2", "Category": "Security",
        "Priority": 3,
    }  # fmt: skip
    assert (item["Status"], item["Version"], item["OpsItemType"]) == ("Open", "1", "/aws/issue")
    assert item["OperationalData"] == {"k": {"Value": "v", "Type": "String"}}
    assert item["OpsItemArn"] == reply["OpsItemArn"]
    assert item["CreatedBy"] == item["LastModifiedBy"] == "arn:aws:iam::123456789012:root"


def test_an_unknown_opsitem_is_not_found(ssm: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ssm.get_ops_item(OpsItemId="oi-0123456789ab")

    assert error_of(caught)["Error"]["Code"] == "OpsItemNotFoundException"


def test_a_malformed_opsitem_id_fails_validation(ssm: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ssm.get_ops_item(OpsItemId="vpce-guard-1")

    error = error_of(caught)["Error"]
    assert error["Code"] == "ValidationException"
    assert "at 'opsItemId' failed to satisfy constraint" in error["Message"]


def test_a_title_over_1024_characters_fails_validation(ssm: Any) -> None:
    with pytest.raises(ClientError) as caught:
        create(ssm, title="t" * 1025)

    assert error_of(caught)["Error"]["Message"] == (
        f"1 validation error detected: Value '{'t' * 1025}' at 'title' failed to satisfy constraint: Member must "
        "have length less than or equal to 1024"
    )


@pytest.mark.parametrize("key", ["aws:finding", "/aws/custom", "SSM-note", "amazon"])
def test_operational_data_keys_in_aws_namespaces_are_refused(ssm: Any, key: str) -> None:
    with pytest.raises(ClientError) as caught:
        create(ssm, OperationalData={key: {"Value": "v", "Type": "String"}})

    error = error_of(caught)
    assert error["Error"]["Code"] == "OpsItemInvalidParameterException"
    assert error["ParameterNames"] == ["OperationalData"]


def test_the_documented_aws_keys_are_accepted(ssm: Any) -> None:
    data = {**dedup("k"), "/aws/resources": searchable(json.dumps([{"arn": "arn:aws:ec2:us-east-1:1:vpc/vpc-1"}]))}

    ops_item_id = create(ssm, OperationalData=data)

    assert ssm.get_ops_item(OpsItemId=ops_item_id)["OpsItem"]["OperationalData"] == data


# --- Deduplication ----------------------------------------------------------------------------------------------


def test_an_open_opsitem_with_the_same_dedup_string_is_not_created_twice(ssm: Any) -> None:
    first = create(ssm, OperationalData=dedup("finding-1"))

    with pytest.raises(ClientError) as caught:
        create(ssm, OperationalData=dedup("finding-1"))

    error = error_of(caught)
    assert error["Error"]["Code"] == "OpsItemAlreadyExistsException"
    assert error["OpsItemId"] == first
    assert ids_where(ssm) == [first]


def test_a_resolved_opsitem_does_not_deduplicate(ssm: Any) -> None:
    first = create(ssm, OperationalData=dedup("finding-1"))
    ssm.update_ops_item(OpsItemId=first, Status="Resolved")

    second = create(ssm, OperationalData=dedup("finding-1"))

    assert second != first


# --- Update -----------------------------------------------------------------------------------------------------


def test_an_update_merges_operational_data_changes_status_and_counts_the_version(ssm: Any) -> None:
    ops_item_id = create(ssm, OperationalData={"a": searchable("1"), "b": searchable("2"), "c": searchable("3")})

    ssm.update_ops_item(
        OpsItemId=ops_item_id,
        Status="Resolved",
        OperationalData={"b": searchable("20"), "d": searchable("4")},
        OperationalDataToDelete=["c"],
    )

    item = ssm.get_ops_item(OpsItemId=ops_item_id)["OpsItem"]
    assert item["OperationalData"] == {"a": searchable("1"), "b": searchable("20"), "d": searchable("4")}
    assert (item["Status"], item["Version"]) == ("Resolved", "2")
    assert item["LastModifiedTime"] >= item["CreatedTime"]


def test_updating_an_unknown_opsitem_is_not_found(ssm: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ssm.update_ops_item(OpsItemId="oi-0123456789ab", Status="Resolved")

    assert error_of(caught)["Error"]["Code"] == "OpsItemNotFoundException"


def test_a_status_outside_the_enum_fails_validation(ssm: Any) -> None:
    ops_item_id = create(ssm)

    with pytest.raises(ClientError) as caught:
        ssm.update_ops_item(OpsItemId=ops_item_id, Status="Done")

    assert error_of(caught)["Error"]["Code"] == "ValidationException"


# --- Describe ---------------------------------------------------------------------------------------------------


def test_describe_filters_by_status(ssm: Any) -> None:
    open_item, resolved = create(ssm), create(ssm)
    ssm.update_ops_item(OpsItemId=resolved, Status="Resolved")

    assert ids_where(ssm, {"Key": "Status", "Values": ["Open"], "Operator": "Equal"}) == [open_item]


def test_describe_filters_by_searchable_operational_data(ssm: Any) -> None:
    wanted = create(ssm, OperationalData={"vpce-guard:finding-key": searchable("a/b/c")})
    create(ssm, OperationalData={"vpce-guard:finding-key": searchable("a/b/d")})
    create(ssm, OperationalData={"vpce-guard:finding-key": {"Value": "a/b/c", "Type": "String"}})

    pair = json.dumps({"key": "vpce-guard:finding-key", "value": "a/b/c"})
    assert ids_where(ssm, {"Key": "OperationalData", "Values": [pair], "Operator": "Equal"}) == [wanted]
    assert ids_where(ssm, {"Key": "OperationalDataValue", "Values": ["b/c"], "Operator": "Contains"}) == [wanted]


def test_filters_must_all_match_and_any_value_of_one_may(ssm: Any) -> None:
    ours, theirs = create(ssm, title="ours"), create(ssm, title="theirs")
    other_source = create(ssm, title="ours", Source="someone-else")

    found = ids_where(
        ssm,
        {"Key": "Source", "Values": ["vpce-guard"], "Operator": "Equal"},
        {"Key": "Title", "Values": ["ours", "theirs"], "Operator": "Equal"},
    )

    assert sorted(found) == sorted([ours, theirs])
    assert other_source not in found


def test_summaries_show_searchable_operational_data_only(ssm: Any) -> None:
    create(ssm, OperationalData={"shown": searchable("1"), "hidden": {"Value": "2", "Type": "String"}})

    (summary,) = ssm.describe_ops_items()["OpsItemSummaries"]

    assert summary["OperationalData"] == {"shown": searchable("1")}
    assert "Description" not in summary


def test_describe_pages_with_max_results_and_next_token(ssm: Any) -> None:
    created = [create(ssm) for _ in range(3)]

    first = ssm.describe_ops_items(MaxResults=2)
    second = ssm.describe_ops_items(MaxResults=2, NextToken=first["NextToken"])

    assert len(first["OpsItemSummaries"]) == 2
    assert "NextToken" not in second
    assert sorted(s["OpsItemId"] for s in first["OpsItemSummaries"] + second["OpsItemSummaries"]) == sorted(created)


def test_max_results_over_50_fails_validation(ssm: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ssm.describe_ops_items(MaxResults=51)

    assert error_of(caught)["Error"]["Code"] == "ValidationException"


def test_an_operator_a_key_does_not_take_fails_validation(ssm: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ssm.describe_ops_items(OpsItemFilters=[{"Key": "Status", "Values": ["Op"], "Operator": "Contains"}])

    assert error_of(caught)["Error"]["Code"] == "ValidationException"


def test_a_filter_the_emulator_does_not_evaluate_answers_not_implemented(ssm: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ssm.describe_ops_items(OpsItemFilters=[{"Key": "CreatedTime", "Values": ["1"], "Operator": "GreaterThan"}])

    error = error_of(caught)
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("NotImplemented", 501)
    assert "CreatedTime" in error["Error"]["Message"]


def test_reset_forgets_the_opsitems(aws: Emulator, ssm: Any) -> None:
    create(ssm)

    aws.reset()

    assert ssm.describe_ops_items()["OpsItemSummaries"] == []
