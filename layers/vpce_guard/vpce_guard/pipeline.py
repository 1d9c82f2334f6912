"""The pipeline the functions run: resolve → collect facts → checks → record.

A trigger names what changed; the pipeline works out which VPCs that can affect, reads fresh facts for just
those VPCs (never the event body), runs the checks and brings the state table in line. The same evaluation
serves a CloudTrail event, a Config rule invocation and the scheduled sweep.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache, partial

import msgspec
from msgspec.structs import replace

from vpce_guard.accounts import AccountAccessError, Accounts
from vpce_guard.aws import AwsSession
from vpce_guard.bucket_policies import (
    BucketPolicies,
    BucketPoliciesUnavailable,
    BucketPolicyReader,
    read_bucket_policies,
)
from vpce_guard.checks import select_checks
from vpce_guard.collect import (
    ServiceDetailsCache,
    vpcs_of_endpoint_groups,
    vpcs_of_network_acls,
    vpcs_of_route_tables,
)
from vpce_guard.decisions import EXEMPT_TAG, Decision, GuardConfig, Mode, decide
from vpce_guard.evidence import (
    MAX_WINDOW_DAYS,
    EvidenceUnavailable,
    RequestPacer,
    endpoint_activity,
    seen_calls,
    tag_setter,
)
from vpce_guard.judge import Activity
from vpce_guard.remediate import Acted, EvidenceReader, Remediator
from vpce_guard.scan import ScanResult, scan_live
from vpce_guard.snapshot import Scope
from vpce_guard.state import ChangeRecord, Changes, Judged, Record, StateStore
from vpce_guard.trigger import ApiChange
from vpce_guard.vocabulary import Status

# A deleted subnet's VPC can no longer be described from the event; the VPCs where it mattered are those with
# open findings that depend on the VPC's subnets. A deletion that opens a finding elsewhere (the last private
# subnet gone, so every subnet counts as workload) is found by the next sweep.
SUBNET_BOUND_CHECKS = frozenset(
    {
        "az-coverage",
        "gateway-route-coverage",
        "missing-baseline-endpoint",
        "s3-interface-bypasses-gateway",
        "interface-where-gateway-serves",
    }
)


class Evaluation(msgspec.Struct, frozen=True):
    judged: Judged
    result: ScanResult
    changes: Changes
    api_calls: Mapping[str, int]
    remediations: Sequence[ChangeRecord] = ()
    rate_reached: int = 0  # changes not made: the organization-wide rate was spent (or unreadable)

    def to_dict(self) -> dict[str, object]:
        return {
            "account_id": self.judged.account_id,
            "region": self.judged.region,
            "vpc_ids": list(self.judged.vpc_ids) if self.judged.vpc_ids is not None else "all",
            "findings": len(self.result.findings),
            "changes": self.changes.to_dict(),
            "remediations": [
                {"change_id": c.change_id, "resource_id": c.resource_id, "status": c.status} for c in self.remediations
            ],
            "api_calls": dict(self.api_calls),
        }


class Pipeline:
    def __init__(
        self,
        accounts: Accounts,
        store: StateStore,
        config: GuardConfig,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        act: bool = True,
        reaches_s3: bool = True,
    ) -> None:
        """``reaches_s3``: whether the functions have a network path to S3, to read bucket policies before an S3
        change (a stack whose functions reach AWS through its interface endpoints only has none)."""
        self.accounts = accounts
        self.reaches_s3 = reaches_s3
        self.store = store
        self.config = config
        self.checks = select_checks(config.enabled_checks)
        self.remediator = Remediator(store, config, clock) if act else None
        self.clock = clock
        # Per account: what a region offers an account differs (zone names are the account's own mapping,
        # and endpoint services may be shared with some accounts only).
        self.service_details: dict[str, ServiceDetailsCache] = {}

    def on_change(self, change: ApiChange) -> Evaluation | None:
        """Evaluate what a CloudTrail-recorded change can affect; None when it touches no endpoint."""
        scope = self.scope_for(change)
        if scope is None:
            return None
        evaluation = self.evaluate(change.account_id, scope, claim=True)
        listed = {endpoint.id for endpoint in evaluation.result.facts.endpoints}
        gone = [endpoint_id for endpoint_id in change.endpoint_ids if endpoint_id not in listed]
        if gone:
            forgotten = self.forget(change.account_id, change.region, gone)
            evaluation.changes.resolved.extend(forgotten.resolved)
            evaluation.changes.superseded.extend(forgotten.superseded)
        return evaluation

    def forget(self, account_id: str, region: str, resource_ids: Sequence[str]) -> Changes:
        """Resolve the records of resources that no longer exist (their VPC may be unknown by now)."""
        return self.store.resolve_resources(Judged(account_id, region, (), self.clock()), resource_ids)

    def scope_for(self, change: ApiChange) -> Scope | None:
        """The VPCs a change can affect."""
        if change.vpc_ids or change.endpoint_ids:
            return Scope(change.region, change.vpc_ids, change.endpoint_ids)
        session = self.accounts.reader(change.account_id, change.region)
        if change.security_group_ids:
            vpc_ids = vpcs_of_endpoint_groups(session, change.security_group_ids)
        elif change.route_table_ids:
            vpc_ids = vpcs_of_route_tables(session, change.route_table_ids)
        elif change.network_acl_ids:
            vpc_ids = vpcs_of_network_acls(session, change.network_acl_ids)
        else:
            vpc_ids = sorted(
                {
                    record.vpc_id
                    for record in self.store.records(change.account_id, change.region, unresolved_only=True)
                    if record.check_id in SUBNET_BOUND_CHECKS
                }
            )
        return Scope(change.region, tuple(vpc_ids)) if vpc_ids else None

    def evaluate(self, account_id: str, scope: Scope, *, claim: bool = False) -> Evaluation:
        """Fresh facts for ``scope``, the checks, and the state table brought in line; an evaluation caused by
        a change claims its VPCs, so evaluations from older facts write nothing there (see ``state``)."""
        counter = self.accounts.counter(account_id, scope.region)
        calls_before = counter.calls.copy()
        session = self.accounts.reader(account_id, scope.region)
        observed_at = self.clock()
        service_details = self.service_details.setdefault(account_id, ServiceDetailsCache())
        result = scan_live(
            session, scope, self.config.settings, self.checks, service_details=service_details, now=observed_at
        )
        region_wide = not (scope.vpc_ids or scope.endpoint_ids)
        judged = Judged(account_id, scope.region, None if region_wide else result.snapshot.scope.vpc_ids, observed_at)
        tags = {finding.resource_id: result.facts.tags_of(finding.resource_id) for finding in result.findings}
        existing = self.store.records(account_id, scope.region, judged.vpc_ids)
        existing_by_key = {record.key: record for record in existing}
        decisions = with_exemption_setters(
            decide(result.findings, self.config, tags, observed_at.date()),
            existing_by_key,
            exemption_setters(session, self.clock),
        )
        statuses = {(d.finding.resource_id, d.finding.check_id): status_of(d) for d in decisions}
        actor = partial(self.accounts.actor, account_id, scope.region)
        buckets = bucket_policy_reader(actor, self.config.max_bucket_policies, reachable=self.reaches_s3)
        acted = (
            self.remediator.act(
                actor, result.facts, decisions, judged, existing_by_key, evidence_reader(actor), buckets
            )
            if self.remediator is not None
            else Acted()
        )
        statuses.update(acted.statuses)
        if self.remediator is None:
            # The Config rule reports; it keeps what the acting functions decided (FAILED, TICKETED, …).
            statuses.update(
                {key: r.status for key, r in existing_by_key.items() if key in statuses and not r.status.is_closed}
            )
        findings = [d.finding for d in decisions if (d.finding.resource_id, d.finding.check_id) not in acted.held]
        existing = [record for record in existing if record.key not in acted.held]
        changes = self.store.record(
            judged,
            findings,
            claim=claim,
            statuses=statuses,
            change_ids=acted.change_ids,
            notes=acted.notes,
            existing=existing,
        )
        return Evaluation(
            judged, result, changes, dict(counter.calls - calls_before), acted.changes, acted.rate_reached
        )


def evidence_reader(session_of: Callable[[], AwsSession]) -> EvidenceReader:
    """CloudTrail's record of an endpoint's callers, read with the session that would make the change (the
    remediation role in a member: reading the evidence is part of changing a policy); reads of one account
    and region share AWS's 2 requests a second, and an endpoint with several policy findings is read once. A
    role that refuses makes the evidence unavailable."""
    pacer = RequestPacer()
    read_before: dict[tuple[str, str], Activity | EvidenceUnavailable] = {}

    def read(endpoint_id: str, iam_prefix: str) -> Activity:
        key = (endpoint_id, iam_prefix)
        if key not in read_before:
            try:
                session = acting_session(session_of, EvidenceUnavailable)
                read_before[key] = seen_calls(endpoint_activity(session, endpoint_id, iam_prefix, pacer=pacer))
            except EvidenceUnavailable as error:
                read_before[key] = error
        outcome = read_before[key]
        if isinstance(outcome, EvidenceUnavailable):
            raise outcome
        return outcome

    return read


# Why a stack whose functions reach AWS through its interface endpoints only cannot read bucket policies.
NO_PATH_TO_S3 = 'the functions have no path to S3 (ApiEgress "endpoints": the stack has no S3 endpoint)'


def bucket_policy_reader(
    session_of: Callable[[], AwsSession], max_buckets: int, *, reachable: bool = True
) -> BucketPolicyReader:
    """The account's bucket policies, read at most once per evaluation with the session that would make the
    change (the remediation role in a member: reading them is part of moving S3 calls to a gateway endpoint),
    and only when such a change is planned. A role that refuses, or no path to S3, makes them unavailable."""
    read_before: list[BucketPolicies | BucketPoliciesUnavailable] = []

    def read() -> BucketPolicies:
        if not read_before:
            try:
                if not reachable:
                    raise BucketPoliciesUnavailable(NO_PATH_TO_S3)
                read_before.append(
                    read_bucket_policies(acting_session(session_of, BucketPoliciesUnavailable), max_buckets)
                )
            except BucketPoliciesUnavailable as error:
                read_before.append(error)
        (outcome,) = read_before
        if isinstance(outcome, BucketPoliciesUnavailable):
            raise outcome
        return outcome

    return read


def acting_session(session_of: Callable[[], AwsSession], unavailable: type[Exception]) -> AwsSession:
    """The session that would make the change; a role that refuses it makes what is read with it ``unavailable``
    (throttled or unreachable is raised as it is: the trigger's retry tries again)."""
    try:
        return session_of()
    except AccountAccessError as error:
        if not error.refused:
            raise
        raise unavailable(str(error)) from error


# What an EXEMPT finding records of who set its tag: found in CloudTrail, or why not (both kept while the tag
# stays the same), or why event history could not be read (asked again at the next evaluation).
SETTER_FIELDS = ("set_by", "set_at", "set_in_event", "set_by_unknown")


def with_exemption_setters(
    decisions: Sequence[Decision],
    existing: Mapping[tuple[str, str], Record],
    setter_of: Callable[[str], Mapping[str, str]],
) -> list[Decision]:
    """Each granted exemption with who set its tag: kept from the finding's EXEMPT record while the tag's value
    is the same, otherwise looked up (CloudTrail, once per resource), so that a standing exemption costs no
    call. The exemption stands either way: who set it is the audit trail, not a condition."""
    attributed = []
    for decision in decisions:
        if not decision.exempt:
            attributed.append(decision)
            continue
        finding = decision.finding
        shown = finding.evidence["exemption"]
        record = existing.get((finding.resource_id, finding.check_id))
        before: Mapping[str, str] = {}
        if record is not None and record.status is Status.EXEMPT:
            before = record.finding.get("evidence", {}).get("exemption", {})
        if before.get("value") == shown["value"] and ("set_by" in before or "set_by_unknown" in before):
            setter: Mapping[str, str] = {name: before[name] for name in SETTER_FIELDS if name in before}
        else:
            setter = setter_of(finding.resource_id)
        evidence = {**finding.evidence, "exemption": {**shown, **setter}}
        attributed.append(replace(decision, finding=replace(finding, evidence=evidence)))
    return attributed


def exemption_setters(session: AwsSession, now: Callable[[], datetime]) -> Callable[[str], Mapping[str, str]]:
    """Who set a resource's ``vpce-guard:exempt`` tag, read once per resource per evaluation with ``session``
    (the read role in a member), in the event history up to ``now``."""
    pacer = RequestPacer()

    @cache
    def setter_of(resource_id: str) -> Mapping[str, str]:
        try:
            setter = tag_setter(session, resource_id, EXEMPT_TAG, now=now, pacer=pacer)
        except EvidenceUnavailable as error:
            return {"set_by_unread": str(error)}
        if setter is None:
            return {
                "set_by_unknown": f"no CreateTags of {EXEMPT_TAG} on {resource_id} in the {MAX_WINDOW_DAYS} days of "
                "CloudTrail event history (set earlier, or when the resource was created)"
            }
        return setter.to_evidence()

    return setter_of


def status_of(decision: Decision) -> Status:
    """The status a decision gives its finding: exempt, left to people (ticket mode, or an enforced check whose
    exemption tag grants nothing), or announced."""
    if decision.exempt:
        return Status.EXEMPT
    if decision.mode is Mode.TICKET or (decision.mode is Mode.ENFORCE and decision.doubted):
        return Status.TICKETED
    return Status.OPEN
