"""Shared by the template tests and the local-run tests: where the template is, and its functions."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "template.yaml"
FUNCTIONS = ("OnChangeFunction", "ConfigRuleFunction", "SweepFunction", "SweepWorkerFunction", "NotifierFunction")
# The functions invoked asynchronously (EventBridge, Config): failed invocations go to a dead-letter queue.
# The notifier reads a stream and the sweep worker a queue instead: their failures stay with their source (the
# stream's on-failure destination, the queue's redrive to a dead-letter queue).
ASYNC_FUNCTIONS = ("OnChangeFunction", "ConfigRuleFunction", "SweepFunction")
# The notification channels' parameters, every channel on (secret ARNs as Secrets Manager makes them).
NOTIFICATION_PARAMETERS = {
    "SlackWebhookSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:vpce-guard/slack-AbCdEf",
    "JiraSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:vpce-guard/jira-GhIjKl",
    "EnableOpsCenter": "true",
    "EnableSecurityHub": "true",
    "NotificationEmail": "platform-security@example.com",
}
# Values as `sam deploy` would pass them, every option on; the ids need not exist for the transform or the lint.
PARAMETERS = {
    "VpcId": "vpc-0123456789abcdef0",
    "SubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
    "RouteTableIds": "rtb-0123456789abcdef0,rtb-0123456789abcdef1",
    "CreateInterfaceEndpoints": "true",
    "RemediationEnabled": "true",
    **NOTIFICATION_PARAMETERS,
}
# Values as an organization's hub would be deployed with (ids in the formats AWS gives them).
ORGANIZATION_PARAMETERS = {
    "OrganizationId": "o-a1b2c3d4e5",
    "OrganizationalUnitIds": "ou-ab12-cdef3456,ou-ab12-fedc6543",
    "MemberRegions": "us-east-1,eu-west-1",
    "StackSetCallAs": "DELEGATED_ADMIN",
}
# The functions but the notifier reach AWS through the stack's endpoints only (the prefix list of DynamoDB in
# us-east-1, in the format AWS gives it).
ENDPOINTS_EGRESS = {"ApiEgress": "endpoints", "DynamoDbPrefixListId": "pl-02cd2c6b"}
