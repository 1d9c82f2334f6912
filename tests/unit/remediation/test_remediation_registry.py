"""The playbook registry and the plan model: every check has a playbook, every call speaks EC2's API."""

from __future__ import annotations

import json

import botocore.session
import msgspec
import pytest
from botocore import xform_name
from botocore.validate import ParamValidator
from remediation_builders import every_kind_of_plan, finding_of
from unit.checks.facts_builders import VPC_ID, aws_service, facts, interface_endpoint

from vpce_guard.aws import AwsSession
from vpce_guard.checks import CHECKS
from vpce_guard.findings import Remediation
from vpce_guard.remediation.executor import apply
from vpce_guard.remediation.model import ApiCall, ResourceRef, kind_of
from vpce_guard.remediation.plans import PLAYBOOKS, plan_for
from vpce_guard.remediation.rollback import Alteration, Undo, inverse_calls

EC2_MODEL = botocore.session.get_session().get_service_model("ec2")
ENDPOINT = ResourceRef("endpoint", "vpce-0interface000001", VPC_ID, "111122223333", "us-east-1")


def every_call() -> list[ApiCall]:
    return [call for plan in every_kind_of_plan() for call in plan.calls]


def test_every_check_has_the_playbook_of_its_remediation_action() -> None:
    served = {check_id: action for action, playbook in PLAYBOOKS.items() for check_id in playbook.check_ids}

    assert served == {check_id: check.remediation_action for check_id, check in CHECKS.items()}


def test_a_remediation_action_without_a_playbook_is_an_error() -> None:
    estate = facts(endpoints=[interface_endpoint(private_dns=False)], services=[aws_service()])
    finding = msgspec.structs.replace(finding_of("private-dns-disabled", estate), remediation=Remediation("nope", True))

    with pytest.raises(ValueError, match="no playbook for private-dns-disabled \\(nope\\)"):
        plan_for(finding, estate)


def test_a_finding_not_in_the_facts_is_an_error() -> None:
    estate = facts(endpoints=[interface_endpoint(private_dns=False)], services=[aws_service()])
    finding = finding_of("private-dns-disabled", estate)

    with pytest.raises(ValueError, match="vpce-0interface000001 \\(private-dns-disabled\\) is not in the facts"):
        plan_for(finding, facts())


@pytest.mark.parametrize("call", every_call(), ids=lambda call: call.operation)
def test_every_planned_call_is_valid_input_of_its_ec2_operation(call: ApiCall) -> None:
    operation = EC2_MODEL.operation_model(call.operation)

    assert xform_name(operation.name) == call.method
    assert not ParamValidator().validate(dict(call.parameters), operation.input_shape).has_errors()


def test_a_call_names_its_operation_and_iam_action() -> None:
    call = ApiCall("ec2", "authorize_security_group_ingress", {"GroupId": "sg-1", "IpPermissions": []})

    assert (call.operation, call.iam_action, call.resource_id) == (
        "AuthorizeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupIngress",
        "sg-1",
    )


def test_a_call_describes_itself_on_one_line_with_the_values_sent() -> None:
    call = ApiCall(
        "ec2",
        "modify_vpc_endpoint",
        {"VpcEndpointId": "vpce-1", "PrivateDnsEnabled": True, "AddSubnetIds": ["subnet-1"]},
    )

    assert (
        call.describe() == 'ModifyVpcEndpoint(VpcEndpointId=vpce-1, PrivateDnsEnabled=True, AddSubnetIds=["subnet-1"])'
    )


def test_a_resource_ref_survives_a_round_trip_through_json() -> None:
    assert ResourceRef.from_dict(ENDPOINT.to_dict()) == ENDPOINT


def test_a_related_resource_shares_the_vpc_account_and_region() -> None:
    assert ENDPOINT.related("sg-0abc") == ResourceRef("security-group", "sg-0abc", VPC_ID, "111122223333", "us-east-1")
    assert ENDPOINT.related(VPC_ID).kind == "vpc"


def test_an_id_of_another_kind_of_resource_is_an_error() -> None:
    with pytest.raises(ValueError, match="subnet-0abc"):
        kind_of("subnet-0abc")


def test_a_resource_of_another_kind_has_no_rollback() -> None:
    subnet = msgspec.structs.replace(ENDPOINT, kind="subnet")
    altered = Alteration(subnet.id, "MapPublicIpOnLaunch", before=False, after=True)

    with pytest.raises(ValueError, match="subnet"):
        inverse_calls(Undo(subnet, (subnet,), (altered,)), {subnet.id: {"MapPublicIpOnLaunch": True}})


def test_applying_with_a_session_of_another_region_is_an_error_before_any_call() -> None:
    (plan, *_) = every_kind_of_plan()
    session = AwsSession("eu-west-1", endpoint_url="http://127.0.0.1:9")

    with pytest.raises(ValueError, match="the session is for eu-west-1"):
        apply(session, plan)
    assert session.counter.total == 0


def test_a_call_survives_a_round_trip_through_json() -> None:
    call = ApiCall("ec2", "modify_vpc_attribute", {"VpcId": VPC_ID, "EnableDnsSupport": {"Value": True}})

    assert ApiCall(**json.loads(json.dumps(call.to_dict()))) == call
