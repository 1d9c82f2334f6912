"""A scan: collect (or load) the facts of one account and region, run the checks, report.

The same path serves the CLI, the Lambdas and the benchmarks; only where the snapshot comes from differs.
Many accounts and regions are scanned side by side (``scan_accounts``), each on its own: one that cannot be
reached is reported, the others are not held up. A single policy document is scanned as the policy of a new
endpoint (``vpce-guard check-policy``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
from msgspec.structs import replace

from vpce_guard.accounts import Accounts
from vpce_guard.aws import AwsSession, CollectionError
from vpce_guard.catalog import parse_service_name
from vpce_guard.checks import CHECKS, Check, CheckSettings, run_checks
from vpce_guard.collect import (
    DNS_ATTRIBUTES,
    Progress,
    ServiceDetailsCache,
    collect_snapshot,
    vpcs_needing_dns_attributes,
)
from vpce_guard.facts import Endpoint, Facts, build_facts
from vpce_guard.findings import Finding, Problem
from vpce_guard.policy import parse_policy
from vpce_guard.snapshot import (
    DESCRIBE_ENDPOINTS,
    DESCRIBE_SERVICES,
    DESCRIBE_VPC_ATTRIBUTE,
    RESULT_KEYS,
    Scope,
    Snapshot,
    SnapshotError,
    TrafficWindow,
)

POLICY_UNDER_TEST = "policy-under-test"
# The checks that judge an endpoint policy, and only it: what check-policy runs.
POLICY_CHECK_IDS = ("policy-any-principal", "policy-wildcard-action", "policy-foreign-principal", "policy-any-resource")


class ScanResult(msgspec.Struct, frozen=True):
    snapshot: Snapshot
    facts: Facts
    findings: list[Finding]
    problems: tuple[Problem, ...] = ()


def scan_snapshot(snapshot: Snapshot, settings: CheckSettings, checks: Iterable[Check] | None = None) -> ScanResult:
    """The checks on a snapshot's facts; a check that judges traffic on a snapshot without it is a problem
    (its findings would otherwise vanish), not a silence."""
    facts = build_facts(snapshot)
    checks = tuple(checks) if checks is not None else tuple(CHECKS.values())
    unjudged = tuple(
        Problem(check.id, f"not judged: the snapshot holds no traffic (it was saved by a scan without {check.id})")
        for check in checks
        if check.reads_traffic and facts.traffic is None
    )
    return ScanResult(snapshot, facts, run_checks(facts, settings, checks), facts.problems + unjudged)


def load_snapshot(directory: Path, region: str | None = None) -> Snapshot:
    """A saved snapshot, checked to hold every fact a live scan would have read: a VPC whose DNS attributes
    the scan reads but the snapshot lacks would otherwise read as neither on nor off, and its findings vanish."""
    snapshot = Snapshot.load(directory, region)
    needed = vpcs_needing_dns_attributes(
        snapshot.response(DESCRIBE_ENDPOINTS)[RESULT_KEYS[DESCRIBE_ENDPOINTS]],
        snapshot.response(DESCRIBE_SERVICES)[RESULT_KEYS[DESCRIBE_SERVICES]],
    )
    held = {
        (response["VpcId"], attribute)
        for response in snapshot.response(DESCRIBE_VPC_ATTRIBUTE)
        for attribute in DNS_ATTRIBUTES
        if attribute[0].upper() + attribute[1:] in response
    }
    missing = [
        f"{attribute} of {vpc_id}"
        for vpc_id in needed
        for attribute in DNS_ATTRIBUTES
        if (vpc_id, attribute) not in held
    ]
    if missing:
        raise SnapshotError(
            f"{directory / f'{DESCRIBE_VPC_ATTRIBUTE}.json'} lacks {', '.join(missing)}, which a scan reads for VPCs "
            "with interface endpoints using private DNS; re-save the snapshot with --save-snapshot"
        )
    return snapshot


def scan_live(
    session: AwsSession,
    scope: Scope,
    settings: CheckSettings,
    checks: Iterable[Check] | None = None,
    progress: Progress | None = None,
    service_details: ServiceDetailsCache | None = None,
    now: datetime | None = None,
) -> ScanResult:
    """Collect and check; the endpoints' traffic is read over the scope's window, or (up to ``now``) when a
    check judges it and the scope has none."""
    checks = tuple(checks) if checks is not None else tuple(CHECKS.values())
    if scope.traffic_window is None and any(check.reads_traffic for check in checks):
        scope = replace(scope, traffic_window=traffic_window(now or datetime.now(UTC), settings.traffic_days))
    return scan_snapshot(collect_snapshot(session, scope, progress, service_details), settings, checks)


def traffic_window(now: datetime, days: int) -> TrafficWindow:
    """The ``days`` up to ``now``, in whole minutes (CloudWatch's finest period for these metrics)."""
    end = now.astimezone(UTC).replace(second=0, microsecond=0)
    return TrafficWindow(end - timedelta(days=days), end)


class AccountScan(msgspec.Struct, frozen=True):
    """One account and region of a many-account scan: its result, or why it could not be scanned."""

    account_id: str
    region: str
    result: ScanResult | None = None
    error: str | None = None
    api_calls: int = 0


def scan_accounts(
    accounts: Accounts,
    targets: Sequence[tuple[str, str]],
    settings: CheckSettings,
    checks: Iterable[Check] | None = None,
    *,
    parallel: int = 8,
    traffic: TrafficWindow | None = None,
) -> Iterator[AccountScan]:
    """Scan each (account, region) of ``targets``, ``parallel`` at a time; each scan as it finishes. With
    ``traffic``, the endpoints' traffic is read over that window whatever the checks."""
    checks = tuple(checks) if checks is not None else None

    def scan_one(account_id: str, region: str) -> AccountScan:
        try:
            session = accounts.reader(account_id, region)
            before = session.counter.total
            result = scan_live(session, Scope(region, traffic_window=traffic), settings, checks)
        except CollectionError as error:
            return AccountScan(account_id, region, error=str(error))
        return AccountScan(account_id, region, result, api_calls=session.counter.total - before)

    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="scan") as pool:
        futures = [pool.submit(scan_one, account_id, region) for account_id, region in targets]
        for future in as_completed(futures):
            yield future.result()


def scan_policy_document(
    document: str,
    service_name: str,
    owner_account: str,
    settings: CheckSettings,
    region: str | None = None,
    endpoint_type: str = "Interface",
) -> tuple[list[Finding], Facts]:
    """The policy checks' findings on one document, judged as the policy of a new endpoint of
    ``service_name`` owned by ``owner_account`` (``vpce-guard check-policy``: review a policy before it is
    attached), and the facts they were found in (what a proposed rewrite is planned from). The region
    defaults to the service name's.

    Raises PolicyError for a document that cannot be read.
    """
    policy = parse_policy(document)
    ref = parse_service_name(service_name)
    endpoint = Endpoint(
        id=POLICY_UNDER_TEST,
        vpc_id="",
        owner_id=owner_account,
        type=endpoint_type,
        service_name=service_name,
        state="available",
        private_dns_enabled=False,
        policy=policy,
    )
    if not (endpoint.is_interface or endpoint.is_gateway):
        raise ValueError(f"a {endpoint_type} endpoint takes no endpoint policy; use Interface or Gateway")
    facts = Facts(region=region or (ref.region if ref else ""), endpoints=(endpoint,))
    checks = [CHECKS[check_id] for check_id in POLICY_CHECK_IDS]
    return run_checks(facts, settings, checks), facts
