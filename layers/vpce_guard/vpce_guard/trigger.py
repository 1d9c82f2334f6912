"""CloudTrail API calls delivered by EventBridge, read as "what changed": the ids of the resources a call touched.

The event body is never evaluated. CloudTrail records the call, not the result: a CreateVpcEndpoint response shows
``state: pending`` and empty sets, and a later call may already have changed the endpoint again. So a change yields
only ids, and the pipeline re-describes those resources before any check runs.

EC2 records are XML-shaped JSON, and the ids sit in a different place for nearly every call:

- some calls wrap parameters and response: ``{"CreateVpcEndpointRequest": {"VpcId": …}}``,
  ``{"CreateVpcEndpointResponse": {"vpcEndpoint": {…}, "xmlns": …}}``; others do not: ``{"vpcId": …}``;
- wrapped requests use the query API's PascalCase names (``VpcId``), unwrapped ones and responses camelCase;
- a set is ``{"item": …}`` or ``{"items": […]}``; a set of one is flattened to that one member; an empty set is
  ``""`` or ``{}``;
- a list member of a request carries an index: ``{"tag": 1, "content": "vpce-…"}``.

``_members`` undoes all of that, so each call names its ids by key path alone (``_WHERE``).

Scenarios (the test plan, tests/unit/test_trigger.py):

- an accepted call yields an ``ApiChange`` with its ids deduplicated and sorted: CreateVpcEndpoint (endpoint from
  the response, VPC from the request), ModifyVpcEndpoint, DeleteVpcEndpoints (every id), ModifyVpcAttribute (VPC),
  CreateSubnet (VPC, and the new subnet), DeleteSubnet (subnet), the group-rule calls (group),
  AssociateRouteTable (route table and subnet), ReplaceRouteTableAssociation (route table), the network ACL calls
  CreateNetworkAclEntry, ReplaceNetworkAclEntry, DeleteNetworkAclEntry and ReplaceNetworkAclAssociation (the
  network ACL: for an association, the one the subnet moves to, in the VPC the subnet is in);
- a call that failed (``errorCode``) changed nothing: ``Ignored``;
- any other call, or a call to another service, is ``Ignored`` cheaply;
- the event is read into ``CloudTrailEvent`` with msgspec (the EventBridge envelope as AWS documents it, with the
  CloudTrail fields read here): the account and Region are the envelope's, which AWS sets and a sender cannot forge; a
  body whose ``recipientAccountId`` or ``awsRegion`` names another is malformed, and so is an account that is
  not 12 digits or a Region no partition knows;
- an event that is not an object, with no id, no ``detail``, no ``eventName``, with an id of the wrong form, or
  without an id the call must carry, is malformed: ``TriggerError`` names the field and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec

from vpce_guard import identifiers, schemas

ENDPOINT_EVENTS: tuple[str, ...] = ("CreateVpcEndpoint", "ModifyVpcEndpoint", "DeleteVpcEndpoints")
VPC_EVENTS: tuple[str, ...] = ("ModifyVpcAttribute", "CreateSubnet", "DeleteSubnet")
GROUP_EVENTS: tuple[str, ...] = (
    "AuthorizeSecurityGroupIngress",
    "RevokeSecurityGroupIngress",
    "ModifySecurityGroupRules",
)
ROUTE_EVENTS: tuple[str, ...] = ("AssociateRouteTable", "ReplaceRouteTableAssociation")
NETWORK_ACL_EVENTS: tuple[str, ...] = (
    "CreateNetworkAclEntry",
    "ReplaceNetworkAclEntry",
    "DeleteNetworkAclEntry",
    "ReplaceNetworkAclAssociation",
)
# The template's EventBridge pattern lists exactly these names, in this order.
ACCEPTED_EVENT_NAMES: tuple[str, ...] = ENDPOINT_EVENTS + VPC_EVENTS + GROUP_EVENTS + ROUTE_EVENTS + NETWORK_ACL_EVENTS

EC2_EVENT_SOURCE = "ec2.amazonaws.com"


class TriggerError(ValueError):
    """An event that is not a well-formed CloudTrail record of an accepted call; the message says what is wrong."""


class CloudTrailDetail(msgspec.Struct, frozen=True):
    """The fields of a CloudTrail record that the trigger reads; CloudTrail's other fields are not read."""

    eventName: Annotated[str, msgspec.Meta(min_length=1)]
    eventSource: str = EC2_EVENT_SOURCE
    eventTime: str | None = None
    awsRegion: str | None = None
    recipientAccountId: str | None = None
    errorCode: str | None = None
    requestParameters: Any = None
    responseElements: Any = None


class CloudTrailEvent(msgspec.Struct, frozen=True, rename={"detail_type": "detail-type", "replay_name": "replay-name"}):
    """An "AWS API Call via CloudTrail" event as EventBridge delivers it: the envelope's fields as EventBridge
    documents them, and the CloudTrail record in ``detail``. ``account`` and ``region`` are set by AWS; the body
    must agree with them, since only the envelope says where the call really happened."""

    version: str
    id: Annotated[str, msgspec.Meta(min_length=1)]  # the key duplicate deliveries are recognised by
    detail_type: str
    source: str
    account: str
    time: datetime
    region: str
    resources: list[str]
    detail: CloudTrailDetail
    replay_name: str | None = None  # present only in an event replayed from an archive

    def __post_init__(self) -> None:
        schemas.check_fields(self, account=identifiers.account_id, region=identifiers.region)
        for field, claimed, actual in (
            ("detail.recipientAccountId", self.detail.recipientAccountId, self.account),
            ("detail.awsRegion", self.detail.awsRegion, self.region),
        ):
            if claimed is not None and claimed != actual:
                raise ValueError(f"{field} {claimed!r} differs from the envelope's {actual!r}, which AWS sets")


@dataclass(frozen=True)
class ApiChange:
    """An accepted EC2 call that succeeded, and the ids of the resources it touched."""

    event_id: str  # the EventBridge event id (duplicate deliveries share it)
    event_name: str
    account_id: str  # the account the call was made in
    region: str
    event_time: str
    endpoint_ids: tuple[str, ...] = ()
    vpc_ids: tuple[str, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    route_table_ids: tuple[str, ...] = ()
    network_acl_ids: tuple[str, ...] = ()


class Ignored(msgspec.Struct, frozen=True):
    """An event that changes nothing vpce-guard judges, and why."""

    event_id: str
    reason: str


class _Ids(msgspec.Struct, frozen=True):
    """Where a call carries one kind of id: key paths searched in both request and response."""

    paths: tuple[tuple[str, ...], ...]
    required: bool = True


# The ApiChange field of each kind of id: its prefix and its name in messages. An id is its prefix and 8 or 17
# hexadecimal digits, as EC2 makes them; EC2 refuses any other form as malformed.
_KINDS = {
    "endpoint_ids": ("vpce-", "VPC endpoint id"),
    "vpc_ids": ("vpc-", "VPC id"),
    "subnet_ids": ("subnet-", "subnet id"),
    "security_group_ids": ("sg-", "security group id"),
    "route_table_ids": ("rtb-", "route table id"),
    "network_acl_ids": ("acl-", "network ACL id"),
}

# A group-rule call names its group by id in the request, or by name (default VPC), when only the response's new
# rules carry the id.
_GROUP = _Ids((("groupId",), ("securityGroupRuleSet", "groupId")), required=False)

# The network ACL calls name the network ACL in the request (an association call: the one the subnet moves to).
_NETWORK_ACL = _Ids((("networkAclId",),))

# Where each accepted call carries its ids. Key paths match case-insensitively (``VpcId`` in a wrapped request,
# ``vpcId`` elsewhere).
_WHERE: dict[str, dict[str, _Ids]] = {
    "CreateVpcEndpoint": {
        "endpoint_ids": _Ids((("vpcEndpoint", "vpcEndpointId"),), required=False),
        "vpc_ids": _Ids((("VpcId",), ("vpcEndpoint", "vpcId"))),
    },
    "ModifyVpcEndpoint": {"endpoint_ids": _Ids((("VpcEndpointId",),))},
    "DeleteVpcEndpoints": {"endpoint_ids": _Ids((("VpcEndpointId",),))},
    "ModifyVpcAttribute": {"vpc_ids": _Ids((("vpcId",),))},
    "CreateSubnet": {
        "vpc_ids": _Ids((("vpcId",), ("subnet", "vpcId"))),
        "subnet_ids": _Ids((("subnet", "subnetId"),), required=False),
    },
    "DeleteSubnet": {"subnet_ids": _Ids((("subnetId",),))},
    "AuthorizeSecurityGroupIngress": {"security_group_ids": _GROUP},
    "RevokeSecurityGroupIngress": {"security_group_ids": _GROUP},
    "ModifySecurityGroupRules": {"security_group_ids": _Ids((("GroupId",),))},
    "AssociateRouteTable": {
        "route_table_ids": _Ids((("routeTableId",),)),
        "subnet_ids": _Ids((("subnetId",),), required=False),
    },
    "ReplaceRouteTableAssociation": {"route_table_ids": _Ids((("routeTableId",),))},
    "CreateNetworkAclEntry": {"network_acl_ids": _NETWORK_ACL},
    "ReplaceNetworkAclEntry": {"network_acl_ids": _NETWORK_ACL},
    "DeleteNetworkAclEntry": {"network_acl_ids": _NETWORK_ACL},
    "ReplaceNetworkAclAssociation": {"network_acl_ids": _NETWORK_ACL},
}


def parse_api_change(event: Mapping[str, Any]) -> ApiChange | Ignored:
    """What an EventBridge "AWS API Call via CloudTrail" event changed, or why it changed nothing we judge."""
    envelope = validated(event)
    detail = envelope.detail
    event_id, event_name = envelope.id, detail.eventName
    if detail.eventSource != EC2_EVENT_SOURCE:
        return Ignored(event_id, f"{event_name} from {detail.eventSource} is not an event vpce-guard watches")
    if event_name not in ACCEPTED_EVENT_NAMES:
        return Ignored(event_id, f"{event_name} is not an event vpce-guard watches")
    if detail.errorCode:
        return Ignored(event_id, f"{event_name} failed ({detail.errorCode}): nothing changed")

    sections = [
        _unwrapped(detail.requestParameters, event_name + "Request"),
        _unwrapped(detail.responseElements, event_name + "Response"),
    ]
    ids = {field: _ids_of(event_id, event_name, field, where, sections) for field, where in _WHERE[event_name].items()}
    if not any(ids.values()):
        # e.g. a rule change on a default-VPC group named only by name, with no rule ids in the response
        return Ignored(event_id, f"{event_name} names no resource by id; the scheduled sweep judges it")
    return ApiChange(
        event_id=event_id,
        event_name=event_name,
        account_id=envelope.account,
        region=envelope.region,
        event_time=detail.eventTime or envelope.time.isoformat(),
        **ids,
    )


def validated(event: Any) -> CloudTrailEvent:
    """The event read into ``CloudTrailEvent``; a TriggerError naming the wrong field otherwise."""
    if not isinstance(event, Mapping):
        raise TriggerError(f"an EventBridge event is a JSON object, not {type(event).__name__}")
    try:
        return msgspec.convert(event, CloudTrailEvent)
    except msgspec.ValidationError as error:
        event_id = event.get("id")
        named = f"event {event_id}" if isinstance(event_id, str) and event_id else "an event without an 'id'"
        problem = schemas.problem(error, "the event")
        raise TriggerError(f"{named} is not an 'AWS API Call via CloudTrail' event: {problem}") from None


def _ids_of(event_id: str, event_name: str, field: str, where: _Ids, sections: Sequence[Any]) -> tuple[str, ...]:
    prefix, noun = _KINDS[field]
    form = re.compile(re.escape(prefix) + r"(?:[0-9a-f]{8}|[0-9a-f]{17})")
    found = [value for section in sections for path in where.paths for value in _at(section, path)]
    for value in found:
        if not (isinstance(value, str) and form.fullmatch(value)):
            raise TriggerError(
                f"{event_name} event {event_id} has {str(value)[:80]!r} where a {noun} ({prefix} and 8 or 17 "
                "hexadecimal digits) belongs"
            )
    if not found and where.required:
        looked = " or ".join(".".join(path) for path in where.paths)
        raise TriggerError(
            f"{event_name} event {event_id} carries no {noun}: looked for {looked} in requestParameters and "
            "responseElements; without it there is nothing to re-describe"
        )
    return tuple(sorted(set(found)))


def _unwrapped(body: Any, wrapper: str) -> Any:
    """requestParameters or responseElements, out of its ``<EventName>Request``/``Response`` wrapper if it has one."""
    if isinstance(body, Mapping) and isinstance(body.get(wrapper), Mapping):
        return body[wrapper]
    return body


def _at(value: Any, path: Sequence[str]) -> Iterator[Any]:
    """Every value at ``path`` (keys matched case-insensitively) in an XML-shaped document, through its sets."""
    for member in _members(value):
        if not path:
            yield member
        elif isinstance(member, Mapping):
            for key, child in member.items():
                if isinstance(key, str) and key.lower() == path[0].lower():
                    yield from _at(child, path[1:])


def _members(value: Any) -> Iterator[Any]:
    """The members of an XML-shaped value: each item of a list or an ``item``/``items`` set, the one member of a
    flattened set, the content of a ``{"tag": n, "content": …}`` list member; nothing for an empty set."""
    if value is None or value == "":
        return
    if isinstance(value, list):
        for item in value:
            yield from _members(item)
    elif isinstance(value, Mapping) and value.keys() <= {"item", "items"}:
        for items in value.values():
            yield from _members(items)
    elif isinstance(value, Mapping) and "content" in value and value.keys() <= {"tag", "content"}:
        yield from _members(value["content"])
    else:
        yield value
