"""The AWS Config custom rule: every message type handled in one evaluator, the checks stay unaware of Config.

- ConfigurationItemChangeNotification: the endpoint named by the item is re-described and judged;
- OversizedConfigurationItemChangeNotification: the item is too large to be sent, so it is read through
  GetResourceConfigHistory first;
- ScheduledNotification: every endpoint of the account and region is judged;
- a deleted endpoint, or one that left the rule's scope, is NOT_APPLICABLE.

An endpoint is NON_COMPLIANT when any endpoint check fires on it; the annotation names the failing check
ids (at most 256 characters, Config's limit). Evaluations are sent in batches of at most 100 (PutEvaluations'
limit), each with the rule invocation's result token.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec
from aws_lambda_powertools.utilities.data_classes import AWSConfigRuleEvent
from aws_lambda_powertools.utilities.data_classes.aws_config_rule_event import (
    AWSConfigConfigurationChanged,
    AWSConfigOversizedConfiguration,
)

from vpce_guard.aws import CALL_ERRORS, CollectionError
from vpce_guard.findings import ENDPOINT_RESOURCE, Finding
from vpce_guard.pipeline import Evaluation, Pipeline
from vpce_guard.snapshot import Scope

SCHEDULED = "ScheduledNotification"
DELETED_STATUSES = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded"})
COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE = "COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"
EVALUATIONS_PER_CALL = 100
ANNOTATION_LIMIT = 256


class RuleInvocation(msgspec.Struct, frozen=True):
    """What one Config rule invocation asks: the whole region, or one configuration item."""

    message_type: str
    account_id: str
    region: str
    result_token: str
    ordering_time: datetime
    resource_type: str | None = None
    resource_id: str | None = None
    item_status: str | None = None
    left_scope: bool = False

    @property
    def is_scheduled(self) -> bool:
        return self.message_type == SCHEDULED


class ConfigEvaluation(msgspec.Struct, frozen=True):
    resource_id: str
    compliance: str
    annotation: str
    resource_type: str = ENDPOINT_RESOURCE

    def to_api(self, ordering_time: datetime) -> dict[str, Any]:
        return {
            "ComplianceResourceType": self.resource_type,
            "ComplianceResourceId": self.resource_id,
            "ComplianceType": self.compliance,
            "Annotation": self.annotation,
            "OrderingTimestamp": ordering_time,
        }


class ConfigRule:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def handle(self, event: AWSConfigRuleEvent) -> dict[str, Any]:
        """Judge what the invocation asks and report it to Config. The account's read role is assumed before
        anything of the hub's (its state table) is touched: any account's Config may invoke the evaluator, and
        only the accounts whose role trusts it get anything done (AccountAccessError). Reading an oversized
        item's history, the one call ``invocation`` may make, goes through that role too."""
        invocation = self.invocation(event)
        self.pipeline.accounts.reader(invocation.account_id, invocation.region)
        evaluation, results = self.evaluate(invocation)
        self.put_evaluations(invocation, results)
        return {
            "message_type": invocation.message_type,
            "evaluations": {result.resource_id: result.compliance for result in results},
            **({"evaluation": evaluation.to_dict()} if evaluation else {}),
        }

    def invocation(self, event: AWSConfigRuleEvent) -> RuleInvocation:
        region = event.config_rule_arn.split(":")[3]
        invoking = event.invoking_event
        item: Mapping[str, Any] | None = None
        if isinstance(invoking, AWSConfigConfigurationChanged):
            item = invoking.raw_configuration_item
        elif isinstance(invoking, AWSConfigOversizedConfiguration):
            summary = invoking.raw_event["configurationItemSummary"]
            item = self._item_from_history(event.accountid, region, summary)
        return RuleInvocation(
            message_type=invoking.message_type,
            account_id=event.accountid,
            region=region,
            result_token=event.result_token,
            ordering_time=_time(item["configurationItemCaptureTime"] if item else invoking.notification_creation_time),
            resource_type=item["resourceType"] if item else None,
            resource_id=item["resourceId"] if item else None,
            item_status=item["configurationItemStatus"] if item else None,
            left_scope=event.event_left_scope,
        )

    def evaluate(self, invocation: RuleInvocation) -> tuple[Evaluation | None, list[ConfigEvaluation]]:
        if invocation.is_scheduled:
            evaluation = self.pipeline.evaluate(invocation.account_id, Scope(invocation.region))
            endpoint_ids = [endpoint.id for endpoint in evaluation.result.facts.active_endpoints]
            return evaluation, list(judge(endpoint_ids, evaluation.result.findings))
        resource_id = invocation.resource_id or ""
        if invocation.left_scope or invocation.resource_type != ENDPOINT_RESOURCE:
            out_of_scope = ConfigEvaluation(
                resource_id, NOT_APPLICABLE, "Not a VPC endpoint in the rule's scope.", invocation.resource_type or ""
            )
            return None, [out_of_scope]
        if invocation.item_status in DELETED_STATUSES:
            self.pipeline.forget(invocation.account_id, invocation.region, [resource_id])
            return None, [ConfigEvaluation(resource_id, NOT_APPLICABLE, "The endpoint no longer exists.")]
        scope = Scope(invocation.region, endpoint_ids=(resource_id,))
        evaluation = self.pipeline.evaluate(invocation.account_id, scope)
        if resource_id not in {endpoint.id for endpoint in evaluation.result.facts.active_endpoints}:
            return evaluation, [ConfigEvaluation(resource_id, NOT_APPLICABLE, "The endpoint no longer exists.")]
        return evaluation, list(judge([resource_id], evaluation.result.findings))

    def put_evaluations(self, invocation: RuleInvocation, results: Sequence[ConfigEvaluation]) -> None:
        config = self.pipeline.accounts.reader(invocation.account_id, invocation.region).client("config")
        evaluations = [result.to_api(invocation.ordering_time) for result in results]
        for start in range(0, len(evaluations), EVALUATIONS_PER_CALL):
            batch = evaluations[start : start + EVALUATIONS_PER_CALL]
            try:
                config.put_evaluations(Evaluations=batch, ResultToken=invocation.result_token)
            except CALL_ERRORS as error:
                raise CollectionError("PutEvaluations", invocation.region, error, service="config") from error

    def _item_from_history(self, account_id: str, region: str, summary: Mapping[str, Any]) -> Mapping[str, Any]:
        """The configuration item an oversized notification only summarises; Config no longer knowing the
        resource means it is gone."""
        config = self.pipeline.accounts.reader(account_id, region).client("config")
        try:
            history = config.get_resource_config_history(
                resourceType=summary["resourceType"], resourceId=summary["resourceId"], limit=1
            )
        except config.exceptions.ResourceNotDiscoveredException:
            return {**summary, "configurationItemStatus": "ResourceDeletedNotRecorded"}
        except CALL_ERRORS as error:
            raise CollectionError("GetResourceConfigHistory", region, error, service="config") from error
        items: list[Mapping[str, Any]] = history["configurationItems"]
        return items[0] if items else {**summary, "configurationItemStatus": "ResourceDeletedNotRecorded"}


def judge(endpoint_ids: Iterable[str], findings: Iterable[Finding]) -> Iterator[ConfigEvaluation]:
    """One evaluation per endpoint: NON_COMPLIANT naming the checks that fire on it, else COMPLIANT."""
    failing: dict[str, set[str]] = {}
    for finding in findings:
        if finding.resource_type == ENDPOINT_RESOURCE:
            failing.setdefault(finding.resource_id, set()).add(finding.check_id)
    for endpoint_id in sorted(set(endpoint_ids)):
        checks = sorted(failing.get(endpoint_id, ()))
        if checks:
            yield ConfigEvaluation(endpoint_id, NON_COMPLIANT, annotation(checks))
        else:
            yield ConfigEvaluation(endpoint_id, COMPLIANT, "No vpce-guard check fails.")


def annotation(check_ids: Sequence[str]) -> str:
    text = "Failing vpce-guard checks: " + ", ".join(check_ids)
    return text if len(text) <= ANNOTATION_LIMIT else text[: ANNOTATION_LIMIT - 1] + "…"


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
