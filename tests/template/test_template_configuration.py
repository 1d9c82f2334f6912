"""The configuration parameter in template.yaml: the organization the functions trust comes from the stack,
an invalid configuration raises an alarm, and every change to the parameter is announced on the topic."""

from __future__ import annotations

import json
from typing import Any

from moto.events.models import EventPattern

from vpce_guard_local.sam.template import TransformedTemplate

PARAMETER_NAME = "/vpce-guard/configuration"


def parameter_store_change(name: str, operation: str = "Update") -> dict[str, Any]:
    """A "Parameter Store Change" event as Systems Manager sends it to EventBridge."""
    return {
        "version": "0",
        "id": "9547ef2d-3b7e-4057-b6cb-5fdf09ee7c8f",
        "detail-type": "Parameter Store Change",
        "source": "aws.ssm",
        "account": "123456789012",
        "time": "2026-11-22T10:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:ssm:us-east-1:123456789012:parameter{name}"],
        "detail": {"operation": operation, "name": name, "type": "String", "description": ""},
    }


def rule_pattern(template: TransformedTemplate) -> EventPattern:
    pattern = template.properties("ConfigurationChangeRule")["EventPattern"]
    return EventPattern.load(json.dumps(resolved(pattern)))


def resolved(value: Any) -> Any:
    """The pattern with the parameter's ``Ref`` replaced by its name."""
    if value == {"Ref": "ConfigurationParameter"}:
        return PARAMETER_NAME
    if isinstance(value, dict):
        return {key: resolved(item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolved(item) for item in value]
    return value


def test_every_change_of_the_configuration_parameter_matches_the_announcing_rule(
    single_account: TransformedTemplate,
) -> None:
    pattern = rule_pattern(single_account)

    for operation in ("Create", "Update", "Delete", "LabelParameterVersion"):
        assert pattern.matches_event(parameter_store_change(PARAMETER_NAME, operation))
    assert not pattern.matches_event(parameter_store_change("/someone-else/parameter"))


def test_the_rule_announces_on_the_notification_topic(single_account: TransformedTemplate) -> None:
    (target,) = single_account.properties("ConfigurationChangeRule")["Targets"]

    assert target["Arn"] == {"Ref": "NotificationTopic"}


def test_eventbridge_may_publish_to_the_topic_for_that_rule_only(single_account: TransformedTemplate) -> None:
    statements = single_account.properties("NotificationTopicPolicy")["PolicyDocument"]["Statement"]

    allowed = [s for s in statements if s["Effect"] == "Allow"]

    assert allowed == [
        {
            "Sid": "ConfigurationChangesFromEventBridge",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": {"Ref": "NotificationTopic"},
            "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["ConfigurationChangeRule", "Arn"]}}},
        }
    ]


def test_the_topics_key_lets_eventbridge_of_this_account_encrypt(single_account: TransformedTemplate) -> None:
    """An AWS managed key (aws/sns) would refuse EventBridge: its policy cannot admit the service."""
    key_id = single_account.properties("NotificationTopic")["KmsMasterKeyId"]
    statements = single_account.properties("NotificationTopicKey")["KeyPolicy"]["Statement"]

    (eventbridge,) = [s for s in statements if s["Principal"] == {"Service": "events.amazonaws.com"}]

    assert key_id == {"Ref": "NotificationTopicKey"}
    assert eventbridge["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    assert eventbridge["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_an_invalid_configuration_raises_an_alarm_on_the_functions_metric(single_account: TransformedTemplate) -> None:
    alarm = single_account.properties("InvalidConfigurationAlarm")

    assert (alarm["Namespace"], alarm["MetricName"]) == ("VpceGuard", "InvalidConfiguration")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "vpce-guard"}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("Sum", "GreaterThanThreshold", 0)
    assert alarm["TreatMissingData"] == "notBreaching"
