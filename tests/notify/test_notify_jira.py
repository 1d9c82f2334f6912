"""Jira tickets over real HTTP to the local receiver (REST API version 2): one issue per finding, comments,
the transition named Done; and the look-first retries that keep a lost reply from making a second issue or
comment."""

from __future__ import annotations

import json

import msgspec
import pytest
from msgspec.structs import replace
from notify_support import ACCOUNT, ENDPOINT, ticketed_change

from vpce_guard.notify.http import DeliveryError
from vpce_guard.notify.jira import JiraSettings, JiraTickets, finding_label, summary, wiki_escaped
from vpce_guard.notify.secrets import SecretError
from vpce_guard_local.receiver import Receiver

TICKETED = ticketed_change("9a8b7c6d5e4f4a3b2c1d0e9f8a7b6c5d")
UPDATED = replace(TICKETED, event_id="0b1c2d3e4f5a4b6c7d8e9f0a1b2c3d4e", old_status="TICKETED")
RESOLVED = replace(TICKETED, event_id="1c2d3e4f5a6b4c7d8e9f0a1b2c3d4e5f", old_status="TICKETED", new_status="RESOLVED")
SECRET_ID = "arn:aws:secretsmanager:us-east-1:123456789012:secret:jira-AbCdEf"


@pytest.fixture
def jira(receiver: Receiver) -> JiraTickets:
    return JiraTickets(lambda: JiraSettings.from_secret(receiver.jira_secret(), SECRET_ID))


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
    assert comment.startswith(wiki_escaped("Updated: HIGH private-dns-disabled"))
    assert UPDATED.event_id in comment


def test_closing_takes_the_done_transition_with_the_change_as_comment(receiver: Receiver, jira: JiraTickets) -> None:
    key = jira.open(TICKETED, retry=False)

    jira.close(key, RESOLVED, retry=False)

    assert receiver.issues[key].status == "Done"
    (comment,) = receiver.issue_comments(key)
    assert comment.startswith(wiki_escaped("Resolved: HIGH private-dns-disabled"))


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
    jira = JiraTickets(lambda: JiraSettings.from_secret(json.dumps(secret), SECRET_ID))

    with pytest.raises(DeliveryError, match="Jira create issue: HTTP 401") as caught:
        jira.open(TICKETED, retry=False)

    assert "not-the-token-1234" not in str(caught.value)


def test_an_unknown_issue_is_a_delivery_error(jira: JiraTickets) -> None:
    with pytest.raises(DeliveryError, match="Jira comment on OPS-99: HTTP 404"):
        jira.comment("OPS-99", UPDATED, retry=False)


def test_a_secret_without_the_keys_names_the_secret_and_the_first_missing_never_the_values() -> None:
    with pytest.raises(SecretError, match="the secret: Object missing required field `project_key`") as caught:
        JiraSettings.from_secret(
            json.dumps({"base_url": "https://example.atlassian.net", "email": "me@example.com"}), SECRET_ID
        )

    assert str(caught.value).startswith(f"Jira secret {SECRET_ID}: ")
    assert "me@example.com" not in str(caught.value)


def test_a_secret_that_is_not_json_is_refused() -> None:
    with pytest.raises(SecretError, match="the secret: JSON is malformed"):
        JiraSettings.from_secret("https://example.atlassian.net", SECRET_ID)


def test_a_secret_nested_deeper_than_the_stack_is_refused_naming_the_secret() -> None:
    with pytest.raises(SecretError, match=f"Jira secret {SECRET_ID}: the secret: maximum recursion depth"):
        JiraSettings.from_secret('{"email": ' + "[" * 100_000 + "]" * 100_000 + "}", SECRET_ID)


def test_a_secret_with_an_unknown_key_is_refused_by_name() -> None:
    secret = {"base_url": "https://example.atlassian.net", "project_key": "SEC", "email": "e", "api_token": "t"}

    with pytest.raises(SecretError, match="the secret: Object contains unknown field `issuetype`"):
        JiraSettings.from_secret(json.dumps(secret | {"issuetype": "Bug"}), SECRET_ID)


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("http://example.atlassian.net", "is http, not https"),
        ("https://admin:pw@example.atlassian.net", "holds a user name or password"),
        ("https://example.atlassian.net/?next=elsewhere", "holds a query or fragment"),
        ("ftp://example.atlassian.net", "is not an https URL"),
    ],
    ids=["http", "credentials", "query", "scheme"],
)
def test_a_base_url_that_is_not_an_https_site_is_refused(base_url: str, problem: str) -> None:
    secret = {"base_url": base_url, "project_key": "SEC", "email": "e", "api_token": "t"}

    with pytest.raises(SecretError, match=f"the secret: base_url {problem}") as caught:
        JiraSettings.from_secret(json.dumps(secret), SECRET_ID)

    assert "example.atlassian.net" not in str(caught.value)


def test_a_project_key_that_could_change_the_search_is_refused() -> None:
    secret = {"base_url": "https://example.atlassian.net", "project_key": 'SEC" OR project = "HR', "email": "e"}

    with pytest.raises(SecretError, match=r"project_key: Expected `str` matching regex '\^\[A-Z\]"):
        JiraSettings.from_secret(json.dumps(secret | {"api_token": "t"}), SECRET_ID)


def test_the_settings_refuse_a_project_key_ending_in_a_newline_even_unstripped() -> None:
    secret = {"base_url": "https://example.atlassian.net", "project_key": "SEC\n", "email": "e", "api_token": "t"}

    with pytest.raises(msgspec.ValidationError, match=r"Expected `str` matching regex .* - at `\$.project_key`"):
        msgspec.convert(secret, JiraSettings)


def test_the_values_are_read_without_the_whitespace_around_them() -> None:
    secret = {
        "base_url": " https://example.atlassian.net/ ",
        "project_key": " SEC\n",
        "email": " e ",
        "api_token": "\tt ",
    }

    settings = JiraSettings.from_secret(json.dumps(secret | {"issue_type": " Bug "}), SECRET_ID)

    assert (settings.base_url, settings.project_key, settings.email, settings.api_token, settings.issue_type) == (
        "https://example.atlassian.net",
        "SEC",
        "e",
        "t",
        "Bug",
    )


@pytest.mark.parametrize("key", ["email", "api_token", "issue_type"])
def test_a_value_of_whitespace_only_is_refused_as_empty(key: str) -> None:
    secret = {"base_url": "https://example.atlassian.net", "project_key": "SEC", "email": "e", "api_token": "t"}

    with pytest.raises(SecretError, match=f"{key}: Expected `str` of length >= 1"):
        JiraSettings.from_secret(json.dumps(secret | {key: " \n "}), SECRET_ID)


def test_the_token_is_hidden_in_the_settings_own_text() -> None:
    secret = {"base_url": "https://example.atlassian.net", "project_key": "SEC", "email": "e"}

    settings = JiraSettings.from_secret(json.dumps(secret | {"api_token": "tok-1234567890"}), SECRET_ID)

    assert "tok-1234567890" not in repr(settings) + str(settings)


def test_values_from_the_finding_are_escaped_as_wiki_markup(receiver: Receiver, jira: JiraTickets) -> None:
    finding = TICKETED.finding | {"detail": 'Policy {"Action": "*"} [x|https://evil.example] *bold* -gone-\nh1. Big'}

    key = jira.open(replace(TICKETED, finding=finding), retry=False)

    description = receiver.issues[key].fields["description"]
    assert 'Policy \\{"Action": "\\*"\\} \\[x\\|https://evil.example\\] \\*bold\\* \\-gone\\- h1. Big' in description


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("{noformat}", "\\{noformat\\}"),
        ("[link|https://x]", "\\[link\\|https://x\\]"),
        (
            "*strong* _em_ ??cite?? +ins+ ^sup^ ~sub~",
            "\\*strong\\* \\_em\\_ \\?\\?cite\\?\\? \\+ins\\+ \\^sup\\^ \\~sub\\~",
        ),
        ("!image.png! #list -del-", "\\!image.png\\! \\#list \\-del\\-"),
        ("a\\b", "a\\\\b"),
        ("line one\n* line two", "line one \\* line two"),
    ],
    ids=["macro", "link", "effects", "image-list-strike", "backslash", "newline"],
)
def test_wiki_markup_characters_are_escaped_and_lines_joined(text: str, escaped: str) -> None:
    assert wiki_escaped(text) == escaped


def test_a_summary_is_one_line() -> None:
    change = replace(TICKETED, resource_id="vpce-1\nh1. injected")

    assert summary(change) == "vpce-guard: HIGH private-dns-disabled on vpce-1 h1. injected"
