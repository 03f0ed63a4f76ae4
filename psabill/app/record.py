"""What a run writes to the ledger about itself: its start, its end, the periods it completed.

Lines are recorded by :mod:`psabill.app.apply` as they move; this module
records the run around them, so ``history`` and ``report`` can tell what
happened even when the process died half-way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from psabill import __version__
from psabill.app import approval
from psabill.app.approval import PlannedSlot
from psabill.core.due import RUN_KEY
from psabill.core.outcome import customer_complete
from psabill.core.report import SyncReport, SyncRequest, summary_data
from psabill.state import Ledger, RunStatus

if TYPE_CHECKING:
    from psabill.notify import Outgoing


def due_slots(report: SyncReport) -> list[PlannedSlot]:
    """The slot each due target runs for."""
    return [
        PlannedSlot(item.target.key, item.slot.period, item.slot.key, item.slot.at)
        for item in report.due
        if item.slot is not None
    ]


@dataclass(frozen=True)
class Recorder:
    ledger: Ledger
    clock: Callable[[], datetime]
    link: Mapping[str, object] = field(default_factory=dict)
    """Kept in the run's summary, e.g. which planned run an approval applies."""

    def start(
        self,
        request: SyncRequest,
        report: SyncReport,
        slots: list[PlannedSlot],
        summary: Mapping[str, object] | None = None,
    ) -> int:
        return self.ledger.start_run(
            trigger=request.trigger,
            started_at=report.now,
            # Customers on their own schedules may be due for different slots at once.
            slot_key=",".join(sorted({s.key for s in slots})) or None,
            period=",".join(sorted({s.period for s in slots})) or None,
            acting_admin=request.acting_admin,
            version=__version__,
            summary=summary or None,
        )

    def finish(self, report: SyncReport, outgoing: Outgoing | None = None) -> None:
        """Record the run's end and queue its summaries with it, in one transaction."""
        assert report.run_id is not None
        self._finish(report, _final(report), summary_data(report), outgoing)

    def planned(
        self,
        request: SyncRequest,
        report: SyncReport,
        slots: list[PlannedSlot],
        account: str,
        outgoing: Callable[[SyncReport], Outgoing],
    ) -> None:
        """Record a run that stopped at its plan (or failed to make one) for approval."""
        report.run_id = self.start(request, report, slots)
        summary = summary_data(report)
        if report.plan is not None:
            plan, scope = report.plan, report.scope
            summary |= approval.planned_summary(plan, account=account, scope=scope, slots=slots)
            report.pending_run = report.run_id
        status: RunStatus = "planned" if report.outcome == "planned" else "failure"
        self._finish(report, status, summary, outgoing(report))

    def _finish(
        self,
        report: SyncReport,
        status: RunStatus,
        summary: dict[str, object],
        outgoing: Outgoing | None,
    ) -> None:
        assert report.run_id is not None
        now = self.clock()
        mail = outgoing.mail if outgoing is not None else ()
        # Decided under the run lock, queued and recorded with the run's end: never twice.
        customers = outgoing.customer_mail(self.ledger, now) if outgoing is not None else None
        ids = self.ledger.finish_run(
            report.run_id,
            outcome=status,
            finished_at=now,
            summary=summary | dict(self.link),
            mail=mail,
            customer_mail=customers.mail if customers is not None else (),
        )
        if outgoing is not None and customers is not None:
            labels = outgoing.labels + customers.labels
            report.mail_queued = dict(zip(ids, labels, strict=True))
            report.mail_problem = outgoing.problem or customers.problem

    def complete(self, report: SyncReport, slots: list[PlannedSlot]) -> None:
        """Record the period as done for each customer whose lines all succeeded."""
        for slot in slots:
            key = slot.customer
            if key == RUN_KEY:
                done = report.outcome == "success"
            else:
                done = customer_complete(r for r in report.results if r.line.customer == key)
            if not done:
                continue
            self.ledger.complete_slots(
                report.run_id or 0,
                customers=[key],
                period=slot.period,
                slot_key=slot.key,
                slot_at=slot.at,
                completed_at=self.clock(),
            )
            report.completed.append(key)


def _final(report: SyncReport) -> RunStatus:
    """How a run that applied a plan ended; anything but a line outcome is a failure."""
    outcome = report.outcome
    if outcome in ("success", "partial", "guard"):
        return outcome
    return "failure"
