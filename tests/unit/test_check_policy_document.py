"""scan_policy_document: the policy checks on one document, as ``vpce-guard check-policy`` runs them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vpce_guard.checks.base import CheckSettings
from vpce_guard.findings import Finding
from vpce_guard.policy import PolicyError
from vpce_guard.scan import POLICY_UNDER_TEST, scan_policy_document

OWNER = "111122223333"
FOREIGN = "999988887777"
BEDROCK_RUNTIME = "com.amazonaws.us-west-2.bedrock-runtime"
DEFAULT_POLICY = json.dumps(
    {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]},
    indent=2,
)


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def check(text: str, service_name: str = BEDROCK_RUNTIME, **options: Any) -> list[Finding]:
    findings, _ = scan_policy_document(text, service_name, OWNER, CheckSettings(), **options)
    return findings


def test_default_policy_fails_any_principal_and_wildcard_action() -> None:
    assert [finding.check_id for finding in check(DEFAULT_POLICY)] == ["policy-any-principal", "policy-wildcard-action"]


def test_findings_are_about_the_policy_under_test() -> None:
    assert {(f.resource_id, f.account_id, f.service_name) for f in check(DEFAULT_POLICY)} == {
        (POLICY_UNDER_TEST, OWNER, BEDROCK_RUNTIME)
    }


def test_region_comes_from_the_service_name() -> None:
    assert {finding.region for finding in check(DEFAULT_POLICY)} == {"us-west-2"}


def test_region_given_is_used() -> None:
    assert {finding.region for finding in check(DEFAULT_POLICY, region="us-gov-west-1")} == {"us-gov-west-1"}


def test_least_privilege_policy_of_the_owner_passes() -> None:
    text = document(
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": OWNER}},
        }
    )

    assert check(text) == []


def test_foreign_account_is_reported() -> None:
    text = document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{FOREIGN}:root"},
            "Action": "bedrock:InvokeModel",
            "Resource": "*",
        }
    )

    assert [finding.check_id for finding in check(text)] == ["policy-foreign-principal"]


def test_trusted_accounts_of_the_settings_apply() -> None:
    text = document(
        {"Effect": "Allow", "Principal": {"AWS": FOREIGN}, "Action": "bedrock:InvokeModel", "Resource": "*"}
    )
    settings = CheckSettings(trusted_accounts=frozenset({FOREIGN}))

    assert scan_policy_document(text, BEDROCK_RUNTIME, OWNER, settings)[0] == []


def test_gateway_endpoint_policy_is_judged() -> None:
    findings = check(DEFAULT_POLICY, "com.amazonaws.us-west-2.s3", endpoint_type="Gateway")

    assert [finding.check_id for finding in findings] == [
        "policy-any-principal",
        "policy-any-resource",
        "policy-wildcard-action",
    ]


def test_agentcore_gateway_policy_of_seed_001_passes() -> None:
    gateway = "arn:aws:bedrock-agentcore:us-west-2:111122223333:gateway/demo-gateway"
    text = document({"Principal": "*", "Effect": "Allow", "Action": "*", "Resource": gateway})

    assert check(text, "com.amazonaws.us-west-2.bedrock-agentcore.gateway") == []


def test_unreadable_document_raises_policy_error() -> None:
    with pytest.raises(PolicyError, match="not JSON"):
        check('{"Statement": [')


def test_endpoint_type_without_a_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="takes no endpoint policy"):
        check(DEFAULT_POLICY, endpoint_type="GatewayLoadBalancer")
