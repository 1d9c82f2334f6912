"""The Config rule function over HTTP: every message type, evaluations stored and read back as users do."""

from __future__ import annotations

from typing import Any

import pytest

from vpce_guard.config_rule import ANNOTATION_LIMIT, annotation
from vpce_guard_local.demo import REGION
from vpce_guard_local.emulator import Emulator, result_token_for
from vpce_guard_local.estate import BuiltVpc, EstateBuilder, least_privilege_policy
from vpce_guard_local.samples import SAMPLE_ACCOUNT, SAMPLE_ENDPOINT, load_event, retarget

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"
RULE = "vpce-guard-endpoints"
SAMPLE_TOKEN = load_event("config-rule-scheduled")["resultToken"]


@pytest.fixture
def group(ec2: Any, vpc: BuiltVpc) -> str:
    return EstateBuilder(ec2, REGION).security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])


def endpoint(ec2: Any, vpc: BuiltVpc, group: str, *, private_dns: bool) -> str:
    return EstateBuilder(ec2, REGION).interface_endpoint(
        vpc, "sts", subnet_ids=vpc.private_subnet_ids, group_ids=[group], private_dns=private_dns,
        policy=least_privilege_policy("sts", ACCOUNT, REGION),
    )  # fmt: skip


def config_event(name: str, endpoint_id: str = SAMPLE_ENDPOINT) -> dict[str, Any]:
    ids = {SAMPLE_ACCOUNT: ACCOUNT, SAMPLE_ENDPOINT: endpoint_id, SAMPLE_TOKEN: result_token_for(RULE)}
    return retarget(load_event(name), ids)


def stored(aws_env: Emulator) -> dict[str, tuple[str, str]]:
    results = aws_env.client("config", REGION).get_compliance_details_by_config_rule(ConfigRuleName=RULE, Limit=100)
    return {
        result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: (
            result["ComplianceType"],
            result.get("Annotation", ""),
        )
        for result in results["EvaluationResults"]
    }


def test_a_changed_endpoint_that_fails_a_check_is_non_compliant_naming_it(
    handler_of: Any, aws_env: Emulator, ec2: Any, vpc: BuiltVpc, group: str
) -> None:
    bad = endpoint(ec2, vpc, group, private_dns=False)

    handler_of("config_rule")(config_event("config-rule-item-change-vpc-endpoint", bad))

    assert stored(aws_env)[bad] == ("NON_COMPLIANT", "Failing vpce-guard checks: private-dns-disabled")


def test_an_endpoint_whose_subnets_network_acl_blocks_https_is_non_compliant_naming_the_check(
    handler_of: Any, aws_env: Emulator, ec2: Any, vpc: BuiltVpc, group: str
) -> None:
    fenced = endpoint(ec2, vpc, group, private_dns=True)
    EstateBuilder(ec2, REGION).deny_https(vpc, "10.0.64.0/20")

    handler_of("config_rule")(config_event("config-rule-item-change-vpc-endpoint", fenced))

    assert stored(aws_env)[fenced] == ("NON_COMPLIANT", "Failing vpce-guard checks: nacl-blocks-https")


def test_a_changed_endpoint_that_passes_is_compliant(
    handler_of: Any, aws_env: Emulator, ec2: Any, vpc: BuiltVpc, group: str
) -> None:
    good = endpoint(ec2, vpc, group, private_dns=True)

    handler_of("config_rule")(config_event("config-rule-item-change-vpc-endpoint", good))

    assert stored(aws_env)[good][0] == "COMPLIANT"


def test_a_deleted_endpoint_is_not_applicable(handler_of: Any, aws_env: Emulator) -> None:
    handler_of("config_rule")(config_event("config-rule-item-change-vpc-endpoint-deleted"))

    assert stored(aws_env)[SAMPLE_ENDPOINT][0] == "NOT_APPLICABLE"


def test_an_oversized_item_is_read_through_the_config_history(
    handler_of: Any, aws_env: Emulator, ec2: Any, vpc: BuiltVpc, group: str
) -> None:
    bad = endpoint(ec2, vpc, group, private_dns=False)
    aws_env.clear_recorded_calls()

    handler_of("config_rule")(config_event("config-rule-oversized-item-change-vpc-endpoint", bad))

    assert "GetResourceConfigHistory" in {call.operation for call in aws_env.recorded_calls()}
    assert stored(aws_env)[bad][0] == "NON_COMPLIANT"


def test_a_scheduled_run_evaluates_every_endpoint_in_batches_of_100(
    handler_of: Any, aws_env: Emulator, ec2: Any, vpc: BuiltVpc, group: str
) -> None:
    services = ["sts", "logs", "kms", "sqs", "sns", "ssm", "ecr.api", "ecr.dkr", "secretsmanager", "lambda"]
    build = EstateBuilder(ec2, REGION)
    created = [
        build.interface_endpoint(vpc, service, subnet_ids=vpc.private_subnet_ids, group_ids=[group], private_dns=False)
        for _ in range(11)
        for service in services
    ]
    aws_env.clear_recorded_calls()

    handler_of("config_rule")(config_event("config-rule-scheduled"))

    puts = [call for call in aws_env.recorded_calls() if call.operation == "PutEvaluations"]
    assert len(created) == 110
    assert len(puts) == 2
    assert set(created) <= {
        result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]
        for page in aws_env.client("config", REGION)
        .get_paginator("get_compliance_details_by_config_rule")
        .paginate(ConfigRuleName=RULE)
        for result in page["EvaluationResults"]
    }


def test_an_annotation_never_exceeds_config_s_limit() -> None:
    text = annotation([f"check-{index:03d}-with-a-long-name" for index in range(40)])

    assert len(text) == ANNOTATION_LIMIT
    assert text.endswith("…")
