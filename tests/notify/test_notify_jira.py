"""Jira tickets over real HTTP to the local receiver (REST API version 2): one issue per finding, comments,
the transition named Done; and the look-first retries that keep a lost reply from making a second issue or
comment."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from notify_support import ACCOUNT, ENDPOINT, ticketed_change

from vpce_guard.notify.http import DeliveryError
from vpce_guard.notify.jira import JiraConfigurationError, JiraSettings, JiraTickets, finding_label
from vpce_guard.notify.receiver import Receiver

TICKETED = ticketed_change("9a8b7c6d5e4f4a3b2c1d0e9f8a7b6c5d")
UPDATED = replace(TICKETED, event_id="0b1c2d3e4f5a4b6c7d8e9f0a1b2c3d4e", old_status="TICKETED")
RESOLVED = replace(TICKETED, event_id="1c2d3e4f5a6b4c7d8e9f0a1b2c3d4e5f", old_status="TICKETED", new_status="RESOLVED")


@pytest.fixture
def jira(receiver: Receiver) -> JiraTickets:
    return JiraTickets(lambda: JiraSettings.from_secret(receiver.jira_secret()))


def test_opening_creates_one_issue_labelled_with_the_finding(receiver: Receiver, jira: JiraTickets) -> None:
    key = jira.open(TICKETED, retry=False)

    assert key == "OPS-1"
    fields = receiver.issues[key].fields
    assert fields["summary"] == f"vpce-guard: HIGH private-dns-disabled on {ENDPOINT}"
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["labels"] == ["vpce-guard", "private-dns-disabled", finding_label(TICKETED)]
    assert f"Account: {ACCOUNT}" in fields["description"]
    assert TICKETED.event_id in fields["description"]


def test_a_comment_tells_the_change(receiver: Receiver, jira: JiraTickets) -> None:
    key = jira.open(TICKETED, retry=False)

    jira.comment(key, UPDATED, retry=False)

    (comment,) = receiver.issue_comments(key)
    assert comment.startswith("Updated: HIGH private-dns-disabled")
    assert UPDATED.event_id in comment


def test_closing_takes_the_done_transition_with_the_change_as_comment(receiver: Receiver, jira: JiraTickets) -> None:
    key = jira.open(TICKETED, retry=False)

    jira.close(key, RESOLVED, retry=False)

    assert receiver.issues[key].status == "Done"
    (comment,) = receiver.issue_comments(key)
    assert comment.startswith("Resolved: HIGH private-dns-disabled")


def test_closing_an_issue_already_done_changes_nothing(receiver: Receiver, jira: JiraTickets) -> None:
    key = jira.open(TICKETED, retry=False)
    jira.close(key, RESOLVED, retry=False)

    jira.close(key, RESOLVED, retry=True)

    assert receiver.issues[key].status == "Done"
    assert len(receiver.issue_comments(key)) == 1


def test_a_retried_open_finds_the_issue_an_unacknowledged_attempt_created(
    receiver: Receiver, jira: JiraTickets
) -> None:
    first = jira.open(TICKETED, retry=False)

    again = jira.open(TICKETED, retry=True)

    assert again == first
    assert list(receiver.issues) == [first]


def test_a_retried_open_creates_the_issue_when_the_first_attempt_did_not(receiver: Receiver, jira: JiraTickets) -> None:
    assert jira.open(TICKETED, retry=True) == "OPS-1"


def test_a_retried_open_after_the_issue_was_done_opens_a_new_one(receiver: Receiver, jira: JiraTickets) -> None:
    first = jira.open(TICKETED, retry=False)
    jira.close(first, RESOLVED, retry=False)

    assert jira.open(replace(TICKETED, event_id="2d3e"), retry=True) != first


def test_a_retried_comment_that_reached_jira_is_not_added_twice(receiver: Receiver, jira: JiraTickets) -> None:
    key = jira.open(TICKETED, retry=False)
    jira.comment(key, UPDATED, retry=False)

    jira.comment(key, UPDATED, retry=True)

    assert len(receiver.issue_comments(key)) == 1


def test_wrong_credentials_are_a_delivery_error_naming_jira(receiver: Receiver) -> None:
    secret = json.loads(receiver.jira_secret()) | {"api_token": "not-the-token-1234"}
    jira = JiraTickets(lambda: JiraSettings.from_secret(json.dumps(secret)))

    with pytest.raises(DeliveryError, match="Jira create issue: HTTP 401") as caught:
        jira.open(TICKETED, retry=False)

    assert "not-the-token-1234" not in str(caught.value)


def test_an_unknown_issue_is_a_delivery_error(jira: JiraTickets) -> None:
    with pytest.raises(DeliveryError, match="Jira comment on OPS-99: HTTP 404"):
        jira.comment("OPS-99", UPDATED, retry=False)


def test_a_secret_without_the_keys_names_what_is_missing_never_the_values() -> None:
    with pytest.raises(JiraConfigurationError, match="lacks project_key, api_token") as caught:
        JiraSettings.from_secret(json.dumps({"base_url": "https://example.atlassian.net", "email": "me@example.com"}))

    assert "me@example.com" not in str(caught.value)


def test_a_secret_that_is_not_json_is_refused() -> None:
    with pytest.raises(JiraConfigurationError, match="not JSON"):
        JiraSettings.from_secret("https://example.atlassian.net")
