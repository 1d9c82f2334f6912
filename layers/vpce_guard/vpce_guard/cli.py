"""The ``vpce-guard`` command line.

Findings go to stdout (JSON, SARIF, an HTML page, or a table); progress and diagnostics go to stderr. Exit
codes: 0 done; 1 a finding at or above ``--fail-on``; 2 any error, an unexpected one included (nothing or not
everything judged). Arguments are checked as they are parsed, and output paths before any AWS call.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import io
import json
import os
import sys
import time
import traceback
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from botocore.exceptions import ProfileNotFound
from msgspec.structs import replace

from vpce_guard import __version__, identifiers
from vpce_guard.accounts import Accounts, MemberRoles, organization_accounts
from vpce_guard.aws import CALL_ERRORS, SCAN_RETRIES, AwsSession, CollectionError
from vpce_guard.catalog import load_catalog
from vpce_guard.checks import CHECKS, Check, CheckSettings, select_checks
from vpce_guard.checks.base import MAX_TRAFFIC_DAYS
from vpce_guard.collect import Progress
from vpce_guard.cost import SAVINGS, CostReport, PriceError, RegionPrices, price_endpoints, prices_for
from vpce_guard.decisions import ConfigError, GuardConfig
from vpce_guard.evidence import EvidenceUnavailable, endpoint_activity, seen_calls
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding, Severity
from vpce_guard.iac.live import read_deployed
from vpce_guard.iac.model import CHECK_FACTS, Draft, IacError, IacFacts, IacResult, applicable, assemble, judge
from vpce_guard.iac.plan import plan_draft
from vpce_guard.iac.report import iac_json, iac_table
from vpce_guard.iac.template import template_draft
from vpce_guard.judge import Activity
from vpce_guard.policy import PolicyError
from vpce_guard.price_list import PRICING_REGION, prices_toml, read_prices
from vpce_guard.remediation.integrity import ChangeSeal, IntegrityError
from vpce_guard.remediation.model import Plan, PlanOptions, TicketOnly
from vpce_guard.remediation.playbooks.restrict_endpoint_policy import proposal
from vpce_guard.remediation.rollback import REFUSED, RESTORED, RollbackPlan
from vpce_guard.remediation.rollback_change import (
    BLOCKED,
    DECLINED,
    HELD,
    MOVED,
    RollbackError,
    RollbackOutcome,
    roll_back,
)
from vpce_guard.render import (
    changes_json,
    changes_table,
    cost_csv,
    cost_json,
    cost_table,
    findings_json,
    findings_table,
    policy_preview_json,
    policy_preview_text,
    records_json,
    records_table,
    sweep_results_json,
    sweep_results_table,
)
from vpce_guard.report_html import records_report_html, scan_report_html
from vpce_guard.sarif import PolicyFile, Recorded, SourceFile, findings_sarif
from vpce_guard.scan import (
    POLICY_CHECK_IDS,
    POLICY_UNDER_TEST,
    AccountScan,
    ScanResult,
    load_snapshot,
    scan_accounts,
    scan_live,
    scan_policy_document,
    scan_snapshot,
    traffic_window,
)
from vpce_guard.snapshot import Scope, SnapshotError, check_destination
from vpce_guard.state import Record, StateReadError, StateStore
from vpce_guard.sweep import SweepLedger
from vpce_guard.vocabulary import UNDOABLE, Status

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FORMATS, SARIF = ("table", "json"), ("table", "json", "sarif")
# What a list of findings is also shown as: an HTML page (with --readme-url, as SARIF, for the checks' link).
REPORTS = (*SARIF, "html")
# The local tooling's commands: installed with this package, usable with the `local` extra.
LOCAL_TOOLING_COMMANDS = "vpce_guard_local.commands"
T = TypeVar("T")


class UsageError(Exception):
    """Arguments that do not make sense together."""


def main(argv: Sequence[str] | None = None, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:
    """Run one command. Every error exits 2 with one line saying what is wrong; an unexpected one is an
    internal error, its traceback shown with --debug. A reader that closes stdout early ends it quietly.
    ``clock`` is read once: the command's one "now" (``args.now``), for its windows, dates and reports."""
    _escape_unencodable_output()
    args = build_parser().parse_args(argv)
    args.now = clock()
    try:
        code: int = args.command(args)
        sys.stdout.flush()
    except (CollectionError, SnapshotError, PolicyError, UsageError, ConfigError, IacError, StateReadError) as error:
        print(f"vpce-guard: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except ProfileNotFound as error:
        print(f"vpce-guard: error: {error}; `aws configure list-profiles` lists those there are", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_ERROR
    except Exception as error:
        if args.debug:
            traceback.print_exc()
        hint = "" if args.debug else " (run with --debug for the traceback)"
        print(f"vpce-guard: internal error: {type(error).__name__}: {error}{hint}", file=sys.stderr)
        return EXIT_ERROR
    return code


def _escape_unencodable_output() -> None:
    """Text the output's encoding cannot carry (a lone surrogate from a JSON escape in a policy's Sid) is
    written as a backslash escape instead of ending the command."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def _discard_stdout() -> None:
    """The reader of stdout has gone (``| head -1``): what is still buffered goes nowhere, so that the
    interpreter's own last flush does not fail with a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vpce-guard", description="Find and fix misconfigured VPC endpoints.")
    parser.add_argument("--version", action="version", version=f"vpce-guard {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    scan = commands.add_parser(
        "scan", help="scan one account and region, every account of an organization, or a saved snapshot"
    )
    scan.set_defaults(command=run_scan)
    _add_aws_options(scan)
    scan.add_argument("--vpc-id", help="scan only this VPC")
    scan.add_argument("--endpoint-ids", metavar="VPCE,VPCE", help="scan the VPCs of these endpoints")
    scan.add_argument("--save-snapshot", metavar="DIR", help="write the facts read to DIR")
    scan.add_argument("--from-snapshot", metavar="DIR", help="scan a saved snapshot instead of AWS")
    _add_organization_options(scan)
    _add_judgement_options(scan, REPORTS)
    scan.add_argument("--checks", metavar="ID,ID", help=f"checks to run (default: all of {', '.join(CHECKS)})")
    scan.add_argument(
        "--baseline",
        metavar="SVC,SVC",
        help="endpoints every private VPC must have (default: "
        + ",".join(entry.service for entry in load_catalog().baseline)
        + ")",
    )

    cost = commands.add_parser(
        "cost", help="what each endpoint costs a month, its traffic, and what the cost findings would save"
    )
    cost.set_defaults(command=run_cost)
    _add_aws_options(cost)
    _add_organization_options(cost)
    cost.add_argument(
        "--days",
        type=_days,
        default=30,
        help=f"the days of traffic read, up to now (1 to {MAX_TRAFFIC_DAYS}; default 30), scaled to a month",
    )
    cost.add_argument(
        "--config", type=Path, metavar="FILE", help="vpce-guard configuration (TOML): prices, modes of the cost checks"
    )
    cost.add_argument(
        "--refresh-prices",
        action="store_true",
        help="read the regions' prices from the AWS Price List API (pricing:GetProducts, through us-east-1) "
        "instead of the catalog; the configuration's prices still win",
    )
    cost.add_argument(
        "--write-prices",
        type=Path,
        metavar="FILE",
        help="with --refresh-prices: also write the prices read to FILE, as the configuration's [prices.<region>]",
    )
    cost.add_argument("--format", choices=("table", "json", "csv"), default="table")

    policy = commands.add_parser("check-policy", help="run the policy checks on one endpoint policy document")
    policy.set_defaults(command=run_check_policy)
    policy.add_argument("--service-name", required=True, help="e.g. com.amazonaws.us-east-1.bedrock-runtime")
    policy.add_argument("--policy", required=True, metavar="FILE", help="policy JSON file, or - for stdin")
    policy.add_argument("--endpoint-type", default="Interface", choices=("Interface", "Gateway"))
    policy.add_argument("--account-id", type=ACCOUNT_ID, help="the account that will own the endpoint")
    policy.add_argument(
        "--propose",
        action="store_true",
        help="also show the data-perimeter rewrite enforce mode would make, and every request it changes",
    )
    _add_judgement_options(policy, SARIF)

    plan = commands.add_parser(
        "check-plan", help="run the checks on a Terraform plan before apply (the output of terraform show -json PLAN)"
    )
    plan.set_defaults(command=run_check_plan)
    plan.add_argument("path", metavar="PLAN_JSON", help="the plan as JSON: terraform show -json PLAN > PLAN_JSON")
    _add_before_deploy_options(plan)

    template = commands.add_parser(
        "check-template",
        help="run the checks on a CloudFormation template before deploy (YAML or JSON; SAM transformed first)",
    )
    template.set_defaults(command=run_check_template)
    template.add_argument("path", metavar="TEMPLATE", help="the template file")
    template.add_argument(
        "--parameter",
        type=_parameter,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter's value (repeat for each; the template's defaults fill in the rest)",
    )
    _add_before_deploy_options(template)

    preview = commands.add_parser(
        "policy-preview",
        help="show what enforce mode would do to one endpoint's policy: the rewrite, the requests it changes, "
        "the CloudTrail evidence read",
    )
    preview.set_defaults(command=run_policy_preview)
    preview.add_argument("--endpoint-id", required=True, type=_argument(identifiers.endpoint_id), help="vpce-…")
    _add_aws_options(preview)
    preview.add_argument(
        "--no-evidence", action="store_true", help="do not read CloudTrail (LookupEvents) for the endpoint's callers"
    )
    _add_judgement_options(preview)

    findings = commands.add_parser("findings", help="list the findings recorded in the state table")
    findings.set_defaults(command=run_findings)
    _add_state_options(findings)
    findings.add_argument("--status", choices=[*(status.value for status in Status), "all"], default="all")
    _add_where_options(findings)
    findings.add_argument("--format", choices=REPORTS, default="table")
    _add_readme_url(findings)

    changes = commands.add_parser("changes", help="list the automatic changes recorded in the state table")
    changes.set_defaults(command=run_changes)
    _add_state_options(changes)
    _add_where_options(changes)
    changes.add_argument("--format", choices=("table", "json"), default="table")

    sweeps = commands.add_parser("sweeps", help="how each account and region of the latest sweep went")
    sweeps.set_defaults(command=run_sweeps)
    _add_state_options(sweeps)
    sweeps.add_argument("--sweep-id", help="a sweep other than the latest")
    sweeps.add_argument("--format", choices=("table", "json"), default="table")

    rollback = commands.add_parser("rollback", help="undo exactly what a recorded change altered")
    rollback.set_defaults(command=run_rollback)
    rollback.add_argument("change_id", metavar="CHANGE_ID", nargs="?", help="as `vpce-guard changes` lists it")
    rollback.add_argument("--resource", metavar="ID", help="with --all: the resource whose changes to roll back")
    rollback.add_argument("--all", action="store_true", help="roll back every change of --resource, newest first")
    rollback.add_argument(
        "--force", action="store_true", help="restore what the change altered even if it was changed since"
    )
    rollback.add_argument("--yes", action="store_true", help="apply the planned calls without asking")
    rollback.add_argument(
        "--role-name",
        help="the role to assume when the change was made in another account (the member remediation role)",
    )
    _add_state_options(rollback)

    # The local tooling (demo, emulator, local) adds its commands where it is installed; the runtime never
    # imports it by name (the Lambda layer holds the runtime alone).
    if importlib.util.find_spec(LOCAL_TOOLING_COMMANDS) is not None:
        importlib.import_module(LOCAL_TOOLING_COMMANDS).add_local_commands(commands)
    return parser


def _add_aws_options(parser: argparse.ArgumentParser, *, region: str = "AWS region") -> None:
    """Where and as whom the command reaches AWS."""
    parser.add_argument("--region", type=REGION, help=f"{region} (default: AWS_REGION / AWS_DEFAULT_REGION)")
    parser.add_argument("--profile", help="AWS named profile")
    parser.add_argument("--endpoint-url", type=_endpoint_url, help="AWS endpoint URL, e.g. the local emulator's")


def _add_organization_options(parser: argparse.ArgumentParser) -> None:
    """Every active account of the organization, each through a role, in one or more regions."""
    parser.add_argument(
        "--all-accounts",
        action="store_true",
        help="every active account of the organization (run as its management account or a delegated "
        "administrator), through --role-name in each",
    )
    parser.add_argument("--role-name", help="the role to assume in each account (e.g. the member read role)")
    parser.add_argument(
        "--regions", type=_list_of(REGION), metavar="R1,R2", help="regions with --all-accounts (default: --region)"
    )
    parser.add_argument("--parallel", type=_count, default=8, help="accounts read at once with --all-accounts")


def _check_organization_options(args: argparse.Namespace) -> None:
    if not args.all_accounts and (args.role_name or args.regions):
        raise UsageError(f"--{'role-name' if args.role_name else 'regions'} goes with --all-accounts")


def _add_before_deploy_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", type=REGION, help="the region deployed to (default: what the file says)")
    parser.add_argument(
        "--account-id", type=ACCOUNT_ID, help="the account deployed to: the owner the policy checks count as ours"
    )
    parser.add_argument("--checks", metavar="ID,ID", help=f"checks to run (default: all of {', '.join(CHECK_FACTS)})")
    parser.add_argument(
        "--live",
        action="store_true",
        help="read what is already deployed (the services' zones, the VPCs, subnets and groups given by id) "
        "with read-only Describe calls, to judge what the file leaves unknown",
    )
    parser.add_argument("--profile", help="with --live: AWS named profile")
    parser.add_argument("--endpoint-url", type=_endpoint_url, help="with --live: EC2 API endpoint URL")
    _add_judgement_options(parser, SARIF)
    parser.add_argument(
        "--fail-on-unknown",
        action="store_true",
        help="with --fail-on: exit 1 also when a check at or above that severity is not judged (a fact it reads "
        "is known only after deploy), so a gate does not pass on what it could not see",
    )


def _add_judgement_options(parser: argparse.ArgumentParser, formats: Sequence[str] = FORMATS) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="vpce-guard configuration (TOML, as the functions read it): modes, trusted accounts, org, baseline; "
        "the flags below override it",
    )
    parser.add_argument(
        "--trusted-accounts", type=_list_of(ACCOUNT_ID), metavar="ID,ID", help="accounts that may appear in policies"
    )
    parser.add_argument(
        "--org-id",
        type=_argument(identifiers.org_id),
        help="your AWS Organization id (o-…): principals bounded to it are ours",
    )
    parser.add_argument("--format", choices=formats, default="table")
    if "sarif" in formats:
        _add_readme_url(parser)
    parser.add_argument(
        "--fail-on",
        type=str.upper,
        choices=[severity.value for severity in Severity],
        help="exit 1 when a finding at or above this severity exists",
    )


def _add_readme_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--readme-url",
        type=_readme_url,
        metavar="URL",
        help="with --format sarif or html: where your team reads this README (e.g. https://github.com/OWNER/"
        "vpce-guard/blob/main/README.md), for each check's link",
    )


def run_scan(args: argparse.Namespace) -> int:
    _check_readme_url(args)
    checks = _checks(args)
    settings = _settings(args)
    if args.all_accounts:
        return _scan_organization(args, settings, checks)
    _check_organization_options(args)
    if args.save_snapshot:
        check_destination(Path(args.save_snapshot))
    if args.from_snapshot:
        given = [flag for flag in ("profile", "endpoint_url", "vpc_id", "endpoint_ids") if getattr(args, flag)]
        if given:
            raise UsageError(f"--from-snapshot reads no AWS; drop --{given[0].replace('_', '-')}")
        result = scan_snapshot(load_snapshot(Path(args.from_snapshot), args.region), settings, checks)
    else:
        result = _scan_aws(args, settings, checks)
    if args.save_snapshot:
        result.snapshot.save(Path(args.save_snapshot))
        _say(f"snapshot saved to {args.save_snapshot}")
    if result.problems:
        return _report_with_problems(result, args)
    return _report(result.findings, args, facts=[result.facts])


def _scan_aws(args: argparse.Namespace, settings: CheckSettings, checks: Sequence[Check]) -> ScanResult:
    region = _region(args)
    session = AwsSession(region, args.profile, args.endpoint_url, retries=SCAN_RETRIES)
    scope = Scope(region, (args.vpc_id,) if args.vpc_id else (), _csv(args.endpoint_ids) or ())
    started = time.perf_counter()
    result = scan_live(session, scope, settings, checks, progress=_progress(), now=args.now)
    _say(f"scanned {region} in {time.perf_counter() - started:.1f} s with {session.counter.summary()}")
    not_found = sorted(set(scope.vpc_ids) - set(result.facts.vpcs)) + sorted(
        set(scope.endpoint_ids) - {endpoint.id for endpoint in result.facts.endpoints}
    )
    if not_found:
        raise UsageError(f"not found in {region}: {', '.join(not_found)}; nothing was scanned for them")
    return result


def _scan_organization(args: argparse.Namespace, settings: CheckSettings, checks: Sequence[Check]) -> int:
    """Every active account of the organization in every region asked, each through its role."""
    given = [flag for flag in ("vpc_id", "endpoint_ids", "from_snapshot", "save_snapshot") if getattr(args, flag)]
    if given:
        raise UsageError(f"--all-accounts scans whole regions; drop --{given[0].replace('_', '-')}")
    accounts, targets = _organization(args)
    started, scans = time.perf_counter(), []
    for done, scanned in enumerate(scan_accounts(accounts, targets, settings, checks, parallel=args.parallel), 1):
        scans.append(scanned)
        if sys.stderr.isatty():
            outcome = (
                f"{len(scanned.result.findings)} finding(s), {scanned.api_calls} API calls"
                if scanned.result
                else "could not be scanned"
            )
            _say(f"[{done}/{len(targets)}] {scanned.account_id} {scanned.region}: {outcome}")
    scans.sort(key=lambda scanned: (scanned.account_id, scanned.region))
    findings = [finding for scanned in scans if scanned.result for finding in scanned.result.findings]
    failed = [scanned for scanned in scans if scanned.result is None]
    _say(
        f"scanned {len(targets) - len(failed)} of {len(targets)} account-region(s) in "
        f"{time.perf_counter() - started:.1f} s: {len(findings)} finding(s)"
    )
    problems = [f"{s.account_id}: {p.resource_id}: {p.message}" for s in scans if s.result for p in s.result.problems]
    problems += [f"{scanned.account_id} {scanned.region}: {scanned.error}" for scanned in failed]
    code = _report(
        findings, args, problems=problems, facts=[scanned.result.facts for scanned in scans if scanned.result]
    )
    for problem in problems:
        print(f"vpce-guard: error: {problem}", file=sys.stderr)
    return EXIT_ERROR if problems else code


def _organization(args: argparse.Namespace) -> tuple[Accounts, list[tuple[str, str]]]:
    """The organization's accounts, reached through --role-name, and each (account, region) to read."""
    if not args.role_name:
        raise UsageError("--all-accounts needs --role-name: the role to assume in each account")
    regions = args.regions or (_region(args),)
    home = AwsSession(regions[0], args.profile, args.endpoint_url, retries=SCAN_RETRIES)
    sessions = {regions[0]: home}

    def home_session(region: str) -> AwsSession:
        return sessions.setdefault(region, AwsSession(region, args.profile, args.endpoint_url, retries=SCAN_RETRIES))

    accounts = Accounts(home_session, MemberRoles(read=args.role_name), session_name="vpce-guard-cli")
    account_ids = organization_accounts(home)
    _say(f"reading {len(account_ids)} account(s) in {len(regions)} region(s) through role {args.role_name}")
    return accounts, [(account_id, region) for account_id in account_ids for region in regions]


def run_cost(args: argparse.Namespace) -> int:
    """Every active interface and gateway endpoint priced for a month, with the traffic of the last --days and
    the savings of the cost findings; exit 2 when an account, a region or an endpoint's traffic could not be
    read (the rest is still shown)."""
    _check_organization_options(args)
    if args.write_prices and not args.refresh_prices:
        raise UsageError("--write-prices writes the prices --refresh-prices reads; add --refresh-prices")
    if args.write_prices:
        _check_writable(args.write_prices)
    config = _config(args)
    regions = (args.regions if args.all_accounts else None) or (_region(args),)
    try:
        refreshed = _refreshed_prices(args, regions) if args.refresh_prices else {}
        prices = {region: prices_for(region, config.prices, refreshed.get(region)) for region in regions}
    except PriceError as error:
        raise UsageError(str(error)) from error
    checks = [CHECKS[check_id] for check_id in config.enabled_checks if check_id in SAVINGS]
    window = traffic_window(args.now, args.days)
    if args.all_accounts:
        accounts, targets = _organization(args)
        scans = sorted(
            scan_accounts(accounts, targets, config.settings, checks, parallel=args.parallel, traffic=window),
            key=lambda scanned: (scanned.account_id, scanned.region),
        )
    else:
        region = regions[0]
        session = AwsSession(region, args.profile, args.endpoint_url, retries=SCAN_RETRIES)
        scope = Scope(region, traffic_window=window)
        result = scan_live(session, scope, config.settings, checks, progress=_progress())
        _say(f"read {region} with {session.counter.summary()}")
        scans = [AccountScan("", region, result)]
    rows = [
        row
        for scanned in scans
        if scanned.result is not None
        for row in price_endpoints(scanned.result.facts, scanned.result.findings, prices[scanned.region])
    ]
    report = CostReport(window, prices, rows)
    rendered = {"json": cost_json, "csv": cost_csv}.get(args.format, cost_table)(report)
    print(rendered)
    failed = False
    for scanned in scans:
        where = f"{scanned.account_id} {scanned.region}: " if scanned.account_id else ""
        if scanned.result is None:
            print(f"vpce-guard: error: {where}{scanned.error}", file=sys.stderr)
            failed = True
            continue
        for problem in scanned.result.problems:
            print(f"vpce-guard: error: {where}{problem.resource_id}: {problem.message}", file=sys.stderr)
            failed = True
    return EXIT_ERROR if failed else EXIT_OK


def _refreshed_prices(args: argparse.Namespace, regions: Sequence[str]) -> dict[str, RegionPrices]:
    """The regions' prices from the Price List API, read as the caller; written to --write-prices if given."""
    session = AwsSession(PRICING_REGION, args.profile, args.endpoint_url, retries=SCAN_RETRIES)
    read_on = args.now.date()
    prices = read_prices(session, regions, read_on)
    _say(f"read the prices of {', '.join(regions)} from the AWS Price List API with {session.counter.summary()}")
    if args.write_prices:
        try:
            args.write_prices.write_text(prices_toml(prices, read_on), encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write --write-prices {args.write_prices}: {error.strerror}") from error
        _say(f"wrote them to {args.write_prices}, as the configuration's [prices.<region>]")
    return prices


def _check_writable(path: Path) -> None:
    """An output file's place, checked before any AWS call."""
    if path.is_dir() or not path.parent.is_dir():
        raise UsageError(f"{path} cannot be written: give a file in a directory that exists")


def run_check_policy(args: argparse.Namespace) -> int:
    _check_readme_url(args)
    if args.format == "sarif" and args.propose:
        raise UsageError("--propose shows a rewrite, which --format sarif does not carry; use json or table")
    if args.format == "sarif" and args.policy == "-":
        raise UsageError("--format sarif points at the policy file's lines; give --policy FILE, not stdin")
    document = (
        _policy_text(sys.stdin.buffer.read(), "on stdin") if args.policy == "-" else _read_policy_file(args.policy)
    )
    settings = _settings(args)
    if args.propose and not args.account_id:
        raise UsageError("--propose needs --account-id: a rewrite bounds the policy to the owner's account or org")
    findings, facts = scan_policy_document(
        document,
        service_name=args.service_name,
        owner_account=args.account_id or "",
        settings=settings,
        endpoint_type=args.endpoint_type,
    )
    if not args.propose:
        sarif_file = PolicyFile.at(args.policy, document, Path.cwd()) if args.format == "sarif" else None
        return _report(findings, args, policy=sarif_file)
    _print_proposal(findings, POLICY_UNDER_TEST, proposal(findings, facts, _plan_options(settings)), args)
    return _exit_code(findings, args)


def run_check_plan(args: argparse.Namespace) -> int:
    """The checks on a Terraform plan; exit 1 on a finding at or above --fail-on. A check not judged for want
    of a fact known only after apply is reported, and fails the run only with --fail-on-unknown."""
    _check_readme_url(args)
    _check_fail_on_unknown(args)
    checks, settings = _iac_checks(args), _settings(args)
    _check_live_options(args)
    draft = plan_draft(_read_text(args.path, "plan"), args.path, region=args.region, account_id=args.account_id)
    iac = _iac_facts(draft, args)
    return _report_iac(judge(iac, settings, checks), args, iac)


def run_check_template(args: argparse.Namespace) -> int:
    """The checks on a CloudFormation template, as check-plan runs them on a plan."""
    _check_readme_url(args)
    _check_fail_on_unknown(args)
    checks, settings = _iac_checks(args), _settings(args)
    parameters = dict(args.parameter)
    _check_live_options(args)
    draft = template_draft(Path(args.path), parameters=parameters, region=args.region, account_id=args.account_id)
    iac = _iac_facts(draft, args)
    return _report_iac(judge(iac, settings, checks), args, iac)


def _check_live_options(args: argparse.Namespace) -> None:
    given = [flag for flag in ("profile", "endpoint_url") if getattr(args, flag)]
    if given and not args.live:
        raise UsageError(f"--{given[0].replace('_', '-')} goes with --live: without it no AWS API is read")


def _iac_facts(draft: Draft, args: argparse.Namespace) -> IacFacts:
    """The file's facts; with --live, completed by what is deployed in its region (--region, else the
    file's, else AWS_REGION)."""
    if not args.live:
        return assemble(draft)
    region = draft.region or _region(args)
    session = AwsSession(region, args.profile, args.endpoint_url, retries=SCAN_RETRIES)
    completed = read_deployed(session, replace(draft, region=region), _progress())
    _say(f"read what is deployed in {region} with {session.counter.summary()}")
    return assemble(completed)


def _parameter(value: str) -> tuple[str, str]:
    """KEY=VALUE, the key not empty."""
    key, equals, given = value.partition("=")
    if not equals or not key.strip():
        raise argparse.ArgumentTypeError(f"{value!r} is not KEY=VALUE")
    return key.strip(), given


def _iac_checks(args: argparse.Namespace) -> tuple[Check, ...]:
    """The checks --checks names (one not run before deploy is an error), else those of the configuration
    that judge a plan or template."""
    if args.checks:
        return applicable(_checks(args))
    return tuple(check for check in _checks(args) if check.id in CHECK_FACTS)


def _check_fail_on_unknown(args: argparse.Namespace) -> None:
    if args.fail_on_unknown and not args.fail_on:
        raise UsageError("--fail-on-unknown goes with --fail-on: the severity at or above which a check must be judged")


def _report_iac(result: IacResult, args: argparse.Namespace, iac: IacFacts) -> int:
    """The report; exit 1 on a finding at or above --fail-on, or with --fail-on-unknown on a check at or above
    it not judged."""
    if args.format == "sarif":
        source = SourceFile.at(args.path, Path.cwd(), iac.lines)
        print(findings_sarif(result.findings, source=source, unjudged=result.unjudged, readme_url=args.readme_url))
    else:
        print(iac_json(result) if args.format == "json" else iac_table(result))
    if args.fail_on_unknown and any(
        CHECKS[unknown.check_id].severity.rank >= Severity(args.fail_on).rank for unknown in result.unjudged
    ):
        return EXIT_FINDINGS
    return _exit_code(result.findings, args)


def _read_text(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise UsageError(f"cannot read {what} file {path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise UsageError(f"{what} file {path} is not UTF-8 text: undecodable byte at offset {error.start}") from error


def run_policy_preview(args: argparse.Namespace) -> int:
    """One endpoint scanned, its policy findings planned as enforce mode plans them (CloudTrail read unless
    told not to), and the proposal shown; nothing is changed."""
    region = _region(args)
    session = AwsSession(region, args.profile, args.endpoint_url, retries=SCAN_RETRIES)
    settings = _settings(args)
    checks = [CHECKS[check_id] for check_id in POLICY_CHECK_IDS]
    result = scan_live(session, Scope(region, endpoint_ids=(args.endpoint_id,)), settings, checks, now=args.now)
    if args.endpoint_id not in {endpoint.id for endpoint in result.facts.endpoints}:
        raise UsageError(f"{args.endpoint_id} is not an endpoint in {region}")
    findings = [finding for finding in result.findings if finding.resource_id == args.endpoint_id]
    activity = {}
    endpoint = next(endpoint for endpoint in result.facts.endpoints if endpoint.id == args.endpoint_id)
    entry = load_catalog().lookup(endpoint.service_name, endpoint.type)
    if not args.no_evidence and entry is not None:
        try:
            activity = {endpoint.id: seen_calls(endpoint_activity(session, endpoint.id, entry.iam_prefix))}
        except EvidenceUnavailable as error:
            raise UsageError(f"{error} (or pass --no-evidence to preview without it)") from error
    outcome = proposal(findings, result.facts, _plan_options(settings, activity))
    _say(f"previewed {args.endpoint_id} with {session.counter.summary()}")
    _print_proposal(findings, args.endpoint_id, outcome, args)
    return _exit_code(findings, args)


def _plan_options(settings: CheckSettings, activity: Mapping[str, Activity] | None = None) -> PlanOptions:
    return PlanOptions(
        org_id=next(iter(sorted(settings.org_ids)), None),
        trusted_accounts=tuple(sorted(settings.trusted_accounts)),
        partner_resources=tuple(sorted(settings.partner_resources)),
        activity=activity or {},
    )


def _print_proposal(
    findings: Sequence[Finding], endpoint_id: str, outcome: Plan | TicketOnly | None, args: argparse.Namespace
) -> None:
    """The findings and the proposal: one JSON object, or the findings' table and the proposal's text."""
    if args.format == "json":
        print(f'{{"findings": {findings_json(findings)},\n"proposal": {policy_preview_json(endpoint_id, outcome)}}}')
    else:
        print(findings_table(findings))
        print(policy_preview_text(endpoint_id, outcome))


def _add_state_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", help="state table name (default: STATE_TABLE_NAME)")
    _add_aws_options(parser, region="the table's region")


def _add_where_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", type=_list_of(ACCOUNT_ID), metavar="ID,ID", help="only these accounts")
    parser.add_argument("--regions", type=_list_of(REGION), metavar="R1,R2", help="only these regions")


def _where(args: argparse.Namespace) -> Callable[[str, str], bool]:
    """Whether an account and region is among those --accounts and --regions name (all, where not given)."""
    accounts, regions = set(args.accounts or ()), set(args.regions or ())
    return lambda account_id, region: (not accounts or account_id in accounts) and (not regions or region in regions)


def _state(args: argparse.Namespace) -> StateStore:
    table = args.table or os.environ.get("STATE_TABLE_NAME")
    if not table:
        raise UsageError("no state table: give --table or set STATE_TABLE_NAME")
    return StateStore(AwsSession(_region(args), args.profile, args.endpoint_url).client("dynamodb"), table)


def _recorded(record: Record) -> Recorded:
    """What a record says of its finding's life; a time vpce-guard did not write is an error naming the record."""
    for seen in (record.first_seen, record.last_seen):
        try:
            datetime.fromisoformat(seen)
        except (TypeError, ValueError) as error:
            raise StateReadError(
                f"the record of {record.check_id} on {record.resource_id} ({record.account_id} {record.region}) "
                f"holds {seen!r} where vpce-guard writes an ISO 8601 time; delete the record, or let the next "
                "evaluation write it again"
            ) from error
    return Recorded(record.status, record.first_seen, record.last_seen)


def _read(store: StateStore, read: Callable[[StateStore], T]) -> T:
    """What ``read`` reads from the state table; a failed read is an error naming the table's region."""
    try:
        return read(store)
    except CALL_ERRORS as error:
        raise CollectionError("Scan", store.dynamodb.meta.region_name, error, service="dynamodb") from error


def run_findings(args: argparse.Namespace) -> int:
    _check_readme_url(args)
    store = _state(args)
    records = _read(store, StateStore.all_records)
    wanted = _where(args)
    records = [
        record
        for record in records
        if wanted(record.account_id, record.region) and args.status in ("all", record.status.value)
    ]
    if args.format in ("sarif", "html"):
        findings = [record.stored_finding() for record in records]
        recorded = [_recorded(record) for record in records]
        if args.format == "sarif":
            print(findings_sarif(findings, readme_url=args.readme_url, recorded=recorded))
        else:
            source = f"the state table {store.table_name} ({store.dynamodb.meta.region_name})"
            print(
                records_report_html(
                    findings, recorded, source=source, generated_at=args.now, readme_url=args.readme_url
                )
            )
    else:
        print(records_json(records) if args.format == "json" else records_table(records))
    return EXIT_OK


def run_changes(args: argparse.Namespace) -> int:
    changes = _read(_state(args), StateStore.changes)
    wanted = _where(args)
    changes = [change for change in changes if wanted(change.account_id, change.region)]
    print(changes_json(changes) if args.format == "json" else changes_table(changes))
    return EXIT_OK


def run_sweeps(args: argparse.Namespace) -> int:
    """Exit 1 when an account or region of the sweep is not done: failed (its job is retried, or in the
    dead-letter queue) or still pending (queued, or its worker never reported)."""
    results = _read(_state(args), lambda store: SweepLedger(store.dynamodb, store.table_name).results(args.sweep_id))
    print(sweep_results_json(results) if args.format == "json" else sweep_results_table(results))
    return EXIT_OK if all(result.done for result in results) else EXIT_FINDINGS


def run_rollback(args: argparse.Namespace) -> int:
    """Undo recorded changes: the planned calls are shown, then applied on confirmation (a terminal) or with
    --yes. Exit 1 when refused or declined, 2 on an error or when confirmation was needed and impossible."""
    if bool(args.change_id) == bool(args.all and args.resource) or bool(args.all) != bool(args.resource):
        raise UsageError("give a CHANGE_ID, or --resource ID --all")
    store = _state(args)
    if args.all:
        changes = [
            change
            for change in _read(store, StateStore.changes)
            if change.resource_id == args.resource and change.status in UNDOABLE
        ]
        if not changes:
            raise UsageError(f"no change of {args.resource} to roll back: `vpce-guard changes` lists them")
    else:
        found = _read(store, lambda store: store.change(args.change_id))
        if found is None:
            raise UsageError(f"no change {args.change_id}: `vpce-guard changes` lists them")
        changes = [found]
    session = AwsSession(_region(args), args.profile, args.endpoint_url)
    seal = ChangeSeal.for_table(session.client("kms"), store.table_name)
    roles = MemberRoles(read=args.role_name, remediate=args.role_name) if args.role_name else None
    accounts = Accounts(lambda region: AwsSession(region, args.profile, args.endpoint_url), roles, "vpce-guard-cli")
    for change in changes:  # newest first
        if roles is None and accounts.home_account_id(change.region) != change.account_id:
            raise UsageError(
                f"change {change.change_id} was made in account {change.account_id}, and these credentials are of "
                f"account {accounts.home_account_id(change.region)}: give --role-name, a role there you may assume "
                "(e.g. OrganizationAccountAccessRole)"
            )
        try:
            outcome = roll_back(
                store, seal, change, accounts.actor(change.account_id, change.region),
                force=args.force, confirm=lambda plan: _confirm(plan, args.yes),
            )  # fmt: skip
        except (IntegrityError, RollbackError) as error:
            raise UsageError(str(error)) from error
        except CALL_ERRORS as error:
            raise CollectionError("VerifyMac", change.region, error, service="kms") from error
        code = _rollback_reported(outcome)
        if code != EXIT_OK:
            return code
    return EXIT_OK


def _confirm(plan: RollbackPlan, yes: bool) -> bool:
    """Print the planned calls; go on with --yes, or when a person at a terminal says so."""
    print(f"rollback of the change to {plan.undo.resource.id}: {len(plan.calls)} calls")
    for call in plan.calls:
        print(f"  {call.describe()}")
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError("not applied: no terminal to confirm on; pass --yes to apply the calls above")
    return input("apply these calls? [y/N] ").strip().lower() in ("y", "yes")


def _rollback_reported(outcome: RollbackOutcome) -> int:
    change = outcome.change
    if outcome.status == RESTORED:
        _say(f"restored what {change.change_id} altered on {change.resource_id} ({len(outcome.calls_made)} calls)")
        _say(f"if {change.check_id} is enforced, the next evaluation changes it again: exempt it or set the mode first")
        return EXIT_OK
    if outcome.status == BLOCKED:
        _say(f"refused: vpce-guard changed what {change.change_id} altered again since; roll back, newest first:")
        for later in reversed(outcome.later):
            print(f"  vpce-guard rollback {later.change_id}    ({later.check_id}, {later.status})", file=sys.stderr)
        _say(f"then {change.change_id}; or all at once: vpce-guard rollback --resource {change.resource_id} --all")
        return EXIT_FINDINGS
    if outcome.status in (REFUSED, MOVED):
        moved = " while the rollback was confirmed" if outcome.status == MOVED else ""
        _say(f"refused: what {change.change_id} altered was changed since{moved}; --force restores it anyway:")
        for line in outcome.changed_since:
            print(f"  {line}", file=sys.stderr)
        return EXIT_FINDINGS
    if outcome.status == DECLINED:
        _say(f"not applied: {change.change_id} was not rolled back")
        return EXIT_FINDINGS
    if outcome.status == HELD:
        raise UsageError(
            f"a change or rollback of {change.resource_id} is in flight (its lease lasts at most 5 minutes): "
            "run this again when it ends"
        )
    raise UsageError(f"rollback of {change.change_id} failed: {outcome.error}")


def _region(args: argparse.Namespace) -> str:
    region: str | None = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise UsageError("no region: give --region or set AWS_REGION")
    try:
        return identifiers.region(region)
    except ValueError as error:
        raise UsageError(f"AWS_REGION / AWS_DEFAULT_REGION: {error}") from error


def _config(args: argparse.Namespace) -> GuardConfig:
    return GuardConfig.load(args.config) if args.config else GuardConfig()


def _checks(args: argparse.Namespace) -> tuple[Check, ...]:
    """The checks named by --checks, else those the configuration does not turn off."""
    try:
        return select_checks(_csv(args.checks) or _config(args).enabled_checks)
    except ValueError as error:
        raise UsageError(str(error)) from error


def _settings(args: argparse.Namespace) -> CheckSettings:
    """The configuration's settings, with what the flags say instead where they say it."""
    settings = _config(args).settings
    try:
        keys = _csv(getattr(args, "baseline", None))
        baseline = load_catalog().baseline_for(keys) if keys else settings.baseline
    except ValueError as error:
        raise UsageError(str(error)) from error
    return replace(
        settings,
        trusted_accounts=frozenset(args.trusted_accounts) if args.trusted_accounts else settings.trusted_accounts,
        org_ids=frozenset([args.org_id]) if args.org_id else settings.org_ids,
        baseline=baseline,
    )


def _report(
    findings: Sequence[Finding],
    args: argparse.Namespace,
    *,
    policy: PolicyFile | None = None,
    problems: Sequence[str] = (),
    facts: Sequence[Facts] = (),
) -> int:
    """The findings on stdout as --format says; SARIF also locates them in the policy file checked, SARIF and
    HTML say what could not be judged, and HTML shows the zones of the VPCs in ``facts``."""
    if args.format == "sarif":
        print(findings_sarif(findings, policy=policy, readme_url=args.readme_url, problems=problems))
    elif args.format == "html":
        print(scan_report_html(findings, facts, generated_at=args.now, problems=problems, readme_url=args.readme_url))
    else:
        print(findings_json(findings) if args.format == "json" else findings_table(findings))
    return _exit_code(findings, args)


def _check_readme_url(args: argparse.Namespace) -> None:
    if args.readme_url and args.format not in ("sarif", "html"):
        raise UsageError("--readme-url goes with --format sarif or html")


def _exit_code(findings: Sequence[Finding], args: argparse.Namespace) -> int:
    if args.fail_on and any(f.severity.rank >= Severity(args.fail_on).rank for f in findings):
        return EXIT_FINDINGS
    return EXIT_OK


def _report_with_problems(result: ScanResult, args: argparse.Namespace) -> int:
    problems = [f"{problem.resource_id}: {problem.message}" for problem in result.problems]
    _report(result.findings, args, problems=problems, facts=[result.facts])
    for problem in problems:
        print(f"vpce-guard: error: {problem}", file=sys.stderr)
    return EXIT_ERROR


def _read_policy_file(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read policy file {path}: {error.strerror}") from error
    return _policy_text(data, path)


def _policy_text(data: bytes, source: str) -> str:
    """A policy's text: UTF-8 (with or without a byte-order mark), or UTF-16 or UTF-32 with one, detected as
    json.loads detects them."""
    try:
        return data.decode(json.detect_encoding(data))
    except UnicodeDecodeError as error:
        raise UsageError(
            f"policy file {source} is not UTF-8 text (nor UTF-16 or UTF-32 with a byte-order mark): "
            f"undecodable byte at offset {error.start}; save it as UTF-8"
        ) from error


def _argument(validate: Callable[[str], str]) -> Callable[[str], str]:
    """An argparse type from one of the identifier validators: its ValueError becomes a usage error (exit 2)."""

    def parse(value: str) -> str:
        try:
            return validate(value)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from error

    parse.__name__ = validate.__name__
    return parse


ACCOUNT_ID, REGION = _argument(identifiers.account_id), _argument(identifiers.region)


def _list_of(parse: Callable[[str], str]) -> Callable[[str], tuple[str, ...]]:
    """An argparse type for a comma-separated list, each item parsed by ``parse``."""

    def parse_list(value: str) -> tuple[str, ...]:
        items = _csv(value)
        if not items:
            raise argparse.ArgumentTypeError("give at least one value; separate several with commas")
        return tuple(parse(item) for item in items)

    return parse_list


def _endpoint_url(value: str) -> str:
    """An http or https URL with a host."""
    if _http_url(value) is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not an endpoint URL: give http(s)://HOST[:PORT]")
    return value


def _readme_url(value: str) -> str:
    """An http or https URL with a host and no fragment: each rule's link adds the checks table's."""
    parts = _http_url(value)
    if parts is None or parts.fragment:
        raise argparse.ArgumentTypeError(f"{value!r} is not the README's URL: give http(s)://HOST/.../README.md, no #")
    return value


def _http_url(value: str) -> urllib.parse.SplitResult | None:
    """The parts of an http or https URL with a host (and a port, if any, above 0); None for anything else."""
    try:
        parts = urllib.parse.urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:
        return None
    return parts if valid else None


def _count(value: str) -> int:
    """A whole number of at least 1."""
    if not (value.isascii() and value.isdigit() and int(value) >= 1):
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return int(value)


def _days(value: str) -> int:
    """A whole number of days CloudWatch still holds the hourly traffic of."""
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_TRAFFIC_DAYS):
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days from 1 to {MAX_TRAFFIC_DAYS}")
    return int(value)


def _csv(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _progress() -> Progress | None:
    """Progress lines on stderr, only for a person watching a terminal."""
    return _say if sys.stderr.isatty() else None


def _say(message: str) -> None:
    print(f"vpce-guard: {message}", file=sys.stderr)
