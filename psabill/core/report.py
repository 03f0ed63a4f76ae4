"""What a sync run was asked to do, and what it did: the values every layer reads. Pure.

The runner fills a :class:`SyncReport`; the CLI renders it, the summaries
(:mod:`psabill.notify`) are composed from it and the ledger keeps
:func:`summary_data` of it. Nothing here performs I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Final, Literal

from psabill.core.due import MissedPeriod, TargetDue
from psabill.core.mapping import Resolution
from psabill.core.outcome import LineResult, RunOutcome, Trigger
from psabill.core.plan import Plan
from psabill.errors import ExitCode

ReportOutcome = RunOutcome | Literal["not_due", "dry_run", "planned", "awaiting"]
"""``planned``: stored for approval; ``awaiting``: an identical plan already awaits approval."""

EXIT_CODES: Final[Mapping[ReportOutcome, ExitCode]] = {
    "success": ExitCode.OK,
    "not_due": ExitCode.OK,
    "dry_run": ExitCode.OK,
    "planned": ExitCode.OK,
    "awaiting": ExitCode.OK,
    "partial": ExitCode.PARTIAL,
    "failure": ExitCode.FAILURE,
    "guard": ExitCode.GUARD,
}

Stage = Literal["started", "sent", "confirmed", "summary"]
"""Points inside a run a test may stop it at (:attr:`psabill.app.runner.Runner.stage`):
``started`` the run is recorded, nothing read yet; ``sent`` a write reached the PSA and
the ledger says ``sent``, not yet confirmed; ``confirmed`` every line is confirmed, no
period completed yet; ``summary`` the summaries are queued, not yet delivered."""

HEALTHY: Final[frozenset[ReportOutcome]] = frozenset({"success", "not_due", "planned", "awaiting"})
"""Outcomes a monitor hears as success. "Not due" is the hourly heartbeat; a plan stored
for approval (or still awaiting it) is a healthy run too."""


@dataclass(frozen=True)
class StuckMail:
    """A summary the outbox has not delivered for longer than ``[notify] alert_after``."""

    subject: str
    queued_at: datetime
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class AdjustmentAlert:
    """A unit adjustment (a delta posted to a PSA that changes seats only by deltas) a person
    must hear about: still open (``sending``/``unknown``: the PSA may or may not hold it), or
    found ``landed``/``lost`` by a read during this run."""

    entry: int
    run_id: int
    agreement_id: int
    product_id: int
    day: date
    change: Decimal
    state: str
    note: str | None = None

    @property
    def open(self) -> bool:
        return self.state in ("sending", "unknown")

    def __str__(self) -> str:
        sign = "+" if self.change > 0 else ""
        what = (
            f"unit adjustment #{self.entry} (run {self.run_id}): {sign}{self.change.normalize():f}"
            f" on agreement {self.agreement_id}, product {self.product_id}, from {self.day}"
        )
        note = f" ({self.note})" if self.note else ""
        if self.open:
            return (
                f"{what} is {self.state}{note}: the PSA may or may not hold it, and psabill "
                "posts nothing more for that product until a read shows which; check the "
                f"units in the PSA, then `psabill adjustments resolve {self.entry} landed|lost`"
            )
        return f"{what} was found {self.state} by a read of the PSA{note}"


@dataclass(frozen=True)
class PacingStats:
    """How the run paced its PSA requests (filled by the PSA client, shown by summaries)."""

    requests: int = 0
    """HTTP requests sent, retries included."""
    throttled: int = 0
    """429 answers received (each a request the PSA refused for the rate)."""
    waited: float = 0.0
    """Seconds requests spent waiting for the pacer or a ``Retry-After``."""
    ceiling: float | None = None
    """Requests a minute the pacer started at; ``None``: no limit."""
    final_rate: float | None = None
    """Requests a minute the pacer allowed at the end; ``None``: no limit."""


@dataclass(frozen=True)
class SyncRequest:
    trigger: Trigger = "scheduled"
    only: str | None = None
    dry_run: bool = False
    allow_drop: bool = False
    allow_rise: bool = False
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
    source_warnings: list[str] = field(default_factory=list)
    """What a source said that changes a bill without failing it (a month read before it is
    over, usage without a customer, ...): shown wherever errors are, never only logged."""
    repairs: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    fatal: str | None = None
    pending_run: int | None = None
    """The planned run awaiting approval (``planned``/``awaiting``), or the one approved."""
    missed: list[MissedPeriod] = field(default_factory=list)
    """Billing periods found missed by this invocation (each is reported once, ever)."""
    recovered: list[int] = field(default_factory=list)
    """Earlier runs that died mid-way (now ``interrupted``); this run re-read the PSA after
    them, so whatever they had sent is checked and corrected here."""
    mail_queued: dict[int, str] = field(default_factory=dict)
    """This run's summaries, stored with its end: outbox id → what to call the message."""
    mail_problem: str | None = None
    """Why this run's summaries could not be made (a bug), if they could not."""
    customer_mail_held: list[str] = field(default_factory=list)
    """Customer summaries held back because some of the company's lines failed or were held,
    one sentence each: the run summary says so; each goes out once all its lines are in."""
    stuck_mail: list[StuckMail] = field(default_factory=list)
    """Summaries still undelivered past ``[notify] alert_after``, after this run's flush."""
    pacing: PacingStats | None = None
    """How PSA requests were paced; ``None`` when the run sent none."""
    adjustments: list[AdjustmentAlert] = field(default_factory=list)
    """Unit adjustments still open at the end of the run (any run's), then those this run
    found landed or lost: deltas cannot be undone, so each is said loudly."""

    @property
    def exit_code(self) -> ExitCode:
        """The outcome's code; a newly missed period turns an otherwise clean exit into 1."""
        code = EXIT_CODES[self.outcome]
        return ExitCode.FAILURE if self.missed and code == ExitCode.OK else code

    @property
    def healthy(self) -> bool:
        return self.outcome in HEALTHY and not self.missed and not self.stuck_mail


def summary_data(report: SyncReport) -> dict[str, object]:
    """What the ledger keeps about a run beyond its lines."""
    counts: dict[str, int] = {}
    for result in report.results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return {
        "counts": counts,
        "scope": list(report.scope),
        "source_errors": report.source_errors,
        "source_warnings": report.source_warnings,
        "repairs": report.repairs,
        "guard_trips": [str(trip) for trip in report.plan.guard_trips] if report.plan else [],
        "completed": report.completed,
        "fatal": report.fatal,
        "missed": [f"{m.customer} {m.period}" for m in report.missed],
        "recovered": report.recovered,
        "customer_mail_held": report.customer_mail_held,
        "adjustments": [str(alert) for alert in report.adjustments],
    }
