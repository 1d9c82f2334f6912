"""Slack through an incoming webhook, over real HTTP to the local receiver: a readable Block Kit message, the
webhook URL read from Secrets Manager only and never shown, HTTP errors raised clearly."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import pytest
from msgspec.structs import replace
from notify_support import ACCOUNT, ENDPOINT, REGION, VPC, ticketed_change

from vpce_guard.aws import AwsSession
from vpce_guard.notify.function import SecretReader
from vpce_guard.notify.http import DeliveryError
from vpce_guard.notify.messages import plain_text
from vpce_guard.notify.secrets import SecretError
from vpce_guard.notify.slack import SlackWebhook, slack_message, webhook_url_of
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.receiver import Receiver

pytestmark = pytest.mark.server

TICKETED = ticketed_change("5e1c0a3b9d7f4e2a8c6b4d2f0e1a3c5b")
SECRET_ID = "arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-AbCdEf"


def texts(message: dict[str, Any]) -> str:
    """Every text a person sees in the message, in order."""
    found: list[str] = []
    for block in message["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [field["text"] for field in block.get("fields", [])]
        found += [element["text"] for element in block.get("elements", [])]
    return "\n".join(found)


def test_a_state_change_is_posted_as_a_readable_block_kit_message(receiver: Receiver) -> None:
    SlackWebhook(lambda: receiver.slack_webhook_url).announce(TICKETED)

    (message,) = receiver.slack_messages
    header = message["blocks"][0]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": f"Ticketed: HIGH private-dns-disabled on {ENDPOINT}"},
    }
    shown = texts(message)
    for fact in (
        "Interface endpoint has private DNS disabled",
        "*Check*\n`private-dns-disabled`",
        "*Severity*\n`HIGH`",
        f"*Endpoint*\n`{ENDPOINT}`",
        f"*Account*\n`{ACCOUNT}`",
        f"*Region*\n`{REGION}`",
        f"*VPC*\n`{VPC}`",
        "*Service*\n`com.amazonaws.us-east-1.ssm`",
    ):
        assert fact in shown
    assert TICKETED.event_id in shown
    assert message["text"] == f"vpce-guard: Ticketed: HIGH private-dns-disabled on {ENDPOINT} ({ACCOUNT}, {REGION})"


def test_a_remediated_change_says_what_was_done_and_how_to_roll_it_back() -> None:
    remediated = replace(TICKETED, old_status="OPEN", new_status="REMEDIATED", change_id="chg-0042")

    message = slack_message(remediated)

    assert message["blocks"][0]["text"]["text"].startswith("Remediated automatically: HIGH private-dns-disabled")
    assert "*To roll back*\n```vpce-guard rollback chg-0042```" in texts(message)
    assert "OPEN → REMEDIATED" in texts(message)


def test_a_ticket_says_why_vpce_guard_changed_nothing() -> None:
    why = "Not changed automatically: the rewrite of vpce-0abc would deny arn:aws:iam::444455556666:role/ci"
    ticketed = replace(TICKETED, note=why)

    assert f"*vpce-guard*\n{why}" in texts(slack_message(ticketed))
    assert f"\n{why}\n" in plain_text(ticketed)


def test_a_change_without_a_change_id_offers_no_rollback() -> None:
    assert "roll back" not in texts(slack_message(TICKETED))


def test_text_is_escaped_for_mrkdwn_and_cut_to_block_kit_limits() -> None:
    finding = {**TICKETED.finding, "detail": "<!channel> & " + "x" * 4000, "title": "t" * 200}

    message = slack_message(replace(TICKETED, finding=finding))

    detail = message["blocks"][1]["text"]["text"]
    assert detail.startswith("tttt")
    assert "&lt;!channel&gt; &amp;" in detail
    assert len(detail) <= 3000
    assert len(message["blocks"][0]["text"]["text"]) <= 150


def test_an_http_error_raises_a_delivery_error_without_the_url(receiver: Receiver) -> None:
    receiver.fail_every = 1

    with pytest.raises(DeliveryError, match="Slack webhook: HTTP 500") as caught:
        SlackWebhook(lambda: receiver.slack_webhook_url).announce(TICKETED)

    assert "local-webhook-token" not in str(caught.value)


def test_a_webhook_nobody_answers_raises_a_delivery_error_without_the_url() -> None:
    with Receiver() as stopped:
        url = stopped.slack_webhook_url

    with pytest.raises(DeliveryError, match="Slack webhook: not reached") as caught:
        SlackWebhook(lambda: url, timeout=2).announce(TICKETED)

    assert "local-webhook-token" not in str(caught.value)


def test_a_secret_may_hold_the_url_or_json_with_webhook_url() -> None:
    url = "https://hooks.slack.com/services/T0/B0/x"

    assert webhook_url_of(url + "\n", SECRET_ID) == url
    assert webhook_url_of(json.dumps({"webhook_url": url}), SECRET_ID) == url


def test_a_json_secret_without_webhook_url_names_the_secret_and_the_key() -> None:
    with pytest.raises(SecretError, match=f"Slack secret {SECRET_ID}: the secret: Object contains unknown field `url`"):
        webhook_url_of(json.dumps({"url": "https://hooks.slack.com/services/T0/B0/x"}), SECRET_ID)
    with pytest.raises(
        SecretError, match=f"Slack secret {SECRET_ID}: the secret: Object missing required field `webhook_url`"
    ):
        webhook_url_of("{}", SECRET_ID)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.slack.com/services/T0/B0/s3cret-path", "is http, not https"),
        ("https://hooks.slack.com.evil.example/services/T0/B0/s3cret-path", "is not on hooks.slack.com"),
        ("https://evil.example/services/T0/B0/s3cret-path", "is not on hooks.slack.com"),
        ("https://x:y@hooks.slack.com/services/T0/B0/s3cret-path", "holds a user name or password"),
        ("https://hooks.slack.com/services/T0/B0/s3cret path", "holds spaces or control characters"),
        ("https://hooks.slack.com:s3cret-path/services", "is not a well-formed URL"),
        ("file:///etc/s3cret-path", "is not an https URL"),
    ],
    ids=["http", "lookalike-host", "other-host", "credentials", "space", "port", "file"],
)
def test_a_webhook_url_that_is_not_slacks_https_is_refused_naming_the_secret_never_the_url(
    url: str, problem: str
) -> None:
    with pytest.raises(SecretError, match=f"the secret: webhook_url {problem}") as caught:
        webhook_url_of(url, SECRET_ID)

    assert SECRET_ID in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_a_url_refused_at_the_secret_is_refused_at_sending_too() -> None:
    with pytest.raises(DeliveryError, match="Slack webhook: the URL is not an https URL"):
        SlackWebhook(lambda: "file:///etc/passwd").announce(TICKETED)


def test_the_webhook_is_read_from_secrets_manager_and_never_logged_nor_in_the_environment(
    aws_env: Emulator, receiver: Receiver, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    secret_arn = aws_env.client("secretsmanager").create_secret(Name="slack", SecretString=receiver.slack_webhook_url)[
        "ARN"
    ]
    secrets = SecretReader(AwsSession(REGION, endpoint_url=aws_env.url))
    slack = SlackWebhook(lambda: webhook_url_of(secrets.read(secret_arn), secret_arn))
    # botocore's own DEBUG logging prints whole responses, secrets included (it is off unless asked for);
    # everything else is captured from INFO up, and the function's Powertools logs go to stdout.
    caplog.set_level(logging.INFO)

    slack.announce(TICKETED)
    receiver.fail_every = 1
    with pytest.raises(DeliveryError):
        slack.announce(TICKETED)

    assert len(receiver.slack_messages) == 1
    output = capsys.readouterr()
    seen = caplog.text + output.out + output.err + json.dumps(dict(os.environ))
    assert "local-webhook-token" not in seen
