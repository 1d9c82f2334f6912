"""policy-foreign-principal: an Allow statement of an endpoint policy admits principals from outside.

Why: an endpoint policy says who may use the private path into AWS from this VPC. Seed 000 names the one
role of the account that calls Bedrock; a principal of another account in that list (a vendor's role left
from a trial, a typo in an account id, a copied example) lets credentials from outside through the VPC. Ours
are the endpoint owner's account, the trusted accounts, and the organization(s) when given.

Scenarios:
- Principal naming another account, by id or by ARN of any partition (``arn:aws:``, ``arn:aws-cn:``,
  ``arn:aws-us-gov:``) -> HIGH finding naming the accounts and the statement;
- Principal ``"*"`` bounded by aws:PrincipalAccount or aws:PrincipalArn naming another account, in the
  statement or in a Deny guard -> finding;
- aws:PrincipalOrgID or aws:PrincipalOrgPaths naming an organization outside the configured org ids -> finding;
  with no org ids configured, organizations are not judged;
- the endpoint owner's account or a trusted account -> no finding;
- a named account in a statement (or under a Deny guard) confined to one of our organizations -> no finding:
  the organization condition keeps out whoever is not in it;
- Service, Federated and CanonicalUser principals, accounts listed in NotPrincipal, accounts in Deny
  statements -> no finding: none of them is granted anything by an account;
- Principal ``"*"`` with no condition -> no finding here (policy-any-principal reports it);
- gateway endpoints (S3, DynamoDB) are judged like interface endpoints;
- the service says it does not support endpoint policies; no policy; inactive endpoint; Resource,
  ServiceNetwork and GatewayLoadBalancer endpoints -> no finding;
- several such statements -> one finding listing every foreign account and organization.
"""

from __future__ import annotations

from collections.abc import Iterator

from vpce_guard.checks.base import Check, CheckSettings, judged_policies
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding, Severity
from vpce_guard.policy import foreign_grants


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    for endpoint, policy in judged_policies(facts):
        ours = frozenset({endpoint.owner_id}) | settings.trusted_accounts
        grants = foreign_grants(policy, ours, settings.org_ids)
        if not grants:
            continue
        accounts = sorted({account for grant in grants for account in grant.accounts})
        orgs = sorted({org for grant in grants for org in grant.orgs})
        outsiders = [f"account(s) {', '.join(accounts)}"] if accounts else []
        outsiders += [f"organization(s) {', '.join(orgs)}"] if orgs else []
        labels = ", ".join(grant.statement.label for grant in grants)
        yield CHECK.endpoint_finding(
            facts,
            endpoint,
            f"The policy of {endpoint.id} admits principals of {' and '.join(outsiders)} (statements: {labels}), "
            f"outside the owner's account {endpoint.owner_id or '(unknown)'}, the trusted accounts and the "
            "organization. Remove them, or add a partner you mean to trust to the trusted accounts.",
            {
                "foreign_accounts": accounts,
                "foreign_orgs": orgs,
                "statements": [
                    {"statement": grant.statement.label, "accounts": list(grant.accounts), "orgs": list(grant.orgs)}
                    for grant in grants
                ],
            },
        )


CHECK = Check(
    id="policy-foreign-principal",
    severity=Severity.HIGH,
    title="Endpoint policy admits principals outside the organization",
    remediation_action="restrict-endpoint-policy",
    automatic=True,
    evaluate=evaluate,
)
