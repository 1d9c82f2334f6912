"""A hub's functions as Lambda runs them, in-process against the emulator over HTTP, facing what the
organization's accounts (and others) send them."""

from __future__ import annotations

from typing import Any

import pytest
from org_support import OUTSIDER, Hub

from vpce_guard import lambda_app
from vpce_guard.emulator import result_token_for
from vpce_guard.samples import SAMPLE_ACCOUNT, load_event, retarget

pytestmark = pytest.mark.server


def test_a_config_rule_of_an_account_outside_the_organization_gets_nothing_and_no_retry(
    hub_handler_of: Any, hub: Hub
) -> None:
    """Any account's Config may invoke the evaluator: the read role is assumed before the hub's state is
    touched, and a refusal is logged and counted, not raised into the dead-letter queue."""
    config_rule = hub_handler_of("config_rule")
    event = retarget(load_event("config-rule-item-change-vpc-endpoint-deleted"), {SAMPLE_ACCOUNT: OUTSIDER})

    result = config_rule(event)

    assert f"account {OUTSIDER} is out of reach" in result["ignored"]
    assert not {call for call in lambda_app.own_session().counter.calls if call != "GetParameter"}


def test_a_members_config_rule_is_reported_in_the_member(hub_handler_of: Any, hub: Hub) -> None:
    member = hub.organization.member_account_ids[0]
    mistake = hub.plant(member)
    config_rule = hub_handler_of("config_rule")
    event = retarget(load_event("config-rule-item-change-vpc-endpoint"), mistake.story_ids())
    event["resultToken"] = result_token_for(event["configRuleName"])

    result = config_rule(event)

    member_config = hub.member_client("config", member)
    reported = member_config.get_compliance_details_by_config_rule(ConfigRuleName=event["configRuleName"])
    assert result["evaluations"] == {mistake.endpoint_id: "NON_COMPLIANT"}
    assert [r["ComplianceType"] for r in reported["EvaluationResults"]] == ["NON_COMPLIANT"]
