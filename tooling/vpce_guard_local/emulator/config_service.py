"""AWS Config as a custom Lambda rule sees it: PutEvaluations with a result token, compliance read-back, and
the configuration items of VPC endpoints.

moto 5.2 accepts PutEvaluations only with ``TestMode=True`` (and stores nothing), implements neither
GetComplianceDetailsByConfigRule nor GetComplianceDetailsByResource, and records no VPC endpoints, so
GetResourceConfigHistory answers ResourceNotDiscoveredException for every ``AWS::EC2::VPCEndpoint``.

``install()`` patches moto's Config response class and adds VPC endpoints to moto's Config resource map, in
this process. Each fix is a function below whose docstring names the AWS behaviour it reproduces; the
patched moto methods at the end only wire them in. State lives on moto's Config backend of the account and
region, so a moto reset wipes it with everything else.

A result token is made by ``result_token_for(rule_name)`` (``result_tokens``) and names the rule. The rule
need not be registered in moto (a custom Lambda rule can be registered only if the Lambda exists there):
a rule is known to the read-back calls once it is registered or has evaluations. A rule's Lambda may be in
another account (an organization's hub), as in AWS; moto looked for it in the rule's own account only.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.config.exceptions import (
    InvalidNextTokenException,
    InvalidParameterValueException,
    InvalidResultTokenException,
    NoSuchConfigRuleException,
    ValidationException,
)
from moto.config.models import RESOURCE_MAP, ConfigBackend, Source, config_backends
from moto.config.responses import ConfigResponse
from moto.core.common_models import ConfigQueryModel
from moto.ec2.models import EC2Backend, ec2_backends
from moto.ec2.models.vpcs import VPCEndPoint

from vpce_guard_local.emulator.paging import offset_token, token_offset
from vpce_guard_local.emulator.patching import Patches
from vpce_guard_local.emulator.result_tokens import rule_name_of

ENDPOINT_TYPE = "AWS::EC2::VPCEndpoint"
MAX_EVALUATIONS_PER_CALL = 100
MAX_ANNOTATION_LENGTH = 256
MAX_RESOURCE_TYPE_LENGTH = 256
MAX_RESOURCE_ID_LENGTH = 768
MAX_PAGE_LIMIT = 100
DEFAULT_PAGE_LIMIT = 10
COMPLIANCE_TYPES = ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE", "INSUFFICIENT_DATA")
CONFIGURATION_ITEM_VERSION = "1.3"
MULTIPLE_ZONES = "Multiple Availability Zones"

_EVALUATIONS_ATTRIBUTE = "vpce_guard_evaluations"
_RECORDED_ITEMS_ATTRIBUTE = "vpce_guard_recorded_items"
_TOKEN_PREFIX = "vpce-guard-config-offset:"
_state_lock = threading.Lock()


@dataclass(frozen=True)
class StoredEvaluation:
    """The latest evaluation of one resource by one rule, as Config keeps it."""

    rule_name: str
    resource_type: str
    resource_id: str
    compliance_type: str
    annotation: str | None
    ordering_timestamp: datetime
    recorded_at: datetime

    def to_api(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "EvaluationResultIdentifier": {
                "EvaluationResultQualifier": {
                    "ConfigRuleName": self.rule_name,
                    "ResourceType": self.resource_type,
                    "ResourceId": self.resource_id,
                    "EvaluationMode": "DETECTIVE",
                },
                "OrderingTimestamp": self.ordering_timestamp.timestamp(),
            },
            "ComplianceType": self.compliance_type,
            "ResultRecordedTime": self.recorded_at.timestamp(),
            "ConfigRuleInvokedTime": self.recorded_at.timestamp(),
        }
        if self.annotation is not None:
            result["Annotation"] = self.annotation
        return result


# --- The fixes -----------------------------------------------------------------------------------------


def require_valid_evaluations(evaluations: Any) -> list[Mapping[str, Any]]:
    """PutEvaluations checks its input against the API's constraints first, in TestMode too.

    AWS answers ``ValidationException`` listing every violation, e.g. "1 validation error detected: Value
    '…' at 'evaluations.1.member.annotation' failed to satisfy constraint: Member must have length less than
    or equal to 256" — for more than 100 evaluations (at 'evaluations'), an annotation over 256 characters, a
    ComplianceType outside the enum, and a missing required member. Seen in the field (aws-config-rules
    issues 101 and 304). The value of a list is rendered by AWS as Java object names; here it is a count.
    botocore checks only minimum lengths and required members, so these reach the server.
    """
    if not isinstance(evaluations, list):
        evaluations = []
    problems: list[str] = []
    if len(evaluations) > MAX_EVALUATIONS_PER_CALL:
        problems.append(
            _violation(
                f"[{len(evaluations)} evaluations]",
                "evaluations",
                f"Member must have length less than or equal to {MAX_EVALUATIONS_PER_CALL}",
            )
        )
    for index, evaluation in enumerate(evaluations, start=1):
        member = evaluation if isinstance(evaluation, Mapping) else {}
        where = f"evaluations.{index}.member"
        for key, field, limit in (
            ("ComplianceResourceType", "complianceResourceType", MAX_RESOURCE_TYPE_LENGTH),
            ("ComplianceResourceId", "complianceResourceId", MAX_RESOURCE_ID_LENGTH),
        ):
            value = member.get(key)
            if value is None:
                problems.append(_violation(None, f"{where}.{field}", "Member must not be null"))
            elif not 1 <= len(str(value)) <= limit:
                problems.append(_length_violation(str(value), f"{where}.{field}", limit))
        compliance = member.get("ComplianceType")
        if compliance is None:
            problems.append(_violation(None, f"{where}.complianceType", "Member must not be null"))
        elif compliance not in COMPLIANCE_TYPES:
            problems.append(
                _violation(
                    compliance,
                    f"{where}.complianceType",
                    f"Member must satisfy enum value set: [{', '.join(COMPLIANCE_TYPES)}]",
                )
            )
        annotation = member.get("Annotation")
        if annotation is not None and not 1 <= len(str(annotation)) <= MAX_ANNOTATION_LENGTH:
            problems.append(_length_violation(str(annotation), f"{where}.annotation", MAX_ANNOTATION_LENGTH))
        if member.get("OrderingTimestamp") is None:
            problems.append(_violation(None, f"{where}.orderingTimestamp", "Member must not be null"))
    if problems:
        raise ValidationException(_validation_message(problems))
    return list(evaluations)


def refuse_insufficient_data(evaluations: Iterable[Mapping[str, Any]]) -> None:
    """A rule's Lambda cannot report INSUFFICIENT_DATA.

    The API reference (Evaluation.ComplianceType): "Config does not accept INSUFFICIENT_DATA as the value for
    ComplianceType from a PutEvaluations request." The code is the operation's documented
    ``InvalidParameterValueException``; the message is the emulator's.
    """
    if any(evaluation.get("ComplianceType") == "INSUFFICIENT_DATA" for evaluation in evaluations):
        raise InvalidParameterValueException(
            "INSUFFICIENT_DATA is not a valid ComplianceType for PutEvaluations; use COMPLIANT, NON_COMPLIANT "
            "or NOT_APPLICABLE."
        )


def rule_of_token(result_token: str | None) -> str:
    """The rule a result token answers for; ``InvalidResultTokenException`` "The resultToken provided is
    invalid" for a token Config did not issue (here: one ``result_token_for`` did not make)."""
    rule_name = rule_name_of(result_token) if result_token else None
    if rule_name is None:
        raise InvalidResultTokenException()
    return rule_name


def store_evaluations(
    backend: ConfigBackend, rule_name: str, evaluations: Iterable[Mapping[str, Any]], now: datetime
) -> None:
    """Config keeps one evaluation per rule and resource, the latest by OrderingTimestamp (the time of the
    event that triggered the evaluation, per the API reference).

    An evaluation older than the one kept is ignored, so a late delivery cannot roll compliance back; an
    equal or newer one replaces it. (Modelled on the documented meaning of OrderingTimestamp; how AWS breaks
    ties is not documented.)
    """
    with _state_lock:
        kept = _evaluations(backend)
        for evaluation in evaluations:
            stored = StoredEvaluation(
                rule_name=rule_name,
                resource_type=str(evaluation["ComplianceResourceType"]),
                resource_id=str(evaluation["ComplianceResourceId"]),
                compliance_type=str(evaluation["ComplianceType"]),
                annotation=None if evaluation.get("Annotation") is None else str(evaluation["Annotation"]),
                ordering_timestamp=_timestamp(evaluation["OrderingTimestamp"]),
                recorded_at=now,
            )
            key = (rule_name, stored.resource_type, stored.resource_id)
            previous = kept.get(key)
            if previous is None or stored.ordering_timestamp >= previous.ordering_timestamp:
                kept[key] = stored


def require_known_rule(backend: ConfigBackend, rule_name: str) -> None:
    """Compliance of a rule Config does not know: ``NoSuchConfigRuleException``.

    Known: registered in moto (PutConfigRule) or evaluated through a result token.
    """
    if rule_name in backend.config_rules:
        return
    if any(key[0] == rule_name for key in _evaluations(backend)):
        return
    raise NoSuchConfigRuleException(rule_name)


def compliance_types_filter(compliance_types: Any) -> frozenset[str]:
    """The ComplianceTypes a read-back keeps; every type when the filter is absent or empty.

    Values outside the enum: ``ValidationException``, as for any enum constraint.
    """
    if not compliance_types:
        return frozenset(COMPLIANCE_TYPES)
    enum = f"Member must satisfy enum value set: [{', '.join(COMPLIANCE_TYPES)}]"
    problems = [
        _violation(value, f"complianceTypes.{index}.member", enum)
        for index, value in enumerate(compliance_types, start=1)
        if value not in COMPLIANCE_TYPES
    ]
    if problems:
        raise ValidationException(_validation_message(problems))
    return frozenset(compliance_types)


def compliance_details_by_rule(
    backend: ConfigBackend, rule_name: str, compliance_types: Any, limit: Any, next_token: str | None
) -> dict[str, Any]:
    """GetComplianceDetailsByConfigRule: the rule's kept evaluations, ordered by resource, in pages.

    ``Limit`` defaults to 10 (also for 0) and may not exceed 100 (``ValidationException``), per the API
    reference; ``NextToken`` continues a page, a token not issued here is ``InvalidNextTokenException``.
    """
    require_known_rule(backend, rule_name)
    wanted = compliance_types_filter(compliance_types)
    size = _page_limit(limit)
    results = sorted(
        (
            stored
            for (rule, _, _), stored in _evaluations(backend).items()
            if rule == rule_name and stored.compliance_type in wanted
        ),
        key=lambda stored: (stored.resource_type, stored.resource_id),
    )
    start = _token_offset(next_token) if next_token else 0
    page = results[start : start + size]
    answer: dict[str, Any] = {"EvaluationResults": [stored.to_api() for stored in page]}
    if start + size < len(results):
        answer["NextToken"] = _offset_token(start + size)
    return answer


def compliance_details_by_resource(
    backend: ConfigBackend, resource_type: str, resource_id: str, compliance_types: Any
) -> dict[str, Any]:
    """GetComplianceDetailsByResource: every rule's kept evaluation of one resource, ordered by rule."""
    wanted = compliance_types_filter(compliance_types)
    results = sorted(
        (
            stored
            for (_, kind, identifier), stored in _evaluations(backend).items()
            if kind == resource_type and identifier == resource_id and stored.compliance_type in wanted
        ),
        key=lambda stored: stored.rule_name,
    )
    return {"EvaluationResults": [stored.to_api() for stored in results]}


def endpoint_configuration(endpoint: VPCEndPoint) -> dict[str, Any]:
    """The ``configuration`` of a VPC endpoint's configuration item: the EC2 description in camelCase.

    AWS Config records the DescribeVpcEndpoints entry with lower-camel-case keys (``vpcEndpointId``,
    ``policyDocument`` as a JSON string, ``groups`` of ``groupId``/``groupName``, tags as ``key``/``value``),
    serialised into the item's ``configuration`` string.
    """
    return {
        "vpcEndpointId": endpoint.id,
        "vpcEndpointType": endpoint.vpc_endpoint_type,
        "vpcId": endpoint.vpc_id,
        "serviceName": endpoint.service_name,
        "state": endpoint.state,
        "policyDocument": endpoint.policy_document,
        "routeTableIds": list(endpoint.route_table_ids or []),
        "subnetIds": list(endpoint.subnet_ids or []),
        "groups": _groups(endpoint),
        "ipAddressType": "ipv4",
        "dnsOptions": {"dnsRecordIpType": "ipv4"} if endpoint.vpc_endpoint_type == "Interface" else None,
        "privateDnsEnabled": bool(endpoint.private_dns_enabled),
        "requesterManaged": False,
        "networkInterfaceIds": list(endpoint.network_interface_ids or []),
        "dnsEntries": [
            {"dnsName": entry.get("dns_name"), "hostedZoneId": entry.get("hosted_zone_id")}
            for entry in endpoint.dns_entries or []
        ],
        "creationTimestamp": endpoint.creation_timestamp.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "tags": [{"key": key, "value": value} for key, value in _tags(endpoint).items()],
        "ownerId": endpoint.ec2_backend.account_id,
    }


def endpoint_relationships(endpoint: VPCEndPoint) -> list[dict[str, str]]:
    """The resources a VPC endpoint's configuration item relates it to: its VPC, subnets, security groups,
    route tables and network interfaces. The relationship names follow those Config gives EC2 items
    ("Is contained in Vpc", "Is associated with SecurityGroup", …); the exact names AWS uses for
    VPC endpoints are not verified."""
    related = [("AWS::EC2::VPC", endpoint.vpc_id, "Is contained in Vpc")]
    related += [("AWS::EC2::Subnet", subnet, "Is contained in Subnet") for subnet in endpoint.subnet_ids or []]
    related += [
        ("AWS::EC2::SecurityGroup", group, "Is associated with SecurityGroup")
        for group in endpoint.security_group_ids or []
    ]
    related += [
        ("AWS::EC2::RouteTable", table, "Is associated with RouteTable") for table in endpoint.route_table_ids or []
    ]
    related += [
        ("AWS::EC2::NetworkInterface", eni, "Is associated with NetworkInterface")
        for eni in endpoint.network_interface_ids or []
    ]
    return [
        {"resourceType": kind, "resourceId": identifier, "relationshipName": name} for kind, identifier, name in related
    ]


def endpoint_configuration_item(config_backend: ConfigBackend, endpoint: VPCEndPoint, now: datetime) -> dict[str, Any]:
    """The latest configuration item of a VPC endpoint, as GetResourceConfigHistory returns it.

    Config records a new item when the configuration changes: the item keeps its capture time and
    ``configurationStateId`` while the endpoint is unchanged, and gets new ones (the state id grows) after
    a change. A deleted endpoint's latest item has status ``ResourceDeleted`` and no configuration, as AWS
    keeps a deleted resource's history; an endpoint Config never saw is ``ResourceNotDiscoveredException``
    (moto's answer when this returns None).
    """
    account_id = endpoint.ec2_backend.account_id
    region = endpoint.ec2_backend.region_name
    deleted = endpoint.state == "deleted"
    configuration = None if deleted else endpoint_configuration(endpoint)
    relationships = [] if deleted else endpoint_relationships(endpoint)
    tags = {} if deleted else _tags(endpoint)
    fingerprint = hashlib.sha256(json.dumps([configuration, relationships, tags], sort_keys=True).encode()).hexdigest()
    captured_at, state_id = _recorded_state(config_backend, endpoint.id, fingerprint, now)
    item: dict[str, Any] = {
        "version": CONFIGURATION_ITEM_VERSION,
        "accountId": account_id,
        "configurationItemCaptureTime": captured_at.timestamp(),
        "configurationItemStatus": "ResourceDeleted" if deleted else "OK",
        "configurationStateId": state_id,
        "configurationItemMD5Hash": "",
        "arn": f"arn:aws:ec2:{region}:{account_id}:vpc-endpoint/{endpoint.id}",
        "resourceType": ENDPOINT_TYPE,
        "resourceId": endpoint.id,
        "awsRegion": region,
        "availabilityZone": MULTIPLE_ZONES,
        "resourceCreationTime": endpoint.creation_timestamp.replace(tzinfo=UTC).timestamp(),
        "tags": tags,
        "relatedEvents": [],
        "relationships": relationships,
        "supplementaryConfiguration": {},
    }
    if configuration is not None:
        item["configuration"] = json.dumps(configuration)
    return item


class VpcEndpointConfigQuery(ConfigQueryModel[EC2Backend]):
    """VPC endpoints for moto's Config: GetResourceConfigHistory, BatchGetResourceConfig and
    ListDiscoveredResources (deleted endpoints are not listed, as with ``includeDeletedResources`` off)."""

    def list_config_service_resources(
        self,
        account_id: str,
        partition: str,
        resource_ids: list[str] | None,
        resource_name: str | None,
        limit: int,
        next_token: str | None,
        backend_region: str | None = None,
        resource_region: str | None = None,
        aggregator: dict[str, Any] | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        region = resource_region or backend_region or "us-east-1"
        endpoints = [
            endpoint
            for endpoint in self.backends[account_id][region].vpc_end_points.values()
            if endpoint.state != "deleted" and (not resource_ids or endpoint.id in resource_ids)
        ]
        if resource_name is not None:
            endpoints = []  # VPC endpoints have no resource name in Config.
        start = _token_offset(next_token) if next_token else 0
        page = endpoints[start : start + limit]
        identifiers = [{"type": ENDPOINT_TYPE, "id": endpoint.id, "name": None, "region": region} for endpoint in page]
        return identifiers, _offset_token(start + limit) if start + limit < len(endpoints) else None

    def get_config_resource(
        self,
        account_id: str,
        partition: str,
        resource_id: str,
        resource_name: str | None = None,
        backend_region: str | None = None,
        resource_region: str | None = None,
    ) -> dict[str, Any] | None:
        region = resource_region or backend_region or "us-east-1"
        endpoint = self.backends[account_id][region].vpc_end_points.get(resource_id)
        if endpoint is None or resource_name is not None:
            return None
        return endpoint_configuration_item(config_backends[account_id][region], endpoint, _now())


# --- Helpers ------------------------------------------------------------------------------------------------


def _groups(endpoint: VPCEndPoint) -> list[dict[str, str]]:
    groups = (endpoint.ec2_backend.get_security_group_from_id(group_id) for group_id in endpoint.security_group_ids)
    return [{"groupId": group.id, "groupName": group.name} for group in groups if group is not None]


def _tags(endpoint: VPCEndPoint) -> dict[str, str]:
    return {str(tag["key"]): str(tag["value"]) for tag in sorted(endpoint.get_tags(), key=lambda tag: tag["key"])}


def _evaluations(backend: ConfigBackend) -> dict[tuple[str, str, str], StoredEvaluation]:
    kept: dict[tuple[str, str, str], StoredEvaluation] = backend.__dict__.setdefault(_EVALUATIONS_ATTRIBUTE, {})
    return kept


def _recorded_state(backend: ConfigBackend, endpoint_id: str, fingerprint: str, now: datetime) -> tuple[datetime, str]:
    with _state_lock:
        recorded: dict[str, tuple[str, datetime, str]] = backend.__dict__.setdefault(_RECORDED_ITEMS_ATTRIBUTE, {})
        previous = recorded.get(endpoint_id)
        if previous is not None and previous[0] == fingerprint:
            return previous[1], previous[2]
        state_id = str(int(now.timestamp() * 1000))
        if previous is not None and int(state_id) <= int(previous[2]):
            state_id = str(int(previous[2]) + 1)
        recorded[endpoint_id] = (fingerprint, now, state_id)
        return now, state_id


def _validation_message(problems: Sequence[str]) -> str:
    count = len(problems)
    return f"{count} validation error{'s' if count > 1 else ''} detected: {'; '.join(problems)}"


def _violation(value: Any, where: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{value}'"
    return f"Value {shown} at '{where}' failed to satisfy constraint: {constraint}"


def _length_violation(value: str, where: str, limit: int) -> str:
    bound = "greater than or equal to 1" if not value else f"less than or equal to {limit}"
    return _violation(value, where, f"Member must have length {bound}")


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _page_limit(limit: Any) -> int:
    if limit is None or limit == 0:
        return DEFAULT_PAGE_LIMIT
    if not isinstance(limit, int) or limit < 0 or limit > MAX_PAGE_LIMIT:
        raise ValidationException(
            _validation_message(
                [_violation(limit, "limit", f"Member must have value less than or equal to {MAX_PAGE_LIMIT}")]
            )
        )
    return limit


def _offset_token(offset: int) -> str:
    return offset_token(_TOKEN_PREFIX, offset)


def _token_offset(token: str) -> int:
    offset = token_offset(_TOKEN_PREFIX, token)
    if offset is None:
        raise InvalidNextTokenException()
    return offset


def _now() -> datetime:
    return datetime.now(UTC)


# --- Wiring into moto -------------------------------------------------------------------------------------


def _put_evaluations_response(self: ConfigResponse) -> str:
    evaluations = require_valid_evaluations(self._get_param("Evaluations"))
    refuse_insufficient_data(evaluations)
    result_token = self._get_param("ResultToken")
    if self._get_param("TestMode"):
        if not result_token:
            raise InvalidResultTokenException()
        return json.dumps({"FailedEvaluations": []})
    rule_name = rule_of_token(result_token)
    store_evaluations(self.config_backend, rule_name, evaluations, _now())
    return json.dumps({"FailedEvaluations": []})


def _get_compliance_details_by_config_rule_response(self: ConfigResponse) -> str:
    return json.dumps(
        compliance_details_by_rule(
            self.config_backend,
            str(self._get_param("ConfigRuleName")),
            self._get_param("ComplianceTypes"),
            self._get_param("Limit"),
            self._get_param("NextToken"),
        )
    )


def _get_compliance_details_by_resource_response(self: ConfigResponse) -> str:
    return json.dumps(
        compliance_details_by_resource(
            self.config_backend,
            str(self._get_param("ResourceType")),
            str(self._get_param("ResourceId")),
            self._get_param("ComplianceTypes"),
        )
    )


def function_account(owner: str, source_identifier: str, rule_account_id: str) -> str:
    """A custom rule's function may belong to another account, as an organization's rules invoke its hub's
    evaluator (AWS checks only that the function's policy lets Config invoke it); moto looks for it in the
    rule's own account."""
    parts = source_identifier.split(":")
    if owner == "CUSTOM_LAMBDA" and len(parts) >= 7 and parts[2] == "lambda":
        return parts[4]
    return rule_account_id


def _source_init(
    self: Source,
    account_id: str,
    region: str,
    owner: str,
    source_identifier: str,
    source_details: Any = None,
) -> None:
    PATCHES.originals["Source.__init__"](
        self, function_account(owner, source_identifier, account_id), region, owner, source_identifier, source_details
    )


PATCHES = Patches(
    (
        (Source, "__init__", _source_init),
        (ConfigResponse, "put_evaluations", _put_evaluations_response),
        (ConfigResponse, "get_compliance_details_by_config_rule", _get_compliance_details_by_config_rule_response),
        (ConfigResponse, "get_compliance_details_by_resource", _get_compliance_details_by_resource_response),
    )
)


def install() -> None:
    """Apply the Config fixes to moto in this process; calling it again changes nothing."""
    PATCHES.install()
    RESOURCE_MAP[ENDPOINT_TYPE] = VpcEndpointConfigQuery(ec2_backends)
