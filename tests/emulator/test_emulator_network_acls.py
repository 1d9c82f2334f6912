"""The network ACL fixes, each through the server over HTTP: rules and associations as AWS answers them."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

ALL = "-1"
TCP = "6"


@pytest.fixture
def ec2(aws: Emulator) -> Any:
    return aws.client("ec2")


def vpc(ec2: Any, *, ipv6: bool = False) -> str:
    return str(ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=ipv6)["Vpc"]["VpcId"])


def default_acl(ec2: Any, vpc_id: str) -> dict[str, Any]:
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
    (acl,) = ec2.describe_network_acls(Filters=filters)["NetworkAcls"]
    return dict(acl)


def described(ec2: Any, acl_id: str) -> dict[str, Any]:
    (acl,) = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"]
    return dict(acl)


def rules(acl: dict[str, Any]) -> list[tuple[bool, int, str, str, str]]:
    """Each rule as (egress, number, action, protocol, range), in AWS's order of evaluation per direction."""
    return sorted(
        (e["Egress"], e["RuleNumber"], e["RuleAction"], e["Protocol"], e.get("CidrBlock") or e["Ipv6CidrBlock"])
        for e in acl["Entries"]
    )


def entry(acl: dict[str, Any], number: int, *, egress: bool = False) -> dict[str, Any]:
    (found,) = [e for e in acl["Entries"] if e["RuleNumber"] == number and e["Egress"] == egress]
    return dict(found)


def add_rule(ec2: Any, acl_id: str, number: int, **rule: Any) -> None:
    rule = {"Protocol": TCP, "RuleAction": "deny", "Egress": False, "CidrBlock": "10.0.1.0/24", **rule}
    if rule["Protocol"] == TCP:
        rule.setdefault("PortRange", {"From": 443, "To": 443})
    ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=number, **rule)


def error_code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


# --- The rules AWS makes ----------------------------------------------------------------------------------


def test_a_default_network_acl_allows_everything_with_rule_100_and_denies_the_rest_with_the_asterisk(ec2: Any) -> None:
    assert rules(default_acl(ec2, vpc(ec2))) == [
        (False, 100, "allow", ALL, "0.0.0.0/0"),
        (False, 32767, "deny", ALL, "0.0.0.0/0"),
        (True, 100, "allow", ALL, "0.0.0.0/0"),
        (True, 32767, "deny", ALL, "0.0.0.0/0"),
    ]


def test_the_default_network_acl_of_a_vpc_with_ipv6_allows_ipv6_with_rule_101(ec2: Any) -> None:
    ipv6 = [rule for rule in rules(default_acl(ec2, vpc(ec2, ipv6=True))) if rule[4] == "::/0"]

    assert ipv6 == [
        (False, 101, "allow", ALL, "::/0"),
        (False, 32767, "deny", ALL, "::/0"),
        (True, 101, "allow", ALL, "::/0"),
        (True, 32767, "deny", ALL, "::/0"),
    ]


def test_an_ipv6_block_added_later_adds_the_allow_rule_only_in_a_direction_nobody_changed(ec2: Any) -> None:
    vpc_id = vpc(ec2)
    acl_id = default_acl(ec2, vpc_id)["NetworkAclId"]
    add_rule(ec2, acl_id, 90, Egress=True)

    ec2.associate_vpc_cidr_block(VpcId=vpc_id, AmazonProvidedIpv6CidrBlock=True)

    ipv6 = [rule for rule in rules(described(ec2, acl_id)) if rule[4] == "::/0"]
    assert ipv6 == [
        (False, 101, "allow", ALL, "::/0"),
        (False, 32767, "deny", ALL, "::/0"),
        (True, 32767, "deny", ALL, "::/0"),
    ]


def test_a_new_network_acl_denies_everything_with_its_asterisk_rules(ec2: Any) -> None:
    vpc_id = vpc(ec2, ipv6=True)

    created = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]

    asterisks = [
        (False, 32767, "deny", ALL, "0.0.0.0/0"),
        (False, 32767, "deny", ALL, "::/0"),
        (True, 32767, "deny", ALL, "0.0.0.0/0"),
        (True, 32767, "deny", ALL, "::/0"),
    ]
    assert rules(created) == rules(described(ec2, created["NetworkAclId"])) == asterisks


# --- Rules as they are given ------------------------------------------------------------------------------


def test_a_protocol_is_its_number_and_a_name_is_refused(ec2: Any) -> None:
    acl_id = default_acl(ec2, vpc(ec2))["NetworkAclId"]

    with pytest.raises(ClientError) as caught:
        add_rule(ec2, acl_id, 90, Protocol="tcp", PortRange={"From": 443, "To": 443})

    assert error_code(caught) == "InvalidParameterValue"
    assert "Invalid value 'tcp' for IP protocol" in str(caught.value)
    assert [rule[1] for rule in rules(described(ec2, acl_id))] == [100, 32767, 100, 32767]


def test_a_port_range_is_kept_for_tcp_and_udp_only(ec2: Any) -> None:
    acl_id = default_acl(ec2, vpc(ec2))["NetworkAclId"]
    ports = {"From": 443, "To": 443}
    add_rule(ec2, acl_id, 90, PortRange=ports)
    add_rule(ec2, acl_id, 91, Protocol="17", PortRange=ports)
    add_rule(ec2, acl_id, 92, Protocol=ALL, PortRange=ports)

    acl = described(ec2, acl_id)

    assert [entry(acl, number).get("PortRange") for number in (90, 91, 92)] == [ports, ports, None]
    assert entry(acl, 90)["Protocol"] == TCP


def test_a_rule_number_taken_in_its_direction_is_refused_with_aws_error_code(ec2: Any) -> None:
    acl_id = default_acl(ec2, vpc(ec2))["NetworkAclId"]
    add_rule(ec2, acl_id, 90)
    add_rule(ec2, acl_id, 90, Egress=True)

    with pytest.raises(ClientError) as caught:
        add_rule(ec2, acl_id, 90, CidrBlock="10.0.2.0/24")

    assert error_code(caught) == "NetworkAclEntryAlreadyExists"
    assert entry(described(ec2, acl_id), 90)["CidrBlock"] == "10.0.1.0/24"


def test_deleting_or_replacing_a_rule_that_is_not_there_is_not_found(ec2: Any) -> None:
    acl_id = default_acl(ec2, vpc(ec2))["NetworkAclId"]
    add_rule(ec2, acl_id, 90, Egress=True)
    before = rules(described(ec2, acl_id))

    with pytest.raises(ClientError) as deleting:
        ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=90, Egress=False)
    with pytest.raises(ClientError) as replacing:
        ec2.replace_network_acl_entry(
            NetworkAclId=acl_id, RuleNumber=90, Protocol=ALL, RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0"
        )

    assert error_code(deleting) == error_code(replacing) == "InvalidNetworkAclEntry.NotFound"
    assert rules(described(ec2, acl_id)) == before


def test_replacing_a_rule_with_a_protocol_name_keeps_the_rule(ec2: Any) -> None:
    acl_id = default_acl(ec2, vpc(ec2))["NetworkAclId"]
    add_rule(ec2, acl_id, 90)

    with pytest.raises(ClientError):
        ec2.replace_network_acl_entry(
            NetworkAclId=acl_id, RuleNumber=90, Protocol="udp", RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0"
        )

    assert entry(described(ec2, acl_id), 90)["RuleAction"] == "deny"


# --- Associations -----------------------------------------------------------------------------------------


def test_every_subnet_is_associated_and_a_new_one_with_the_default_network_acl(ec2: Any) -> None:
    vpc_id = vpc(ec2)
    subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{n}.0/24")["Subnet"]["SubnetId"] for n in (1, 2)]

    associations = default_acl(ec2, vpc_id)["Associations"]

    assert sorted(association["SubnetId"] for association in associations) == sorted(subnets)
    assert all(association["NetworkAclAssociationId"].startswith("aclassoc-") for association in associations)


def test_replacing_an_association_moves_the_subnet_to_the_other_network_acl(ec2: Any) -> None:
    vpc_id = vpc(ec2)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    (association,) = default_acl(ec2, vpc_id)["Associations"]
    custom = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]

    replaced = ec2.replace_network_acl_association(
        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=custom
    )

    assert default_acl(ec2, vpc_id)["Associations"] == []
    assert described(ec2, custom)["Associations"] == [
        {"NetworkAclAssociationId": replaced["NewAssociationId"], "NetworkAclId": custom, "SubnetId": subnet_id}
    ]


def test_replacing_an_unknown_association_or_with_an_unknown_network_acl_changes_nothing(ec2: Any) -> None:
    vpc_id = vpc(ec2)
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")
    before = default_acl(ec2, vpc_id)
    (association,) = before["Associations"]

    with pytest.raises(ClientError) as unknown_association:
        ec2.replace_network_acl_association(
            AssociationId="aclassoc-0123456789abcdef0", NetworkAclId=before["NetworkAclId"]
        )
    with pytest.raises(ClientError) as unknown_acl:
        ec2.replace_network_acl_association(
            AssociationId=association["NetworkAclAssociationId"], NetworkAclId="acl-0123456789abcdef0"
        )

    assert error_code(unknown_association) == "InvalidAssociationID.NotFound"
    assert error_code(unknown_acl) == "InvalidNetworkAclID.NotFound"
    assert default_acl(ec2, vpc_id)["Associations"] == before["Associations"]


def test_a_deleted_subnet_is_no_longer_associated(ec2: Any) -> None:
    vpc_id = vpc(ec2)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]

    ec2.delete_subnet(SubnetId=subnet_id)

    assert default_acl(ec2, vpc_id)["Associations"] == []


# --- Describing -------------------------------------------------------------------------------------------


def test_the_network_acl_id_filter_selects_network_acls_and_finds_none_for_an_unknown_id(ec2: Any) -> None:
    acl_id = default_acl(ec2, vpc(ec2))["NetworkAclId"]
    vpc(ec2)

    def selected(*ids: str) -> list[str]:
        found = ec2.describe_network_acls(Filters=[{"Name": "network-acl-id", "Values": list(ids)}])["NetworkAcls"]
        return [acl["NetworkAclId"] for acl in found]

    assert selected(acl_id, "acl-0123456789abcdef0") == [acl_id]
    assert selected("acl-0123456789abcdef0") == []


def test_describing_an_unknown_network_acl_by_id_is_not_found(ec2: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ec2.describe_network_acls(NetworkAclIds=["acl-0123456789abcdef0"])

    assert error_code(caught) == "InvalidNetworkAclID.NotFound"
