"""policy-foreign-principal: one test per scenario of the module docstring."""

from __future__ import annotations

import msgspec
import pytest
from facts_builders import ACCOUNT_ID, aws_service, gateway_endpoint, interface_endpoint
from policy_builders import (
    AGENT_ROLE,
    FOREIGN_ACCOUNT,
    FOREIGN_ORG_ID,
    ORG_ID,
    TRUSTED_ACCOUNT,
    allow,
    deny,
    endpoint_with,
    org_guard,
    policy,
    run,
    with_policy,
)

from vpce_guard.checks.base import CheckSettings
from vpce_guard.checks.policy_foreign_principal import CHECK
from vpce_guard.findings import Severity

FOREIGN_ROLE = f"arn:aws:iam::{FOREIGN_ACCOUNT}:role/vendor-trial"
IN_OUR_ORG = CheckSettings(org_ids=frozenset({ORG_ID}))


def test_principal_of_another_account_is_a_high_automatic_finding() -> None:
    endpoint = endpoint_with(allow(principal={"AWS": FOREIGN_ROLE}))

    (finding,) = run(CHECK, endpoint)

    assert (finding.check_id, finding.resource_id, finding.severity) == (
        "policy-foreign-principal",
        endpoint.id,
        Severity.HIGH,
    )
    assert (finding.remediation.action, finding.remediation.automatic) == ("restrict-endpoint-policy", True)


def test_evidence_names_the_foreign_accounts_and_the_statement() -> None:
    (finding,) = run(CHECK, endpoint_with(allow(sid="Vendor", principal={"AWS": FOREIGN_ROLE})))

    assert finding.evidence == {
        "foreign_accounts": [FOREIGN_ACCOUNT],
        "foreign_orgs": [],
        "statements": [{"statement": "Vendor", "accounts": [FOREIGN_ACCOUNT], "orgs": []}],
    }


def test_detail_names_the_endpoint_and_the_foreign_account() -> None:
    endpoint = endpoint_with(allow(principal={"AWS": FOREIGN_ROLE}))

    (finding,) = run(CHECK, endpoint)

    assert endpoint.id in finding.detail
    assert FOREIGN_ACCOUNT in finding.detail


def test_account_id_principal_names_its_account() -> None:
    (finding,) = run(CHECK, endpoint_with(allow(principal={"AWS": FOREIGN_ACCOUNT})))

    assert finding.evidence["foreign_accounts"] == [FOREIGN_ACCOUNT]


@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov"])
def test_principal_arn_of_any_partition_names_its_account(partition: str) -> None:
    principal = {"AWS": f"arn:{partition}:iam::{FOREIGN_ACCOUNT}:root"}

    (finding,) = run(CHECK, endpoint_with(allow(principal=principal)))

    assert finding.evidence["foreign_accounts"] == [FOREIGN_ACCOUNT]


def test_principal_account_condition_naming_another_account_is_foreign() -> None:
    statement = allow(condition={"StringEquals": {"aws:PrincipalAccount": [ACCOUNT_ID, FOREIGN_ACCOUNT]}})

    (finding,) = run(CHECK, endpoint_with(statement))

    assert finding.evidence["foreign_accounts"] == [FOREIGN_ACCOUNT]


def test_principal_arn_condition_naming_another_account_is_foreign() -> None:
    statement = allow(condition={"ArnEquals": {"aws:PrincipalArn": FOREIGN_ROLE}})

    (finding,) = run(CHECK, endpoint_with(statement))

    assert finding.evidence["foreign_accounts"] == [FOREIGN_ACCOUNT]


def test_deny_guard_letting_another_account_through_is_foreign() -> None:
    guard = deny(condition={"StringNotEquals": {"aws:PrincipalAccount": [ACCOUNT_ID, FOREIGN_ACCOUNT]}})

    (finding,) = run(CHECK, endpoint_with(allow(), guard))

    assert finding.evidence["foreign_accounts"] == [FOREIGN_ACCOUNT]


def test_org_outside_the_configured_orgs_is_foreign() -> None:
    statement = allow(condition={"StringEquals": {"aws:PrincipalOrgID": FOREIGN_ORG_ID}})

    (finding,) = run(CHECK, endpoint_with(statement), settings=IN_OUR_ORG)

    assert finding.evidence["foreign_orgs"] == [FOREIGN_ORG_ID]


def test_org_path_outside_the_configured_orgs_is_foreign() -> None:
    path = f"{FOREIGN_ORG_ID}/r-ab12/ou-ab12-11111111/"
    statement = allow(condition={"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": path}})

    (finding,) = run(CHECK, endpoint_with(statement), settings=IN_OUR_ORG)

    assert finding.evidence["foreign_orgs"] == [FOREIGN_ORG_ID]


def test_orgs_are_not_judged_without_configured_org_ids() -> None:
    statement = allow(condition={"StringEquals": {"aws:PrincipalOrgID": FOREIGN_ORG_ID}})

    assert run(CHECK, endpoint_with(statement)) == []


def test_owner_account_is_not_foreign() -> None:
    assert run(CHECK, endpoint_with(allow(principal={"AWS": AGENT_ROLE}))) == []


def test_trusted_account_is_not_foreign() -> None:
    principal = {"AWS": f"arn:aws:iam::{TRUSTED_ACCOUNT}:role/shared-services"}
    settings = CheckSettings(trusted_accounts=frozenset({TRUSTED_ACCOUNT}))

    assert run(CHECK, endpoint_with(allow(principal=principal)), settings=settings) == []


def test_named_account_confined_to_our_org_is_not_foreign() -> None:
    statement = allow(principal={"AWS": FOREIGN_ROLE}, condition={"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})

    assert run(CHECK, endpoint_with(statement), settings=IN_OUR_ORG) == []


def test_named_account_under_an_org_deny_guard_is_not_foreign() -> None:
    endpoint = endpoint_with(allow(principal={"AWS": FOREIGN_ROLE}), org_guard())

    assert run(CHECK, endpoint, settings=IN_OUR_ORG) == []


def test_org_confinement_counts_only_for_configured_orgs() -> None:
    endpoint = endpoint_with(allow(principal={"AWS": FOREIGN_ROLE}), org_guard())

    assert len(run(CHECK, endpoint)) == 1


@pytest.mark.parametrize(
    "principal",
    [
        {"Service": "ec2.amazonaws.com"},
        {"Federated": "cognito-identity.amazonaws.com"},
        {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
    ],
)
def test_non_account_principals_name_no_account(principal: dict[str, str]) -> None:
    assert run(CHECK, endpoint_with(allow(principal=principal))) == []


def test_accounts_in_not_principal_are_granted_nothing() -> None:
    assert run(CHECK, endpoint_with(allow(NotPrincipal={"AWS": FOREIGN_ROLE}))) == []


def test_accounts_in_a_deny_are_granted_nothing() -> None:
    endpoint = endpoint_with(allow(principal={"AWS": AGENT_ROLE}), deny(principal={"AWS": FOREIGN_ROLE}))

    assert run(CHECK, endpoint) == []


def test_any_principal_without_a_condition_is_left_to_policy_any_principal() -> None:
    assert run(CHECK, endpoint_with(allow())) == []


def test_gateway_endpoint_is_judged() -> None:
    statement = allow(action="s3:GetObject", condition={"StringEquals": {"aws:PrincipalArn": FOREIGN_ROLE}})

    assert len(run(CHECK, with_policy(gateway_endpoint(), policy(statement)))) == 1


def test_policy_unsupported_service_is_not_judged() -> None:
    service = msgspec.structs.replace(aws_service(), policy_supported=False)

    assert run(CHECK, endpoint_with(allow(principal={"AWS": FOREIGN_ROLE})), services=[service]) == []


def test_endpoint_without_a_policy_is_not_judged() -> None:
    assert run(CHECK, interface_endpoint()) == []


def test_inactive_endpoint_is_not_judged() -> None:
    endpoint = msgspec.structs.replace(endpoint_with(allow(principal={"AWS": FOREIGN_ROLE})), state="rejected")

    assert run(CHECK, endpoint) == []


@pytest.mark.parametrize("endpoint_type", ["Resource", "ServiceNetwork", "GatewayLoadBalancer"])
def test_endpoint_types_without_a_policy_are_not_judged(endpoint_type: str) -> None:
    endpoint = msgspec.structs.replace(endpoint_with(allow(principal={"AWS": FOREIGN_ROLE})), type=endpoint_type)

    assert run(CHECK, endpoint) == []


def test_several_statements_make_one_finding_listing_every_outsider() -> None:
    endpoint = endpoint_with(
        allow(principal={"AWS": FOREIGN_ROLE}),
        allow(sid="Partner", condition={"StringEquals": {"aws:PrincipalAccount": "555566667777"}}),
        allow(sid="OtherOrg", condition={"StringEquals": {"aws:PrincipalOrgID": FOREIGN_ORG_ID}}),
    )

    (finding,) = run(CHECK, endpoint, settings=IN_OUR_ORG)

    assert (finding.evidence["foreign_accounts"], finding.evidence["foreign_orgs"]) == (
        ["555566667777", FOREIGN_ACCOUNT],
        [FOREIGN_ORG_ID],
    )


def test_accounts_a_guard_lets_through_are_not_granted_by_a_named_principal() -> None:
    guard = deny(condition={"StringNotEquals": {"aws:PrincipalAccount": [ACCOUNT_ID, FOREIGN_ACCOUNT]}})

    assert run(CHECK, endpoint_with(allow(principal={"AWS": AGENT_ROLE}), guard)) == []


def test_accounts_a_guard_lets_through_are_granted_by_any_principal() -> None:
    guard = deny(condition={"StringNotEquals": {"aws:PrincipalAccount": [ACCOUNT_ID, FOREIGN_ACCOUNT]}})

    (finding,) = run(CHECK, endpoint_with(allow(), guard))

    assert finding.evidence["foreign_accounts"] == [FOREIGN_ACCOUNT]
