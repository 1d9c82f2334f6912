"""restrict-endpoint-policy (policy-any-principal, policy-wildcard-action, policy-foreign-principal,
policy-any-resource): rewrite the endpoint policy on the data-perimeter pattern, and only when the judge finds
that no legitimate caller loses access.

Why: the default policy lets any AWS account's credentials use the VPC's private path to every action of the
service (seeds 001 and 002), and lets an insider's credentials write to anyone's resources through it. The
rewrite (``vpce_guard.perimeter``) bounds who may call and, where the service supports it, whose resources they
reach, and keeps what the endpoint must still serve: AWS service principals, federated callers assuming the
organization's roles, the AWS-owned resources instances read, the trusted accounts and the partner resources
the configuration names, and every explicit Deny of the original. Of those extra callers it keeps only the
ones the original admitted: a rewrite narrows, it never widens. Actions are narrowed only for
policy-wildcard-action, and only where the catalog's set is complete for the endpoint (seed 004's
bedrock-runtime) or CloudTrail shows every action used through it.

Before any change the old and new policies are put to the same requests (``vpce_guard.judge``): an
organization principal to an organization resource, each AWS-owned resource, anonymous, federated, an AWS
service principal, each trusted account, an outsider, every catalogued action, and every caller CloudTrail
saw. A rewrite that would deny a legitimate request, or allow one the old policy denied, is a ticket naming
them, carrying the proposed policy.

Scenarios:
- a catalogued service (sts, the S3 and DynamoDB gateways, ecr, ssm, kms, logs, secretsmanager,
  bedrock-runtime, ...) or a partner service -> ModifyVpcEndpoint with the rewrite;
- a service whose catalog set is complete (bedrock-runtime) -> the rewrite with those actions, whichever
  policy finding fired;
- policy-wildcard-action on another service, with CloudTrail evidence that is complete for it -> the rewrite
  with the actions seen; otherwise -> a ticket carrying the proposed rewrite;
- the service does not support endpoint policies -> ticket (the policy grants nothing there);
- callers of the service are not IAM principals (bedrock-agentcore.gateway: bearer tokens, seed 001) ->
  ticket: only Resource can be narrowed, to the gateway's ARN, which a person knows;
- a service the catalog does not know -> ticket: its resources and callers are unknown;
- the rewrite is over AWS's 20,480 characters, or the judge finds a legitimate request denied (a caller seen
  in CloudTrail included) or a new one allowed (a policy scoped more narrowly than the perimeter) -> ticket.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from vpce_guard.catalog import CatalogService, load_catalog, parse_service_name
from vpce_guard.facts import Endpoint, Facts
from vpce_guard.findings import Finding
from vpce_guard.identifiers import partition_of
from vpce_guard.judge import Activity, Judgement, judge, kept_by, request_cases
from vpce_guard.perimeter import Perimeter, ServiceProfile, rewrite
from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY, MAX_POLICY_CHARACTERS, parse_policy
from vpce_guard.remediation.model import Plan, PlanOptions, Playbook, TicketOnly
from vpce_guard.remediation.playbooks.base import endpoint_of, endpoint_ref
from vpce_guard.remediation.runbooks import modify_endpoint

WILDCARD_ACTION = "policy-wildcard-action"


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    endpoint = endpoint_of(finding, facts)
    name = endpoint.service_name
    service = facts.service_of(endpoint)
    if service is not None and not service.policy_supported:
        return TicketOnly(
            finding, f"{name} does not support endpoint policies: the policy of {endpoint.id} grants nothing"
        )
    entry = load_catalog().lookup(name, endpoint.type)
    ref = parse_service_name(name)
    if entry is not None and not entry.iam_principals:
        return TicketOnly(
            finding,
            f'callers of {name} present bearer tokens, not IAM credentials: keep Principal and Action "*" and narrow '
            f"Resource of {endpoint.id}'s policy to the resources it serves (seed 001)",
        )
    if entry is None and not (ref is not None and ref.is_partner):
        return TicketOnly(
            finding, f"{name} is a service the catalog does not know: write the policy of {endpoint.id} by hand"
        )
    return rewrite_plan(finding, endpoint, entry, options)


def rewrite_plan(
    finding: Finding, endpoint: Endpoint, entry: CatalogService | None, options: PlanOptions
) -> Plan | TicketOnly:
    """The rewrite of ``endpoint``'s policy, judged; a ticket carrying it when it may not be made."""
    region = finding.region
    partition = partition_of(region)
    profile = ServiceProfile.of(entry, partition, region)
    perimeter = Perimeter(
        owner=endpoint.owner_id,
        org_id=options.org_id,
        trusted_accounts=options.trusted_accounts,
        partner_resources=options.partner_resources,
    )
    activity = options.activity.get(endpoint.id)
    actions, narrowing = _actions(finding, entry, activity)
    old = endpoint.policy or parse_policy(DEFAULT_ENDPOINT_POLICY)
    catalogued = entry.actions if entry is not None else ()
    perimeter, kept = kept_by(old, profile, perimeter, partition=partition, region=region, actions=catalogued)
    document = rewrite(endpoint.policy, profile, perimeter, actions, kept)
    text = json.dumps(document, separators=(",", ":"))
    preview: dict[str, Any] = {"current": old_document(endpoint), "proposed": document}
    if activity is not None:
        preview["evidence"] = activity.to_dict()
    if len(text) > MAX_POLICY_CHARACTERS:
        return TicketOnly(
            finding,
            f"the rewrite of {endpoint.id}'s policy has {len(text):,} characters, over AWS's "
            f"{MAX_POLICY_CHARACTERS:,}: shorten it by hand",
            preview,
        )
    judgement = judge(
        old,
        parse_policy(document),
        request_cases(
            profile,
            perimeter,
            partition=partition,
            region=region,
            actions=catalogued,
            seen=activity.calls if activity is not None else (),
            narrowed_to=actions,
        ),
    )
    preview["judgement"] = judgement.to_dict()
    if narrowing is not None:
        return TicketOnly(finding, f"{narrowing}; the proposed policy is attached", preview)
    if not judgement.safe:
        return TicketOnly(finding, f"the rewrite of {endpoint.id}'s policy is not made: {judgement.reason}", preview)
    return Plan(
        finding,
        endpoint_ref(finding),
        (modify_endpoint(endpoint.id, policy=document),),
        _summary(endpoint, perimeter, actions, judgement),
        preview,
    )


def proposal(findings: Iterable[Finding], facts: Facts, options: PlanOptions) -> Plan | TicketOnly | None:
    """What enforce mode would do about an endpoint's policy findings: the plan of the most severe, which the
    act step plans first (its rewrite clears the others); None when no policy finding fired."""
    policy_findings = [finding for finding in findings if finding.check_id in PLAYBOOK.check_ids]
    if not policy_findings:
        return None
    return plan(min(policy_findings, key=lambda finding: finding.sort_key), facts, options)


def old_document(endpoint: Endpoint) -> Any:
    """The policy as the endpoint has it (AWS's default when it has none)."""
    if endpoint.policy is None or not endpoint.policy.statements:
        return DEFAULT_ENDPOINT_POLICY
    statements = [dict(statement.document) for statement in endpoint.policy.statements]
    if endpoint.policy.version is None:
        return {"Statement": statements}
    return {"Version": endpoint.policy.version, "Statement": statements}


def _actions(
    finding: Finding, entry: CatalogService | None, activity: Activity | None
) -> tuple[tuple[str, ...] | None, str | None]:
    """The actions the rewrite grants (None: all of them) and, when they may not be narrowed automatically,
    why (the finding then becomes a ticket carrying the proposal). A complete catalog set is granted for every
    policy finding: narrowing to it denies no caller, and the rewrite then clears policy-wildcard-action too."""
    if entry is not None and entry.actions_complete:
        return entry.actions, None
    if finding.check_id != WILDCARD_ACTION or entry is None:
        return None, None
    if activity is not None and activity.complete_for(entry.iam_prefix):
        return activity.actions(entry.iam_prefix), None
    reason = (
        f"{entry.key} serves more than the catalog's actions and CloudTrail shows no complete record of the "
        f"actions used through {finding.resource_id}"
    )
    if activity is not None and not activity.calls:
        reason += " (no calls seen in the last 30 days)"
    return entry.actions or None, reason


def _summary(endpoint: Endpoint, perimeter: Perimeter, actions: tuple[str, ...] | None, judgement: Judgement) -> str:
    who = perimeter.org_id or ", ".join(perimeter.accounts)
    granted = ", ".join(actions) if actions else "every action"
    kept = sum(1 for statement in (endpoint.policy.statements if endpoint.policy else ()) if not statement.is_allow)
    deny = f", keeping {kept} Deny statement(s)" if kept else ""
    return (
        f"rewrite the policy of {endpoint.id} ({endpoint.service_name}) on the data-perimeter pattern: {granted} "
        f"for principals of {who}{deny}; {judgement.cases} requests judged, {len(judgement.refused)} from outside "
        "now denied, none legitimate lost"
    )


PLAYBOOK = Playbook(
    action="restrict-endpoint-policy",
    check_ids=("policy-any-principal", "policy-wildcard-action", "policy-foreign-principal", "policy-any-resource"),
    # LookupEvents reads the endpoint's callers before the rewrite is judged (vpce_guard.evidence).
    permissions=("ec2:ModifyVpcEndpoint", "cloudtrail:LookupEvents"),
    plan=plan,
)
