"""The application behind the notifier function: the state table's stream in, tickets and announcements out.

Lambda hands the function batches of stream records. Powertools' batch processor runs each record on its own
and reports the ones that failed (ReportBatchItemFailures), so Lambda retries from the first failed record and
the records before it are done. Records after a failure come again too: the delivery ledger makes sure their
channels are not sent anything twice. Within a batch, a change of a finding whose earlier change failed fails
too, so one finding's changes reach every channel in the order they happened.

The channels come from the environment the template gives the function: secret ids (never secrets) for Slack
and Jira, the OpsCenter and Security Hub switches, the SNS topic. A channel without its setting is off. On a hub
with Security Hub on, the name of the member findings role through which members' findings are imported.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Mapping
from functools import cache, partial
from typing import Any

import msgspec
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.typing import LambdaContext

from vpce_guard import identifiers
from vpce_guard.accounts import AccountAccessError, Accounts, MemberRoles, OrganizationAccounts, organization_accounts
from vpce_guard.aws import AwsSession
from vpce_guard.notify import http
from vpce_guard.notify.events import StateChange, state_change
from vpce_guard.notify.jira import JiraSettings, JiraTickets
from vpce_guard.notify.ledger import DeliveryLedger
from vpce_guard.notify.notifier import ALREADY_SENT, NOTHING_TO_DO, Announcer, Notifier, Publisher, TicketChannel
from vpce_guard.notify.opscenter import OpsCenterTickets
from vpce_guard.notify.security_hub import SecurityHubFindings
from vpce_guard.notify.slack import SlackWebhook, webhook_url_of
from vpce_guard.notify.sns import SnsAnnouncer

logger = Logger()
tracer = Tracer()
metrics = Metrics()

# Secrets are read again after this long, so a rotated webhook or token takes effect without a deploy.
SECRET_MAX_AGE_SECONDS = 300


class ConfigurationError(RuntimeError):
    """The function's environment lacks what the template gives it."""


class EarlierChangePending(RuntimeError):
    """A change of a finding whose earlier change in this batch was not delivered: it waits for that one."""


class NotifierEnvironment(msgspec.Struct, frozen=True):
    region: str
    state_table: str
    topic_arn: str
    slack_secret_id: str
    jira_secret_id: str
    opscenter: bool
    security_hub: bool = False
    account_id: str = ""  # the account the function runs in, whose Security Hub receives the findings
    readme_url: str | None = None  # where the README is published, for Security Hub's remediation links
    member_findings_role: str = ""  # on a hub: the role each member's findings are imported through
    function_name: str = "vpce-guard"  # names the sessions of member roles, as CloudTrail records them

    @classmethod
    def read(cls, environ: Mapping[str, str] = os.environ) -> NotifierEnvironment:
        missing = [name for name in ("AWS_REGION", "STATE_TABLE_NAME") if not environ.get(name)]
        if missing:
            raise ConfigurationError(f"missing environment variable(s) {', '.join(missing)}; deploy with template.yaml")
        security_hub = environ.get("VPCE_GUARD_SECURITY_HUB", "false").lower() == "true"
        if security_hub:
            try:
                identifiers.account_id(environ.get("VPCE_GUARD_ACCOUNT_ID", ""))
            except ValueError as error:
                raise ConfigurationError(
                    f"VPCE_GUARD_SECURITY_HUB is true, and VPCE_GUARD_ACCOUNT_ID names the account whose Security Hub "
                    f"receives the findings: {error}; deploy with template.yaml"
                ) from None
        member_findings_role = environ.get("MEMBER_FINDINGS_ROLE_NAME", "")
        if member_findings_role and not security_hub:
            raise ConfigurationError("MEMBER_FINDINGS_ROLE_NAME is set without VPCE_GUARD_SECURITY_HUB true")
        return cls(
            region=environ["AWS_REGION"],
            state_table=environ["STATE_TABLE_NAME"],
            topic_arn=environ.get("VPCE_GUARD_NOTIFICATION_TOPIC_ARN", ""),
            slack_secret_id=environ.get("VPCE_GUARD_SLACK_SECRET_ID", ""),
            jira_secret_id=environ.get("VPCE_GUARD_JIRA_SECRET_ID", ""),
            opscenter=environ.get("VPCE_GUARD_OPSCENTER", "false").lower() == "true",
            security_hub=security_hub,
            account_id=environ.get("VPCE_GUARD_ACCOUNT_ID", ""),
            readme_url=_readme_url(environ.get("VPCE_GUARD_README", "")),
            member_findings_role=member_findings_role,
            function_name=environ.get("AWS_LAMBDA_FUNCTION_NAME") or "vpce-guard",
        )


def build_notifier(
    env: NotifierEnvironment,
    session: AwsSession,
    timeout: float = http.DEFAULT_TIMEOUT,
    regions: Callable[[str], AwsSession] | None = None,
) -> Notifier:
    """The notifier with the channels ``env`` turns on; clients are made only for those. ``timeout``: for each
    HTTP request to Slack and Jira. ``regions``: this account's session per Region, from which member roles are
    assumed (one made per Region from ``session`` when not given)."""
    secrets = SecretReader(session)
    tickets: list[TicketChannel] = []
    announcers: list[Announcer] = []
    if env.jira_secret_id:
        jira_secret = partial(secrets.read, env.jira_secret_id)
        tickets.append(JiraTickets(lambda: JiraSettings.from_secret(jira_secret(), env.jira_secret_id), timeout))
    if env.opscenter:
        tickets.append(OpsCenterTickets(session.client("ssm")))
    if env.slack_secret_id:
        slack_secret = partial(secrets.read, env.slack_secret_id)
        announcers.append(SlackWebhook(lambda: webhook_url_of(slack_secret(), env.slack_secret_id), timeout))
    if env.topic_arn:
        announcers.append(SnsAnnouncer(session.client("sns"), env.topic_arn))
    publishers: list[Publisher] = []
    if env.security_hub:
        members = member_accounts(env, session, regions or _regions_of(session)) if env.member_findings_role else None
        publishers.append(
            SecurityHubFindings(
                session.client("securityhub"),
                env.account_id,
                env.readme_url,
                members=members,
                out_of_reach=_out_of_reach,
            )
        )
    ledger = DeliveryLedger(session.client("dynamodb"), env.state_table)
    return Notifier(ledger, tickets, announcers, publishers)


def member_accounts(env: NotifierEnvironment, session: AwsSession, regions: Callable[[str], AwsSession]) -> Accounts:
    """The member accounts the notifier reaches, through their findings role only; an account the organization
    does not hold (its list read at most every few minutes) is refused before any AssumeRole."""
    organization = OrganizationAccounts(lambda: organization_accounts(session))
    roles = MemberRoles(read=None, findings=env.member_findings_role)
    return Accounts(regions, roles, session_name=env.function_name, organization=organization)


def _regions_of(session: AwsSession) -> Callable[[str], AwsSession]:
    """One session per Region for the life of the container, ``session`` in its own."""
    made: dict[str, AwsSession] = {session.region: session}

    def regional(region: str) -> AwsSession:
        return made.setdefault(region, AwsSession(region, endpoint_url=session.endpoint_url))

    return regional


def _out_of_reach(change: StateChange, error: AccountAccessError) -> None:
    """A finding of an account no role can be asked of: logged and counted, as the other functions drop one."""
    logger.error(
        "Security Hub finding of an account out of reach left out",
        extra={"finding_key": change.finding_key, "account_id": change.account_id, "reason": str(error)},
    )
    metrics.add_metric(name="UnreachableAccounts", unit=MetricUnit.Count, value=1)


def _readme_url(value: str) -> str | None:
    """The README's address (http or https, a host, no fragment: the checks table's anchor is added), or None."""
    if not value:
        return None
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        raise ConfigurationError(
            f"VPCE_GUARD_README {value!r} is not the README's URL: give http(s)://HOST/.../README.md, no #"
        )
    return value


class SecretReader:
    """Secret values, read when a delivery needs them and kept a few minutes, so a rotated webhook or token
    takes effect without a deploy; the Secrets Manager client is made on the first read."""

    def __init__(self, session: AwsSession) -> None:
        self._session = session
        self._provider: SecretsProvider | None = None

    def read(self, secret_id: str) -> str:
        if self._provider is None:
            self._provider = SecretsProvider(boto3_client=self._session.client("secretsmanager"))
        return str(self._provider.get(secret_id, max_age=SECRET_MAX_AGE_SECONDS))


@cache
def notifier() -> Notifier:
    env = NotifierEnvironment.read()
    built = build_notifier(env, AwsSession(env.region))
    logger.info("notifier ready", extra={"channels": list(built.channels)})
    return built


@tracer.capture_method
def handle_stream(event: DynamoDBStreamEvent, context: LambdaContext) -> PartialItemFailureResponse:
    """Deliver a batch of state changes; the records that failed, for Lambda to retry."""
    return deliver_batch(event.raw_event, notifier(), context)


def deliver_batch(
    event: dict[str, Any], delivering: Notifier, context: LambdaContext | None = None
) -> PartialItemFailureResponse:
    """Each record of a stream batch delivered on its own (Powertools batch processing)."""
    failed_findings: set[str] = set()

    def deliver(record: DynamoDBRecord) -> dict[str, str]:
        change = None
        try:
            change = state_change(record)
            if change is None:
                return {}
            if change.finding_key in failed_findings:
                raise EarlierChangePending(f"{change.finding_key}: an earlier change in this batch is not delivered")
            outcomes = delivering.notify(change)
        except Exception as error:
            if change is not None:
                failed_findings.add(change.finding_key)
            logger.warning(
                "state change not delivered; Lambda retries it",
                extra={**_position(record), "error": str(error)},
            )
            metrics.add_metric(name="NotificationFailures", unit=MetricUnit.Count, value=1)
            raise
        _report(change, outcomes)
        return outcomes

    # A batch whose every record failed is reported like any other, not raised: Lambda then retries from the
    # first failed record either way, and the reply says which records failed.
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=deliver, processor=processor, context=context)


def _position(record: DynamoDBRecord) -> dict[str, Any]:
    """Where a record stands in the stream, read from the raw record so that a malformed one is named too."""
    raw = record.raw_event
    stream = raw.get("dynamodb")
    return {
        "event_id": raw.get("eventID"),
        "sequence_number": stream.get("SequenceNumber") if isinstance(stream, dict) else None,
    }


def _report(change: StateChange, outcomes: Mapping[str, str]) -> None:
    logger.info(
        "state change delivered",
        extra={
            "finding_key": change.finding_key,
            "event_id": change.event_id,
            "kind": change.kind.value,
            "status": change.new_status,
            "outcomes": dict(outcomes),
        },
    )
    sent = sum(1 for outcome in outcomes.values() if outcome not in (ALREADY_SENT, NOTHING_TO_DO))
    metrics.add_metric(name="NotificationsSent", unit=MetricUnit.Count, value=sent)
