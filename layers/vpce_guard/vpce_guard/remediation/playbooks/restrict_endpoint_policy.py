"""restrict-endpoint-policy (policy-any-principal, policy-wildcard-action, policy-foreign-principal): replace
the endpoint policy with a least-privilege one.

Why: the default policy lets any AWS account's credentials use the VPC's private path to every action of the
service (seeds 001 and 002); seed 004 narrows a Bedrock endpoint to the calls its workloads make. The new
policy allows the service catalog's action set for the service, to principals of the organization
(``aws:PrincipalOrgID``) when its id is given, else of the endpoint owner's account (``aws:PrincipalAccount``),
and keeps every explicit Deny of the original: a Deny someone wrote is a decision, never loosened here.

Scenarios:
- a catalogued service (bedrock-runtime, sts, the S3 and DynamoDB gateways, ...) -> ModifyVpcEndpoint with
  PolicyDocument = one Allow of the catalog's actions on ``*`` bounded to the org, or to the owner's account,
  followed by the original's Deny statements as written;
- the service does not support endpoint policies -> ticket (the policy grants nothing there);
- callers of the service are not IAM principals (bedrock-agentcore.gateway: bearer tokens, seed 001) ->
  ticket: only Resource can be narrowed, to the gateway's ARN, which a person knows;
- a partner service (``vpce-svc-...``) or a service the catalog knows no action set for -> ticket;
- the same plan serves all three findings: whichever fired, the new policy clears them all.
"""

from __future__ import annotations

from typing import Any

from vpce_guard.catalog import load_catalog, parse_service_name
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding
from vpce_guard.policy import DENY, PRINCIPAL_ACCOUNT, PRINCIPAL_ORG_ID
from vpce_guard.remediation.model import Plan, PlanOptions, Playbook, TicketOnly
from vpce_guard.remediation.playbooks.base import endpoint_of, endpoint_ref
from vpce_guard.remediation.runbooks import modify_endpoint

POLICY_VERSION = "2012-10-17"
ALLOW_SID = "VpceGuardLeastPrivilege"


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    endpoint = endpoint_of(finding, facts)
    name = endpoint.service_name
    service = facts.service_of(endpoint)
    if service is not None and not service.policy_supported:
        return TicketOnly(
            finding, f"{name} does not support endpoint policies: the policy of {endpoint.id} grants nothing"
        )
    entry = load_catalog().lookup(name, endpoint.type)
    if entry is not None and not entry.iam_principals:
        return TicketOnly(
            finding,
            f'callers of {name} present bearer tokens, not IAM credentials: keep Principal and Action "*" and narrow '
            f"Resource of {endpoint.id}'s policy to the resources it serves (seed 001)",
        )
    if entry is None or not entry.actions:
        ref = parse_service_name(name)
        what = (
            "a partner service"
            if ref is not None and ref.is_partner
            else "a service the catalog knows no action set for"
        )
        return TicketOnly(finding, f"{name} is {what}: write the least-privilege policy of {endpoint.id} by hand")
    scoped = [
        statement.label
        for statement in (endpoint.policy.allows if endpoint.policy else ())
        if statement.not_resources
        or statement.resources != ("*",)
        or any(condition.principal_key is None for condition in statement.conditions)
    ]
    if scoped:
        return TicketOnly(
            finding,
            f"the policy of {endpoint.id} scopes resources or sets conditions beyond who may call "
            f"({', '.join(scoped)}): a rewrite from the catalog could widen or break it; narrow it by hand",
        )
    accounts = sorted({endpoint.owner_id, *options.trusted_accounts})
    key, value = (
        (PRINCIPAL_ORG_ID, options.org_id)
        if options.org_id
        else (PRINCIPAL_ACCOUNT, accounts[0] if len(accounts) == 1 else accounts)
    )
    allow: dict[str, Any] = {
        "Sid": ALLOW_SID,
        "Effect": "Allow",
        "Principal": "*",
        "Action": list(entry.actions),
        "Resource": "*",
        "Condition": {"StringEquals": {key: value}},
    }
    denies = [
        dict(statement.document)
        for statement in (endpoint.policy.statements if endpoint.policy else ())
        if statement.effect == DENY
    ]
    document = {"Version": POLICY_VERSION, "Statement": [allow, *denies]}
    kept = f", keeping {len(denies)} Deny statement(s)" if denies else ""
    return Plan(
        finding,
        endpoint_ref(finding),
        (modify_endpoint(endpoint.id, policy=document),),
        f"replace the policy of {endpoint.id} ({name}) with {', '.join(entry.actions)} for principals of "
        f"{value} only{kept}",
    )


PLAYBOOK = Playbook(
    action="restrict-endpoint-policy",
    check_ids=("policy-any-principal", "policy-wildcard-action", "policy-foreign-principal"),
    permissions=("ec2:ModifyVpcEndpoint",),
    plan=plan,
)
