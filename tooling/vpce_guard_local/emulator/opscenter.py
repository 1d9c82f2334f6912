"""AWS Systems Manager OpsCenter: OpsItems created, read, updated and listed as the SSM API does it.

moto 5.2 implements no OpsItem call at all (each answers 501 through ``unimplemented``). vpce-guard's
notifier opens one OpsItem per finding and resolves it, so the emulator holds OpsItems: CreateOpsItem,
GetOpsItem, UpdateOpsItem and DescribeOpsItems, with the API's shapes, its input constraints and its errors.

``install()`` adds the four actions to moto's SSM response class in this process. Each fix is a function
below whose docstring names the AWS behaviour it reproduces; the response methods at the end only wire them
in. OpsItems live on moto's SSM backend of the account and region, so a moto reset wipes them.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, EmptyResult
from moto.ssm.models import SimpleSystemManagerBackend
from moto.ssm.responses import SimpleSystemManagerResponse

from vpce_guard_local.emulator.paging import offset_token, token_offset
from vpce_guard_local.emulator.patching import Patches

OPS_ITEM_ID = re.compile(r"^(oi)-[0-9a-f]{12}$")
ISSUE_TYPE = "/aws/issue"
DEDUP_KEY = "/aws/dedup"
# Keys of the /aws namespace that callers may set (User Guide, "Creating OpsItems manually").
RESERVED_KEYS_ALLOWED = frozenset({DEDUP_KEY, "/aws/resources", "/aws/automations"})
RESERVED_PREFIXES = ("amazon", "aws", "amzn", "ssm", "/amazon", "/aws", "/amzn", "/ssm")
DATA_TYPES = ("SearchableString", "String")
MAX_DATA_KEY_LENGTH = 128
MAX_DATA_VALUE_BYTES = 20 * 1024
MAX_PAGE_SIZE = 50
# Maximum lengths of the request's strings (the API reference); each is at least 1 and not only blanks.
LENGTH_LIMITS = {"Title": 1024, "Description": 2048, "Source": 128, "Category": 64, "Severity": 64}
STATUSES = (
    "Open", "InProgress", "Resolved", "Pending", "TimedOut", "Cancelling", "Cancelled", "Failed",
    "CompletedWithSuccess", "CompletedWithFailure", "Scheduled", "RunbookInProgress",
    "PendingChangeCalendarOverride", "ChangeCalendarOverrideApproved", "ChangeCalendarOverrideRejected",
    "PendingApproval", "Approved", "Revoked", "Rejected", "Closed",
)  # fmt: skip
# Statuses in which an OpsItem still deduplicates new ones (User Guide, "Managing duplicate OpsItems").
DEDUPLICATING_STATUSES = frozenset({"Open", "InProgress"})
# (operators, how a value matches) per filter key the emulator answers; the operators are the API's.
FILTER_OPERATORS: dict[str, tuple[str, ...]] = {
    "Status": ("Equal",),
    "Source": ("Equal", "Contains"),
    "Title": ("Equal", "Contains"),
    "OpsItemId": ("Equal",),
    "Priority": ("Equal",),
    "Severity": ("Equal",),
    "Category": ("Equal",),
    "OpsItemType": ("Equal",),
    "OperationalData": ("Equal",),
    "OperationalDataKey": ("Equal",),
    "OperationalDataValue": ("Equal", "Contains"),
}
FILTER_KEYS = (
    "Status", "CreatedBy", "Source", "Priority", "Title", "OpsItemId", "CreatedTime", "LastModifiedTime",
    "ActualStartTime", "ActualEndTime", "PlannedStartTime", "PlannedEndTime", "OperationalData",
    "OperationalDataKey", "OperationalDataValue", "ResourceId", "AutomationId", "Category", "Severity",
    "OpsItemType", "AccessRequestByRequesterArn", "AccessRequestByRequesterId", "AccessRequestByApproverArn",
    "AccessRequestByApproverId", "AccessRequestBySourceAccountId", "AccessRequestBySourceOpsItemId",
    "AccessRequestBySourceRegion", "AccessRequestByIsReplica", "AccessRequestByTargetResourceId",
    "ChangeRequestByRequesterArn", "ChangeRequestByRequesterName", "ChangeRequestByApproverArn",
    "ChangeRequestByApproverName", "ChangeRequestByTemplate", "ChangeRequestByTargetsResourceGroup",
    "InsightByType", "AccountId",
)  # fmt: skip
OPERATORS = ("Equal", "Contains", "GreaterThan", "LessThan")

_ITEMS_ATTRIBUTE = "vpce_guard_ops_items"
_TOKEN_PREFIX = "vpce-guard-opsitems:"
_state_lock = threading.Lock()


class OpsItemNotFoundException(ServiceException):
    code = "OpsItemNotFoundException"


class OpsItemAlreadyExistsException(ServiceException):
    code = "OpsItemAlreadyExistsException"

    def __init__(self, message: str, ops_item_id: str) -> None:
        super().__init__(message)
        self.OpsItemId = ops_item_id


class OpsItemInvalidParameterException(ServiceException):
    code = "OpsItemInvalidParameterException"

    def __init__(self, message: str, parameter_names: Sequence[str]) -> None:
        super().__init__(message)
        self.ParameterNames = list(parameter_names)


class ValidationException(ServiceException):
    code = "ValidationException"


class NotImplementedFilter(NotImplementedError):
    """A DescribeOpsItems filter key the emulator does not evaluate (answered 501 by ``unimplemented``)."""


@dataclass
class OpsItem:
    """One OpsItem as OpsCenter keeps it."""

    ops_item_id: str
    arn: str
    title: str
    description: str
    source: str
    created_by: str
    created_time: datetime
    ops_item_type: str = ISSUE_TYPE
    status: str = "Open"
    version: int = 1
    priority: int | None = None
    severity: str | None = None
    category: str | None = None
    operational_data: dict[str, dict[str, str]] = field(default_factory=dict)
    notifications: list[dict[str, str]] = field(default_factory=list)
    related_ops_items: list[dict[str, str]] = field(default_factory=list)
    last_modified_by: str = ""
    last_modified_time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_api(self) -> dict[str, Any]:
        """GetOpsItem's ``OpsItem``: every field, all operational data."""
        return {
            **self._common(),
            "Description": self.description,
            "Notifications": list(self.notifications),
            "RelatedOpsItems": list(self.related_ops_items),
            "Version": str(self.version),
            "OpsItemArn": self.arn,
            "OperationalData": dict(self.operational_data),
        }

    def summary(self) -> dict[str, Any]:
        """DescribeOpsItems' ``OpsItemSummary``: searchable operational data only."""
        searchable = {
            key: value for key, value in self.operational_data.items() if value.get("Type") == "SearchableString"
        }
        return {**self._common(), "OperationalData": searchable}

    def _common(self) -> dict[str, Any]:
        common: dict[str, Any] = {
            "OpsItemId": self.ops_item_id,
            "OpsItemType": self.ops_item_type,
            "Title": self.title,
            "Source": self.source,
            "Status": self.status,
            "CreatedBy": self.created_by,
            "CreatedTime": self.created_time,
            "LastModifiedBy": self.last_modified_by or self.created_by,
            "LastModifiedTime": self.last_modified_time,
        }
        for key, value in (("Priority", self.priority), ("Severity", self.severity), ("Category", self.category)):
            if value is not None:
                common[key] = value
        return common

    @property
    def dedup_string(self) -> str | None:
        return dedup_string_of(self.operational_data)


# --- The fixes -----------------------------------------------------------------------------------------


def require_valid_fields(params: Mapping[str, Any]) -> None:
    """Strings and numbers within the API's constraints, checked by the service (botocore checks only
    required members and minimum lengths).

    AWS answers ``ValidationException`` listing every violation, e.g. "1 validation error detected: Value
    '…' at 'title' failed to satisfy constraint: Member must have length less than or equal to 1024".
    The limits are the API reference's: Title 1-1024, Description 1-2048, Source 1-128, Category and
    Severity 1-64, Priority 1-5, MaxResults 1-50, OpsItemId ``^(oi)-[0-9a-f]{12}$``, Status the enum.
    """
    problems: list[str] = []
    for key, limit in LENGTH_LIMITS.items():
        value = params.get(key)
        where = key[0].lower() + key[1:]
        if value is None:
            continue
        if not 1 <= len(str(value)) <= limit:
            problems.append(_length_violation(str(value), where, limit))
        elif not str(value).strip():
            problems.append(
                _violation(str(value), where, "Member must satisfy regular expression pattern: ^(?!\\s*$).+")
            )
    priority = params.get("Priority")
    if priority is not None and not 1 <= int(priority) <= 5:
        bound = "greater than or equal to 1" if int(priority) < 1 else "less than or equal to 5"
        problems.append(_violation(priority, "priority", f"Member must have value {bound}"))
    ops_item_id = params.get("OpsItemId")
    if ops_item_id is not None and not OPS_ITEM_ID.match(str(ops_item_id)):
        problems.append(
            _violation(ops_item_id, "opsItemId", "Member must satisfy regular expression pattern: ^(oi)-[0-9a-f]{12}$")
        )
    status = params.get("Status")
    if status is not None and status not in STATUSES:
        problems.append(_violation(status, "status", f"Member must satisfy enum value set: [{', '.join(STATUSES)}]"))
    if problems:
        raise ValidationException(_validation_message(problems))


def require_valid_operational_data(operational_data: Any) -> dict[str, dict[str, str]]:
    """Operational data: keys of 1-128 characters outside AWS's namespaces, values up to 20 KB, each of type
    SearchableString or String.

    The API reference: "Operational data keys can't begin with the following: amazon, aws, amzn, ssm,
    /amazon, /aws, /amzn, /ssm", except the keys OpsCenter documents for callers (``/aws/dedup``,
    ``/aws/resources``, ``/aws/automations``). A violation is ``OpsItemInvalidParameterException`` naming
    ``OperationalData`` (the message is the emulator's).
    """
    if operational_data is None:
        return {}
    if not isinstance(operational_data, Mapping):
        raise OpsItemInvalidParameterException("OperationalData must be a map.", ["OperationalData"])
    checked: dict[str, dict[str, str]] = {}
    for key, entry in operational_data.items():
        name = str(key)
        reserved = name.lower().startswith(RESERVED_PREFIXES) and name not in RESERVED_KEYS_ALLOWED
        value = entry.get("Value") if isinstance(entry, Mapping) else None
        kind = entry.get("Type", "String") if isinstance(entry, Mapping) else None
        if not 1 <= len(name) <= MAX_DATA_KEY_LENGTH or reserved:
            raise OpsItemInvalidParameterException(
                f"The operational data key {name!r} is not valid: keys have 1 to {MAX_DATA_KEY_LENGTH} characters "
                "and can't begin with amazon, aws, amzn, ssm, /amazon, /aws, /amzn or /ssm.",
                ["OperationalData"],
            )
        if not isinstance(value, str) or len(value.encode()) > MAX_DATA_VALUE_BYTES or kind not in DATA_TYPES:
            raise OpsItemInvalidParameterException(
                f"The operational data value of {name!r} is not valid: a string of at most 20 KB, of type "
                "SearchableString or String.",
                ["OperationalData"],
            )
        checked[name] = {"Value": value, "Type": str(kind)}
    return checked


def dedup_string_of(operational_data: Mapping[str, Mapping[str, str]]) -> str | None:
    """The deduplication string of ``/aws/dedup``, whose value is the JSON ``{"dedupString": "…"}``."""
    entry = operational_data.get(DEDUP_KEY)
    if entry is None:
        return None
    try:
        parsed = json.loads(entry["Value"])
    except (ValueError, KeyError):
        return None
    dedup = parsed.get("dedupString") if isinstance(parsed, dict) else None
    return str(dedup) if dedup else None


def refuse_duplicate(items: Iterable[OpsItem], operational_data: Mapping[str, Mapping[str, str]]) -> None:
    """CreateOpsItem creates no second OpsItem for a deduplication string while the first is open.

    User Guide, "Managing duplicate OpsItems": when the dedup string of a new request matches one stored
    and "the status of an existing OpsItem is open or in progress, the OpsItem is not created. If the
    existing OpsItem is resolved, Systems Manager creates a new OpsItem." The emulator then answers
    ``OpsItemAlreadyExistsException`` carrying the existing ``OpsItemId`` (the exception's documented
    member); AWS does not document the reply further.
    """
    dedup = dedup_string_of(operational_data)
    if dedup is None:
        return
    for item in items:
        if item.dedup_string == dedup and item.status in DEDUPLICATING_STATUSES:
            raise OpsItemAlreadyExistsException(
                f"The OpsItem already exists: {item.ops_item_id} has the same deduplication string.",
                item.ops_item_id,
            )


def find_item(items: Mapping[str, OpsItem], ops_item_id: str) -> OpsItem:
    """An OpsItem by id; ``OpsItemNotFoundException`` "The specified OpsItem ID doesn't exist. Verify the ID
    and try again." for a well-formed id OpsCenter does not hold."""
    item = items.get(ops_item_id)
    if item is None:
        raise OpsItemNotFoundException(
            f"The specified OpsItem ID {ops_item_id} doesn't exist. Verify the ID and try again."
        )
    return item


def apply_update(item: OpsItem, params: Mapping[str, Any], caller: str, now: datetime) -> None:
    """UpdateOpsItem changes the fields given: OperationalData is merged (new keys added, existing keys
    replaced), OperationalDataToDelete removes keys, and each edit increments the OpsItem's Version."""
    added = require_valid_operational_data(params.get("OperationalData"))
    for key in ("Title", "Description", "Status", "Severity", "Category"):
        if params.get(key) is not None:
            setattr(item, key.lower(), str(params[key]))
    if params.get("Priority") is not None:
        item.priority = int(params["Priority"])
    if params.get("Notifications") is not None:
        item.notifications = [{"Arn": str(n["Arn"])} for n in params["Notifications"]]
    if params.get("RelatedOpsItems") is not None:
        item.related_ops_items = [{"OpsItemId": str(r["OpsItemId"])} for r in params["RelatedOpsItems"]]
    item.operational_data.update(added)
    for key in params.get("OperationalDataToDelete") or []:
        item.operational_data.pop(str(key), None)
    item.version += 1
    item.last_modified_by = caller
    item.last_modified_time = now


def matching(items: Iterable[OpsItem], filters: Any) -> list[OpsItem]:
    """DescribeOpsItems' filters: every filter must match (AND), any of a filter's values may (OR).

    The operators each key takes are the API reference's (e.g. Status: Equal; Title and Source: Equal,
    Contains; OperationalData: Equal with the value ``{"key":"…","value":"…"}``). Another operator for a
    key is refused with ``ValidationException``; a key outside the API's enum too. Keys the emulator does
    not evaluate (times, resources, change requests) answer 501 ``NotImplemented`` rather than a wrong list.
    OperationalData filters see searchable data only, as the Overview page does.
    """
    chosen = list(items)
    for index, raw in enumerate(filters or [], start=1):
        key, operator, values = str(raw.get("Key")), str(raw.get("Operator")), [str(v) for v in raw.get("Values", [])]
        where = f"opsItemFilters.{index}.member"
        problems = [
            _violation(value, f"{where}.{name}", f"Member must satisfy enum value set: [{', '.join(enum)}]")
            for value, name, enum in ((key, "key", FILTER_KEYS), (operator, "operator", OPERATORS))
            if value not in enum
        ]
        if problems:
            raise ValidationException(_validation_message(problems))
        allowed = FILTER_OPERATORS.get(key)
        if allowed is None:
            raise NotImplementedFilter(f"the OpsItem filter {key} is not evaluated by the emulator")
        if operator not in allowed:
            raise ValidationException(
                f"The operator {operator} is not supported for the filter key {key}; use {' or '.join(allowed)}."
            )
        chosen = [item for item in chosen if any(_matches(item, key, operator, value) for value in values)]
    return chosen


def page(items: Sequence[OpsItem], max_results: Any, next_token: str | None) -> tuple[list[OpsItem], str | None]:
    """A page of at most MaxResults (1-50, default 50) OpsItems, most recently created first, and the token
    of the next page; a token not issued here is ``ValidationException``."""
    size = MAX_PAGE_SIZE if max_results is None else int(max_results)
    if not 1 <= size <= MAX_PAGE_SIZE:
        bound = "greater than or equal to 1" if size < 1 else f"less than or equal to {MAX_PAGE_SIZE}"
        raise ValidationException(
            _validation_message([_violation(size, "maxResults", f"Member must have value {bound}")])
        )
    start = _token_offset(next_token) if next_token else 0
    ordered = sorted(items, key=lambda item: item.created_time, reverse=True)
    chunk = ordered[start : start + size]
    return chunk, _offset_token(start + size) if start + size < len(ordered) else None


# --- Helpers ------------------------------------------------------------------------------------------------


def _matches(item: OpsItem, key: str, operator: str, value: str) -> bool:
    searchable = {k: v["Value"] for k, v in item.operational_data.items() if v.get("Type") == "SearchableString"}
    if key == "OperationalData":
        try:
            pair = json.loads(value)
        except ValueError:
            return False
        return isinstance(pair, dict) and searchable.get(str(pair.get("key"))) == pair.get("value")
    if key == "OperationalDataKey":
        return value in searchable
    if key == "OperationalDataValue":
        return any(_compare(candidate, operator, value) for candidate in searchable.values())
    field_values = {
        "Status": item.status,
        "Source": item.source,
        "Title": item.title,
        "OpsItemId": item.ops_item_id,
        "Priority": None if item.priority is None else str(item.priority),
        "Severity": item.severity,
        "Category": item.category,
        "OpsItemType": item.ops_item_type,
    }
    candidate = field_values[key]
    return candidate is not None and _compare(candidate, operator, value)


def _compare(candidate: str, operator: str, value: str) -> bool:
    return value in candidate if operator == "Contains" else candidate == value


def _items(backend: SimpleSystemManagerBackend) -> dict[str, OpsItem]:
    items: dict[str, OpsItem] = backend.__dict__.setdefault(_ITEMS_ATTRIBUTE, {})
    return items


def _validation_message(problems: Sequence[str]) -> str:
    count = len(problems)
    return f"{count} validation error{'s' if count > 1 else ''} detected: {'; '.join(problems)}"


def _violation(value: Any, where: str, constraint: str) -> str:
    return f"Value '{value}' at '{where}' failed to satisfy constraint: {constraint}"


def _length_violation(value: str, where: str, limit: int) -> str:
    bound = "greater than or equal to 1" if not value else f"less than or equal to {limit}"
    return _violation(value, where, f"Member must have length {bound}")


def _offset_token(offset: int) -> str:
    return offset_token(_TOKEN_PREFIX, offset)


def _token_offset(token: str) -> int:
    offset = token_offset(_TOKEN_PREFIX, token)
    if offset is None:
        raise ValidationException("The NextToken is not valid.")
    return offset


# --- Wiring into moto -------------------------------------------------------------------------------------


def _params(response: SimpleSystemManagerResponse) -> dict[str, Any]:
    params: dict[str, Any] = json.loads(response.body or "{}")
    return params


def _caller(response: SimpleSystemManagerResponse) -> str:
    return f"arn:aws:iam::{response.current_account}:root"


def _create_ops_item(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    require_valid_fields(params)
    data = require_valid_operational_data(params.get("OperationalData"))
    now = datetime.now(UTC)
    with _state_lock:
        items = _items(self.ssm_backend)
        refuse_duplicate(items.values(), data)
        ops_item_id = f"oi-{secrets.token_hex(6)}"
        item = OpsItem(
            ops_item_id=ops_item_id,
            arn=f"arn:aws:ssm:{self.region}:{self.current_account}:opsitem/{ops_item_id}",
            title=str(params["Title"]),
            description=str(params["Description"]),
            source=str(params["Source"]),
            created_by=_caller(self),
            created_time=now,
            ops_item_type=str(params.get("OpsItemType") or ISSUE_TYPE),
            priority=None if params.get("Priority") is None else int(params["Priority"]),
            severity=params.get("Severity"),
            category=params.get("Category"),
            operational_data=data,
            notifications=[{"Arn": str(n["Arn"])} for n in params.get("Notifications") or []],
            related_ops_items=[{"OpsItemId": str(r["OpsItemId"])} for r in params.get("RelatedOpsItems") or []],
            last_modified_time=now,
        )
        items[ops_item_id] = item
    return ActionResult({"OpsItemId": item.ops_item_id, "OpsItemArn": item.arn})


def _get_ops_item(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    require_valid_fields(params)
    with _state_lock:
        item = find_item(_items(self.ssm_backend), str(params["OpsItemId"]))
        return ActionResult({"OpsItem": item.to_api()})


def _update_ops_item(self: SimpleSystemManagerResponse) -> EmptyResult:
    params = _params(self)
    require_valid_fields(params)
    with _state_lock:
        item = find_item(_items(self.ssm_backend), str(params["OpsItemId"]))
        apply_update(item, params, _caller(self), datetime.now(UTC))
    return EmptyResult()


def _describe_ops_items(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    with _state_lock:
        chosen = matching(_items(self.ssm_backend).values(), params.get("OpsItemFilters"))
        summaries, next_token = page(chosen, params.get("MaxResults"), params.get("NextToken"))
        answer: dict[str, Any] = {"OpsItemSummaries": [item.summary() for item in summaries]}
    if next_token is not None:
        answer["NextToken"] = next_token
    return ActionResult(answer)


PATCHES = Patches(
    (
        (SimpleSystemManagerResponse, "create_ops_item", _create_ops_item),
        (SimpleSystemManagerResponse, "get_ops_item", _get_ops_item),
        (SimpleSystemManagerResponse, "update_ops_item", _update_ops_item),
        (SimpleSystemManagerResponse, "describe_ops_items", _describe_ops_items),
    )
)


def install() -> None:
    """Add the OpsItem calls to moto's SSM in this process; calling it again changes nothing."""
    PATCHES.install()
