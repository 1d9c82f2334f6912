"""Shared by the template tests and the local-run tests: where the template is, and its functions."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "template.yaml"
FUNCTIONS = ("OnChangeFunction", "ConfigRuleFunction", "SweepFunction")
# Values as `sam deploy` would pass them; the ids need not exist for the transform or the lint.
PARAMETERS = {
    "VpcId": "vpc-0123456789abcdef0",
    "SubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
    "RouteTableIds": "rtb-0123456789abcdef0,rtb-0123456789abcdef1",
    "CreateInterfaceEndpoints": "true",
}
