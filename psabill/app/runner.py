"""One whole invocation of ``psabill sync``, in one place and in this order:

start ping → lock → due? → read usage and the PSA → plan → apply → record →
notify → end ping.

The runner orchestrates; decisions live in :mod:`psabill.core` (schedule, plan,
guards, outcome) and I/O in the adapters (sources, PSA client, ledger, mail).
Its seams are parameters: the clock, the PSA client factory, the mail
transport and the pinger; tests pass their own instead of overriding anything.

With ``[approval] required`` a scheduled run stops after "plan": it records a
``planned`` run holding the plan (see :mod:`psabill.app.approval`) and
completes no period; a request with ``approves`` later applies exactly that
plan and completes its periods.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from psabill.app import approval
from psabill.app.apply import Applier, NullObserver, Observer
from psabill.app.approval import PendingPlan
from psabill.app.connect import PsaFactory as PsaFactory
from psabill.app.connect import connect_psa as connect_psa
from psabill.app.connect import open_with
from psabill.app.due import completed_reader, last_completed_in
from psabill.app.journal import LedgerJournal
from psabill.app.monitoring import Pinger, ping
from psabill.app.record import Recorder, due_slots
from psabill.config.loader import LoadedConfig
from psabill.config.models import Config
from psabill.core.due import evaluate_targets, missed_periods
from psabill.core.outcome import outcome_of
from psabill.core.plan import Plan
from psabill.core.report import Stage, StuckMail, SyncReport, SyncRequest
from psabill.errors import ExitCode, PsabillError
from psabill.psa import PsaClient
from psabill.psa.pacing import pacing_of, utc_now
from psabill.state import Ledger, RunLock, ensure_private_dir, existing_ledger, lock_path
from psabill.state import ledger_path as ledger_file

if TYPE_CHECKING:  # the rest is imported when a run needs it: a not-due `sync` stays fast
    from psabill.app.planning import History
    from psabill.notify import MailEvent, Outgoing, SessionFactory


@dataclass(frozen=True)
class RunResult:
    """A whole invocation: the sync report, then what happened to its mail and pings.

    ``error`` is set when the run could not happen at all (lock held, ledger
    unreadable); the start and fail pings were still sent.
    """

    report: SyncReport
    mail: tuple[MailEvent, ...] = ()
    ping_problems: tuple[str, ...] = ()
    error: PsabillError | None = None

    @property
    def exit_code(self) -> ExitCode:
        return self.error.exit_code if self.error is not None else self.report.exit_code


@dataclass
class Runner:
    loaded: LoadedConfig
    state_dir: Path
    env: Mapping[str, str]
    clock: Callable[[], datetime] = utc_now
    observer: Observer = field(default_factory=NullObserver)
    psa: PsaFactory = connect_psa
    mail: SessionFactory | None = None
    """The mail transport; None means the one ``[notify]`` configures."""
    pinger: Pinger = ping
    stage: Callable[[Stage], None] = lambda stage: None
    """Called as a run passes each :data:`~psabill.core.report.Stage`; a test's hook."""

    @property
    def config(self) -> Config:
        return self.loaded.config

    def run(self, request: SyncRequest) -> RunResult:
        """The whole invocation; never raises a :class:`PsabillError` (it is in the result)."""
        live = not request.dry_run
        pings = [self._ping("start")] if live else []
        try:
            report = self.sync(request)
        except PsabillError as exc:  # locked, unreadable ledger, ...: monitoring must hear it
            pings += [self._ping("fail")] if live else []
            failed = SyncReport("failure", self.clock(), request.trigger, fatal=exc.with_hint)
            return RunResult(failed, (), _problems(pings), exc)
        mail = self._notify(report)
        report.stuck_mail = self._stuck_mail() if live else []
        if live:
            # Every invocation finishes its ping, "not due" included: the hourly heartbeat.
            pings.append(self._ping("success" if report.healthy else "fail"))
        return RunResult(report, tuple(mail), _problems(pings))

    def sync(self, request: SyncRequest) -> SyncReport:
        """Lock → due → read → plan → apply → record, without pings or mail.

        Raises LockedError (exit 75) when another run holds the lock.
        """
        now = self.clock()
        report = SyncReport("not_due", now, request.trigger)
        with completed_reader(self.state_dir) as last:
            report.due = evaluate_targets(self.config, last, now, request.only)
        if request.trigger == "scheduled" and not any(item.due for item in report.due):
            self._note_missed(report)
            return report
        if request.dry_run:
            report.outcome = "dry_run"
            asyncio.run(self._plan_only(request, report))
            return report
        lock = RunLock(lock_path(ensure_private_dir(self.state_dir)))
        with lock, Ledger.open(ledger_file(self.state_dir)) as ledger:
            self._locked(ledger, request, report)
        return report

    def _locked(self, ledger: Ledger, request: SyncRequest, report: SyncReport) -> None:
        report.recovered = ledger.recover_interrupted(at=report.now)
        if request.approves is not None:
            pending = approval.load_pending(ledger, request.approves, self.config.account.name)
            report.pending_run = pending.run_id
            self._apply_run(ledger, replace(request, saved_plan=pending.plan), report, pending)
            return
        # Decide again under the lock: a run that just finished may have done it.
        last = last_completed_in(ledger)
        report.due = evaluate_targets(self.config, last, report.now, request.only)
        if request.trigger == "scheduled":  # a run by hand is how a missed period is billed
            report.missed = ledger.note_missed(missed_periods(report.due), at=report.now)
        if request.trigger == "scheduled" and not any(i.due for i in report.due):
            return
        if request.trigger == "scheduled" and self.config.approval.required:
            self._plan_for_approval(ledger, request, report)
        else:
            self._apply_run(ledger, request, report)

    def _apply_run(
        self,
        ledger: Ledger,
        request: SyncRequest,
        report: SyncReport,
        approving: PendingPlan | None = None,
    ) -> None:
        slots = due_slots(report) if request.trigger == "scheduled" else []
        slots = list(approving.slots) if approving else slots
        link = {approval.APPROVES: approving.run_id} if approving else {}
        record = Recorder(ledger, self.clock, link)
        report.run_id = record.start(request, report, slots)
        report.outcome = "failure"
        journal = LedgerJournal(ledger, report.run_id, self.clock)
        self.stage("started")
        try:
            asyncio.run(self._sync(request, report, journal))
        except PsabillError as exc:
            report.fatal, report.outcome = exc.with_hint, "failure"
        except Exception as exc:  # a bug: record the run as failed, then let the CLI say so
            report.fatal, report.outcome = f"internal error: {exc!r}", "failure"
            record.finish(report)
            raise
        report.adjustments = journal.alerts()
        if report.fatal is None:
            self.stage("confirmed")
            record.complete(report, slots)
        record.finish(report, self._outgoing(report, request.acting_admin, ledger))

    def _plan_for_approval(self, ledger: Ledger, request: SyncRequest, report: SyncReport) -> None:
        """Store the plan for an admin to approve, unless the same plan already awaits one."""
        slots = due_slots(report)
        account = self.config.account.name
        try:
            asyncio.run(self._plan_only(request, report, ledger))
        except PsabillError as exc:
            report.fatal, report.outcome = exc.with_hint, "failure"
        if report.plan is not None:
            pending = approval.pending_for(ledger, slots, account)
            if pending is not None and approval.same_plan(pending.plan, report.plan):
                report.outcome, report.pending_run = "awaiting", pending.run_id
                return
            report.outcome = "planned"
        mail = functools.partial(self._outgoing, acting_admin=request.acting_admin)
        Recorder(ledger, self.clock).planned(request, report, slots, account, mail)

    async def _plan_only(
        self, request: SyncRequest, report: SyncReport, ledger: Ledger | None = None
    ) -> None:
        async with open_with(self.psa, self.config.psa, None) as client:  # planning: no writes
            try:
                report.plan = await self._make_plan(client, request, report, ledger)
            finally:
                report.pacing = pacing_of(client)

    async def _sync(self, request: SyncRequest, report: SyncReport, journal: LedgerJournal) -> None:
        ledger = journal.ledger  # the factory gets the journal only if it takes one
        async with open_with(self.psa, self.config.psa, journal) as client:
            try:
                plan = await self._make_plan(client, request, report, ledger)
                report.plan = plan
                applier = Applier(
                    client, ledger, journal.run_id, self.clock, self.observer, self.stage
                )
                report.results = await applier.apply(plan)
                report.repairs = applier.repaired
            finally:
                report.pacing = pacing_of(client)
        report.outcome = outcome_of(report.results)

    async def _make_plan(
        self, client: PsaClient, request: SyncRequest, report: SyncReport, ledger: Ledger | None
    ) -> Plan:
        from psabill.app.planning import Planner

        planner = Planner(self.loaded, self.env, self.observer)
        return await planner.make_plan(client, request, report, self._history(ledger))

    def _history(self, ledger: Ledger | None) -> History:
        """What psabill synced before; dry runs read it too, so a plan made without the lock
        still refuses to duplicate a renamed product and still guards rises."""
        from psabill.app.planning import History

        if ledger is not None:
            return History(ledger.known_additions(), ledger.last_synced_quantities())
        with existing_ledger(self.state_dir) as reader:
            if reader is None:
                return History()
            return History(reader.known_additions(), reader.last_synced_quantities())

    def _note_missed(self, report: SyncReport) -> None:
        """Record newly missed periods (a missed period implies a ledger with history)."""
        missed = missed_periods(report.due)
        if missed and ledger_file(self.state_dir).exists():
            with Ledger.open(ledger_file(self.state_dir)) as ledger:
                report.missed = ledger.note_missed(missed, at=report.now)

    def _outgoing(
        self, report: SyncReport, acting_admin: str | None, ledger: Ledger | None = None
    ) -> Outgoing:
        """The summaries of a run about to be recorded as finished (with trends from
        ``ledger``, when given)."""
        from psabill.app.trends import summary_trends
        from psabill.notify import outgoing

        trends = summary_trends(ledger, report)
        now = self.clock()
        return outgoing(self.config, report, acting_admin=acting_admin, now=now, trends=trends)

    def _notify(self, report: SyncReport) -> list[MailEvent]:
        if report.outcome in ("dry_run", "awaiting"):
            return []
        if report.outcome == "not_due" and not report.missed and not self._outbox_waits():
            return []  # the hourly heartbeat's fast path: no mail stack to load
        from psabill.notify import after_run, retry_pending
        from psabill.notify.events import not_queued

        if report.outcome == "not_due" and not report.missed:
            # Hourly heartbeats also resend summaries an SMTP outage left in the outbox.
            return retry_pending(self.loaded, self.state_dir, self.clock(), self.mail)
        if report.run_id is None:  # no run, but missed periods: their alert goes out now
            return after_run(self.loaded, self.state_dir, report, self.clock(), self.mail)
        self.stage("summary")  # stored with the run's end; none delivered yet
        problems = [not_queued(report.mail_problem)] if report.mail_problem else []
        now = self.clock()
        labels = report.mail_queued
        return problems + retry_pending(self.loaded, self.state_dir, now, self.mail, labels=labels)

    def _outbox_waits(self) -> bool:
        with existing_ledger(self.state_dir) as ledger:
            return ledger is not None and bool(ledger.outbox_pending())

    def _stuck_mail(self) -> list[StuckMail]:
        """Summaries the outbox still holds past ``[notify] alert_after``: a mail problem
        that has lasted long enough to be an error, not a warning."""
        cutoff = self.clock() - self.config.notify.alert_after
        with existing_ledger(self.state_dir) as ledger:
            pending = ledger.outbox_pending() if ledger is not None else []
        return [
            StuckMail(r.subject, r.created_at, r.attempts, r.last_error)
            for r in pending
            if r.created_at <= cutoff
        ]

    def _ping(self, state: str) -> str | None:
        return self.pinger(self.config.monitoring, state)


def _problems(pings: list[str | None]) -> tuple[str, ...]:
    return tuple(problem for problem in pings if problem)
