"""The notifier function's environment: which channels it turns on, and what it refuses to run without."""

from __future__ import annotations

import pytest

from vpce_guard.aws import AwsSession
from vpce_guard.notify.function import ConfigurationError, NotifierEnvironment, build_notifier

BASE = {"AWS_REGION": "us-east-1", "STATE_TABLE_NAME": "state"}
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf"


def channels(**environ: str) -> tuple[str, ...]:
    env = NotifierEnvironment.read({**BASE, **environ})
    return build_notifier(env, AwsSession("us-east-1", endpoint_url="http://127.0.0.1:9")).channels


def test_a_channel_without_its_setting_is_off() -> None:
    assert channels() == ()


def test_the_topic_alone_announces_on_sns() -> None:
    assert channels(VPCE_GUARD_NOTIFICATION_TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:t") == ("sns",)


def test_every_setting_turns_on_its_channel_tickets_first() -> None:
    assert channels(
        VPCE_GUARD_NOTIFICATION_TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:t",
        VPCE_GUARD_SLACK_SECRET_ID=SECRET,
        VPCE_GUARD_JIRA_SECRET_ID=SECRET,
        VPCE_GUARD_OPSCENTER="true",
        VPCE_GUARD_SECURITY_HUB="true",
        VPCE_GUARD_ACCOUNT_ID="123456789012",
    ) == ("jira", "opscenter", "slack", "sns", "securityhub")


def test_opscenter_is_on_only_when_the_switch_says_true() -> None:
    assert channels(VPCE_GUARD_OPSCENTER="false") == ()


def test_security_hub_is_on_only_when_the_switch_says_true() -> None:
    assert channels(VPCE_GUARD_SECURITY_HUB="false", VPCE_GUARD_ACCOUNT_ID="123456789012") == ()


def test_security_hub_needs_the_account_it_imports_into() -> None:
    with pytest.raises(ConfigurationError, match=r"VPCE_GUARD_ACCOUNT_ID .*'12345' is not an AWS account id"):
        NotifierEnvironment.read({**BASE, "VPCE_GUARD_SECURITY_HUB": "true", "VPCE_GUARD_ACCOUNT_ID": "12345"})


def test_the_readme_url_is_read_for_security_hubs_links() -> None:
    readme = "https://github.com/acme/vpce-guard/blob/main/README.md"

    assert NotifierEnvironment.read({**BASE, "VPCE_GUARD_README": readme}).readme_url == readme
    assert NotifierEnvironment.read(BASE).readme_url is None


@pytest.mark.parametrize("value", ["ftp://example.com/README.md", "https://example.com/README.md#top", "README.md"])
def test_a_readme_url_that_is_not_one_is_refused(value: str) -> None:
    with pytest.raises(ConfigurationError, match=r"VPCE_GUARD_README .* is not the README's URL"):
        NotifierEnvironment.read({**BASE, "VPCE_GUARD_README": value})


def test_the_state_table_is_required() -> None:
    with pytest.raises(ConfigurationError, match="STATE_TABLE_NAME"):
        NotifierEnvironment.read({"AWS_REGION": "us-east-1"})


def test_on_a_hub_the_member_findings_role_is_read_with_security_hub_on() -> None:
    hub = {**BASE, "VPCE_GUARD_SECURITY_HUB": "true", "VPCE_GUARD_ACCOUNT_ID": "123456789012"}
    env = NotifierEnvironment.read({**hub, "MEMBER_FINDINGS_ROLE_NAME": "vpce-guard-findings"})

    assert env.member_findings_role == "vpce-guard-findings"
    assert NotifierEnvironment.read(hub).member_findings_role == ""


def test_a_member_findings_role_without_security_hub_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="MEMBER_FINDINGS_ROLE_NAME is set without VPCE_GUARD_SECURITY_HUB"):
        NotifierEnvironment.read({**BASE, "MEMBER_FINDINGS_ROLE_NAME": "vpce-guard-findings"})
