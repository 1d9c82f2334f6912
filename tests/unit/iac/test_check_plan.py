"""check-plan's reader: the checks judge a Terraform plan as they judge an account, through modules, count
and for_each, and report as not judged what the plan leaves unknown until apply."""

from __future__ import annotations

import json
from typing import Any

import pytest
from plan_builders import (
    ACCOUNT_ID,
    ENDPOINT,
    FULL_ACCESS,
    GROUP,
    INVOKE_ONLY,
    Resource,
    build_plan,
    endpoint,
    endpoint_group,
    refs,
    seed_004,
    subnet,
    vpc,
)

from vpce_guard.checks import CHECKS, CheckSettings
from vpce_guard.iac.model import CHECK_FACTS, IacError, IacResult, judge
from vpce_guard.iac.plan import read_plan

SETTINGS = CheckSettings()
CHECKS_BEFORE_DEPLOY = [CHECKS[check_id] for check_id in CHECK_FACTS]


def checked(plan: dict[str, Any], account_id: str | None = ACCOUNT_ID) -> IacResult:
    return judge(read_plan(json.dumps(plan), "plan.json", account_id=account_id), SETTINGS, CHECKS_BEFORE_DEPLOY)


def found(result: IacResult) -> list[tuple[str, str]]:
    return [(finding.check_id, finding.resource_id) for finding in result.findings]


def unjudged(result: IacResult) -> dict[tuple[str, str], dict[str, str]]:
    return {(u.check_id, u.resource_id): dict(u.unknown) for u in result.unjudged}


# --- seed 004 ---------------------------------------------------------------------------------------------


def test_seed_004_as_written_is_judged_whole_and_only_its_unbounded_principal_is_found() -> None:
    """Private DNS on, the Invoke-only policy and the group admitting the developers' subnet pass; the
    policy's Principal "*" with no condition is what policy-any-principal exists for."""
    result = checked(seed_004())

    assert found(result) == [("policy-any-principal", ENDPOINT)]
    assert result.unjudged == []


def test_seed_004_with_its_principal_bounded_to_the_account_passes() -> None:
    from plan_builders import ACCOUNT_BOUNDED

    result = checked(seed_004(policy=ACCOUNT_BOUNDED))

    assert result.findings == []
    assert result.unjudged == []


def test_seed_004_with_private_dns_off_is_found() -> None:
    result = checked(seed_004(private_dns=False))

    assert ("private-dns-disabled", ENDPOINT) in found(result)
    finding = next(f for f in result.findings if f.check_id == "private-dns-disabled")
    assert finding.severity == "HIGH"
    assert finding.service_name == "com.amazonaws.us-east-1.bedrock-runtime"


def test_seed_004_with_a_full_access_policy_is_found() -> None:
    result = checked(seed_004(policy=FULL_ACCESS))

    assert sorted(found(result)) == [("policy-any-principal", ENDPOINT), ("policy-wildcard-action", ENDPOINT)]


def test_seed_004_without_a_policy_gets_the_default_full_access_one() -> None:
    """An endpoint created without a policy gets AWS's full-access policy: judged as such, not unknown."""
    plan = seed_004(policy=None)
    block = plan["configuration"]["root_module"]["module_calls"]["bedrock"]["module"]["resources"]
    assert all("policy" not in resource["expressions"] for resource in block)

    result = checked(plan)

    assert ("policy-wildcard-action", ENDPOINT) in found(result)
    any_principal = next(f for f in result.findings if f.check_id == "policy-any-principal")
    assert any_principal.evidence["default_policy"] is True


def test_seed_004_with_one_subnet_in_one_zone_is_found() -> None:
    result = checked(seed_004(endpoint_subnets=1))

    assert ("az-coverage", ENDPOINT) in found(result)
    finding = next(f for f in result.findings if f.check_id == "az-coverage")
    assert finding.evidence["endpoint_zone_ids"] == ["us-east-1a"]
    assert finding.evidence["missing_zone_ids"] == ["us-east-1b"]


def test_seed_004_in_a_vpc_without_dns_hostnames_is_found() -> None:
    """Terraform's aws_vpc leaves DNS hostnames off unless told: the plan says so."""
    assert ("vpc-dns-disabled", ENDPOINT) in found(checked(seed_004(hostnames=False)))


def test_seed_004_with_its_group_admitting_only_an_outside_range_is_found() -> None:
    result = checked(seed_004(group_cidrs=("192.168.0.0/16",)))

    assert ("sg-https-blocked", ENDPOINT) in found(result)


def test_seed_004_with_its_group_open_to_the_world_is_found() -> None:
    assert ("sg-open-to-world", ENDPOINT) in found(checked(seed_004(group_cidrs=("0.0.0.0/0",))))


def test_a_finding_names_the_endpoint_by_its_address_and_the_vpc_by_its_own() -> None:
    finding = checked(seed_004(private_dns=False)).findings[0]

    assert finding.resource_id == ENDPOINT
    assert finding.vpc_id == "aws_vpc.main"
    assert finding.account_id == ACCOUNT_ID
    assert finding.region == "us-east-1"


# --- unknown until apply ----------------------------------------------------------------------------------


def test_a_subnet_whose_zone_aws_picks_at_apply_leaves_az_coverage_unknown() -> None:
    result = checked(seed_004(private_zones=("us-east-1a", None)))

    assert "az-coverage" not in {check_id for check_id, _ in found(result)}
    reasons = unjudged(result)[("az-coverage", ENDPOINT)]
    assert reasons["subnets"] == "aws_subnet.private[1]: its zone or range is known only after apply"
    # What does not read the subnets is judged all the same.
    assert ("policy-any-principal", ENDPOINT) in found(result)


def test_a_policy_known_only_after_apply_leaves_the_policy_checks_unknown() -> None:
    plan = seed_004()
    rendered = endpoint(policy=None)
    rendered.references = {**rendered.references, "policy": refs("data.aws_iam_policy_document.endpoint.json")}
    plan = build_plan(
        [vpc(), subnet("private", "10.20.0.0/24", "us-east-1a", index=0),
         subnet("private", "10.20.1.0/24", "us-east-1b", index=1), rendered, endpoint_group()],
        {"bedrock": {"vpc_id": refs("aws_vpc.main.id"), "private_subnet_ids": refs("aws_subnet.private")}},
    )  # fmt: skip

    result = checked(plan)

    policy_checks = {
        "policy-any-principal",
        "policy-wildcard-action",
        "policy-foreign-principal",
        "policy-any-resource",
    }
    assert {check_id for check_id, _ in unjudged(result)} == policy_checks
    assert unjudged(result)[("policy-any-principal", ENDPOINT)] == {
        "policy": f"{ENDPOINT}.policy is known only after apply"
    }
    assert found(result) == []


def test_an_existing_vpc_the_plan_does_not_hold_leaves_what_reads_it_unknown() -> None:
    """The VPC given by id, not in the plan: its DNS attributes, ranges and other resources are unknown."""
    resources = [
        subnet("private", "10.20.0.0/24", "us-east-1a", index=0),
        subnet("private", "10.20.1.0/24", "us-east-1b", index=1),
        endpoint(),
        endpoint_group(),
    ]
    for resource in resources:
        resource.after["vpc_id"] = "vpc-0a1b2c3d4e5f60001"
        resource.unknown.pop("vpc_id", None)
        resource.references = {k: v for k, v in resource.references.items() if k != "vpc_id"}
    plan = build_plan(resources, {"bedrock": {"private_subnet_ids": refs("aws_subnet.private")}})

    result = checked(plan)
    reasons = unjudged(result)

    assert reasons[("vpc-dns-disabled", ENDPOINT)]["VPC"] == (
        "vpc-0a1b2c3d4e5f60001 is not in the plan: its DNS attributes and ranges are unknown"
    )
    assert {"sg-https-blocked", "nacl-blocks-https", "az-coverage"} <= {c for c, _ in reasons}
    assert ("private-dns-disabled", ENDPOINT) not in reasons
    assert ("sg-open-to-world", ENDPOINT) not in reasons


def test_an_unknown_owner_account_keeps_a_pass_and_withholds_a_finding() -> None:
    """Without the owner's account, a policy naming no account passes policy-foreign-principal; one naming
    an account may be naming the owner, so its finding is not judged."""
    named = {
        "Version": "2012-10-17",
        "Statement": [{**INVOKE_ONLY["Statement"][0], "Principal": {"AWS": "arn:aws:iam::444455556666:root"}}],
    }

    passing = checked(seed_004(), account_id=None)
    withheld = checked(seed_004(policy=named), account_id=None)

    assert ("policy-foreign-principal", ENDPOINT) not in unjudged(passing)
    assert ("policy-foreign-principal", ENDPOINT) not in found(withheld)
    assert unjudged(withheld)[("policy-foreign-principal", ENDPOINT)] == {
        "owner account": "the plan does not say which account owns it: give --account-id"
    }
    assert ("policy-foreign-principal", ENDPOINT) in found(checked(seed_004(policy=named)))


def test_the_owner_account_is_read_from_an_aws_caller_identity_data_source() -> None:
    plan = seed_004()
    identity = Resource("aws_caller_identity", "current", {"account_id": ACCOUNT_ID}, mode="data")
    plan["prior_state"]["values"]["root_module"]["resources"].append(
        {"address": identity.address, "mode": "data", "type": identity.type, "name": identity.name,
         "values": identity.after}
    )  # fmt: skip

    assert checked(plan, account_id=None).findings[0].account_id == ACCOUNT_ID


# --- modules, count and for_each --------------------------------------------------------------------------


def test_endpoints_of_a_for_each_module_are_each_judged_by_their_address() -> None:
    """module.endpoints["ssm"] and ["sts"]: each instance's endpoint, joined to the group of its own
    module instance."""
    resources = [vpc(), subnet("private", "10.20.0.0/24", "us-east-1a", index=0),
                 subnet("private", "10.20.1.0/24", "us-east-1b", index=1)]  # fmt: skip
    for key, dns in (("ssm", False), ("sts", True)):
        module = f'module.endpoints["{key}"]'
        resources.append(
            endpoint(service=f"com.amazonaws.us-east-1.{key}", private_dns=dns, module=module, name="this",
                     group="aws_security_group.this", policy=FULL_ACCESS)
        )  # fmt: skip
        group = endpoint_group(module=module)
        group.name = "this"
        resources.append(group)
    plan = build_plan(
        resources, {"endpoints": {"vpc_id": refs("aws_vpc.main.id"), "private_subnet_ids": refs("aws_subnet.private")}}
    )

    result = checked(plan)

    ssm, sts = 'module.endpoints["ssm"].aws_vpc_endpoint.this', 'module.endpoints["sts"].aws_vpc_endpoint.this'
    assert ("private-dns-disabled", ssm) in found(result)
    assert ("private-dns-disabled", sts) not in found(result)
    assert ("sg-https-blocked", ssm) not in found(result)
    assert result.unjudged == []
    assert result.iac.facts.endpoints[0].security_group_ids in (
        ('module.endpoints["ssm"].aws_security_group.this',),
        ('module.endpoints["sts"].aws_security_group.this',),
    )


def test_a_count_instance_named_by_index_is_the_only_one_joined() -> None:
    result = checked(seed_004(endpoint_subnets=1))
    (endpoint_facts,) = result.iac.facts.endpoints

    assert endpoint_facts.subnet_ids == ("aws_subnet.private[0]",)
    assert endpoint_facts.security_group_ids == (GROUP,)
    assert endpoint_facts.vpc_id == "aws_vpc.main"


def test_known_ids_join_resources_without_references() -> None:
    """Resources already applied: their ids are in the plan, and ids join them."""
    resources = [vpc(), subnet("a", "10.20.0.0/24", "us-east-1a"), subnet("b", "10.20.1.0/24", "us-east-1b"),
                 endpoint(), endpoint_group()]  # fmt: skip
    ids = {"aws_vpc": "vpc-0a1b2c3d4e5f60001", "aws_security_group": "sg-0e0d0c0b0a0900001"}
    for resource in resources:
        resource.actions = ("no-op",)
        resource.unknown = {}
        resource.references = {}
        if resource.type in ids:
            resource.after["id"] = ids[resource.type]
        if resource.type == "aws_subnet":
            resource.after["id"] = f"subnet-0{resource.name}00000000000001"
        if resource.type != "aws_vpc":
            resource.after["vpc_id"] = ids["aws_vpc"]
    resources[3].after.update(
        subnet_ids=["subnet-0a00000000000001", "subnet-0b00000000000001"],
        security_group_ids=[ids["aws_security_group"]],
    )

    result = checked(build_plan(resources))

    assert found(result) == [("policy-any-principal", ENDPOINT)]
    assert result.unjudged == []


def test_an_endpoint_planned_for_deletion_is_not_judged() -> None:
    plan = seed_004(private_dns=False)
    change = next(c for c in plan["resource_changes"] if c["address"] == ENDPOINT)
    change["change"]["actions"] = ["delete"]
    for module in plan["planned_values"]["root_module"]["child_modules"]:
        module["resources"] = [r for r in module["resources"] if r["address"] != ENDPOINT]

    result = checked(plan)

    assert result.findings == []
    assert result.unjudged == []


# --- not a plan -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "plan.json is not JSON"),
        ('{"format_version": "2.0", "planned_values": {}}', "plan.json is a plan of format_version 2.0"),
        ('{"planned_values": {}}', "plan.json is not a Terraform plan: it has no format_version"),
        ('{"format_version": "1.0", "values": {}}', "plan.json is a Terraform state, not a plan"),
        ("[1, 2]", "plan.json is not a Terraform plan"),
    ],
)
def test_a_file_that_is_not_a_plan_is_an_error_naming_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(IacError, match=message):
        read_plan(text, "plan.json")


# --- network ACLs -----------------------------------------------------------------------------------------

DENY_HTTPS = {"rule_no": 100, "action": "deny", "protocol": "tcp", "from_port": 443, "to_port": 443,
              "cidr_block": "0.0.0.0/0", "ipv6_cidr_block": "", "icmp_code": 0, "icmp_type": 0}  # fmt: skip


def private_acl(subnet_ids: list[Any], unknown_subnets: Any, rules: list[dict[str, Any]] | None = None) -> Resource:
    """A network ACL on the private subnets (given by reference), denying HTTPS unless ``rules`` say else."""
    return Resource(
        "aws_network_acl",
        "private",
        {"ingress": [DENY_HTTPS] if rules is None else rules, "egress": [], "subnet_ids": subnet_ids},
        {"id": True, "vpc_id": True, "subnet_ids": unknown_subnets},
        references={"vpc_id": refs("aws_vpc.main.id"), "subnet_ids": refs("aws_subnet.private")},
    )


def with_resources(*resources: Resource) -> dict[str, Any]:
    plan = seed_004()
    extra = build_plan(list(resources))
    plan["resource_changes"] += extra["resource_changes"]
    plan["configuration"]["root_module"]["resources"] += extra["configuration"]["root_module"]["resources"]
    return plan


def nacl_unjudged(result: IacResult) -> dict[str, str]:
    return unjudged(result)[("nacl-blocks-https", ENDPOINT)]


def test_a_network_acl_denying_https_on_the_endpoints_subnets_is_found() -> None:
    result = checked(with_resources(private_acl([None, None], [True, True])))

    assert ("nacl-blocks-https", ENDPOINT) in found(result)


def test_a_network_acl_whose_subnets_are_known_only_after_apply_is_not_judged() -> None:
    acl = private_acl([], True)
    acl.references = {"vpc_id": refs("aws_vpc.main.id")}

    result = checked(with_resources(acl))

    assert ("nacl-blocks-https", ENDPOINT) not in found(result)
    assert nacl_unjudged(result) == {"VPC contents": "aws_network_acl.private.subnet_ids is known only after apply"}


def test_a_network_acl_rule_whose_range_is_known_only_after_apply_is_not_judged() -> None:
    rule = Resource(
        "aws_network_acl_rule",
        "deny_https",
        {
            "rule_number": 100,
            "egress": False,
            "rule_action": "deny",
            "protocol": "tcp",
            "from_port": 443,
            "to_port": 443,
        },
        {"id": True, "network_acl_id": True, "cidr_block": True},
        references={"network_acl_id": refs("aws_network_acl.private.id")},
    )

    result = checked(with_resources(private_acl([None, None], [True, True], rules=[]), rule))

    assert ("nacl-blocks-https", ENDPOINT) not in found(result)
    assert nacl_unjudged(result) == {
        "VPC contents": "aws_network_acl_rule.deny_https.cidr_block is known only after apply"
    }


def test_a_network_acl_whose_inline_rule_is_known_only_after_apply_is_not_judged() -> None:
    acl = private_acl([None, None], [True, True])
    acl.unknown["ingress"] = [{"cidr_block": True}]

    result = checked(with_resources(acl))

    assert ("nacl-blocks-https", ENDPOINT) not in found(result)
    assert nacl_unjudged(result) == {
        "VPC contents": "aws_network_acl.private.ingress holds values known only after apply"
    }
