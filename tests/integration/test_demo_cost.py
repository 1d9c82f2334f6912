"""The demo estate's cost, as ``vpce-guard cost`` reports it, against the sums a person does by hand."""

from __future__ import annotations

import json

import pytest

from vpce_guard.cli import main
from vpce_guard_local.demo import REGION, DemoEstate
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

# The interface endpoints' zones, VPC by VPC. 'workloads': bedrock-runtime, secretsmanager, logs, ecr.api, sqs,
# bedrock-agent-runtime, dynamodb and the idle sns in 3 zones each, sts in 1, the AgentCore gateway in 2: 27.
# 'private-no-ssm': ecr.api, ecr.dkr, sts, logs and s3 in 2 zones each: 10. 'dns-hostnames-off': kms in 2.
# 'nacl-deny': ssm in 2. The gateway endpoints (two S3, one DynamoDB) are free.
ZONES = 27 + 10 + 2 + 2
# 72 GB through the agents' runtime and 720 GB of image pulls through ecr.dkr in the 30 days read.
GB_READ = 72 + 720


def test_the_demo_estate_costs_what_a_hand_computation_says(
    aws_env: Emulator, demo_estate: DemoEstate, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["cost", "--region", REGION, "--endpoint-url", aws_env.url, "--format", "json"])

    totals = json.loads(capsys.readouterr().out)["totals"]["organization"]
    hours = ZONES * 730 * 0.01  # $299.30
    data = GB_READ * 730 / 720 * 0.01  # 803 GB a month: $8.03
    assert code == 0
    assert totals["endpoints"] == 10 + 5 + 1 + 1 + 3  # interface endpoints per VPC, and the gateways
    assert (totals["hours_usd"], totals["data_usd"], totals["total_usd"]) == pytest.approx((hours, data, hours + data))
    assert totals["nat_usd"] == pytest.approx(GB_READ * 730 / 720 * 0.045)  # $36.135 through NAT
    # The idle SNS endpoint's hours and the DynamoDB interface endpoint's a free gateway would replace: $21.90 each
    # (neither carries traffic, so the S3 interface endpoint's traffic to the gateway would save nothing more).
    assert totals["would_save_usd"] == pytest.approx(2 * 3 * 730 * 0.01)
