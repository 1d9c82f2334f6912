"""``vpce-guard demo``: every mistake from the field write-ups, next to endpoints built right, scanned live.

The estate is built on the local emulator through the EC2 API, then scanned over HTTP exactly as an AWS
account would be. Each resource carries the findings it must produce; the demo checks that every planted
mistake is found and that the well-built endpoints stay silent. Two endpoints carry traffic, published as AWS
PrivateLink publishes it, and the estate is priced as ``vpce-guard cost`` prices it. The scan is also written
as the HTML report ``vpce-guard scan --format html`` writes.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vpce_guard.aws import AwsSession
from vpce_guard.checks import CHECKS, CheckSettings
from vpce_guard.cost import HOURS_PER_MONTH, SAVINGS, CostReport, price_endpoints, prices_for
from vpce_guard.findings import Finding
from vpce_guard.policy import DEFAULT_ENDPOINT_POLICY
from vpce_guard.render import cost_table, findings_json, findings_table
from vpce_guard.report_html import scan_report_html
from vpce_guard.scan import ScanResult, scan_live, traffic_window
from vpce_guard.snapshot import Scope
from vpce_guard.state import StateStore
from vpce_guard_local.estate import EstateBuilder, least_privilege_policy, plant_private_dns_mistake
from vpce_guard_local.samples import SAMPLE_ACCOUNT, load_event, retarget

if TYPE_CHECKING:
    from vpce_guard_local.emulator import Emulator

REGION = "us-east-1"
FOREIGN_ACCOUNT = "999988887777"
ENFORCE_PRIVATE_DNS = '[modes]\nprivate-dns-disabled = "enforce"\n'
# How long ago the demo's idle endpoint was made: longer than any traffic window the demo reads.
IDLE_DAYS = 60
# The traffic the demo's busy endpoints processed, as (days, GB each day) up to now: the agents' runtime 72 GB,
# the private VPC's image pulls 720 GB, in the 30 days its cost reads (GB: 10^9 bytes).
GB = 10**9
AGENT_TRAFFIC = (6, 12)
IMAGE_TRAFFIC = (24, 30)
COST_DAYS = 30
# Where the demo writes its scan's HTML report, relative to the working directory.
REPORT = Path("vpce-guard-report.html")


@dataclass(frozen=True)
class Planted:
    resource_id: str
    story: str
    expected: frozenset[str]


@dataclass
class DemoEstate:
    resources: list[Planted] = field(default_factory=list)

    def plant(self, resource_id: str, story: str, *expected: str) -> None:
        self.resources.append(Planted(resource_id, story, frozenset(expected)))

    def verify(self, findings: list[Finding]) -> tuple[bool, list[str]]:
        """Each resource must produce exactly its expected checks: nothing missed, nothing extra."""
        found: dict[str, set[str]] = {}
        for finding in findings:
            found.setdefault(finding.resource_id, set()).add(finding.check_id)
        lines, ok = [], True
        for planted in self.resources:
            got = found.pop(planted.resource_id, set())
            matches = got == planted.expected
            ok &= matches
            expected = ", ".join(sorted(planted.expected)) or "no finding"
            mark = "ok  " if matches else "FAIL"
            extra = "" if matches else f" (got: {', '.join(sorted(got)) or 'nothing'})"
            lines.append(f"  {mark} {planted.story}: {expected}{extra}")
        for resource_id, checks in sorted(found.items()):
            ok = False
            lines.append(f"  FAIL unexpected findings on {resource_id}: {', '.join(sorted(checks))}")
        return ok, lines


def build_demo_estate(emulator: Emulator) -> DemoEstate:
    """The estate: four VPCs showing each mistake of seeds 000-004 beside correct endpoints, built on
    ``emulator``, which also limits a service to some zones (as real services are) and backdates an endpoint."""
    build = EstateBuilder(emulator.client("ec2"), REGION)
    estate = DemoEstate()

    work = build.vpc("10.0.0.0/16", zones=3, name="workloads")
    account = work.owner_id
    clients = build.security_group(work, "agents")
    https = build.security_group(work, "vpce-https", https_from_cidrs=[work.cidr], https_from_groups=[clients])
    every_zone = work.private_subnet_ids

    def endpoint(key: str, **options: Any) -> str:
        options.setdefault("subnet_ids", every_zone)
        options.setdefault("group_ids", [https])
        options.setdefault("policy", least_privilege_policy(key, account, REGION))
        return build.interface_endpoint(work, key, **options)

    estate.plant(
        endpoint("bedrock-runtime", private_dns=False),
        "Bedrock runtime without private DNS (seeds 000, 002)",
        "private-dns-disabled",
    )
    estate.plant(
        endpoint("secretsmanager", policy=DEFAULT_ENDPOINT_POLICY),
        "Secrets Manager keeping the default full-access policy (seeds 001, 002)",
        "policy-any-principal",
        "policy-any-resource",
        "policy-wildcard-action",
    )
    estate.plant(
        endpoint("sts", subnet_ids=every_zone[:1]),
        "STS in a single AZ (seeds 000, 003)",
        "az-coverage",
    )
    no_https = build.security_group(work, "vpce-ssh-only", other_ports=[22])
    estate.plant(
        endpoint("logs", group_ids=[no_https]),
        "CloudWatch Logs behind a group without 443 (seed 000: looks like a DNS fault)",
        "sg-https-blocked",
    )
    world = build.security_group(work, "vpce-world", https_from_cidrs=["0.0.0.0/0"])
    estate.plant(
        endpoint("ecr.api", group_ids=[world]),
        "ECR API open to 0.0.0.0/0 (seed 004: restrict to client subnets)",
        "sg-open-to-world",
    )
    foreign = least_privilege_policy("sqs", account, REGION)
    foreign["Statement"].append(
        {
            "Sid": "Partner",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"},
            "Action": "sqs:SendMessage",
            "Resource": f"arn:aws:sqs:{REGION}:{account}:partner-inbox",
        }
    )
    estate.plant(
        endpoint("sqs", policy=foreign),
        f"SQS policy admitting account {FOREIGN_ACCOUNT}",
        "policy-foreign-principal",
    )
    estate.plant(
        build.gateway_endpoint(
            work,
            "s3",
            route_table_ids=[*work.public_route_table_ids, work.private_route_table_ids[0]],
            policy=least_privilege_policy("s3", account, REGION),
        ),
        "S3 gateway endpoint missing two private route tables (seed 002)",
        "gateway-route-coverage",
    )
    agents = endpoint("bedrock-agent-runtime")
    estate.plant(
        endpoint("dynamodb", inbound_resolver_only=False),
        "DynamoDB interface endpoint where a free gateway endpoint would serve the VPC (seeds 000, 002)",
        "interface-where-gateway-serves",
    )
    estate.plant(
        agents, "Bedrock agent runtime: private DNS, 3 AZs, least privilege, 443 from the VPC (seeds 000, 004)"
    )
    gateway_service = build.service_name("bedrock-agentcore.gateway")
    emulator.restrict_service_zones(gateway_service, list(work.zone_names[:2]))
    estate.plant(
        endpoint(
            "bedrock-agentcore.gateway",
            subnet_ids=every_zone[:2],
            policy={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "*",
                        "Resource": f"arn:aws:bedrock-agentcore:{REGION}:{account}:gateway/demo-gateway",
                    }
                ],
            },
        ),
        "AgentCore gateway: bearer-token callers, every zone the service offers (seed 001)",
    )
    idle = endpoint("sns")
    emulator.set_endpoint_created(idle, datetime.now(UTC) - timedelta(days=IDLE_DAYS))
    estate.plant(
        idle,
        f"SNS endpoint made {IDLE_DAYS} days ago that nothing has called since: billed every hour (seeds 000, 002)",
        "endpoint-idle",
    )
    estate.plant(
        work.id,
        "VPC 'workloads' lacks ecr.dkr, ssm, ssmmessages, ec2messages (seed 002)",
        "missing-baseline-endpoint",
    )

    private = build.vpc("10.1.0.0/16", zones=2, public_subnet=False, name="private-no-ssm")
    private_https = build.security_group(private, "vpce-https", https_from_cidrs=[private.cidr])
    principals_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OurPrincipalsAnyTable",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": account}},
            }
        ],
    }
    estate.plant(
        build.gateway_endpoint(
            private, "dynamodb", route_table_ids=private.private_route_table_ids, policy=principals_only
        ),
        "DynamoDB gateway bounding who, not whose tables: the exfiltration path",
        "policy-any-resource",
    )
    estate.plant(
        build.gateway_endpoint(
            private,
            "s3",
            route_table_ids=private.private_route_table_ids,
            policy=least_privilege_policy("s3", account, REGION),
        ),
        "S3 gateway endpoint on every route table (seed 002)",
    )
    estate.plant(
        build.interface_endpoint(
            private,
            "s3",
            subnet_ids=private.private_subnet_ids,
            group_ids=[private_https],
            policy=least_privilege_policy("s3", account, REGION),
            inbound_resolver_only=False,
        ),
        "S3 interface endpoint answering the whole VPC beside the free gateway: in-VPC calls pay per GB (000, 002)",
        "s3-interface-bypasses-gateway",
    )
    built_right = {
        key: build.interface_endpoint(
            private,
            key,
            subnet_ids=private.private_subnet_ids,
            group_ids=[private_https],
            policy=least_privilege_policy(key, account, REGION),
        )
        for key in ("ecr.api", "ecr.dkr", "sts", "logs")
    }
    for key, endpoint_id in built_right.items():
        estate.plant(endpoint_id, f"{key} endpoint built right in VPC 'private-no-ssm'")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    emulator.publish_endpoint_traffic(
        {
            endpoint_id: {now - timedelta(days=day, minutes=7): gb * GB for day in range(days)}
            for endpoint_id, (days, gb) in ((agents, AGENT_TRAFFIC), (built_right["ecr.dkr"], IMAGE_TRAFFIC))
        }
    )
    estate.plant(
        private.id,
        "Private VPC without the SSM endpoints: no Session Manager (seeds 002, 003)",
        "missing-baseline-endpoint",
    )

    dark = build.vpc("10.2.0.0/16", zones=2, public_subnet=False, name="dns-hostnames-off")
    dark_https = build.security_group(dark, "vpce-https", https_from_cidrs=[dark.cidr])
    kms = build.interface_endpoint(
        dark,
        "kms",
        subnet_ids=dark.private_subnet_ids,
        group_ids=[dark_https],
        policy=least_privilege_policy("kms", account, REGION),
    )
    build.set_vpc_dns(dark.id, support=True, hostnames=False)
    estate.plant(
        kms,
        "KMS endpoint whose VPC later had DNS hostnames turned off (seeds 000, 003)",
        "vpc-dns-disabled",
    )
    estate.plant(dark.id, "VPC 'dns-hostnames-off' lacks the baseline endpoints", "missing-baseline-endpoint")

    fenced = build.vpc("10.3.0.0/16", zones=2, public_subnet=False, name="nacl-deny")
    fenced_https = build.security_group(fenced, "vpce-https", https_from_cidrs=[fenced.cidr])
    ssm = build.interface_endpoint(
        fenced,
        "ssm",
        subnet_ids=fenced.private_subnet_ids,
        group_ids=[fenced_https],
        policy=least_privilege_policy("ssm", account, REGION),
    )
    build.deny_https(fenced, "10.3.64.0/20")
    estate.plant(
        ssm,
        "SSM endpoint whose subnets' network ACL denies 443 from one range of its VPC (seeds 000, 003)",
        "nacl-blocks-https",
    )
    estate.plant(fenced.id, "VPC 'nacl-deny' lacks the other baseline endpoints", "missing-baseline-endpoint")
    return estate


def run_demo(output_format: str = "table", report: Path | None = None) -> int:
    from vpce_guard_local.emulator import Emulator

    with Emulator(region=REGION) as emulator:
        say(f"emulator listening on {emulator.url}")
        os.environ.update(emulator.client_environment())
        scanned = scan_the_estate(emulator, output_format, report or REPORT)
        priced = price_the_estate(emulator, output_format)
        evented = follow_an_event(emulator)
        return 0 if scanned and priced and evented else 1


def scan_the_estate(emulator: Emulator, output_format: str, report: Path = REPORT) -> bool:
    """Part 1: every field mistake beside correct endpoints, found by a scan of the region, and written as the
    HTML report to ``report``."""
    estate = build_demo_estate(emulator)
    say(f"part 1: built {len(estate.resources)} resources; scanning {REGION} over HTTP")
    session = AwsSession(REGION, endpoint_url=emulator.url)
    result: ScanResult = scan_live(session, Scope(REGION), CheckSettings(), progress=say)
    rendered = findings_json(result.findings) if output_format == "json" else findings_table(result.findings)
    print(rendered, flush=True)
    ok, lines = estate.verify(result.findings)
    say(f"scan used {session.counter.summary()}")
    say("planted mistakes and clean endpoints:")
    for line in lines:
        print(line, file=sys.stderr)
    say("every planted mistake found, every clean endpoint silent" if ok else "DEMO FAILED: see FAIL lines")
    try:
        report.write_text(scan_report_html(result.findings, [result.facts], generated_at=datetime.now(UTC)), "ascii")
    except OSError as error:
        say(f"DEMO FAILED: cannot write the HTML report to {report}: {error.strerror}")
        return False
    say(f"HTML report of the scan written to {report.resolve()}: open it in a browser")
    return ok


def price_the_estate(emulator: Emulator, output_format: str) -> bool:
    """Part 1, priced: what ``vpce-guard cost`` shows of the estate, each endpoint's month from its hours and
    its last 30 days of traffic, with the sums a person can redo by hand (as JSON, ``vpce-guard cost --format
    json`` shows it; the demo's JSON is the findings')."""
    say(f"vpce-guard cost --region {REGION} --days {COST_DAYS}: hours, and the traffic of the last {COST_DAYS} days")
    session = AwsSession(REGION, endpoint_url=emulator.url)
    window = traffic_window(datetime.now(UTC), COST_DAYS)
    prices = prices_for(REGION)
    checks = [check for check_id, check in CHECKS.items() if check_id in SAVINGS]
    result = scan_live(session, Scope(REGION, traffic_window=window), CheckSettings(), checks)
    report = CostReport(window, {REGION: prices}, price_endpoints(result.facts, result.findings, prices))
    if output_format != "json":
        print(cost_table(report), flush=True)
    zones = sum(row.zones for row in report.rows)
    gb = sum(row.bytes_processed or 0.0 for row in report.rows) / GB
    hours, data = zones * HOURS_PER_MONTH * 0.01, gb * HOURS_PER_MONTH / (24 * COST_DAYS) * 0.01
    total = report.organization
    say(
        f"by hand: {zones} endpoint-zones x {HOURS_PER_MONTH} h x $0.01 = ${hours:.2f} of hours; {gb:g} GB in "
        f"{COST_DAYS} days x {HOURS_PER_MONTH}/{24 * COST_DAYS} x $0.01 = ${data:.2f} of data; "
        f"${hours + data:.2f} a month, ${total.would_save_usd:.2f} of it what the cost findings would save"
    )
    ok = abs(total.total_usd - (hours + data)) < 0.005 and not result.problems
    say("the cost report adds up" if ok else "DEMO FAILED: the cost report does not add up")
    return ok


def follow_an_event(emulator: Emulator) -> bool:
    """Part 2, the whole loop across an organization: the emulator hosts an organization of three members;
    template.yaml is deployed as its hub (private-dns-disabled enforced, Slack at a local receiver) and its
    StackSet deploys the member stack to every member. An endpoint is created without private DNS in a member
    account; the CloudTrail event travels from the member's bus to the hub's, where the on-change function
    fixes it through the member's remediation role; the state table's stream reaches the notifier, which
    tells Slack how to roll back; the member's Config rule is evaluated by the hub; the sweep covers every
    account; and the rollback restores the original."""
    from vpce_guard.cli import main as cli
    from vpce_guard_local.receiver import Receiver
    from vpce_guard_local.sam.deploy import local_up
    from vpce_guard_local.sam.queues import drain_queues
    from vpce_guard_local.sam.router import send
    from vpce_guard_local.sam.stack import LocalRunError
    from vpce_guard_local.sam.streams import drain, positions_file
    from vpce_guard_local.sam.template import SamTemplate

    with Receiver() as slack, tempfile.TemporaryDirectory() as workdir:
        secret = emulator.client("secretsmanager").create_secret(
            Name="demo-slack", SecretString=slack.slack_webhook_url
        )
        say("part 2: an organization of 3 members; template.yaml deployed as its hub (vpce-guard local up --org)")
        stack_file = Path(workdir) / "local-stack.json"
        stack = local_up(
            SamTemplate.load(),
            emulator.url,
            region=REGION,
            parameters={"Configuration": ENFORCE_PRIVATE_DNS, "SlackWebhookSecretArn": secret["ARN"]},
            stack_file=stack_file,
            organization_members=3,
        )
        members = stack.organization.member_account_ids if stack.organization else ()
        if not members:
            raise LocalRunError("the hub was deployed without member stacks")
        say(f"hub in account {stack.account_id}; member stacks in {', '.join(members)}")
        member = members[0]
        ec2 = emulator.client("ec2", account_id=member)
        mistake = plant_private_dns_mistake(ec2, REGION)
        ids, endpoint = mistake.story_ids(), mistake.endpoint_id
        say(f"created {endpoint} (SSM) with private DNS off in member account {member}")

        for sample in ("cloudtrail-create-vpc-endpoint-interface", "config-rule-item-change-vpc-endpoint"):
            for invocation in send(stack, retarget(load_event(sample), ids)):
                outcome = "ok" if invocation.ok else f"FAILED: {invocation.error}"
                say(f"sent {sample}: {invocation.function} via {invocation.trigger} {outcome}")
        fixed = _private_dns(ec2, endpoint)
        say(f"{endpoint} private DNS is now {'on' if fixed else 'off'}, changed by the hub in account {member}")
        drain(stack, positions_file(stack_file))
        about = [message for message in slack.slack_messages if endpoint in message["text"]]
        for message in about:
            say(f"Slack received: {message['text']}")
            for block in message["blocks"][1:]:
                if "text" in block:
                    say("  " + block["text"]["text"].replace("\n", "\n  "))

        state = ["--table", stack.physical_id("StateTable"), "--region", REGION, "--endpoint-url", emulator.url]
        say("part 3: the sweep: one job per account and region, worked off by the sweep worker")
        send(stack, retarget(load_event("schedule-sweep"), {SAMPLE_ACCOUNT: stack.account_id}))
        drain_queues(stack)
        swept = cli(["sweeps", *state]) == 0

        changes = StateStore(emulator.client("dynamodb"), stack.physical_id("StateTable")).changes()
        ours = [change for change in changes if change.resource_id == endpoint]
        rolled_back = False
        if ours:
            say(f"rolling back {ours[0].change_id} (vpce-guard rollback --yes --role-name ...AccessRole)")
            rollback = ["rollback", ours[0].change_id, *state, "--yes", "--role-name", "OrganizationAccountAccessRole"]
            rolled_back = cli(rollback) == 0 and not _private_dns(ec2, endpoint)
        say(f"{endpoint} private DNS is {'off again, as it was' if rolled_back else 'NOT restored'}")
        ok = fixed and bool(about) and swept and rolled_back
        say(
            "the whole loop ran across the organization: found, fixed, announced, swept, rolled back"
            if ok
            else "DEMO FAILED: the loop broke"
        )
        return ok


def _private_dns(ec2: Any, endpoint: str) -> bool:
    return bool(ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"][0]["PrivateDnsEnabled"])


def say(message: str) -> None:
    print(f"vpce-guard demo: {message}", file=sys.stderr)
