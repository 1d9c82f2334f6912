"""sg-open-to-world: one test per scenario of the module docstring."""

from __future__ import annotations

import pytest
from facts_builders import (
    CLIENT_SG,
    ENDPOINT_SG,
    VPC_CIDR,
    all_traffic_rule,
    facts,
    gateway_endpoint,
    interface_endpoint,
    security_group,
    tcp_rule,
)

from vpce_guard.checks import sg_open_to_world
from vpce_guard.checks.base import CheckSettings
from vpce_guard.facts import Endpoint, SecurityGroup
from vpce_guard.findings import Finding, Severity

SECOND_SG = "sg-0second0000000001"


def run(*groups: SecurityGroup, endpoint: Endpoint | None = None) -> list[Finding]:
    estate = facts(endpoints=[endpoint or interface_endpoint()], security_groups=groups)
    return list(sg_open_to_world.evaluate(estate, CheckSettings()))


def test_all_traffic_from_anywhere_is_high_finding() -> None:
    (finding,) = run(security_group(ENDPOINT_SG, all_traffic_rule(cidrs=["0.0.0.0/0"])))

    assert (
        finding.check_id,
        finding.severity,
        finding.remediation.action,
        finding.remediation.automatic,
    ) == (
        "sg-open-to-world",
        Severity.HIGH,
        "restrict-security-group",
        True,
    )
    assert finding.evidence == {
        "security_group_ids": [ENDPOINT_SG],
        "open_rules": [
            {
                "group_id": ENDPOINT_SG,
                "protocol": "-1",
                "from_port": None,
                "to_port": None,
                "cidr": "0.0.0.0/0",
            }
        ],
    }


def test_https_from_ipv6_anywhere_is_a_finding() -> None:
    (finding,) = run(security_group(ENDPOINT_SG, tcp_rule(cidrs=["::/0"])))

    assert finding.evidence["open_rules"] == [
        {"group_id": ENDPOINT_SG, "protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "::/0"}
    ]


def test_detail_names_the_endpoint_and_each_open_rule() -> None:
    endpoint = interface_endpoint()

    (finding,) = run(security_group(ENDPOINT_SG, tcp_rule(0, to_port=65535, cidrs=["0.0.0.0/0"])), endpoint=endpoint)

    assert endpoint.id in finding.detail
    assert f"{ENDPOINT_SG} TCP 0-65535 from 0.0.0.0/0" in finding.detail


def test_open_rules_of_several_groups_make_one_sorted_finding() -> None:
    endpoint = interface_endpoint(security_group_ids=[SECOND_SG, ENDPOINT_SG])
    first = security_group(ENDPOINT_SG, tcp_rule(cidrs=["::/0", "0.0.0.0/0"]))
    second = security_group(SECOND_SG, tcp_rule(22, cidrs=["0.0.0.0/0"]))

    (finding,) = run(first, second, endpoint=endpoint)

    assert finding.evidence["security_group_ids"] == [ENDPOINT_SG, SECOND_SG]
    assert [(rule["group_id"], rule["cidr"]) for rule in finding.evidence["open_rules"]] == [
        (ENDPOINT_SG, "0.0.0.0/0"),
        (ENDPOINT_SG, "::/0"),
        (SECOND_SG, "0.0.0.0/0"),
    ]


def test_rules_from_vpc_cidr_groups_and_prefix_lists_are_no_finding() -> None:
    group = security_group(
        ENDPOINT_SG,
        tcp_rule(cidrs=[VPC_CIDR]),
        tcp_rule(group_ids=[CLIENT_SG]),
        tcp_rule(prefix_list_ids=["pl-0a1b2c3d4e5f60001"]),
    )

    assert run(group) == []


def test_wide_but_not_world_cidr_is_no_finding() -> None:
    assert run(security_group(ENDPOINT_SG, tcp_rule(cidrs=["0.0.0.0/1"]))) == []


def test_open_group_not_attached_to_the_endpoint_is_no_finding() -> None:
    unattached = security_group(SECOND_SG, all_traffic_rule(cidrs=["0.0.0.0/0"]))

    assert run(security_group(), unattached) == []


def test_undescribed_group_is_skipped_while_described_groups_are_judged() -> None:
    endpoint = interface_endpoint(security_group_ids=["sg-0undescribed000001", ENDPOINT_SG])

    (finding,) = run(security_group(ENDPOINT_SG, tcp_rule(cidrs=["0.0.0.0/0"])), endpoint=endpoint)

    assert finding.evidence["security_group_ids"] == [ENDPOINT_SG]


def test_gateway_endpoint_is_no_finding() -> None:
    assert run(security_group(ENDPOINT_SG, all_traffic_rule(cidrs=["0.0.0.0/0"])), endpoint=gateway_endpoint()) == []


@pytest.mark.parametrize("state", ["deleting", "deleted", "failed", "rejected", "expired"])
def test_inactive_endpoint_is_no_finding(state: str) -> None:
    endpoint = interface_endpoint(state=state)

    assert run(security_group(ENDPOINT_SG, all_traffic_rule(cidrs=["0.0.0.0/0"])), endpoint=endpoint) == []
