"""``local send`` routing: each sample event reaches exactly the function AWS would invoke with it.

Routing goes through the template's own rules in the emulator (EventBridge patterns matched by PutEvents, the
Config rule's message types and scope), so these tests read the template, not a copy of it. They only route
(no function runs), on one deployment; test_wrong_template_routes_nothing.py deploys broken templates.
"""

from __future__ import annotations

import pytest

from vpce_guard_local.emulator import result_token_for
from vpce_guard_local.sam.router import NoRouteError, route
from vpce_guard_local.sam.stack import LocalRunError, LocalStack
from vpce_guard_local.samples import SAMPLE_ACCOUNT, event_names, load_event, retarget

pytestmark = pytest.mark.server

ON_CHANGE, CONFIG_RULE, SWEEP, NOTIFIER = "OnChangeFunction", "ConfigRuleFunction", "SweepFunction", "NotifierFunction"
# The samples AWS would not deliver to any function of the stack.
UNROUTED = {"cloudtrail-run-instances"}


def expected_function(name: str) -> str:
    if name.startswith("cloudtrail-"):
        return ON_CHANGE
    if name.startswith("config-rule-"):
        return CONFIG_RULE
    if name.startswith("schedule-"):
        return SWEEP
    if name.startswith("dynamodb-stream-"):
        return NOTIFIER
    raise AssertionError(f"no expectation for the sample {name}: add one")


@pytest.mark.parametrize("name", sorted(set(event_names()) - UNROUTED))
def test_each_sample_event_reaches_exactly_its_function(shared_stack: LocalStack, name: str) -> None:
    deliveries = route(shared_stack, load_event(name))

    assert [delivery.function for delivery in deliveries] == [expected_function(name)]


@pytest.mark.parametrize("name", sorted(UNROUTED))
def test_an_ec2_call_the_stack_does_not_watch_reaches_no_function(shared_stack: LocalStack, name: str) -> None:
    with pytest.raises(NoRouteError, match="no EventBridge rule of the local stack matches"):
        route(shared_stack, load_event(name))


def test_an_eventbridge_event_is_delivered_as_sent(shared_stack: LocalStack) -> None:
    """EventBridge hands the target the event it matched: same id, same body (duplicates share the id); the
    samples' account is sent as the stack's own."""
    event = load_event("cloudtrail-create-vpc-endpoint-interface")

    (delivery,) = route(shared_stack, event)

    assert delivery.event == retarget(event, {SAMPLE_ACCOUNT: shared_stack.account_id})
    assert delivery.trigger == "OnChangeFunctionEndpointApiCall"


def test_a_config_event_carries_the_local_rule_and_a_result_token_the_emulator_accepts(
    shared_stack: LocalStack,
) -> None:
    rule = shared_stack.config_rules["EndpointConfigRule"]

    (delivery,) = route(shared_stack, load_event("config-rule-oversized-item-change-vpc-endpoint"))

    assert delivery.event["configRuleName"] == rule.name
    assert delivery.event["configRuleArn"] == rule.arn
    assert delivery.event["resultToken"] == result_token_for(rule.name)


def test_a_config_event_for_another_resource_type_reaches_no_function(shared_stack: LocalStack) -> None:
    event = load_event("config-rule-item-change-vpc-endpoint")
    event["invokingEvent"] = event["invokingEvent"].replace("AWS::EC2::VPCEndpoint", "AWS::EC2::VPC")

    with pytest.raises(NoRouteError, match=r"ConfigurationItemChangeNotification for AWS::EC2::VPC \("):
        route(shared_stack, event)


def test_a_scheduled_event_naming_another_rule_goes_to_the_schedule_rules_function(shared_stack: LocalStack) -> None:
    event = load_event("schedule-sweep")

    (delivery,) = route(shared_stack, event)

    assert (delivery.function, delivery.trigger) == (SWEEP, "SweepFunctionSweep")
    assert delivery.event == retarget(event, {SAMPLE_ACCOUNT: shared_stack.account_id})


def test_an_event_of_no_known_shape_is_refused(shared_stack: LocalStack) -> None:
    with pytest.raises(LocalRunError, match="not an event AWS would send here"):
        route(shared_stack, {"hello": "world"})


def test_a_stream_batch_reaches_the_notifier_with_the_local_stream_in_every_record(shared_stack: LocalStack) -> None:
    """Lambda sets each record's eventSourceARN to the mapping's stream, and awsRegion to the table's region."""
    source = shared_stack.stream_sources["NotifierFunctionStateChanges"]

    (delivery,) = route(shared_stack, load_event("dynamodb-stream-state-changes"))

    assert (delivery.function, delivery.trigger) == (NOTIFIER, "NotifierFunctionStateChanges")
    assert {record["eventSourceARN"] for record in delivery.event["Records"]} == {source.stream_arn}
    assert {record["awsRegion"] for record in delivery.event["Records"]} == {shared_stack.region}
