"""The act step of the pipeline: for each finding a team set to ``enforce``, plan, record the
snapshot, apply, verify and record the outcome, within the safety rules.

- Most severe first, at most ``change_budget`` changes per invocation; the rest wait for the next one.
- At most ``max_changes_per_hour`` changes in a clock hour by every acting function together
  (``throttle.ChangeRate``), taken just before each change: a change beyond it is not made, and its finding is
  TICKETED saying so (it is tried again once an hour has an allowance left). A count that cannot be written
  is doubt: no change, a ticket.
- At most one change in flight per resource: a lease in the state table. Under the lease the configuration
  is read again, and a change someone else already made is not made twice.
- A change AWS refuses, or that does not read back as made, is FAILED: a ticket, and it is not retried
  while the finding stays the same. A finding with no safe automatic change is TICKETED, with the reason.
- In dry-run the plan is recorded (PLANNED) and nothing that mutates is called.
- The session that changes the account is asked for only when a change is to be made: a hub assumes a
  member's remediation role only then; a role it cannot assume makes the change FAILED, a ticket.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from vpce_guard.accounts import AccountAccessError
from vpce_guard.aws import AwsSession
from vpce_guard.bucket_policies import BucketPolicyReader
from vpce_guard.catalog import load_catalog
from vpce_guard.decisions import Decision, GuardConfig, Mode, exemption_of
from vpce_guard.evidence import EvidenceUnavailable
from vpce_guard.facts import Facts
from vpce_guard.findings import Finding
from vpce_guard.judge import Activity
from vpce_guard.remediation import executor
from vpce_guard.remediation.model import Plan, TicketOnly
from vpce_guard.remediation.plans import plan_for
from vpce_guard.state import ChangeRecord, Judged, Record, StateStore, finding_digest
from vpce_guard.throttle import ChangeRate, RateUnknown
from vpce_guard.vocabulary import ChangeStatus, Status

POLICY_REWRITE = "restrict-endpoint-policy"
# Reads what CloudTrail shows of one endpoint's callers: (endpoint id, the service's IAM prefix).
EvidenceReader = Callable[[str, str], Activity]


class Acted(msgspec.Struct):
    """What the act step decided per finding, and the changes it recorded."""

    statuses: dict[tuple[str, str], Status] = msgspec.field(default_factory=dict)
    changes: list[ChangeRecord] = msgspec.field(default_factory=list)
    change_ids: dict[tuple[str, str], str] = msgspec.field(default_factory=dict)  # applied changes: rollback handles
    notes: dict[tuple[str, str], str] = msgspec.field(default_factory=dict)  # the change made or planned, or why none
    held: set[tuple[str, str]] = msgspec.field(default_factory=set)  # another change in flight: not recorded this time
    rate_reached: int = 0  # changes not made: the organization-wide rate was spent, or could not be read


class Remediator:
    def __init__(
        self, store: StateStore, config: GuardConfig, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.store = store
        self.config = config
        self.rate = ChangeRate(store.dynamodb, store.table_name, config.max_changes_per_hour, clock)

    def act(
        self,
        actor: Callable[[], AwsSession],
        facts: Facts,
        decisions: Iterable[Decision],
        judged: Judged,
        existing: Mapping[tuple[str, str], Record],
        evidence: EvidenceReader | None = None,
        bucket_policies: BucketPolicyReader | None = None,
    ) -> Acted:
        """``evidence`` reads what CloudTrail shows of an endpoint's callers (endpoint id, IAM prefix), so that
        no policy rewrite denies a caller seen; without it, rewrites are judged on the standard requests only.
        ``bucket_policies`` reads the account's bucket policies before S3 calls move to a gateway endpoint, called
        by the plan only once nothing else stands in the way; without it, that change is a ticket."""
        acted = Acted()
        budget = self.config.change_budget
        holder = uuid.uuid4().hex
        rewritten: dict[str, str | None] = {}  # endpoint -> the change that rewrote its policy in this run
        rate_refusal: str | None = None  # once the hour's allowance is spent, it stays spent for this run
        for decision in sorted(
            (d for d in decisions if d.remediate), key=lambda d: (-d.finding.severity.rank, d.finding.sort_key)
        ):
            finding = decision.finding
            key = (finding.resource_id, finding.check_id)
            record = existing.get(key)
            seen = record is not None and record.digest == finding_digest(finding)
            ticketed = seen and record is not None and record.status is Status.TICKETED
            if seen and record is not None and record.status is Status.FAILED:
                acted.statuses[key] = Status.FAILED  # refused before, and nothing has changed since
                continue
            if finding.remediation.action == POLICY_REWRITE and finding.resource_id in rewritten:
                # One rewrite clears every policy finding of the endpoint: the most severe made it.
                acted.statuses[key] = Status.REMEDIATED
                change_id = rewritten[finding.resource_id]
                if change_id is not None:
                    acted.change_ids[key] = change_id
                continue
            try:
                activity = self._activity(evidence, finding, facts)
            except EvidenceUnavailable as error:
                # The callers of the endpoint cannot be known: no rewrite on doubt.
                plan: Plan | TicketOnly = TicketOnly(
                    finding, f"the callers of {finding.resource_id} could not be read from CloudTrail: {error}"
                )
            else:
                plan = plan_for(
                    finding,
                    facts,
                    org_id=next(iter(sorted(self.config.settings.org_ids)), None),
                    fix_vpc_dns=self.config.mode("vpc-dns-disabled") is Mode.ENFORCE,
                    trusted_accounts=tuple(sorted(self.config.settings.trusted_accounts)),
                    partner_resources=tuple(sorted(self.config.settings.partner_resources)),
                    activity=activity,
                    bucket_policies=bucket_policies,
                )
            if isinstance(plan, TicketOnly):
                self._ticket(acted, judged, finding, ticketed, plan.reason, preview=plan.preview)
                continue
            held_by_tag = self._held_by_tag(plan, finding, facts, judged)
            if held_by_tag is not None:
                acted.statuses[key] = held_by_tag  # a resource the change would touch opts out, or may want to
                continue
            if self.config.dry_run:
                acted.notes[key] = f"Dry run, nothing changed; enforce mode would {plan.summary}"
                if not seen:
                    self._put(acted, self._record(judged, finding, ChangeStatus.PLANNED, plan.calls, {}, plan=plan))
                continue
            if budget <= 0:
                continue  # stays as it is; the next invocation has a budget of its own
            resources = sorted({resource.id for resource in plan.resources})
            if not self._lease(judged, resources, holder):
                acted.held.add(key)  # another change to these resources is in flight: leave its record alone
                continue
            try:
                rate_refusal = rate_refusal or self._refused_by_rate()
                if rate_refusal is not None:
                    acted.rate_reached += 1
                    self._ticket(acted, judged, finding, ticketed, rate_refusal, plan=plan)
                    continue
                status = self._apply(actor, judged, finding, plan, acted)
            finally:
                self.store.release_leases(judged.account_id, judged.region, resources, holder)
            if key in acted.change_ids:
                budget -= 1  # a change was made (not one someone else had made already)
            acted.statuses[key] = status
            acted.notes[key] = plan.summary[0].upper() + plan.summary[1:]
            if finding.remediation.action == POLICY_REWRITE and status is Status.REMEDIATED:
                rewritten[finding.resource_id] = acted.change_ids.get(key)
        return acted

    def _refused_by_rate(self) -> str | None:
        """Take one change from the organization's hourly allowance; why not, when it cannot be taken."""
        try:
            if self.rate.take():
                return None
        except RateUnknown as error:
            return f"the organization-wide rate of automatic changes could not be read, so nothing is changed: {error}"
        return (
            f"the organization-wide rate of automatic changes was reached (max_changes_per_hour = "
            f"{self.rate.limit}, spent for this hour by every function together); it is tried again in a later hour"
        )

    def _ticket(
        self,
        acted: Acted,
        judged: Judged,
        finding: Finding,
        ticketed: bool,
        reason: str,
        *,
        plan: Plan | None = None,
        preview: Mapping[str, Any] | None = None,
    ) -> None:
        """Leave the finding to people, saying why; a ticket record is written unless the finding, unchanged,
        was already ticketed (``ticketed``)."""
        key = (finding.resource_id, finding.check_id)
        acted.statuses[key] = Status.TICKETED
        acted.notes[key] = f"Not changed automatically: {reason}"
        if not ticketed:
            self._put(
                acted,
                self._record(
                    judged, finding, ChangeStatus.TICKET_ONLY, (), {}, plan=plan, error=reason, preview=preview
                ),
            )

    @staticmethod
    def _activity(evidence: EvidenceReader | None, finding: Finding, facts: Facts) -> dict[str, Activity]:
        """The CloudTrail activity of a policy finding's endpoint, when its service's calls can show there."""
        if evidence is None or finding.remediation.action != POLICY_REWRITE:
            return {}
        endpoint = next(endpoint for endpoint in facts.endpoints if endpoint.id == finding.resource_id)
        entry = load_catalog().lookup(endpoint.service_name, endpoint.type)
        if entry is None:
            return {}  # a partner's service: its calls are not in this account's CloudTrail
        return {endpoint.id: evidence(endpoint.id, entry.iam_prefix)}

    def _held_by_tag(self, plan: Plan, finding: Finding, facts: Facts, judged: Judged) -> Status | None:
        """EXEMPT when a resource the change touches is exempt from the check; TICKETED when one's exemption
        tag names the check but grants nothing (doubt: its owners may want it left alone)."""
        today = judged.observed_at.date()
        exemptions = [exemption_of(facts.tags_of(r.id), today, self.config.exemption_max_days) for r in plan.resources]
        named = [e for e in exemptions if e is not None and e.names(finding.check_id)]
        if any(e.covers(finding.check_id) for e in named):
            return Status.EXEMPT
        return Status.TICKETED if named else None

    def _lease(self, judged: Judged, resource_ids: list[str], holder: str) -> bool:
        """Lease every resource the change touches, or none."""
        return self.store.acquire_leases(judged.account_id, judged.region, resource_ids, holder, datetime.now(UTC))

    def _apply(
        self, actor: Callable[[], AwsSession], judged: Judged, finding: Finding, plan: Plan, acted: Acted
    ) -> Status:
        change_id = f"{judged.observed_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        started_at = datetime.now(UTC).isoformat()  # orders this resource's changes (one evaluation may make several)
        try:
            session = actor()
        except AccountAccessError as error:
            if not error.refused:
                raise  # throttled or unreachable: nothing is known, the trigger's retry tries again
            # The remediation role is missing or refuses: a person must look.
            self._put(acted, self._record(judged, finding, ChangeStatus.FAILED, (), {}, plan=plan, error=str(error)))
            return Status.FAILED

        def record_snapshot(before: Mapping[str, Any]) -> None:
            self.store.put_change(
                self._record(
                    judged,
                    finding,
                    ChangeStatus.APPLYING,
                    plan.calls,
                    before,
                    plan=plan,
                    change_id=change_id,
                    started_at=started_at,
                )
            )

        applied = executor.apply(session, plan, before_change=record_snapshot)
        if applied.status == executor.UNNEEDED:
            return Status.REMEDIATED
        change = self._record(
            judged, finding, applied.status, applied.calls_made, applied.before,
            plan=plan, change_id=change_id, after=applied.after, error=applied.error, started_at=started_at,
        )  # fmt: skip
        self._put(acted, change)
        acted.change_ids[(finding.resource_id, finding.check_id)] = change_id
        return Status.REMEDIATED if applied.status == ChangeStatus.REMEDIATED else Status.FAILED

    def _put(self, acted: Acted, change: ChangeRecord) -> None:
        self.store.put_change(change)
        acted.changes.append(change)

    def _record(
        self,
        judged: Judged,
        finding: Finding,
        status: str,
        calls: Iterable[Any],
        before: Mapping[str, Any],
        *,
        plan: Plan | None = None,
        change_id: str | None = None,
        after: Mapping[str, Any] | None = None,
        error: str | None = None,
        started_at: str | None = None,
        preview: Mapping[str, Any] | None = None,
    ) -> ChangeRecord:
        """A change record; a plan's preview (a policy rewrite's proposal) goes with it, or ``preview`` for a
        ticket that carries one."""
        resource = plan.resource if plan is not None else None
        return ChangeRecord(
            change_id=change_id or f"{judged.observed_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
            account_id=judged.account_id,
            region=judged.region,
            resource_id=resource.id if resource else finding.resource_id,
            resource_kind=resource.kind if resource else "",
            vpc_id=finding.vpc_id,
            check_id=finding.check_id,
            status=status,
            created_at=judged.observed_at.isoformat(),
            calls=tuple(call.describe() for call in calls),
            before=before,
            after=after,
            error=error,
            planned_calls=tuple(call.to_dict() for call in plan.calls) if plan is not None else (),
            started_at=started_at,
            preview=plan.preview if plan is not None else preview,
        )
