"""template.yaml's tickets and notifications: the notifier's stream source, its failure path, its grants (the
two secrets and nothing when a channel is off), the topic, and every channel off by default."""

from __future__ import annotations

import re
from typing import Any

import pytest
from moto.events.models import EventPattern
from template_support import FUNCTIONS, NOTIFICATION_PARAMETERS, PARAMETERS

from vpce_guard_local.sam.template import SamTemplate, TransformedTemplate
from vpce_guard_local.samples import load_event

NOTIFIER = "NotifierFunction"
MAPPING = "NotifierFunctionStateChanges"


def actions(template: TransformedTemplate, function: str) -> set[str]:
    return set(template.policy_actions(function))


def test_the_notifier_reads_the_state_tables_stream_and_reports_failed_records_one_by_one(
    transformed: TransformedTemplate,
) -> None:
    mapping = transformed.properties(MAPPING)

    assert transformed.resources()[MAPPING]["Type"] == "AWS::Lambda::EventSourceMapping"
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["StateTable", "StreamArn"]}
    assert mapping["FunctionName"] == {"Ref": NOTIFIER}
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True


def test_batches_that_keep_failing_go_to_the_notifier_dead_letter_queue(transformed: TransformedTemplate) -> None:
    mapping = transformed.properties(MAPPING)

    assert 1 <= mapping["MaximumRetryAttempts"] <= 20
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["NotifierDeadLetterQueue", "Arn"]
    }
    (statement,) = [
        s for s in transformed.policy_statements(NOTIFIER, generated=True) if s.get("Action") == "sqs:SendMessage"
    ]
    assert statement["Resource"] == {"Fn::GetAtt": ["NotifierDeadLetterQueue", "Arn"]}


@pytest.mark.parametrize(("index", "admitted"), [(0, False), (1, True), (2, True), (3, True), (4, False)])
def test_the_stream_filter_admits_finding_records_only(
    transformed: TransformedTemplate, index: int, admitted: bool
) -> None:
    """Markers and removals never invoke the notifier (the sample batch: marker, three changes, a TTL removal);
    the matcher is the EventBridge pattern language, which Lambda's filters share."""
    (criterion,) = transformed.properties(MAPPING)["FilterCriteria"]["Filters"]
    record = load_event("dynamodb-stream-state-changes")["Records"][index]

    assert EventPattern.load(criterion["Pattern"]).matches_event(record) is admitted


def test_the_notifiers_own_items_are_filtered_out(transformed: TransformedTemplate) -> None:
    (criterion,) = transformed.properties(MAPPING)["FilterCriteria"]["Filters"]
    ledger_item = {"pk": {"S": "a#r#vpce-1"}, "sk": {"S": "delivery#c#e#slack"}, "state": {"S": "sent"}}

    assert not EventPattern.load(criterion["Pattern"]).matches_event({"dynamodb": {"NewImage": ledger_item}})


def test_the_notifier_may_read_the_two_secrets_it_is_given_and_no_other_function_any(
    transformed: TransformedTemplate,
) -> None:
    secret_statements = [
        s for s in transformed.policy_statements(NOTIFIER) if s["Action"] == "secretsmanager:GetSecretValue"
    ]

    assert sorted(s["Resource"]["Ref"] for s in secret_statements) == ["JiraSecretArn", "SlackWebhookSecretArn"]
    for function in FUNCTIONS:
        if function != NOTIFIER:
            assert not any(action.startswith("secretsmanager:") for action in actions(transformed, function))


def test_the_notifier_writes_only_its_ledger_calls_to_the_state_table_and_publishes_to_its_topic(
    transformed: TransformedTemplate,
) -> None:
    statements = {s["Sid"]: s for s in transformed.policy_statements(NOTIFIER)}

    assert statements["DeliveriesAndTickets"]["Action"] == ["dynamodb:Query", "dynamodb:UpdateItem"]
    assert statements["DeliveriesAndTickets"]["Resource"] == {"Fn::GetAtt": ["StateTable", "Arn"]}
    assert statements["Announce"]["Resource"] == {"Ref": "NotificationTopic"}
    assert statements["UpdateOpsItems"]["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:opsitem/*"
    }


def test_security_hub_takes_findings_under_this_accounts_default_product_only(
    transformed: TransformedTemplate,
) -> None:
    statements = {s["Sid"]: s for s in transformed.policy_statements(NOTIFIER)}

    assert statements["ImportSecurityHubFindings"]["Action"] == "securityhub:BatchImportFindings"
    product = "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default"
    assert statements["ImportSecurityHubFindings"]["Resource"] == {"Fn::Sub": product}


def test_a_channel_left_off_grants_nothing_for_it(sam_template: SamTemplate) -> None:
    channels_off = {key: value for key, value in PARAMETERS.items() if key not in NOTIFICATION_PARAMETERS}

    granted = actions(sam_template.transform(channels_off, region="us-east-1"), NOTIFIER)

    assert granted == {"dynamodb:Query", "dynamodb:UpdateItem", "sns:Publish"}


def test_every_channel_is_off_by_default(sam_template: SamTemplate) -> None:
    parameters = sam_template.document["Parameters"]

    for name in ("SlackWebhookSecretArn", "JiraSecretArn", "NotificationEmail"):
        assert parameters[name]["Default"] == ""
    assert parameters["EnableOpsCenter"]["Default"] == "false"
    assert parameters["EnableSecurityHub"]["Default"] == "false"


def test_the_environment_names_the_secrets_never_their_values(transformed: TransformedTemplate) -> None:
    environment = transformed.function_environment(NOTIFIER)

    assert environment["VPCE_GUARD_SLACK_SECRET_ID"] == {"Ref": "SlackWebhookSecretArn"}
    assert environment["VPCE_GUARD_JIRA_SECRET_ID"] == {"Ref": "JiraSecretArn"}
    assert not any("URL" in name or "TOKEN" in name for name in environment)


def test_the_topic_is_encrypted_and_mails_only_the_address_given(sam_template: SamTemplate) -> None:
    resources: dict[str, Any] = sam_template.resources

    assert resources["NotificationTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "NotificationTopicKey"}
    subscription = resources["NotificationEmailSubscription"]
    assert subscription["Condition"] == "HasNotificationEmail"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "NotificationTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "NotificationEmail"},
    }


@pytest.mark.parametrize("parameter", ["SlackWebhookSecretArn", "JiraSecretArn"])
def test_a_secret_parameter_takes_a_secret_arn_never_the_secret_itself(
    sam_template: SamTemplate, parameter: str
) -> None:
    """A webhook URL or a token pasted into the parameter would end up in the function's environment."""
    pattern = re.compile(sam_template.document["Parameters"][parameter]["AllowedPattern"])

    assert pattern.match("")
    assert pattern.match("arn:aws:secretsmanager:us-east-1:123456789012:secret:vpce-guard/slack-AbCdEf")
    assert pattern.match("arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:vpce-guard/jira-AbCdEf")
    assert not pattern.match("https://hooks.slack.com/services/T0/B0/XXXXXXXX")
    assert not pattern.match('{"api_token": "secret"}')
