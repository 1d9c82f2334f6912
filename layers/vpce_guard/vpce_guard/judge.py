"""The judge of every policy rewrite: old and new policies put to the same requests before anything changes.

A rewrite is made only when no request that the old policy allowed for a legitimate caller is denied by the
new one, and the new one allows nothing the old one denied. The requests stand for everyone who calls
through an endpoint:

- a principal of the organization (without one: of the owner's account) to a resource of the organization,
  and naming no resource at all (no resource keys: sts:GetCallerIdentity), for each catalogued action and
  for any other action of the service;
- the same principal to each AWS-owned resource the service's endpoint must reach, and an anonymous caller to
  those read unauthenticated;
- an AWS service principal; a federated caller (web identity, SAML) assuming a role of the organization
  (STS); a principal of each trusted account; the organization's principals to each partner resource;
- every caller and action CloudTrail saw through the endpoint (taken as calls to the organization's
  resources: CloudTrail does not say whose a resource is);

and for the outside, which the rewrite exists to deny: an outsider's principal, an anonymous caller to the
organization's resources, and (where the service bounds resources) our principal to an outside resource.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import msgspec
from msgspec.structs import replace

from vpce_guard.iam import Caller, Evaluation, Request, evaluate
from vpce_guard.perimeter import ANYONE, Kept, Perimeter, ServiceProfile
from vpce_guard.policy import Policy

OUTSIDE_ORG = "o-outsideorg00"
OUTSIDE_ACCOUNTS = ("999999999999", "888888888888")
OTHER_ACTION = "AnyOtherAction"
# Services every call of which CloudTrail records as a management event, so that event history can show all
# an endpoint carries: STS's calls, KMS's cryptographic calls and Secrets Manager's secret reads all are.
MANAGEMENT_EVENTS_ONLY = frozenset({"sts", "kms", "secretsmanager"})


class SeenCall(msgspec.Struct, frozen=True):
    """A call CloudTrail recorded through the endpoint: who (principal ARN, or None when unsigned), from
    which account (None when unknown), with which identity type (AssumedRole, IAMUser, AWSService,
    WebIdentityUser, SAMLUser, ...), and the IAM action."""

    identity_type: str
    principal: str | None
    account: str | None
    action: str


class Activity(msgspec.Struct, frozen=True):
    """What CloudTrail showed of one endpoint's use over ``days``: the calls seen, whether the read was cut
    short (``partial``), and what it can never see."""

    calls: tuple[SeenCall, ...]
    days: int
    partial: bool
    cannot_see: str

    def actions(self, iam_prefix: str) -> tuple[str, ...]:
        """The service's actions seen, sorted."""
        return tuple(sorted({call.action for call in self.calls if call.action.startswith(f"{iam_prefix}:")}))

    def complete_for(self, iam_prefix: str) -> bool:
        """Whether the calls seen can stand for every call the endpoint carries: a whole read, some calls, and
        a service all of whose calls CloudTrail records as management events (event history has no data
        events: S3 object calls, DynamoDB item calls, CloudWatch Logs' PutLogEvents never show there)."""
        return not self.partial and bool(self.actions(iam_prefix)) and iam_prefix in MANAGEMENT_EVENTS_ONLY

    def to_dict(self) -> dict[str, object]:
        return {
            "days": self.days,
            "partial": self.partial,
            "cannot_see": self.cannot_see,
            "calls": [
                {"caller": call.principal or call.identity_type, "account": call.account, "action": call.action}
                for call in self.calls
            ],
        }


class Case(msgspec.Struct, frozen=True):
    """One request put to both policies: who sends it, what it asks, and whether that caller is legitimate."""

    caller: str
    action: str
    resource: str
    request: Request
    legitimate: bool

    @property
    def label(self) -> str:
        return f"{self.caller}: {self.action} on {self.resource}"


class Shift(msgspec.Struct, frozen=True):
    """A case whose outcome differs between the old and the new policy."""

    case: Case
    before: Evaluation
    after: Evaluation

    def to_dict(self) -> dict[str, object]:
        return {
            "caller": self.case.caller,
            "action": self.case.action,
            "resource": self.case.resource,
            "legitimate": self.case.legitimate,
            "before": self.before.outcome.value,
            "after": self.after.outcome.value,
        }


class Judgement(msgspec.Struct, frozen=True):
    """``lost``: legitimate requests the new policy would deny; ``gained``: requests it would newly allow;
    ``refused``: illegitimate requests it would deny that the old one allowed (what the rewrite is for)."""

    cases: int
    lost: tuple[Shift, ...]
    gained: tuple[Shift, ...]
    refused: tuple[Shift, ...]

    @property
    def safe(self) -> bool:
        return not self.lost and not self.gained

    @property
    def reason(self) -> str:
        """Why the rewrite may not be made, naming the first requests (empty when it may); the preview lists
        them all."""
        parts = []
        if self.lost:
            parts.append(f"it would deny {_listed(self.lost)}")
        if self.gained:
            parts.append(f"it would newly allow {_listed(self.gained)}")
        return " and ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {
            "cases": self.cases,
            "lost": [shift.to_dict() for shift in self.lost],
            "gained": [shift.to_dict() for shift in self.gained],
            "refused": [shift.to_dict() for shift in self.refused],
        }


def kept_by(
    old: Policy,
    service: ServiceProfile,
    perimeter: Perimeter,
    *,
    partition: str,
    region: str,
    actions: Iterable[str],
) -> tuple[Perimeter, Kept]:
    """What of the perimeter's extra callers ``old`` admits, so that a rewrite keeps them and adds no other:
    the trusted accounts and partner resources it reaches, AWS service principals, federated callers, the
    AWS-owned resources (and whether anyone may read those read unauthenticated)."""
    context = _Context(service, perimeter, partition, region)
    every_action = (*actions, f"{service.iam_prefix or 'partner'}:{OTHER_ACTION}")

    def admits(principal: _Principal, resource: _Resource, asked: Iterable[str]) -> bool:
        return any(
            evaluate(old, _case("", principal, action, resource, legitimate=True).request).allowed for action in asked
        )

    trusted = tuple(
        account
        for account in perimeter.trusted_accounts
        if admits(_principal(partition, account, None, "partner"), context.ours, every_action)
    )
    partners = tuple(
        arn for arn in perimeter.partner_resources if admits(context.insider, (arn.replace("*", "x"), {}), every_action)
    )
    owned: list[tuple[_Resource, tuple[str, ...]]] = [
        ((owned.arn.replace("*", "x"), {}), owned.actions) for owned in service.owned_resources
    ]
    kept = Kept(
        aws_services=admits(context.service_principal, context.ours, every_action),
        federated=admits((Caller("Federated", "provider"), {}), context.ours, service.federated_actions),
        owned_resources=any(admits(context.insider, resource, asked) for resource, asked in owned),
        anonymous_owned_resources=any(admits(_ANONYMOUS, resource, asked) for resource, asked in owned),
    )
    return replace(perimeter, trusted_accounts=trusted, partner_resources=partners), kept


def _listed(shifts: tuple[Shift, ...], shown: int = 3) -> str:
    labels = "; ".join(shift.case.label for shift in shifts[:shown])
    return labels if len(shifts) <= shown else f"{labels}; and {len(shifts) - shown} more request(s)"


def judge(old: Policy, new: Policy, cases: Iterable[Case]) -> Judgement:
    lost, gained, refused = [], [], []
    count = 0
    for case in cases:
        count += 1
        before, after = evaluate(old, case.request), evaluate(new, case.request)
        if before.allowed == after.allowed:
            continue
        shift = Shift(case, before, after)
        if after.allowed:
            gained.append(shift)
        elif case.legitimate:
            lost.append(shift)
        else:
            refused.append(shift)
    return Judgement(count, tuple(lost), tuple(gained), tuple(refused))


def request_cases(
    service: ServiceProfile,
    perimeter: Perimeter,
    *,
    partition: str,
    region: str,
    actions: Iterable[str],
    seen: Iterable[SeenCall] = (),
    narrowed_to: tuple[str, ...] | None = None,
) -> tuple[Case, ...]:
    """The requests of the module docstring for an endpoint of ``service`` in ``region``. ``actions`` are
    the catalogued ones; "any other action" of the service stands for the rest. All are needed by legitimate
    callers unless the rewrite is narrowed on evidence (a complete catalog set, or CloudTrail's record):
    then only the actions it is ``narrowed_to`` are."""
    prefix = service.iam_prefix or "partner"
    context = _Context(service, perimeter, partition, region)
    other = f"{prefix}:{OTHER_ACTION}"
    return (
        *(
            case
            for action in dict.fromkeys([*actions, other])
            for case in context.action_cases(action, needed=narrowed_to is None or action in narrowed_to)
        ),
        *context.federated_cases(),
        *context.owned_resource_cases(),
        *(context.seen_case(call) for call in seen),
    )


class _Context:
    """The callers and resources the cases are made of, for one endpoint's service, perimeter and region."""

    def __init__(self, service: ServiceProfile, perimeter: Perimeter, partition: str, region: str) -> None:
        self.service, self.perimeter, self.partition = service, perimeter, partition
        prefix = service.iam_prefix or "partner"
        outside_account = next(a for a in OUTSIDE_ACCOUNTS if a not in {perimeter.owner, *perimeter.trusted_accounts})
        self.ours = _resource(prefix, partition, region, perimeter.owner, perimeter.org_id)
        self.outside = _resource(prefix, partition, region, outside_account, OUTSIDE_ORG)
        self.insider = _principal(partition, perimeter.owner, perimeter.org_id, "workload")
        self.outsider = _principal(partition, outside_account, OUTSIDE_ORG, "outsider")
        self.insider_label = f"a principal of {perimeter.org_id or perimeter.owner}"
        self.service_principal: _Principal = (
            Caller("Service", f"{prefix}.amazonaws.com"),
            {"aws:PrincipalIsAWSService": ("true",), "aws:PrincipalServiceName": (f"{prefix}.amazonaws.com",)},
        )

    def action_cases(self, action: str, *, needed: bool) -> Iterator[Case]:
        """Everyone asking ``action``; ``needed`` says whether the legitimate callers need it at all."""
        yield _case(self.insider_label, self.insider, action, self.ours, legitimate=needed)
        yield _case("an AWS service principal", self.service_principal, action, self.ours, legitimate=needed)
        for account in self.perimeter.trusted_accounts:
            trusted = _principal(self.partition, account, None, "partner")
            yield _case(f"a principal of trusted account {account}", trusted, action, self.ours, legitimate=needed)
        for arn in self.perimeter.partner_resources:
            yield _case(self.insider_label, self.insider, action, (arn.replace("*", "x"), {}), legitimate=needed)
        yield _case(f"{self.insider_label} naming no resource", self.insider, action, _NO_RESOURCE, legitimate=needed)
        yield _case("an outsider's principal", self.outsider, action, self.ours, legitimate=False)
        yield _case("an anonymous caller", _ANONYMOUS, action, self.ours, legitimate=False)
        to_outside = needed and not self.service.bounds_resources
        yield _case(self.insider_label, self.insider, action, self.outside, legitimate=to_outside)

    def federated_cases(self) -> Iterator[Case]:
        provider = f"arn:{self.partition}:iam::{self.perimeter.owner}:oidc-provider/oidc.example"
        federated: _Principal = (Caller("Federated", provider), {})
        for action in self.service.federated_actions:
            yield _case("a federated caller", federated, action, self.ours, legitimate=True)
            yield _case("a federated caller", federated, action, self.outside, legitimate=False)

    def owned_resource_cases(self) -> Iterator[Case]:
        for owned in self.service.owned_resources:
            resource: _Resource = (owned.arn.replace("*", "x"), {})
            for action in owned.actions:
                yield _case(self.insider_label, self.insider, action, resource, legitimate=True)
                if owned.callers == ANYONE:
                    yield _case("an anonymous caller", _ANONYMOUS, action, resource, legitimate=True)

    def seen_case(self, call: SeenCall) -> Case:
        return _case(
            f"{call.principal or call.identity_type} (seen in CloudTrail)",
            _seen_principal(call, self.perimeter, self.partition),
            call.action,
            self.ours,
            legitimate=True,
        )


_Principal = tuple[Caller | None, dict[str, tuple[str, ...]]]
_Resource = tuple[str, dict[str, tuple[str, ...]]]
_ANONYMOUS: _Principal = (None, {})
# A call that names no resource (sts:GetCallerIdentity): no resource keys in the request.
_NO_RESOURCE: _Resource = ("*", {})


def _case(
    caller: str,
    principal: _Principal,
    action: str,
    resource: _Resource,
    *,
    legitimate: bool,
) -> Case:
    who, principal_keys = principal
    arn, resource_keys = resource
    return Case(caller, action, arn, Request(action, arn, who, {**principal_keys, **resource_keys}), legitimate)


def _principal(partition: str, account: str, org_id: str | None, name: str) -> _Principal:
    role = f"arn:{partition}:iam::{account}:role/{name}"
    keys: dict[str, tuple[str, ...]] = {
        "aws:PrincipalAccount": (account,),
        "aws:PrincipalArn": (role,),
        "aws:PrincipalIsAWSService": ("false",),
    }
    if org_id:
        keys["aws:PrincipalOrgID"] = (org_id,)
    return Caller("AWS", role, account), keys


def _resource(prefix: str, partition: str, region: str, account: str, org_id: str | None) -> _Resource:
    arn = f"arn:{partition}:{prefix}:{region}:{account}:resource/example"
    keys: dict[str, tuple[str, ...]] = {"aws:ResourceAccount": (account,)}
    if org_id:
        keys["aws:ResourceOrgID"] = (org_id,)
    return arn, keys


def _seen_principal(call: SeenCall, perimeter: Perimeter, partition: str) -> _Principal:
    """A recorded caller as a request's principal. An account other than the owner's is taken as outside the
    organization unless it is a trusted one: CloudTrail does not say which organization an account is in, and
    a guess in our favour could lock the caller out."""
    if call.identity_type == "AWSService":
        return Caller("Service", call.principal or "aws.amazonaws.com"), {"aws:PrincipalIsAWSService": ("true",)}
    if call.principal is None or call.account is None:
        federated = call.identity_type in ("WebIdentityUser", "SAMLUser")
        return (Caller("Federated", call.principal or "unknown") if federated else None), {}
    org_id = perimeter.org_id if call.account == perimeter.owner else None
    _, keys = _principal(partition, call.account, org_id, "seen")
    keys["aws:PrincipalArn"] = (call.principal,)
    return Caller("AWS", call.principal, call.account), keys
