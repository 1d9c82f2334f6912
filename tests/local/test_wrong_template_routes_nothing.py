"""A wrong trigger in the template makes routing fail: no function is invoked, so the tests that send its
events catch it. Each test breaks a copy of the template, deploys it and routes a sample event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vpce_guard_local.emulator import Emulator
from vpce_guard_local.sam.deploy import local_up
from vpce_guard_local.sam.router import NoRouteError, route
from vpce_guard_local.sam.template import SamTemplate
from vpce_guard_local.samples import load_event

pytestmark = pytest.mark.server


def broken(sam_template: SamTemplate, change: Callable[[dict[str, Any]], None]) -> SamTemplate:
    copy = sam_template.copy()
    change(copy.resources)
    return copy


def on_change_pattern(resources: dict[str, Any]) -> dict[str, Any]:
    pattern: dict[str, Any] = resources["OnChangeFunction"]["Properties"]["Events"]["EndpointApiCall"]["Properties"][
        "Pattern"
    ]
    return pattern


def test_a_mistyped_event_source_routes_no_cloudtrail_event(aws: Emulator, sam_template: SamTemplate) -> None:
    template = broken(sam_template, lambda r: on_change_pattern(r)["detail"].update(eventSource=["ec2.amazonaws.co"]))
    stack = local_up(template, aws.url)

    with pytest.raises(NoRouteError):
        route(stack, load_event("cloudtrail-create-vpc-endpoint-interface"))


def test_an_event_name_missing_from_the_pattern_is_not_routed(aws: Emulator, sam_template: SamTemplate) -> None:
    template = broken(sam_template, lambda r: on_change_pattern(r)["detail"]["eventName"].remove("CreateSubnet"))
    stack = local_up(template, aws.url)

    with pytest.raises(NoRouteError, match="eventName 'CreateSubnet'"):
        route(stack, load_event("cloudtrail-create-subnet"))
    assert route(stack, load_event("cloudtrail-delete-subnet"))


def test_a_config_rule_without_oversized_notifications_gets_no_oversized_item(
    aws: Emulator, sam_template: SamTemplate
) -> None:
    def drop_oversized(resources: dict[str, Any]) -> None:
        details = resources["EndpointConfigRule"]["Properties"]["Source"]["SourceDetails"]
        details[:] = [d for d in details if d["MessageType"] != "OversizedConfigurationItemChangeNotification"]

    stack = local_up(broken(sam_template, drop_oversized), aws.url)

    with pytest.raises(NoRouteError, match="OversizedConfigurationItemChangeNotification"):
        route(stack, load_event("config-rule-oversized-item-change-vpc-endpoint"))


def test_a_config_rule_scoped_to_another_type_gets_no_endpoint_item(aws: Emulator, sam_template: SamTemplate) -> None:
    def rescope(resources: dict[str, Any]) -> None:
        resources["EndpointConfigRule"]["Properties"]["Scope"]["ComplianceResourceTypes"] = ["AWS::EC2::VPC"]

    stack = local_up(broken(sam_template, rescope), aws.url)

    with pytest.raises(NoRouteError):
        route(stack, load_event("config-rule-item-change-vpc-endpoint"))


def test_a_template_without_a_schedule_routes_no_scheduled_event(aws: Emulator, sam_template: SamTemplate) -> None:
    def unschedule(resources: dict[str, Any]) -> None:
        del resources["SweepFunction"]["Properties"]["Events"]
        statement = resources["EventDeliveryDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
        statement["Condition"]["ArnEquals"]["aws:SourceArn"].pop()

    stack = local_up(broken(sam_template, unschedule), aws.url)

    with pytest.raises(NoRouteError, match="no schedule rule"):
        route(stack, load_event("schedule-sweep"))
