"""policy-any-principal: an Allow statement of an endpoint policy admits any principal, and nothing bounds who.

Why: the default endpoint policy (Allow ``*`` to ``*`` on ``*``) stays on most endpoints created by hand or by
a wizard (seed 002: "the default policy allows everything"; seed 001 starts from full access "for testing").
It lets credentials of any AWS account through the endpoint, so a workload in the VPC can reach another
organization's buckets, queues or models from inside the private network. A condition on aws:PrincipalOrgID,
aws:PrincipalOrgPaths, aws:PrincipalAccount or aws:PrincipalArn, or a Deny for everyone outside them, bounds
who; a network condition (aws:SourceVpc, aws:SourceVpce, aws:SourceIp) does not.

Not for services whose callers are not IAM principals: AgentCore gateway callers present bearer tokens, not
AWS credentials, so its policy keeps Principal ``"*"`` and narrows Resource to the gateway (seed 001); the
catalog marks such services. Partner services (``vpce-svc-…``) are not IAM-authorized by AWS either. There is
no principal to bound in either, so a finding would only be noise.

Scenarios:
- the default policy, compact or pretty-printed -> HIGH finding, evidence says it is the default;
- Principal ``{"AWS": "*"}`` or an AWS list holding ``"*"`` -> finding;
- NotPrincipal in an Allow (everyone but the listed) -> finding;
- Principal ``"*"`` bounded by StringEquals / StringLike / ArnLike / ForAnyValue on aws:PrincipalOrgID,
  aws:PrincipalOrgPaths, aws:PrincipalAccount or aws:PrincipalArn -> no finding;
- the same with an ...IfExists operator, a negated operator, a ForAllValues set operator, or a value of
  ``"*"`` -> finding: none of them bounds an anonymous caller;
- Principal ``"*"`` conditioned only on aws:SourceVpce, aws:SourceVpc, aws:SourceIp, aws:ResourceOrgID or
  aws:ResourceAccount -> finding;
- Principal ``"*"`` with a Deny for any principal on every action and resource unless aws:PrincipalOrgID is
  ours -> no finding; a Deny covering fewer actions, or carrying a network condition too -> finding;
- only named principals (seed 000: a role ARN) -> no finding; Deny statements for ``"*"`` -> no finding;
- bedrock-agentcore.gateway and partner services -> no finding;
- the data-perimeter statements that admit anyone by design -> no finding: reads of the AWS-owned resources
  the catalog lists (package repositories, agent buckets), and STS's federated actions (sent unsigned)
  bounded by aws:ResourceOrgID or aws:ResourceAccount to the roles of known owners;
- gateway endpoints (S3, DynamoDB) are judged like interface endpoints: their Principal must be ``"*"``, so
  aws:PrincipalArn is how they bound callers;
- the service says it does not support endpoint policies; no policy; inactive endpoint; Resource,
  ServiceNetwork and GatewayLoadBalancer endpoints -> no finding;
- several unbounded statements -> one finding listing them all (one finding per endpoint and check).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from vpce_guard.catalog import load_catalog, parse_service_name
from vpce_guard.checks.base import Check, CheckSettings, judged_policies
from vpce_guard.facts import Endpoint, Facts
from vpce_guard.findings import Finding, Severity
from vpce_guard.identifiers import partition_of
from vpce_guard.policy import Statement, unbounded_any_principal_statements


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    catalog = load_catalog()
    for endpoint, policy in judged_policies(facts):
        if not _callers_are_iam_principals(endpoint):
            continue
        entry = catalog.lookup(endpoint.service_name, endpoint.type)
        owned = (
            frozenset(grant.arn for grant in entry.aws_owned_resources_for(partition_of(facts.region), facts.region))
            if entry is not None
            else frozenset()
        )
        statements = unbounded_any_principal_statements(
            policy, owned, entry.federated_principals if entry is not None else ()
        )
        if not statements:
            continue
        labels = ", ".join(statement.label for statement in statements)
        evidence = {
            "statements": [_statement_evidence(statement) for statement in statements],
            "default_policy": policy.is_default_full_access,
        }
        if policy.is_default_full_access:
            detail = (
                f"{endpoint.id} still has the default endpoint policy: any principal of any AWS account may call "
                f"every action of {endpoint.service_name} through it. Replace it with a policy bounded to your "
                "organization or accounts (aws:PrincipalOrgID, aws:PrincipalAccount) and the actions your "
                "workloads call."
            )
        else:
            detail = (
                f"The policy of {endpoint.id} allows any principal with no condition on aws:PrincipalOrgID, "
                "aws:PrincipalOrgPaths, aws:PrincipalAccount or aws:PrincipalArn and no Deny guard (statements: "
                f"{labels}), so credentials of any AWS account can use the endpoint. Add such a "
                "condition or name the principals."
            )
        yield CHECK.endpoint_finding(facts, endpoint, detail, evidence)


def _statement_evidence(statement: Statement) -> dict[str, Any]:
    """The statement and whom it admits, as written."""
    if statement.principal:
        return {"statement": statement.label, "principal": statement.document["Principal"]}
    return {"statement": statement.label, "not_principal": statement.document["NotPrincipal"]}


def _callers_are_iam_principals(endpoint: Endpoint) -> bool:
    """False where no principal can be bounded: partner services and services whose callers present other
    credentials (seed 001: AgentCore gateway bearer tokens)."""
    ref = parse_service_name(endpoint.service_name)
    if ref is not None and ref.is_partner:
        return False
    entry = load_catalog().lookup(endpoint.service_name, endpoint.type)
    return entry is None or entry.iam_principals


CHECK = Check(
    id="policy-any-principal",
    severity=Severity.HIGH,
    title="Endpoint policy allows any principal",
    remediation_action="restrict-endpoint-policy",
    automatic=True,
    evaluate=evaluate,
)
