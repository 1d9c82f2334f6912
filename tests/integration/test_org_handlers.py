"""A hub's functions as Lambda runs them, in-process against the emulator over HTTP, facing what the
organization's accounts (and others) send them."""

from __future__ import annotations

from typing import Any

import pytest
from org_support import OUTSIDER, Hub

from vpce_guard_local.emulator import Emulator, result_token_for
from vpce_guard_local.samples import SAMPLE_ACCOUNT, load_event, retarget

pytestmark = pytest.mark.server


def test_a_config_rule_of_an_account_outside_the_organization_gets_nothing_and_no_retry(
    hub_handler_of: Any, hub: Hub, aws_env: Emulator
) -> None:
    """Any account's Config may invoke the evaluator: the account is looked up in the organization's list before
    anything else, and an account it does not hold is logged and counted, not raised into the dead-letter queue,
    with no call to STS; the list is read once for a flood of such invocations."""
    config_rule = hub_handler_of("config_rule")
    event = retarget(load_event("config-rule-item-change-vpc-endpoint-deleted"), {SAMPLE_ACCOUNT: OUTSIDER})
    aws_env.clear_recorded_calls()

    results = [config_rule(event) for _ in range(3)]

    assert all(f"account {OUTSIDER} is out of reach: it is not an active account" in r["ignored"] for r in results)
    # the hub's own identity, asked once per container, then the organization's list: no AssumeRole
    assert [call.operation for call in aws_env.recorded_calls() if call.operation != "GetParameter"] == [
        "GetCallerIdentity",
        "ListAccounts",
    ]


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
