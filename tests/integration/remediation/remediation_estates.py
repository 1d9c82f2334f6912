"""Estates for the remediation tests: one VPC built through the EC2 API as the demo builds its (private subnets in
three zones, a public subnet, an endpoint group admitting 443 from the VPC), with one field mistake planted.

``plant(check_id)`` plants the mistake of a check and returns what it planted; ``find`` scans the VPC over
HTTP and returns the finding with the facts it came from, as the pipeline would hand them to a plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vpce_guard.aws import AwsSession
from vpce_guard.checks import CheckSettings
from vpce_guard.collect import ServiceDetailsCache
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding
from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY
from vpce_guard.remediation.executor import Applied
from vpce_guard.remediation.model import Plan
from vpce_guard.remediation.rollback import Restored, plan_rollback, restore, undo_of
from vpce_guard.scan import scan_live
from vpce_guard.snapshot import Scope
from vpce_guard_local.demo import FOREIGN_ACCOUNT, REGION
from vpce_guard_local.estate import EstateBuilder, least_privilege_policy

ORG_ID = "o-a1b2c3d4e5"
KEEP_DENY = {
    "Sid": "NoQueueDeletion",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "sqs:DeleteQueue",
    "Resource": "*",
}


@dataclass(frozen=True)
class Planted:
    check_id: str
    resource_id: str
    vpc_id: str


class Estate:
    def __init__(self, ec2: Any) -> None:
        self.ec2 = ec2
        self.build = EstateBuilder(ec2, REGION)
        self.vpc = self.build.vpc("10.0.0.0/16", zones=3)
        self.account = self.vpc.owner_id
        self.https = self.build.security_group(self.vpc, "vpce-https", https_from_cidrs=[self.vpc.cidr])
        self.service_details = ServiceDetailsCache()

    def endpoint(self, key: str, **options: Any) -> str:
        """An interface endpoint built right, but for ``options``."""
        options.setdefault("subnet_ids", self.vpc.private_subnet_ids)
        options.setdefault("group_ids", [self.https])
        options.setdefault("policy", least_privilege_policy(key, self.account, REGION))
        return self.build.interface_endpoint(self.vpc, key, **options)

    def plant(self, check_id: str) -> Planted:
        return Planted(check_id, _PLANTERS[check_id](self), self.vpc.id)

    def scan(self, session: AwsSession, settings: CheckSettings | None = None) -> tuple[list[Finding], Facts]:
        """The VPC's findings and facts; the region's services are described once per estate."""
        scope = Scope(REGION, vpc_ids=(self.vpc.id,))
        result = scan_live(session, scope, settings or CheckSettings(), service_details=self.service_details)
        return result.findings, result.facts

    def find(self, session: AwsSession, planted: Planted) -> tuple[Finding, Facts]:
        """The planted finding and the facts of its scan, as the pipeline hands them to a plan."""
        findings, facts = self.scan(session)
        (finding,) = [f for f in findings if (f.check_id, f.resource_id) == (planted.check_id, planted.resource_id)]
        return finding, facts

    def still_found(self, session: AwsSession, planted: Planted) -> bool:
        findings, _ = self.scan(session)
        return any((f.check_id, f.resource_id) == (planted.check_id, planted.resource_id) for f in findings)


def rolled_back(session: AwsSession, plan: Plan, applied: Applied, *, force: bool = False) -> Restored:
    """The rollback of an applied plan, as the command line makes it: its inverse, planned from now."""
    undo = undo_of(plan.resource, plan.calls, applied.before, applied.after)
    return restore(session, plan_rollback(session, undo), force=force)


def _private_dns_off(estate: Estate) -> str:
    return estate.endpoint("bedrock-runtime", private_dns=False)


def _vpc_dns_off(estate: Estate) -> str:
    endpoint = estate.endpoint("kms")
    estate.build.set_vpc_dns(estate.vpc.id, support=True, hostnames=False)
    return endpoint


def _default_policy(estate: Estate) -> str:
    return estate.endpoint("secretsmanager", policy=DEFAULT_ENDPOINT_POLICY)


def _service_wildcard(estate: Estate) -> str:
    policy = least_privilege_policy("bedrock-runtime", estate.account, REGION)
    policy["Statement"][0]["Action"] = "bedrock:*"
    return estate.endpoint("bedrock-runtime", policy=policy)


def _any_resource(estate: Estate) -> str:
    principals_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": estate.account}},
            }
        ],
    }
    return estate.endpoint("secretsmanager", policy=principals_only)


def _foreign_principal(estate: Estate) -> str:
    policy = least_privilege_policy("sqs", estate.account, REGION)
    policy["Statement"] += [
        {
            "Sid": "Partner",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"},
            "Action": "sqs:SendMessage",
            "Resource": "*",
        },
        KEEP_DENY,
    ]
    return estate.endpoint("sqs", policy=policy)


def _one_zone(estate: Estate) -> str:
    return estate.endpoint("sts", subnet_ids=estate.vpc.private_subnet_ids[:1])


def _https_blocked(estate: Estate) -> str:
    ssh_only = estate.build.security_group(estate.vpc, "vpce-ssh-only", other_ports=[22])
    return estate.endpoint("logs", group_ids=[ssh_only])


def _open_to_world(estate: Estate) -> str:
    world = estate.build.security_group(estate.vpc, "vpce-world", https_from_cidrs=["0.0.0.0/0"])
    return estate.endpoint("ecr.api", group_ids=[world])


def _route_tables_missing(estate: Estate) -> str:
    return estate.build.gateway_endpoint(
        estate.vpc,
        "s3",
        route_table_ids=[*estate.vpc.public_route_table_ids, estate.vpc.private_route_table_ids[0]],
        policy=least_privilege_policy("s3", estate.account, REGION),
    )


def _no_baseline(estate: Estate) -> str:
    return estate.vpc.id


def _https_denied_by_network_acl(estate: Estate) -> str:
    endpoint = estate.endpoint("sts")
    estate.build.deny_https(estate.vpc, "10.0.64.0/20")
    return endpoint


def _s3_interface_beside_its_gateway(estate: Estate) -> str:
    every_table = [*estate.vpc.private_route_table_ids, *estate.vpc.public_route_table_ids]
    estate.build.gateway_endpoint(estate.vpc, "s3", route_table_ids=every_table)
    return estate.endpoint("s3", inbound_resolver_only=False)


_PLANTERS = {
    "private-dns-disabled": _private_dns_off,
    "vpc-dns-disabled": _vpc_dns_off,
    "policy-any-principal": _default_policy,
    "policy-wildcard-action": _service_wildcard,
    "policy-foreign-principal": _foreign_principal,
    "policy-any-resource": _any_resource,
    "az-coverage": _one_zone,
    "sg-https-blocked": _https_blocked,
    "sg-open-to-world": _open_to_world,
    "gateway-route-coverage": _route_tables_missing,
    "missing-baseline-endpoint": _no_baseline,
    "nacl-blocks-https": _https_denied_by_network_acl,
    "s3-interface-bypasses-gateway": _s3_interface_beside_its_gateway,
}
CHECKS_PLANTED = tuple(_PLANTERS)
