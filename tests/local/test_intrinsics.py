"""Intrinsic functions resolved as CloudFormation resolves them, against the local stack's values."""

from __future__ import annotations

from typing import Any

import pytest

from vpce_guard_local.sam.deploy import creation_order
from vpce_guard_local.sam.intrinsics import PhysicalResource, Resolver, TemplateReferenceError, references


def resolver(**conditions: Any) -> Resolver:
    return Resolver(
        parameters={"Subnets": ["subnet-a", "subnet-b"], "Topic": "", "Mode": "true"},
        pseudo_parameters={"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"},
        conditions={"HasTopic": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Topic"}, ""]}]}, **conditions},
        resources={
            "Table": PhysicalResource("AWS::DynamoDB::Table", "local-table", {"Arn": "arn:aws:dynamodb:::table/t"})
        },
    )


def test_ref_gives_parameters_pseudo_parameters_and_physical_ids() -> None:
    value = {"a": {"Ref": "Subnets"}, "b": {"Ref": "AWS::Region"}, "c": {"Ref": "Table"}}

    assert resolver().resolve(value) == {"a": ["subnet-a", "subnet-b"], "b": "us-east-1", "c": "local-table"}


def test_sub_resolves_references_attributes_and_leaves_escaped_names() -> None:
    value = {"Fn::Sub": "${Table.Arn}/index/by-scope in ${AWS::AccountId}, ${!Literal}"}

    assert resolver().resolve(value) == "arn:aws:dynamodb:::table/t/index/by-scope in 123456789012, ${Literal}"


def test_if_on_a_false_condition_with_no_value_drops_the_property() -> None:
    value = {"AlarmActions": {"Fn::If": ["HasTopic", [{"Ref": "Topic"}], {"Ref": "AWS::NoValue"}]}, "Keep": 1}

    assert resolver().resolve(value) == {"Keep": 1}


def test_conditions_compare_yaml_booleans_as_strings() -> None:
    assert resolver(IsOn={"Fn::Equals": [{"Ref": "Mode"}, True]}).condition("IsOn")


def test_a_reference_to_something_not_created_is_an_error_naming_it() -> None:
    with pytest.raises(TemplateReferenceError, match=r"Fn::GetAtt Queue\.Arn"):
        resolver().resolve({"Fn::GetAtt": ["Queue", "Arn"]})


def test_an_attribute_the_local_resource_lacks_is_an_error_listing_those_it_has() -> None:
    with pytest.raises(TemplateReferenceError, match="it has Arn"):
        resolver().resolve({"Fn::GetAtt": ["Table", "StreamArn"]})


def test_references_are_found_in_refs_getatts_and_subs() -> None:
    value = [{"Ref": "A"}, {"Fn::GetAtt": "B.Arn"}, {"Fn::Sub": ["${C.Arn}-${x}", {"x": {"Ref": "D"}}]}]

    assert list(references(value)) == ["A", "B", "C", "D"]


def test_resources_are_created_after_what_they_refer_to() -> None:
    resources = {
        "Rule": {"Properties": {"Targets": [{"Arn": {"Fn::GetAtt": ["Function", "Arn"]}}]}},
        "Function": {"Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
        "Role": {"Properties": {}},
        "Rule2": {"DependsOn": "Rule", "Properties": {}},
    }

    assert creation_order(resources) == ["Role", "Function", "Rule", "Rule2"]
