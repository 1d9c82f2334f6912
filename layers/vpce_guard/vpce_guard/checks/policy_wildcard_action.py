"""policy-wildcard-action: an Allow statement grants every action of the service where a narrower set is known.

Why: an endpoint exists for what the workloads in its VPC call. Seed 004 scopes the Bedrock runtime endpoint
to InvokeModel and InvokeModelWithResponseStream, "defense in depth" against model management and training
jobs through the same path; seed 000 does the same for an agent's role. ``*``, ``<service>:*`` or NotAction
(everything but the listed) gives that up. The catalog holds the set those workloads need; the finding
suggests it.

Broad services are different. S3, DynamoDB, STS, KMS, ECR, SSM and the like serve far more than any list a
catalog could keep (package managers, agents, federation), and AWS's data-perimeter guidance keeps
``Action "*"`` on their endpoints, bounded to the organization's principals: narrowing there is what locks
legitimate callers out. So a wildcard is a finding on a service whose catalog set is complete for what its
endpoint serves (bedrock-runtime), and on a broad service only where nothing bounds who may use it.

Nothing where the catalog knows no narrower set: the AgentCore gateway data plane is reached with Action
``*`` by design (seed 001: name no control-plane actions, narrow Resource to the gateway ARN instead), and
partner or unknown services have no set to suggest.

Scenarios:
- the default policy (Action ``*``) on a catalogued service (bedrock-runtime, sts, S3 gateway, …) -> MEDIUM
  finding with the catalog's actions as the suggestion;
- ``Action "*"`` bounded to the organization's principals on a broad service (S3, STS, …) -> no finding: the
  recommended pattern; on bedrock-runtime (a complete set) -> finding;
- Action ``<iam prefix>:*`` in any case (``bedrock:*``, ``S3:*``) or ``*:*`` -> finding;
- NotAction in an Allow -> finding;
- the catalog's actions, or other named actions and narrower patterns (``s3:Get*``) -> no finding;
- a wildcard in a Deny statement -> no finding (it takes away, it grants nothing);
- another service's wildcard (``s3:*`` on a bedrock-runtime endpoint) -> no finding here: it grants nothing
  through this endpoint;
- bedrock-agentcore.gateway, partner services (``vpce-svc-…``), services not in the catalog -> no finding;
- gateway endpoints (S3, DynamoDB) are judged like interface endpoints;
- the service says it does not support endpoint policies; no policy; inactive endpoint; Resource,
  ServiceNetwork and GatewayLoadBalancer endpoints -> no finding;
- several such statements -> one finding listing them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from vpce_guard.catalog import load_catalog
from vpce_guard.checks.base import Check, CheckSettings, judged_policies
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding, Severity
from vpce_guard.policy import Statement, wildcard_action_statements, wildcard_actions


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    catalog = load_catalog()
    for endpoint, policy in judged_policies(facts):
        entry = catalog.lookup(endpoint.service_name, endpoint.type)
        if entry is None or not entry.knows_narrower_actions:
            continue
        statements = tuple(
            statement
            for statement in wildcard_action_statements(policy, entry.iam_prefix)
            if entry.actions_complete or not policy.bound(statement).is_bounded
        )
        if not statements:
            continue
        labels = ", ".join(statement.label for statement in statements)
        yield CHECK.endpoint_finding(
            facts,
            endpoint,
            f"The policy of {endpoint.id} grants every {entry.iam_prefix} action, by wildcard or NotAction "
            f"(statements: {labels}). Grant only what workloads call through {entry.key} endpoints: "
            f"{', '.join(entry.actions)}.",
            {
                "statements": [_statement_evidence(statement, entry.iam_prefix) for statement in statements],
                "suggested_actions": list(entry.actions),
            },
        )


def _statement_evidence(statement: Statement, iam_prefix: str) -> dict[str, Any]:
    if statement.not_actions:
        return {"statement": statement.label, "not_actions": list(statement.not_actions)}
    return {"statement": statement.label, "actions": list(wildcard_actions(statement, iam_prefix))}


CHECK = Check(
    id="policy-wildcard-action",
    severity=Severity.MEDIUM,
    title="Endpoint policy grants all actions of the service",
    remediation_action="restrict-endpoint-policy",
    automatic=True,
    evaluate=evaluate,
)
