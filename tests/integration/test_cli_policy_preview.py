"""``vpce-guard policy-preview`` and ``check-policy --propose``: what enforce mode would do to a policy, shown
before anything changes, through the emulator over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cloudtrail_support import assumed_role, record

from vpce_guard.cli import main
from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import EstateBuilder

pytestmark = pytest.mark.server

ORG_ID = "o-a1b2c3d4e5"
ACCOUNT = "123456789012"


def sts_endpoint(ec2: Any) -> str:
    build = EstateBuilder(ec2, REGION)
    vpc = build.vpc("10.0.0.0/16", zones=2, public_subnet=False)
    group = build.security_group(vpc, "vpce-sts", https_from_cidrs=[vpc.cidr])
    return build.interface_endpoint(vpc, "sts", subnet_ids=vpc.private_subnet_ids, group_ids=[group])


def preview(aws_env: Emulator, endpoint_id: str, *extra: str) -> list[str]:
    return ["policy-preview", "--endpoint-id", endpoint_id, "--region", REGION, "--endpoint-url", aws_env.url, *extra]


def test_the_preview_shows_the_rewrite_and_the_requests_it_changes_and_changes_nothing(
    aws_env: Emulator, ec2: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint_id = sts_endpoint(ec2)

    code = main([*preview(aws_env, endpoint_id, "--org-id", ORG_ID), "--format", "json"])

    shown = json.loads(capsys.readouterr().out)
    proposal = shown["proposal"]
    assert (code, proposal["decision"]) == (0, "rewrite")
    assert proposal["current"] == DEFAULT_ENDPOINT_POLICY
    assert "FederatedPrincipalsToOrganizationRoles" in [s["Sid"] for s in proposal["proposed"]["Statement"]]
    assert proposal["judgement"]["lost"] == []
    assert any(shift["caller"] == "an outsider's principal" for shift in proposal["judgement"]["refused"])
    assert proposal["evidence"]["calls"] == []
    (endpoint,) = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
    assert json.loads(endpoint["PolicyDocument"]) == DEFAULT_ENDPOINT_POLICY


def test_the_preview_names_a_caller_seen_in_cloudtrail_that_the_rewrite_would_lock_out(
    aws_env: Emulator, ec2: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint_id = sts_endpoint(ec2)
    partner = "arn:aws:iam::444455556666:role/partner-sync"
    yesterday = datetime.now(UTC) - timedelta(days=1)
    aws_env.record_cloudtrail_events(
        [record("AssumeRole", at=yesterday, identity=assumed_role(partner), endpoint=endpoint_id)]
    )

    code = main(preview(aws_env, endpoint_id, "--org-id", ORG_ID))

    text = capsys.readouterr().out
    assert code == 0
    assert "enforce mode would open a ticket and change nothing" in text
    assert f"{partner} (seen in CloudTrail): sts:AssumeRole" in text
    assert f"  - {partner}: sts:AssumeRole" in text


def test_an_endpoint_that_is_not_there_is_an_error(aws_env: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(preview(aws_env, "vpce-0123456789abcdef0")) == 2
    assert "vpce-0123456789abcdef0 is not an endpoint in us-east-1" in capsys.readouterr().err


def test_a_malformed_endpoint_id_is_refused_as_it_is_parsed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["policy-preview", "--endpoint-id", "vpce-nothex"])

    assert exit_.value.code == 2
    assert "is not a VPC endpoint id" in capsys.readouterr().err


def test_check_policy_proposes_the_rewrite_of_a_policy_before_it_ships(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(DEFAULT_ENDPOINT_POLICY))
    service = f"com.amazonaws.{REGION}.s3"

    code = main(
        ["check-policy", "--service-name", service, "--endpoint-type", "Gateway", "--policy", str(policy),
         "--account-id", ACCOUNT, "--org-id", ORG_ID, "--propose", "--format", "json", "--fail-on", "HIGH"]
    )  # fmt: skip

    shown = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {f["check_id"] for f in shown["findings"]} == {
        "policy-any-principal",
        "policy-any-resource",
        "policy-wildcard-action",
    }
    assert shown["proposal"]["decision"] == "rewrite"
    assert "AwsOwnedResources" in [s["Sid"] for s in shown["proposal"]["proposed"]["Statement"]]


def test_check_policy_propose_needs_the_owner_account(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(DEFAULT_ENDPOINT_POLICY))

    code = main(["check-policy", "--service-name", f"com.amazonaws.{REGION}.sts", "--policy", str(policy), "--propose"])

    assert code == 2
    assert "--propose needs --account-id" in capsys.readouterr().err
