"""The data-perimeter rewrite of an endpoint policy: who may call through the endpoint, and to whose resources.

AWS's data-perimeter guidance for endpoint policies bounds *who* (``aws:PrincipalOrgID``) and *which
resources* (``aws:ResourceOrgID``) and keeps ``Action "*"``: an endpoint is a network path, and the actions a
workload needs are its IAM policies' business. Narrowing actions at the endpoint breaks whatever the narrow
list forgot (package managers, agents, federation), so the rewrite narrows them only when told to (the
catalog's set is complete for the endpoint, or CloudTrail shows every action used).

The rewritten policy admits:

- principals of the organization (without an organization: the owner's and the trusted accounts) and of the
  trusted accounts, to resources of the organization and of those accounts, and to the partner resources the
  configuration names; where the service cannot bound resources, to any resource; and their calls that name
  no resource at all (no resource owner in the request: ``Null aws:ResourceAccount``);
- AWS service principals acting for the account (``aws:PrincipalIsAWSService``);
- for STS, federated callers (web identity, SAML) assuming roles of the organization: their requests are
  unsigned and carry no principal keys, so the role (the resource) is the bound;
- the AWS-owned resources the service's endpoint must reach (the Amazon Linux repositories, the SSM agent's
  buckets, ECR's image layers, ...), to anyone where the catalog says instances read them unauthenticated;

and keeps every explicit Deny of the original. Everything else is implicitly denied: principals outside the
perimeter and, where the service supports ``aws:ResourceOrgID``, resources outside it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

from vpce_guard.catalog import CatalogService
from vpce_guard.policy import Policy

POLICY_VERSION = "2012-10-17"
STRING_EQUALS = "StringEquals"
ORG_ID_KEY = "aws:PrincipalOrgID"
ACCOUNT_KEY = "aws:PrincipalAccount"
RESOURCE_ORG_ID_KEY = "aws:ResourceOrgID"
RESOURCE_ACCOUNT_KEY = "aws:ResourceAccount"
AWS_SERVICE_KEY = "aws:PrincipalIsAWSService"
ANYONE = "anyone"


class Perimeter(msgspec.Struct, frozen=True):
    """What is ours. ``owner`` is the endpoint's account; with an organization it is inside it, and the trusted
    accounts are the ones outside it that keep their access (partners). ``partner_resources`` are resource
    ARNs outside the perimeter that its principals may still reach."""

    owner: str
    org_id: str | None = None
    trusted_accounts: tuple[str, ...] = ()
    partner_resources: tuple[str, ...] = ()

    @property
    def accounts(self) -> tuple[str, ...]:
        """The accounts named one by one: the trusted ones, and the owner when there is no organization."""
        named = set(self.trusted_accounts) if self.org_id else {self.owner, *self.trusted_accounts}
        return tuple(sorted(named))


class OwnedResource(msgspec.Struct, frozen=True):
    """An AWS-owned resource the endpoint must keep admitting, as a concrete ARN pattern for one region."""

    arn: str
    actions: tuple[str, ...]
    callers: str  # ANYONE (read unauthenticated, e.g. by package managers) or "organization"
    purpose: str


class ServiceProfile(msgspec.Struct, frozen=True):
    """What the rewrite needs to know of the endpoint's service (from the catalog; a partner service has no
    entry: its resources belong to another organization by design, so it gets no resource bound)."""

    iam_prefix: str | None
    bounds_resources: bool
    federated_actions: tuple[str, ...] = ()
    owned_resources: tuple[OwnedResource, ...] = ()

    @classmethod
    def of(cls, entry: CatalogService | None, partition: str, region: str) -> ServiceProfile:
        """The catalog's facts about a service in ``region``; a partner service (no entry) reaches another
        organization's resources by design, so it gets no resource bound."""
        if entry is None:
            return cls(iam_prefix=None, bounds_resources=False)
        return cls(
            iam_prefix=entry.iam_prefix,
            bounds_resources=entry.resource_org_id,
            federated_actions=entry.federated_principals,
            owned_resources=tuple(
                OwnedResource(grant.arn, grant.actions, grant.callers, grant.purpose)
                for grant in entry.aws_owned_resources_for(partition, region)
            ),
        )


class Kept(msgspec.Struct, frozen=True):
    """Which callers beyond the perimeter's own principals the rewrite admits: those the original policy
    admitted (a rewrite never widens). ``anonymous_owned_resources`` lets anyone read the AWS-owned resources
    read unauthenticated; without it our principals alone may."""

    aws_services: bool = True
    federated: bool = True
    owned_resources: bool = True
    anonymous_owned_resources: bool = True


def rewrite(
    original: Policy | None,
    service: ServiceProfile,
    perimeter: Perimeter,
    actions: tuple[str, ...] | None = None,
    kept: Kept | None = None,
) -> dict[str, Any]:
    """The data-perimeter policy for an endpoint of ``service``: ``actions`` (all, when None) for the
    perimeter's principals and resources, then, as ``kept`` says, the AWS service principals, federated
    callers and AWS-owned resources, then the original's Deny statements as written."""
    kept = kept or Kept()
    granted: str | list[str] = list(actions) if actions else "*"
    statements = [
        *_perimeter_statements(service, perimeter, granted),
        *(
            [_statement("AwsServicePrincipals", granted, "*", {"Bool": {AWS_SERVICE_KEY: "true"}})]
            if kept.aws_services
            else []
        ),
        *(_federated_statements(service, perimeter) if kept.federated else ()),
        *(_owned_resource_statements(service, perimeter, kept) if kept.owned_resources else ()),
        *(
            dict(statement.document)
            for statement in (original.statements if original else ())
            if not statement.is_allow
        ),
    ]
    return {"Version": POLICY_VERSION, "Statement": statements}


def _principal_bounds(perimeter: Perimeter) -> Iterator[tuple[str, dict[str, Any]]]:
    if perimeter.org_id:
        yield "Organization", {ORG_ID_KEY: perimeter.org_id}
    if perimeter.accounts:
        yield ("TrustedAccounts" if perimeter.org_id else "Accounts"), {ACCOUNT_KEY: _one_or_list(perimeter.accounts)}


def _resource_bounds(perimeter: Perimeter) -> Iterator[tuple[str, dict[str, Any]]]:
    if perimeter.org_id:
        yield "Organization", {RESOURCE_ORG_ID_KEY: perimeter.org_id}
    if perimeter.accounts:
        label = "TrustedAccounts" if perimeter.org_id else "Accounts"
        yield label, {RESOURCE_ACCOUNT_KEY: _one_or_list(perimeter.accounts)}


def _perimeter_statements(
    service: ServiceProfile, perimeter: Perimeter, granted: str | list[str]
) -> Iterator[dict[str, Any]]:
    for who, principal_bound in _principal_bounds(perimeter):
        if not service.bounds_resources:
            yield _statement(f"{who}Principals", granted, "*", {STRING_EQUALS: principal_bound})
            continue
        for whose, resource_bound in _resource_bounds(perimeter):
            yield _statement(
                f"{who}PrincipalsTo{whose}Resources",
                granted,
                "*",
                {STRING_EQUALS: {**principal_bound, **resource_bound}},
            )
        # A call that names no resource (sts:GetCallerIdentity, sts:GetSessionToken, ...) carries no resource
        # owner: the resource bound cannot hold, and there is nothing to exfiltrate to.
        yield _statement(
            f"{who}PrincipalsWithoutResource",
            granted,
            "*",
            {STRING_EQUALS: principal_bound, "Null": {RESOURCE_ACCOUNT_KEY: "true"}},
        )
        if perimeter.partner_resources:
            yield _statement(
                f"{who}PrincipalsToPartnerResources",
                granted,
                _one_or_list(perimeter.partner_resources),
                {STRING_EQUALS: principal_bound},
            )


def _federated_statements(service: ServiceProfile, perimeter: Perimeter) -> Iterator[dict[str, Any]]:
    """Federated callers carry no principal keys: the role they assume must be ours."""
    if not service.federated_actions:
        return
    for whose, resource_bound in _resource_bounds(perimeter):
        yield _statement(
            f"FederatedPrincipalsTo{whose}Roles",
            list(service.federated_actions),
            "*",
            {STRING_EQUALS: resource_bound},
        )


def _owned_resource_statements(service: ServiceProfile, perimeter: Perimeter, kept: Kept) -> Iterator[dict[str, Any]]:
    """One statement per (callers, actions): AWS-owned resources read by anyone, or by our principals only."""
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for resource in service.owned_resources:
        callers = resource.callers if kept.anonymous_owned_resources else "organization"
        groups.setdefault((callers, resource.actions), []).append(resource.arn)
    for index, ((callers, actions), arns) in enumerate(sorted(groups.items())):
        suffix = "" if index == 0 else str(index + 1)
        resources = _one_or_list(tuple(dict.fromkeys(arns)))
        if callers == ANYONE:
            yield _statement(f"AwsOwnedResources{suffix}", list(actions), resources, None)
            continue
        for who, principal_bound in _principal_bounds(perimeter):
            yield _statement(
                f"{who}PrincipalsToAwsOwnedResources{suffix}",
                list(actions),
                resources,
                {STRING_EQUALS: principal_bound},
            )


def _statement(
    sid: str, actions: str | list[str], resources: str | list[str], condition: Mapping[str, Any] | None
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": "*",
        "Action": actions,
        "Resource": resources,
    }
    if condition:
        statement["Condition"] = dict(condition)
    return statement


def _one_or_list(values: tuple[str, ...]) -> str | list[str]:
    return values[0] if len(values) == 1 else list(values)
