"""One sync run: due? -> lock -> read usage -> read PSA -> plan -> apply -> record.

The runner orchestrates; decisions live in ``psabill.core`` (schedule, plan,
guards, outcome) and I/O in the adapters (sources, PSA client, ledger).

With ``[approval] required`` a scheduled run stops after "plan": it records a
``planned`` run holding the plan (see :mod:`psabill.app.approval`) and completes
no period; a request with ``approves`` later applies exactly that plan and
completes its periods.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from psabill import __version__
from psabill.app import approval
from psabill.app.apply import Applier, NullObserver, Observer
from psabill.app.approval import PendingPlan, PlannedSlot
from psabill.app.due import (
    RUN_KEY,
    TargetDue,
    completed_reader,
    evaluate_targets,
    last_completed_in,
    targets,
)
from psabill.app.plans import check_fingerprint, check_renamed
from psabill.app.snapshot import read_snapshot
from psabill.config.loader import LoadedConfig
from psabill.config.models import Config
from psabill.core.guards import apply_guards
from psabill.core.mapping import Resolution, Usage, customer_key, resolve
from psabill.core.outcome import LineResult, RunOutcome, customer_complete, outcome_of
from psabill.core.plan import Plan, PlanContext, build_plan
from psabill.errors import ExitCode, PsabillError
from psabill.psa import PsaClient, RetryPolicy, open_client
from psabill.sources import SourceResult, read_all
from psabill.state import (
    Ledger,
    Outcome,
    RunLock,
    ensure_private_dir,
    existing_ledger,
    ledger_path,
    lock_path,
)

Trigger = Literal["scheduled", "manual", "approval"]
ReportOutcome = RunOutcome | Literal["not_due", "dry_run", "planned", "awaiting"]
"""``planned``: stored for approval; ``awaiting``: an identical plan already awaits approval."""
EXIT_CODES: Mapping[str, ExitCode] = {
    "success": ExitCode.OK,
    "not_due": ExitCode.OK,
    "dry_run": ExitCode.OK,
    "planned": ExitCode.OK,
    "awaiting": ExitCode.OK,
    "partial": ExitCode.PARTIAL,
    "failure": ExitCode.FAILURE,
    "guard": ExitCode.GUARD,
}


@dataclass(frozen=True)
class SyncRequest:
    trigger: Trigger = "scheduled"
    only: str | None = None
    dry_run: bool = False
    allow_drop: bool = False
    saved_plan: Plan | None = None
    acting_admin: str | None = None
    approves: int | None = None
    """Apply the plan of this planned run (trigger ``approval``)."""


@dataclass
class SyncReport:
    """Everything a summary needs to say about one invocation."""

    outcome: ReportOutcome
    now: datetime
    trigger: Trigger
    run_id: int | None = None
    due: list[TargetDue] = field(default_factory=list)
    scope: tuple[str, ...] = ()
    plan: Plan | None = None
    results: list[LineResult] = field(default_factory=list)
    resolution: Resolution | None = None
    source_errors: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    fatal: str | None = None
    pending_run: int | None = None
    """The planned run awaiting approval (``planned``/``awaiting``), or the one approved."""

    @property
    def exit_code(self) -> ExitCode:
        return EXIT_CODES[self.outcome]


@dataclass
class Runner:
    loaded: LoadedConfig
    state_dir: Path
    env: Mapping[str, str]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    observer: Observer = field(default_factory=NullObserver)

    @property
    def config(self) -> Config:
        return self.loaded.config

    def sync(self, request: SyncRequest) -> SyncReport:
        """Run once. Raises LockedError (exit 75) when another run holds the lock."""
        now = self.clock()
        report = SyncReport("not_due", now, request.trigger)
        with completed_reader(self.state_dir) as last:
            report.due = evaluate_targets(self.config, last, now, request.only)
        if request.trigger == "scheduled" and not any(item.due for item in report.due):
            return report
        if request.dry_run:
            report.outcome = "dry_run"
            asyncio.run(self._plan_only(request, report))
            return report
        lock = RunLock(lock_path(ensure_private_dir(self.state_dir)))
        with lock, Ledger.open(ledger_path(self.state_dir)) as ledger:
            ledger.recover_interrupted(at=now)
            if request.approves is not None:
                pending = approval.load_pending(ledger, request.approves, self.config.account.name)
                report.pending_run = pending.run_id
                self._run(ledger, replace(request, saved_plan=pending.plan), report, pending)
                return report
            # Decide again under the lock: a run that just finished may have done it.
            last_in = last_completed_in(ledger)
            report.due = evaluate_targets(self.config, last_in, now, request.only)
            if request.trigger == "scheduled" and not any(i.due for i in report.due):
                return report
            if request.trigger == "scheduled" and self.config.approval.required:
                self._plan_for_approval(ledger, request, report)
            else:
                self._run(ledger, request, report)
        return report

    def _client(self) -> PsaClient:
        psa = self.config.psa
        return open_client(psa, policy=RetryPolicy(max_retries=psa.retries))

    def _scope(self, request: SyncRequest, due: list[TargetDue]) -> tuple[str, ...]:
        if request.saved_plan is not None:
            return tuple(sorted({line.customer for line in request.saved_plan.lines}))
        if request.trigger == "scheduled":
            keys = [item.target.key for item in due if item.due]
        else:
            keys = [target.key for target in targets(self.config, request.only)]
        return tuple(key for key in keys if key != RUN_KEY)

    def _run(
        self,
        ledger: Ledger,
        request: SyncRequest,
        report: SyncReport,
        approving: PendingPlan | None = None,
    ) -> None:
        slots = _due_slots(report) if request.trigger == "scheduled" else []
        slots = list(approving.slots) if approving else slots
        link = {approval.APPROVES: approving.run_id} if approving else {}
        report.run_id = self._start(ledger, request, report, slots, link)
        report.outcome = "failure"
        try:
            asyncio.run(self._sync(ledger, request, report))
        except PsabillError as exc:
            report.fatal = _fatal(exc)
            report.outcome = "failure"
        except Exception as exc:  # a bug: record the run as failed, then let the CLI say so
            report.fatal, report.outcome = f"internal error: {exc!r}", "failure"
            ledger.finish_run(
                report.run_id,
                outcome="failure",
                finished_at=self.clock(),
                summary=summary_data(report) | link,
            )
            raise
        if report.fatal is None:
            self._complete(ledger, report, slots)
        ledger.finish_run(
            report.run_id,
            outcome=report.outcome,
            finished_at=self.clock(),
            summary=summary_data(report) | link,
        )

    def _start(
        self,
        ledger: Ledger,
        request: SyncRequest,
        report: SyncReport,
        slots: list[PlannedSlot],
        summary: Mapping[str, object] | None = None,
    ) -> int:
        return ledger.start_run(
            trigger=request.trigger,
            started_at=report.now,
            # Customers on their own schedules may be due for different slots at once.
            slot_key=",".join(sorted({s.key for s in slots})) or None,
            period=",".join(sorted({s.period for s in slots})) or None,
            acting_admin=request.acting_admin,
            version=__version__,
            summary=summary or None,
        )

    def _plan_for_approval(self, ledger: Ledger, request: SyncRequest, report: SyncReport) -> None:
        """Store the plan for an admin to approve, unless the same plan already awaits one."""
        slots = _due_slots(report)
        account = self.config.account.name
        try:
            asyncio.run(self._plan_only(request, report, ledger))
        except PsabillError as exc:
            report.fatal, report.outcome = _fatal(exc), "failure"
        assert report.plan is not None or report.fatal is not None
        if report.plan is not None:
            pending = approval.pending_for(ledger, slots, account)
            if pending is not None and approval.same_plan(pending.plan, report.plan):
                report.outcome, report.pending_run = "awaiting", pending.run_id
                return
            report.outcome = "planned"
        report.run_id = self._start(ledger, request, report, slots)
        summary = summary_data(report)
        if report.plan is not None:
            plan, scope = report.plan, report.scope
            summary |= approval.planned_summary(plan, account=account, scope=scope, slots=slots)
            report.pending_run = report.run_id
        outcome: Outcome = "planned" if report.outcome == "planned" else "failure"
        ledger.finish_run(report.run_id, outcome=outcome, finished_at=self.clock(), summary=summary)

    async def _plan_only(
        self, request: SyncRequest, report: SyncReport, ledger: Ledger | None = None
    ) -> None:
        async with self._client() as client:
            report.plan = await self._make_plan(client, request, report, ledger)

    async def _sync(self, ledger: Ledger, request: SyncRequest, report: SyncReport) -> None:
        async with self._client() as client:
            plan = await self._make_plan(client, request, report, ledger)
            report.plan = plan
            applier = Applier(client, ledger, report.run_id or 0, self.clock, self.observer)
            report.results = await applier.apply(plan)
            report.repairs = applier.repaired
        report.outcome = outcome_of(report.results)

    async def _make_plan(
        self,
        client: PsaClient,
        request: SyncRequest,
        report: SyncReport,
        ledger: Ledger | None,
    ) -> Plan:
        report.scope = scope = self._scope(request, report.due)
        sources = read_all(
            self.config.sources,
            base_dir=self.loaded.base_dir,
            env=self.env,
            decimal_skus=frozenset(p.sku for p in self.config.products if p.decimal_quantities),
        )
        report.source_errors = [str(r.error) for r in sources if r.error is not None]
        report.resolution = resolve(self.config, _usage(sources), scope)
        customers = [c for c in self.config.customers if customer_key(c) in scope]
        snapshot = await read_snapshot(client, self.config, customers)
        known = self._known_additions(ledger)
        if request.saved_plan is not None:
            check_fingerprint(request.saved_plan, snapshot)
            check_renamed(request.saved_plan, snapshot, known)
            return request.saved_plan
        plan = build_plan(
            PlanContext(
                config=self.config,
                resolution=report.resolution,
                scope=scope,
                snapshot=snapshot,
                today=report.now.astimezone(self.config.account.zone).date(),
                failed_sources=frozenset(r.source for r in sources if r.error is not None),
                known_additions=known,
            )
        )
        max_drop = self.config.sync.max_drop
        return apply_guards(plan, snapshot, max_drop, allow_drop=request.allow_drop)

    def _known_additions(self, ledger: Ledger | None) -> Mapping[tuple[str, str], int]:
        """Additions psabill synced before, per (customer, SKU); dry runs read them too,
        so a plan made without the lock still refuses to duplicate a renamed product."""
        if ledger is not None:
            return ledger.known_additions()
        with existing_ledger(self.state_dir) as reader:
            return reader.known_additions() if reader else {}

    def _complete(self, ledger: Ledger, report: SyncReport, slots: list[PlannedSlot]) -> None:
        """Record the period as done for each customer whose lines all succeeded."""
        for slot in slots:
            key = slot.customer
            if key == RUN_KEY:
                done = report.outcome == "success"
            else:
                done = customer_complete(r for r in report.results if r.line.customer == key)
            if not done:
                continue
            ledger.complete_slots(
                report.run_id or 0,
                customers=[key],
                period=slot.period,
                slot_key=slot.key,
                slot_at=slot.at,
                completed_at=self.clock(),
            )
            report.completed.append(key)


def _due_slots(report: SyncReport) -> list[PlannedSlot]:
    return [
        PlannedSlot(item.target.key, item.slot.period, item.slot.key, item.slot.at)
        for item in report.due
        if item.slot is not None
    ]


def _fatal(exc: PsabillError) -> str:
    return exc.message + (f" (hint: {exc.hint})" if exc.hint else "")


def _usage(results: list[SourceResult]) -> list[Usage]:
    return [
        Usage(r.source, r.customer, r.sku, r.quantity, r.location)
        for result in results
        for r in result.records
    ]


def summary_data(report: SyncReport) -> dict[str, object]:
    """What the ledger keeps about a run beyond its lines."""
    counts: dict[str, int] = {}
    for result in report.results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return {
        "counts": counts,
        "scope": list(report.scope),
        "source_errors": report.source_errors,
        "repairs": report.repairs,
        "guard_trips": list(report.plan.guard_trips) if report.plan else [],
        "completed": report.completed,
        "fatal": report.fatal,
    }
