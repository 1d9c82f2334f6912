"""The demo estate's cost, as ``vpce-guard cost`` reports it, against the sums a person does by hand."""

from __future__ import annotations

import json

import pytest

from vpce_guard.cli import main
from vpce_guard_local.demo import REGION, DemoEstate
from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

# The interface endpoints' zones, VPC by VPC. 'workloads': bedrock-runtime, secretsmanager, logs, ecr.api, sqs,
# bedrock-agent-runtime and the idle sns in 3 zones each, sts in 1, the AgentCore gateway in 2: 24.
# 'private-no-ssm': ecr.api, ecr.dkr, sts and logs in 2 zones each: 8. 'dns-hostnames-off': kms in 2. The gateway
# endpoints (two S3, one DynamoDB) are free.
ZONES = 24 + 8 + 2
# 72 GB through the agents' runtime and 720 GB of image pulls through ecr.dkr in the 30 days read.
GB_READ = 72 + 720


def test_the_demo_estate_costs_what_a_hand_computation_says(
    aws_env: Emulator, demo_estate: DemoEstate, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["cost", "--region", REGION, "--endpoint-url", aws_env.url, "--format", "json"])

    totals = json.loads(capsys.readouterr().out)["totals"]["organization"]
    hours = ZONES * 730 * 0.01  # $248.20
    data = GB_READ * 730 / 720 * 0.01  # 803 GB a month: $8.03
    assert code == 0
    assert totals["endpoints"] == 9 + 4 + 1 + 3  # interface endpoints per VPC, and the gateways
    assert (totals["hours_usd"], totals["data_usd"], totals["total_usd"]) == pytest.approx((hours, data, hours + data))
    assert totals["nat_usd"] == pytest.approx(GB_READ * 730 / 720 * 0.045)  # $36.135 through NAT
    assert totals["would_save_usd"] == pytest.approx(3 * 730 * 0.01)  # the idle SNS endpoint's $21.90
