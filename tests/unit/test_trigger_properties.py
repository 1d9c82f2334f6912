"""Properties of the event boundary over generated events: reading an event never fails but as a TriggerError
that names what is wrong, and a reading never names an account, Region or id other than the event's own."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vpce_guard import identifiers
from vpce_guard.trigger import ApiChange, Ignored, TriggerError, parse_api_change
from vpce_guard_local.samples import event_names, load_event

CLOUDTRAIL_SAMPLES = [name for name in event_names() if name.startswith("cloudtrail-")]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
# Values that look like what belongs in the envelope's and the body's account and Region fields, right or wrong.
ACCOUNTS = st.sampled_from(["111122223333", "444455556666", "999999999999", " ", "x", "", "11112222333"]) | JSON
REGIONS = st.sampled_from(["us-east-1", "eu-west-1", "cn-north-1", "not a region!", "", "us-east-9"]) | JSON
FIELDS = ("account", "region", "detail.recipientAccountId", "detail.awsRegion")
ID_FORM = re.compile(r"(vpce|vpc|subnet|sg|rtb|acl)-(?:[0-9a-f]{8}|[0-9a-f]{17})")


def read(event: Any) -> ApiChange | Ignored | TriggerError:
    try:
        return parse_api_change(event)
    except TriggerError as error:
        return error


def with_fields(event: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(event))
    for field, value in values.items():
        *parents, key = field.split(".")
        container = copy
        for parent in parents:
            container = container[parent]
        container[key] = value
    return copy


@settings(max_examples=150)
@given(event=JSON)
def test_any_json_is_read_or_refused_with_a_trigger_error(event: Any) -> None:
    assert isinstance(read(event), ApiChange | Ignored | TriggerError)


@settings(max_examples=150)
@given(
    name=st.sampled_from(CLOUDTRAIL_SAMPLES),
    account=ACCOUNTS,
    region=REGIONS,
    claimed_account=ACCOUNTS,
    claimed_region=REGIONS,
)
def test_a_change_is_always_of_the_envelopes_account_and_region_and_the_body_agrees(
    name: str, account: Any, region: Any, claimed_account: Any, claimed_region: Any
) -> None:
    values = dict(zip(FIELDS, (account, region, claimed_account, claimed_region), strict=True))
    event = with_fields(load_event(name), values)

    reading = read(event)

    if isinstance(reading, ApiChange):
        assert (reading.account_id, reading.region) == (account, region)
        assert identifiers.account_id(reading.account_id) == account
        assert identifiers.region(reading.region) == region
        assert claimed_account in (None, account)  # the body may leave them to the envelope, never contradict it
        assert claimed_region in (None, region)
    if isinstance(reading, TriggerError):
        assert any(field in str(reading) for field in FIELDS)


@settings(max_examples=150)
@given(
    name=st.sampled_from(CLOUDTRAIL_SAMPLES),
    field=st.sampled_from(["detail.requestParameters", "detail.responseElements"]),
    value=JSON,
)
def test_a_change_names_only_ids_of_ec2s_form(name: str, field: str, value: Any) -> None:
    reading = read(with_fields(load_event(name), {field: value}))

    if isinstance(reading, ApiChange):
        ids = (
            reading.endpoint_ids
            + reading.vpc_ids
            + reading.subnet_ids
            + reading.security_group_ids
            + reading.route_table_ids
            + reading.network_acl_ids
        )
        assert all(ID_FORM.fullmatch(resource_id) for resource_id in ids)


@settings(max_examples=50)
@given(name=st.sampled_from(CLOUDTRAIL_SAMPLES), noise=st.dictionaries(st.text(min_size=1, max_size=10), JSON))
def test_fields_the_trigger_does_not_read_do_not_change_its_reading(name: str, noise: dict[str, Any]) -> None:
    """CloudTrail adds fields over time (userIdentity, tlsDetails, ...): a field the model does not declare is
    not read, so it can neither change a reading nor refuse one."""
    event = load_event(name)
    declared = {"eventName", "eventSource", "eventTime", "awsRegion", "recipientAccountId", "errorCode"}
    noisy = {
        **event,
        "detail": {
            **event["detail"],
            **{k: v for k, v in noise.items() if k not in declared | {"requestParameters", "responseElements"}},
        },
    }

    assert read(noisy) == read(event)
