"""--live's merge: what is deployed completes the file's draft; the file's word stands where it has one, and
what was not found stays unknown, naming it."""

from __future__ import annotations

import json

import msgspec

from vpce_guard.checks import CHECKS, CheckSettings
from vpce_guard.facts import Endpoint, Facts, SecurityGroup, Service, Subnet, Vpc
from vpce_guard.iac.live import complete, described, existing_vpcs
from vpce_guard.iac.model import SERVICE, SUBNETS, VPC, VPC_CONTENTS, Draft, assemble, judge
from vpce_guard.iac.plan import plan_draft
from vpce_guard.policy import parse_policy

REGION = "us-east-1"
BEDROCK = f"com.amazonaws.{REGION}.bedrock-runtime"
PARTNER = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"
VPC_ID = "vpc-0aaa"
ENDPOINT = "aws_vpc_endpoint.bedrock"
ZONES = {
    "subnet-a": ("us-east-1a", "use1-az1"),
    "subnet-b": ("us-east-1b", "use1-az2"),
    "subnet-c": ("us-east-1c", "use1-az3"),
}
CHECKS_RUN = [CHECKS["az-coverage"], CHECKS["policy-any-principal"]]


def planned(service: str = BEDROCK, subnet_ids: tuple[str, ...] = ("subnet-a",), vpc_id: str = VPC_ID) -> Endpoint:
    return Endpoint(
        id=ENDPOINT,
        vpc_id=vpc_id,
        owner_id="111122223333",
        type="Interface",
        service_name=service,
        state="available",
        private_dns_enabled=True,
        subnet_ids=subnet_ids,
        security_group_ids=("sg-1",),
    )


def draft(endpoint: Endpoint | None = None, **fields: object) -> Draft:
    return Draft(kind="plan", region=REGION, owner_id="111122223333", endpoints=(endpoint or planned(),), **fields)  # type: ignore[arg-type]


def deployed(*, zones: tuple[str, ...] = ("us-east-1a", "us-east-1b", "us-east-1c"), **fields: object) -> Facts:
    """VPC_ID with a subnet in each of three zones and group sg-1, and Bedrock offered in ``zones``."""
    subnets = {
        subnet_id: Subnet(subnet_id, VPC_ID, name, zone_id, f"10.0.{index}.0/24")
        for index, (subnet_id, (name, zone_id)) in enumerate(ZONES.items())
    }
    defaults: dict[str, object] = {
        "vpcs": {VPC_ID: Vpc(VPC_ID, "111122223333", ("10.0.0.0/16",), True, True)},
        "subnets": subnets,
        "security_groups": {"sg-1": SecurityGroup("sg-1", VPC_ID, "endpoint")},
        "services": {(BEDROCK, "Interface"): Service(BEDROCK, "Interface", ("bedrock-runtime.x",), True, zones)},
    }
    return Facts(region=REGION, **{**defaults, **fields})  # type: ignore[arg-type]


def test_the_vpcs_to_read_are_those_the_file_names_by_id_and_does_not_create() -> None:
    created = planned(vpc_id="aws_vpc.main")
    unknown = msgspec.structs.replace(planned(), id="aws_vpc_endpoint.other", vpc_id="the VPC of it")

    assert existing_vpcs(draft(planned())) == (VPC_ID,)
    assert existing_vpcs(draft(created, whole_vpcs=frozenset({"aws_vpc.main"}))) == ()
    assert existing_vpcs(Draft("plan", REGION, None, (unknown,), unknown={unknown.id: {VPC: "after apply"}})) == ()


def test_the_file_s_endpoints_are_described_as_the_api_describes_endpoints() -> None:
    assert described(draft()) == [
        {
            "VpcId": VPC_ID,
            "VpcEndpointType": "Interface",
            "State": "available",
            "PrivateDnsEnabled": True,
            "ServiceName": BEDROCK,
        }
    ]


def test_a_vpc_read_is_whole_and_its_zones_judge_coverage() -> None:
    iac = assemble(complete(draft(), deployed(), [VPC_ID]))

    result = judge(iac, CheckSettings(), CHECKS_RUN)

    assert iac.unknown[ENDPOINT] == {}
    (finding,) = result.findings
    assert finding.check_id == "az-coverage"
    assert finding.evidence["missing_zone_ids"] == ["use1-az2", "use1-az3"]


def test_the_services_zones_as_read_replace_the_assumption() -> None:
    iac = assemble(complete(draft(), deployed(zones=("us-east-1a", "us-east-1b")), [VPC_ID]))

    (finding,) = judge(iac, CheckSettings(), CHECKS_RUN).findings

    assert finding.evidence["missing_zone_ids"] == ["use1-az2"]


def test_a_service_the_region_does_not_list_is_unknown_naming_it() -> None:
    iac = assemble(complete(draft(planned(service=PARTNER)), deployed(), [VPC_ID]))

    assert iac.unknown[ENDPOINT][SERVICE] == (
        f"{PARTNER} is not offered to this account in {REGION} for Interface endpoints: DescribeVpcEndpointServices "
        "does not list it"
    )


def test_a_partner_service_the_region_lists_is_known() -> None:
    services = {(PARTNER, "Interface"): Service(PARTNER, "Interface", (), True, ("us-east-1a",))}

    iac = assemble(complete(draft(planned(service=PARTNER)), deployed(services=services), [VPC_ID]))

    assert SERVICE not in iac.unknown[ENDPOINT]


def test_a_subnet_the_read_does_not_return_is_unknown_naming_it() -> None:
    iac = assemble(complete(draft(planned(subnet_ids=("subnet-gone",))), deployed(), [VPC_ID]))

    why = f"subnet-gone: not found in {VPC_ID} in {REGION} (DescribeSubnets did not return it)"
    assert iac.unknown[ENDPOINT][SUBNETS] == why


def test_a_vpc_the_read_does_not_return_is_unknown_naming_it() -> None:
    iac = assemble(complete(draft(), deployed(vpcs={}, subnets={}, security_groups={}), [VPC_ID]))

    why = f"{VPC_ID} does not exist in {REGION}: DescribeVpcs did not return it"
    assert iac.unknown[ENDPOINT][VPC] == why
    assert iac.unknown[ENDPOINT][VPC_CONTENTS] == why


def test_the_file_s_own_resources_win_over_what_is_deployed() -> None:
    moved = Subnet("subnet-b", VPC_ID, "us-east-1a", "use1-az1", "10.0.1.0/24")

    iac = assemble(complete(draft(subnets={"subnet-b": moved}), deployed(), [VPC_ID]))

    assert iac.facts.subnets["subnet-b"].zone_id == "use1-az1"


def test_deployed_endpoints_are_seen_but_not_judged_and_those_the_file_changes_are_left_out() -> None:
    open_policy = parse_policy('{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}')
    existing = Endpoint("vpce-0existing", VPC_ID, "111122223333", "Interface", BEDROCK, "available", True,
                        ("subnet-a",), policy=open_policy)  # fmt: skip
    replaced = msgspec.structs.replace(existing, id="vpce-0replaced")
    facts = deployed(endpoints=(existing, replaced))

    iac = assemble(complete(draft(deployed_ids=frozenset({"vpce-0replaced"})), facts, [VPC_ID]))

    assert [endpoint.id for endpoint in iac.facts.endpoints] == [ENDPOINT, "vpce-0existing"]
    findings = judge(iac, CheckSettings(), CHECKS_RUN).findings
    assert {finding.resource_id for finding in findings} == {ENDPOINT}


def test_a_zone_named_by_its_index_is_taken_as_offered_as_without_live() -> None:
    zones = {f"subnet-{n}": Subnet(f"subnet-{n}", "Vpc", f"zone {n} of {REGION}", f"zone {n} of {REGION}", "")
             for n in (1, 2)}  # fmt: skip
    endpoint = planned(vpc_id="Vpc", subnet_ids=("subnet-1",))
    template = draft(endpoint, subnets=zones, vpcs={"Vpc": Vpc("Vpc", "", ("10.0.0.0/16",), True, True)},
                     whole_vpcs=frozenset({"Vpc"}))  # fmt: skip

    iac = assemble(complete(template, deployed(), []))

    (finding,) = judge(iac, CheckSettings(), CHECKS_RUN).findings
    assert finding.evidence["missing_zone_ids"] == [f"zone 2 of {REGION}"]


def test_a_plan_names_the_deployed_resources_it_changes_or_deletes() -> None:
    def change(address: str, actions: list[str], before: dict[str, str] | None) -> dict[str, object]:
        kind, name = address.split(".")
        return {
            "address": address,
            "mode": "managed",
            "type": kind,
            "name": name,
            "change": {"actions": actions, "before": before, "after": None if actions == ["delete"] else {}},
        }

    plan = {
        "format_version": "1.2",
        "planned_values": {"root_module": {}},
        "resource_changes": [
            change("aws_vpc_endpoint.kept", ["update"], {"id": "vpce-0kept"}),
            change("aws_vpc_endpoint.gone", ["delete"], {"id": "vpce-0gone"}),
            change("aws_subnet.new", ["create"], None),
        ],
    }

    assert plan_draft(json.dumps(plan), "plan.json").deployed_ids == {"vpce-0kept", "vpce-0gone"}
