"""CloudTrail events read as what changed (the scenarios of vpce_guard.trigger), and the sample events themselves."""

from __future__ import annotations

import copy
import json
import re
import uuid
from typing import Any

import pytest

from vpce_guard.trigger import (
    ACCEPTED_EVENT_NAMES,
    ENDPOINT_EVENTS,
    GROUP_EVENTS,
    NETWORK_ACL_EVENTS,
    ROUTE_EVENTS,
    VPC_EVENTS,
    ApiChange,
    Ignored,
    TriggerError,
    parse_api_change,
)
from vpce_guard_local.samples import EVENTS_DIR, event_names, load_event

ACCOUNT = "111122223333"
VPC = "vpc-07c11c05dff7b9c8f"
INTERFACE_ENDPOINT = "vpce-09a4cbd787f6c813e"
GATEWAY_ENDPOINT = "vpce-0be559c854d6e2aad"
OTHER_ENDPOINT = "vpce-04ebbd0c6d548d393"
SUBNET_B = "subnet-0d827923c76e6b5d1"
SUBNET_C = "subnet-07fa2dd80f7a7e06d"
ENDPOINT_GROUP = "sg-07c1c400911d31690"
ROUTE_TABLE_A = "rtb-09f51f7f7c0fa6316"
ROUTE_TABLE_C = "rtb-039aae99aca8f3b30"
NETWORK_ACL = "acl-0a3c6f1e2b9d84c57"

# What each CloudTrail sample changed: the call and its ids, or why it is ignored.
EXPECTED: dict[str, tuple[str, dict[str, tuple[str, ...]]] | str] = {
    "cloudtrail-create-vpc-endpoint-interface": (
        "CreateVpcEndpoint",
        {"endpoint_ids": (INTERFACE_ENDPOINT,), "vpc_ids": (VPC,)},
    ),
    "cloudtrail-create-vpc-endpoint-gateway": (
        "CreateVpcEndpoint",
        {"endpoint_ids": (GATEWAY_ENDPOINT,), "vpc_ids": (VPC,)},
    ),
    "cloudtrail-create-vpc-endpoint-unauthorized": (
        "CreateVpcEndpoint failed (Client.UnauthorizedOperation): nothing changed"
    ),
    "cloudtrail-modify-vpc-endpoint": ("ModifyVpcEndpoint", {"endpoint_ids": (INTERFACE_ENDPOINT,)}),
    "cloudtrail-delete-vpc-endpoints-one": ("DeleteVpcEndpoints", {"endpoint_ids": (GATEWAY_ENDPOINT,)}),
    "cloudtrail-delete-vpc-endpoints-several": (
        "DeleteVpcEndpoints",
        {"endpoint_ids": (OTHER_ENDPOINT, INTERFACE_ENDPOINT)},
    ),
    "cloudtrail-modify-vpc-attribute-dns-hostnames-off": ("ModifyVpcAttribute", {"vpc_ids": (VPC,)}),
    "cloudtrail-create-subnet": ("CreateSubnet", {"vpc_ids": (VPC,), "subnet_ids": (SUBNET_C,)}),
    "cloudtrail-delete-subnet": ("DeleteSubnet", {"subnet_ids": (SUBNET_B,)}),
    "cloudtrail-authorize-security-group-ingress": (
        "AuthorizeSecurityGroupIngress",
        {"security_group_ids": (ENDPOINT_GROUP,)},
    ),
    "cloudtrail-revoke-security-group-ingress": (
        "RevokeSecurityGroupIngress",
        {"security_group_ids": (ENDPOINT_GROUP,)},
    ),
    "cloudtrail-modify-security-group-rules": ("ModifySecurityGroupRules", {"security_group_ids": (ENDPOINT_GROUP,)}),
    "cloudtrail-associate-route-table": (
        "AssociateRouteTable",
        {"route_table_ids": (ROUTE_TABLE_C,), "subnet_ids": (SUBNET_C,)},
    ),
    "cloudtrail-replace-route-table-association": (
        "ReplaceRouteTableAssociation",
        {"route_table_ids": (ROUTE_TABLE_A,)},
    ),
    "cloudtrail-create-network-acl-entry": ("CreateNetworkAclEntry", {"network_acl_ids": (NETWORK_ACL,)}),
    "cloudtrail-replace-network-acl-entry": ("ReplaceNetworkAclEntry", {"network_acl_ids": (NETWORK_ACL,)}),
    "cloudtrail-delete-network-acl-entry": ("DeleteNetworkAclEntry", {"network_acl_ids": (NETWORK_ACL,)}),
    "cloudtrail-replace-network-acl-association": (
        "ReplaceNetworkAclAssociation",
        {"network_acl_ids": (NETWORK_ACL,)},
    ),
    "cloudtrail-run-instances": "RunInstances is not an event vpce-guard watches",
}

CLOUDTRAIL_SAMPLES = [name for name in event_names() if name.startswith("cloudtrail-")]
CONFIG_SAMPLES = [name for name in event_names() if name.startswith("config-rule-")]


def api_call(name: str, request: Any = None, response: Any = None, **detail: Any) -> dict[str, Any]:
    """An EventBridge CloudTrail event with the fields the parser reads; ``detail`` adds or replaces fields."""
    return {
        "version": "0",
        "id": "0d9f2c4e-7a1b-4c3d-9e8f-1a2b3c4d5e6f",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2",
        "account": ACCOUNT,
        "time": "2026-03-10T09:14:07Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "eventTime": "2026-03-10T09:14:07Z",
            "eventSource": "ec2.amazonaws.com",
            "eventName": name,
            "awsRegion": "us-east-1",
            "requestParameters": request,
            "responseElements": response,
            "recipientAccountId": ACCOUNT,
            **detail,
        },
    }


def change_of(event: dict[str, Any]) -> ApiChange:
    result = parse_api_change(event)
    assert isinstance(result, ApiChange), result
    return result


# --- every sample ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLOUDTRAIL_SAMPLES)
def test_each_cloudtrail_sample_reads_as_what_it_changed(name: str) -> None:
    event = load_event(name)
    expected = EXPECTED[name]

    if isinstance(expected, str):
        assert parse_api_change(event) == Ignored(event["id"], expected)
    else:
        event_name, ids = expected
        assert parse_api_change(event) == ApiChange(
            event_id=event["id"],
            event_name=event_name,
            account_id=ACCOUNT,
            region="us-east-1",
            event_time=event["detail"]["eventTime"],
            **ids,
        )


def test_every_cloudtrail_sample_has_an_expected_reading() -> None:
    assert set(CLOUDTRAIL_SAMPLES) == set(EXPECTED)


def test_every_accepted_event_name_has_a_sample() -> None:
    sampled = {load_event(name)["detail"]["eventName"] for name in CLOUDTRAIL_SAMPLES}

    assert set(ACCEPTED_EVENT_NAMES) <= sampled


def test_accepted_names_are_the_five_groups_in_order_each_once() -> None:
    assert ACCEPTED_EVENT_NAMES == ENDPOINT_EVENTS + VPC_EVENTS + GROUP_EVENTS + ROUTE_EVENTS + NETWORK_ACL_EVENTS
    assert len(set(ACCEPTED_EVENT_NAMES)) == len(ACCEPTED_EVENT_NAMES) == 15


# --- CloudTrail's XML-shaped quirks ------------------------------------------------------------------------------


A, B = "vpce-0aaaaaaaaaaaaaaaa", "vpce-0bbbbbbbbbbbbbbbb"


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        pytest.param(A, (A,), id="bare string"),
        pytest.param({"tag": 1, "content": A}, (A,), id="one tagged member"),
        pytest.param([{"tag": 1, "content": B}, {"tag": 2, "content": A}], (A, B), id="tagged list"),
        pytest.param([B, A], (A, B), id="plain list"),
        pytest.param({"item": A}, (A,), id="item set flattened to its one member"),
        pytest.param({"item": [B, A]}, (A, B), id="item set"),
        pytest.param({"items": [{"tag": 1, "content": B}]}, (B,), id="items set of tagged members"),
    ],
)
def test_endpoint_ids_are_read_in_every_xml_shape(shape: Any, expected: tuple[str, ...]) -> None:
    event = api_call("DeleteVpcEndpoints", {"DeleteVpcEndpointsRequest": {"VpcEndpointId": shape}})

    assert change_of(event).endpoint_ids == expected


def test_an_unwrapped_camel_case_request_and_response_are_read() -> None:
    event = api_call(
        "CreateVpcEndpoint",
        {"vpcId": VPC, "serviceName": "com.amazonaws.us-east-1.s3"},
        {"vpcEndpoint": {"vpcEndpointId": GATEWAY_ENDPOINT, "vpcId": VPC, "subnetIdSet": ""}},
    )

    assert (change_of(event).endpoint_ids, change_of(event).vpc_ids) == ((GATEWAY_ENDPOINT,), (VPC,))


def test_ids_are_deduplicated_and_sorted() -> None:
    ids = ["vpce-0bbbbbbbbbbbbbbbb", "vpce-0aaaaaaaaaaaaaaaa", "vpce-0bbbbbbbbbbbbbbbb"]
    event = api_call(
        "DeleteVpcEndpoints",
        {"DeleteVpcEndpointsRequest": {"VpcEndpointId": [{"tag": i, "content": v} for i, v in enumerate(ids, 1)]}},
    )

    assert change_of(event).endpoint_ids == ("vpce-0aaaaaaaaaaaaaaaa", "vpce-0bbbbbbbbbbbbbbbb")


def test_a_new_subnet_whose_response_is_an_empty_set_still_names_its_vpc() -> None:
    event = api_call("CreateSubnet", {"vpcId": VPC, "cidrBlock": "10.0.3.0/24"}, {"requestId": "r", "subnet": ""})

    assert (change_of(event).vpc_ids, change_of(event).subnet_ids) == ((VPC,), ())


def test_a_group_named_by_name_takes_its_id_from_the_new_rules() -> None:
    event = api_call(
        "AuthorizeSecurityGroupIngress",
        {"groupName": "default", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443}]}},
        {"_return": True, "securityGroupRuleSet": {"items": [{"groupId": ENDPOINT_GROUP, "isEgress": False}]}},
    )

    assert change_of(event).security_group_ids == (ENDPOINT_GROUP,)


def test_groups_referenced_inside_a_rule_are_not_the_changed_group() -> None:
    rule = {
        "ipProtocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
        "groups": {"items": [{"groupId": "sg-0ccccccccccccccc1"}]},
    }
    event = api_call("AuthorizeSecurityGroupIngress", {"groupId": ENDPOINT_GROUP, "ipPermissions": {"items": [rule]}})

    assert change_of(event).security_group_ids == (ENDPOINT_GROUP,)


def test_nothing_but_ids_is_taken_from_the_event_body() -> None:
    change = change_of(load_event("cloudtrail-create-vpc-endpoint-interface"))

    assert not ({"pending", "com.amazonaws.us-east-1.ssm"} & set(map(str, vars(change).values())))


# --- what is ignored ---------------------------------------------------------------------------------------------


def test_a_failed_call_changed_nothing_even_when_its_response_names_ids() -> None:
    event = api_call(
        "ModifyVpcEndpoint",
        {"ModifyVpcEndpointRequest": {"VpcEndpointId": INTERFACE_ENDPOINT}},
        errorCode="Client.InvalidVpcEndpointId.NotFound",
        errorMessage=f"The Vpc Endpoint Id '{INTERFACE_ENDPOINT}' does not exist",
    )

    assert parse_api_change(event) == Ignored(
        event["id"], "ModifyVpcEndpoint failed (Client.InvalidVpcEndpointId.NotFound): nothing changed"
    )


def test_a_dry_run_is_a_failed_call() -> None:
    event = api_call("DeleteSubnet", {"subnetId": SUBNET_B}, errorCode="Client.DryRunOperation")

    assert isinstance(parse_api_change(event), Ignored)


def test_a_same_named_call_of_another_service_is_ignored() -> None:
    event = api_call("CreateVpcEndpoint", {"domainArn": "arn:aws:es:us-east-1:111122223333:domain/logs"})
    event["detail"]["eventSource"] = "es.amazonaws.com"

    assert parse_api_change(event) == Ignored(
        event["id"], "CreateVpcEndpoint from es.amazonaws.com is not an event vpce-guard watches"
    )


# --- malformed events --------------------------------------------------------------------------------------------


def test_an_event_without_an_id_is_malformed() -> None:
    event = load_event("cloudtrail-modify-vpc-endpoint")
    del event["id"]

    with pytest.raises(
        TriggerError, match=r"an event without an 'id' .*: the event: Object missing required field `id`"
    ):
        parse_api_change(event)


def test_an_event_with_an_empty_id_is_malformed_since_duplicates_are_known_by_it() -> None:
    event = load_event("cloudtrail-modify-vpc-endpoint")
    event["id"] = ""

    with pytest.raises(TriggerError, match=r"id: Expected `str` of length >= 1"):
        parse_api_change(event)


def test_an_event_without_detail_is_malformed() -> None:
    event = load_event("cloudtrail-modify-vpc-endpoint")
    del event["detail"]

    with pytest.raises(TriggerError, match=r"the event: Object missing required field `detail`"):
        parse_api_change(event)


def test_a_scheduled_event_is_not_an_api_call() -> None:
    with pytest.raises(TriggerError, match=r"detail: Object missing required field `eventName`"):
        parse_api_change(load_event("schedule-sweep"))


def test_an_event_that_is_not_an_object_is_malformed() -> None:
    with pytest.raises(TriggerError, match="JSON object, not list"):
        parse_api_change([])  # type: ignore[arg-type]


def test_a_successful_create_without_its_response_is_judged_by_the_vpc_it_names() -> None:
    event = load_event("cloudtrail-create-vpc-endpoint-interface")
    event["detail"]["responseElements"] = None

    change = parse_api_change(event)

    assert isinstance(change, ApiChange)
    assert (change.endpoint_ids, change.vpc_ids) == ((), ("vpc-07c11c05dff7b9c8f",))


def test_an_edge_association_of_a_route_table_needs_no_subnet() -> None:
    event = api_call("AssociateRouteTable", {"routeTableId": "rtb-039aae99aca8f3b30", "gatewayId": "igw-0a1b2c3d"})

    change = parse_api_change(event)

    assert isinstance(change, ApiChange)
    assert change.route_table_ids == ("rtb-039aae99aca8f3b30",)


def test_a_rule_change_naming_its_group_only_by_name_is_left_to_the_sweep() -> None:
    event = api_call("RevokeSecurityGroupIngress", {"groupName": "default", "ipPermissions": {"items": []}})

    change = parse_api_change(event)

    assert isinstance(change, Ignored)
    assert "names no resource by id" in change.reason


def test_an_empty_set_where_an_id_is_required_is_malformed() -> None:
    event = api_call("DeleteVpcEndpoints", {"DeleteVpcEndpointsRequest": {"VpcEndpointId": ""}})

    with pytest.raises(TriggerError, match="carries no VPC endpoint id"):
        parse_api_change(event)


def test_a_vpc_attribute_change_without_a_vpc_is_malformed() -> None:
    event = api_call("ModifyVpcAttribute", {"enableDnsSupport": {"value": False}}, {"_return": True})

    with pytest.raises(TriggerError, match=r"ModifyVpcAttribute event .* carries no VPC id: looked for vpcId"):
        parse_api_change(event)


def test_a_network_acl_association_names_the_network_acl_the_subnet_moves_to() -> None:
    event = api_call(
        "ReplaceNetworkAclAssociation",
        {"associationId": "aclassoc-0f4b2d7e91c3a5086", "networkAclId": NETWORK_ACL},
        {"requestId": "r", "newAssociationId": "aclassoc-05d9e8c7b6a4f3210"},
    )

    change = change_of(event)

    assert (change.network_acl_ids, change.subnet_ids, change.vpc_ids) == ((NETWORK_ACL,), (), ())


def test_a_network_acl_rule_change_without_its_network_acl_is_malformed() -> None:
    event = api_call("DeleteNetworkAclEntry", {"ruleNumber": 90, "egress": False}, {"_return": True})

    with pytest.raises(TriggerError, match=r"DeleteNetworkAclEntry event .* carries no network ACL id"):
        parse_api_change(event)


def test_a_value_of_the_wrong_kind_is_malformed() -> None:
    event = api_call("AssociateRouteTable", {"routeTableId": ROUTE_TABLE_A, "subnetId": {"value": SUBNET_C}})

    with pytest.raises(TriggerError, match=r"has \"\{'value': .*\}\" where a subnet id \(subnet- and 8 or 17"):
        parse_api_change(event)


def test_account_and_region_are_the_envelopes_when_the_body_omits_them() -> None:
    event = api_call("DeleteSubnet", {"subnetId": SUBNET_B})
    del event["detail"]["recipientAccountId"], event["detail"]["awsRegion"], event["detail"]["eventTime"]
    event["region"] = "eu-west-1"

    change = change_of(event)

    assert (change.account_id, change.region, change.event_time) == (ACCOUNT, "eu-west-1", "2026-03-10T09:14:07+00:00")


def test_a_body_naming_another_account_than_its_envelope_is_malformed() -> None:
    event = api_call("DeleteSubnet", {"subnetId": SUBNET_B}, recipientAccountId="444455556666")

    with pytest.raises(TriggerError, match="recipientAccountId '444455556666' differs from the envelope's"):
        parse_api_change(event)


def test_a_body_naming_another_region_than_its_envelope_is_malformed() -> None:
    event = api_call("DeleteSubnet", {"subnetId": SUBNET_B}, awsRegion="eu-west-1")

    with pytest.raises(TriggerError, match="awsRegion 'eu-west-1' differs from the envelope's 'us-east-1'"):
        parse_api_change(event)


@pytest.mark.parametrize(
    ("account", "said"),
    [
        ("999", "the event: account '999' is not an AWS account id: an account id is exactly 12 digits"),
        (" ", "the event: account ' ' is not an AWS account id"),
        ("x", "the event: account 'x' is not an AWS account id"),
        ("", "the event: account '' is not an AWS account id"),
        ("1111222233334", "the event: account '1111222233334' is not an AWS account id"),
        (111122223333, "account: Expected `str`, got `int`"),
        (None, "account: Expected `str`, got `null`"),
    ],
)
def test_an_envelope_account_that_is_not_twelve_digits_is_malformed(account: Any, said: str) -> None:
    event = api_call("DeleteSubnet", {"subnetId": SUBNET_B})
    event["account"] = event["detail"]["recipientAccountId"] = account

    with pytest.raises(TriggerError, match=re.escape(said)):
        parse_api_change(event)


@pytest.mark.parametrize(
    ("region", "said"),
    [
        ("not a region!", "the event: region 'not a region!' is not a known AWS region"),
        ("", "the event: region '' is not a known AWS region"),
        ("us-east-9", "the event: region 'us-east-9' is not a known AWS region"),
        ("US-EAST-1", "the event: region 'US-EAST-1' is not a known AWS region"),
        (1, "region: Expected `str`, got `int`"),
    ],
)
def test_a_region_no_partition_knows_is_malformed(region: Any, said: str) -> None:
    event = api_call("DeleteSubnet", {"subnetId": SUBNET_B})
    event["region"] = event["detail"]["awsRegion"] = region

    with pytest.raises(TriggerError, match=re.escape(said)):
        parse_api_change(event)


def test_regions_of_every_partition_served_are_accepted() -> None:
    for region in ("cn-north-1", "us-gov-west-1", "eu-central-2"):
        event = api_call("DeleteSubnet", {"subnetId": SUBNET_B}, awsRegion=region)
        event["region"] = region

        assert change_of(event).region == region


def test_an_event_with_no_account_is_malformed() -> None:
    event = api_call("DeleteSubnet", {"subnetId": SUBNET_B})
    del event["account"]

    with pytest.raises(TriggerError, match="the event: Object missing required field `account`"):
        parse_api_change(event)


@pytest.mark.parametrize("field", ["version", "detail-type", "source", "time", "resources"])
def test_an_envelope_without_a_field_eventbridge_always_sends_is_malformed(field: str) -> None:
    event = api_call("DeleteSubnet", {"subnetId": SUBNET_B})
    del event[field]

    with pytest.raises(TriggerError, match=f"the event: Object missing required field `{field}`"):
        parse_api_change(event)


def test_an_envelope_time_that_is_no_timestamp_is_malformed() -> None:
    event = api_call("DeleteSubnet", {"subnetId": SUBNET_B})
    event["time"] = "yesterday"

    with pytest.raises(TriggerError, match="time: Invalid RFC3339 encoded datetime"):
        parse_api_change(event)


def test_a_replayed_event_reads_as_the_event_it_replays() -> None:
    event = api_call("DeleteSubnet", {"subnetId": SUBNET_B})

    assert change_of({**event, "replay-name": "after-an-outage"}) == change_of(event)


@pytest.mark.parametrize("endpoint_id", ["vpce-1", "vpce-09a4cbd787f6c813e0", "vpce-09A4CBD787F6C813E", "vpce-x!"])
def test_an_id_not_of_ec2s_form_is_malformed(endpoint_id: str) -> None:
    event = api_call("ModifyVpcEndpoint", {"ModifyVpcEndpointRequest": {"VpcEndpointId": endpoint_id}})

    with pytest.raises(TriggerError, match="where a VPC endpoint id"):
        parse_api_change(event)


def test_a_detail_field_of_the_wrong_type_is_malformed() -> None:
    event = api_call("DeleteSubnet", {"subnetId": SUBNET_B}, errorCode=5)

    with pytest.raises(TriggerError, match=re.escape("detail.errorCode: Expected `str | null`, got `int`")):
        parse_api_change(event)


def test_parsing_does_not_change_the_event() -> None:
    event = load_event("cloudtrail-delete-vpc-endpoints-several")
    before = copy.deepcopy(event)

    parse_api_change(event)

    assert event == before


# --- the sample files --------------------------------------------------------------------------------------------


def test_every_sample_file_is_a_json_object() -> None:
    for path in sorted(EVENTS_DIR.glob("*.json")):
        assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict), path.name


def test_every_sample_file_is_described_in_the_readme_and_the_readme_names_no_other() -> None:
    readme = (EVENTS_DIR / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`([\w.-]+\.json)`", readme))

    assert listed == {path.name for path in EVENTS_DIR.iterdir() if path.suffix == ".json"}


def test_nothing_but_samples_and_the_readme_sits_in_events() -> None:
    assert {path.suffix for path in EVENTS_DIR.iterdir() if path.name != "README.md"} == {".json"}


@pytest.mark.parametrize("name", CLOUDTRAIL_SAMPLES)
def test_cloudtrail_samples_carry_the_eventbridge_envelope(name: str) -> None:
    event = load_event(name)

    assert uuid.UUID(event["id"]).version == 4
    assert (event["detail-type"], event["source"], event["resources"]) == ("AWS API Call via CloudTrail", "aws.ec2", [])
    assert (event["account"], event["region"]) == (event["detail"]["recipientAccountId"], event["detail"]["awsRegion"])
    assert event["time"] == event["detail"]["eventTime"]


@pytest.mark.parametrize("name", CONFIG_SAMPLES)
def test_config_samples_carry_the_invoking_event_as_a_json_string(name: str) -> None:
    event = load_event(name)

    assert isinstance(event["invokingEvent"], str)
    assert isinstance(event["ruleParameters"], str)
    assert json.loads(event["invokingEvent"])["messageType"] in {
        "ConfigurationItemChangeNotification",
        "OversizedConfigurationItemChangeNotification",
        "ScheduledNotification",
    }


def test_the_config_samples_cover_each_message_type_and_a_deleted_endpoint() -> None:
    invoking = [json.loads(load_event(name)["invokingEvent"]) for name in CONFIG_SAMPLES]
    statuses = {i["configurationItem"]["configurationItemStatus"] for i in invoking if "configurationItem" in i}

    assert {i["messageType"] for i in invoking} == {
        "ConfigurationItemChangeNotification",
        "OversizedConfigurationItemChangeNotification",
        "ScheduledNotification",
    }
    assert statuses == {"OK", "ResourceDeleted"}


def test_an_unknown_sample_name_lists_the_samples() -> None:
    with pytest.raises(FileNotFoundError, match="schedule-sweep"):
        load_event("no-such-event")


def test_each_load_is_a_fresh_copy() -> None:
    first = load_event("schedule-sweep")
    first["id"] = "changed"

    assert load_event("schedule-sweep")["id"] != "changed"
