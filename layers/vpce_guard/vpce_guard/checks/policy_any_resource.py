"""policy-any-resource: an Allow statement reaches resources of anyone, on a service that can bound them.

Why: an endpoint policy that bounds who may call but not whose resources they reach leaves the classic
exfiltration path open: an insider's credentials (or a workload's, stolen) write the organization's data to a
bucket of another account through the S3 gateway endpoint, inside the private network and past any egress
control. AWS's data-perimeter guidance bounds resources with ``aws:ResourceOrgID`` on every service that
supports it; the AWS-owned resources the endpoint must still reach (package repositories, agent buckets, ECR's
image layers) are named in the catalog and do not count as unbounded.

Only services the catalog marks as supporting ``aws:ResourceOrgID`` / ``aws:ResourceAccount`` (S3, DynamoDB,
STS, KMS, CloudWatch Logs, Secrets Manager, SSM, SQS): elsewhere there is nothing a policy could bound with,
or the service reaches other organizations' resources by design (ECR's and Lambda's AWS-owned repositories and
layers, Bedrock's models, partner services).

Scenarios:
- the default policy on an S3 gateway endpoint -> MEDIUM finding;
- Principal bounded to the organization, Resource ``*``, no resource condition -> finding;
- a positive condition on aws:ResourceOrgID, aws:ResourceOrgPaths or aws:ResourceAccount with literal values
  -> no finding; the same with ``...IfExists``, ``ForAllValues``, a negated operator or a wildcard value ->
  finding;
- Resource ARNs each in the owner's or a trusted account, each an AWS-owned resource of the catalog, or each a
  partner resource the configuration names -> no finding; an ARN without an account field (S3 buckets) that
  is none of those -> finding;
- a Deny for everyone on every resource unless aws:ResourceOrgID is ours, covering the Allow's actions -> no
  finding;
- a statement for AWS service principals only (``Bool aws:PrincipalIsAWSService true``) -> no finding;
- a service that cannot bound resources (ecr.dkr, bedrock-runtime, partner and unknown services) -> no
  finding; services whose callers are not IAM principals -> no finding;
- several such statements -> one finding listing them all.
"""

from __future__ import annotations

from collections.abc import Iterator

from vpce_guard.catalog import load_catalog
from vpce_guard.checks.base import Check, CheckSettings, judged_policies
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding, Severity
from vpce_guard.identifiers import partition_of
from vpce_guard.policy import unbounded_resource_statements


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    catalog = load_catalog()
    for endpoint, policy in judged_policies(facts):
        entry = catalog.lookup(endpoint.service_name, endpoint.type)
        if entry is None or not entry.resource_org_id or not entry.iam_principals:
            continue
        owned = frozenset(
            grant.arn for grant in entry.aws_owned_resources_for(partition_of(facts.region), facts.region)
        )
        known = frozenset({endpoint.owner_id, *settings.trusted_accounts})
        statements = unbounded_resource_statements(policy, known, owned | settings.partner_resources)
        if not statements:
            continue
        labels = ", ".join(statement.label for statement in statements)
        bound = (
            f"aws:ResourceOrgID = {', '.join(sorted(settings.org_ids))}" if settings.org_ids else "aws:ResourceAccount"
        )
        yield CHECK.endpoint_finding(
            facts,
            endpoint,
            f"The policy of {endpoint.id} lets callers reach {entry.key} resources of any account (statements: "
            f"{labels}): credentials used inside the VPC can copy data to another organization's resources "
            f"through the endpoint. Bound resources with a condition on {bound}, keeping the AWS-owned resources "
            "the endpoint must reach.",
            {"statements": [statement.label for statement in statements]},
        )


CHECK = Check(
    id="policy-any-resource",
    severity=Severity.MEDIUM,
    title="Endpoint policy allows resources of any account",
    remediation_action="restrict-endpoint-policy",
    automatic=True,
    evaluate=evaluate,
)
