"""nacl-blocks-https through the emulator over HTTP: network ACLs built through the EC2 API as a user would,
scanned as an AWS account is."""

from __future__ import annotations

from typing import Any

import pytest

from vpce_guard.aws import AwsSession
from vpce_guard.checks import CHECKS, CheckSettings
from vpce_guard.findings import Finding
from vpce_guard.scan import scan_live
from vpce_guard.snapshot import Scope
from vpce_guard_local.demo import REGION
from vpce_guard_local.estate import BuiltVpc, EstateBuilder

pytestmark = pytest.mark.server

HTTPS = {"From": 443, "To": 443}


@pytest.fixture
def build(ec2: Any) -> EstateBuilder:
    return EstateBuilder(ec2, REGION)


@pytest.fixture
def endpoint(build: EstateBuilder, vpc: BuiltVpc) -> str:
    group = build.security_group(vpc, "vpce-https", https_from_cidrs=[vpc.cidr])
    return build.interface_endpoint(vpc, "sts", subnet_ids=vpc.private_subnet_ids, group_ids=[group])


def scanned(session: AwsSession, vpc: BuiltVpc) -> list[Finding]:
    return scan_live(session, Scope(REGION, vpc_ids=(vpc.id,)), CheckSettings(), [CHECKS["nacl-blocks-https"]]).findings


def test_a_deny_of_443_from_part_of_the_vpc_is_found_with_the_rule_and_only_that_part(
    session: AwsSession, build: EstateBuilder, vpc: BuiltVpc, endpoint: str
) -> None:
    assert scanned(session, vpc) == []
    acl_id = build.deny_https(vpc, "10.0.64.0/20")

    (finding,) = scanned(session, vpc)

    assert (finding.resource_id, finding.check_id) == (endpoint, "nacl-blocks-https")
    assert finding.evidence == {
        "client_cidrs": [vpc.cidr],
        "blocks": [
            {
                "network_acl_id": acl_id,
                "subnet_id": subnet_id,
                "direction": "inbound",
                "rule_number": 90,
                "from_port": 443,
                "to_port": 443,
                "blocked_cidrs": ["10.0.64.0/20"],
            }
            for subnet_id in sorted(vpc.private_subnet_ids)
        ],
    }


def test_a_network_acl_of_its_own_without_the_replies_blocks_one_subnet_outbound(
    session: AwsSession, ec2: Any, vpc: BuiltVpc, endpoint: str
) -> None:
    first, second = vpc.private_subnet_ids
    fenced = ec2.create_network_acl(VpcId=vpc.id)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=fenced, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
        CidrBlock=vpc.cidr, PortRange=HTTPS,
    )  # fmt: skip
    (association,) = [
        association
        for acl in ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc.id]}])["NetworkAcls"]
        for association in acl["Associations"]
        if association["SubnetId"] == second
    ]
    ec2.replace_network_acl_association(AssociationId=association["NetworkAclAssociationId"], NetworkAclId=fenced)

    (finding,) = scanned(session, vpc)

    (block,) = finding.evidence["blocks"]
    own = ec2.describe_subnets(SubnetIds=[second])["Subnets"][0]["CidrBlock"]
    assert (block["network_acl_id"], block["subnet_id"], block["direction"], block["rule_number"]) == (
        fenced,
        second,
        "outbound",
        32767,
    )
    assert (block["from_port"], block["to_port"]) == (1024, 65535)
    assert own not in block["blocked_cidrs"]
    assert "10.0.0.0/20" in block["blocked_cidrs"]
    assert first not in finding.detail
