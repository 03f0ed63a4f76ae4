"""What a run summary says, as plain data: facts, failures, notes and the line table.

Pure: built from a :class:`~psabill.app.runner.SyncReport` and the config, with
time as a parameter. :mod:`psabill.notify.formats` turns a :class:`Summary`
into text, HTML and CSV; keeping the wording here means both bodies of one
message always say the same thing. What one customer is sent is built by
:mod:`psabill.notify.customer`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from psabill.config.models import Config, Schedule
from psabill.core.outcome import LineResult
from psabill.core.plan import WRITES, PlanLine, qty
from psabill.core.report import PacingStats, SyncReport
from psabill.core.schedule.engine import next_slots
from psabill.notify.tables import Banner, Table, banner, line_tables, money_effect

DONE_VERBS = {"create": "created", "update": "updated", "zero": "zeroed", "cancel": "cancelled"}
_HINTS = {
    "error": "fix the mapping, company or agreement named here; the next run retries",
    "ambiguous": "cancel the extra addition in the PSA; psabill never guesses which is right",
    "stopped": "fix the source; the next run retries these lines",
}


@dataclass(frozen=True)
class Failure:
    where: str
    message: str
    hint: str | None = None


Row = tuple[str, ...]
RUN_COLUMNS = ("Customer", "Agreement", "Product", "Current → New", "Result", "Why")


@dataclass(frozen=True)
class Summary:
    """One message's content; ``kind`` says who reads it (the MSP, or one customer)."""

    kind: Literal["run", "customer", "plan"]
    title: str
    facts: tuple[tuple[str, str], ...]
    failures: tuple[Failure, ...] = ()
    notes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    columns: tuple[str, ...] = RUN_COLUMNS
    rows: tuple[Row, ...] = ()
    footer: str = ""
    results: tuple[LineResult, ...] = field(default=(), repr=False)
    banner: Banner | None = None
    """The outcome in one coloured word, above everything else."""
    tables: tuple[Table, ...] = ()
    """When set, the bodies show these tables instead of ``rows``."""


def change_text(line: PlanLine) -> str:
    if line.current is None and line.desired is None:
        return "-"
    if line.desired is None:
        return qty(line.current)
    return f"{qty(line.current)} → {qty(line.desired)}"


def counts_text(results: Sequence[LineResult]) -> str:
    """Confirmed writes by action, then failures and held lines: "4 created, 2 failed"."""
    counts: dict[str, int] = {}
    for result in results:
        action = result.line.action
        if result.status == "confirmed" and action in WRITES:
            key = DONE_VERBS[action]
        elif result.status == "failed":
            key = "failed"
        elif action == "held":
            key = "held"
        else:
            continue
        counts[key] = counts.get(key, 0) + 1
    order = [*DONE_VERBS.values(), "failed", "held"]
    return ", ".join(f"{counts[k]} {k}" for k in order if k in counts) or "no changes"


def run_period(report: SyncReport, config: Config, key: str | None = None) -> str:
    """The due slots' billing periods (only ``key``'s if given); a manual run's local date."""
    periods = sorted(
        {
            item.slot.period
            for item in report.due
            if item.slot is not None and (key is None or item.target.key == key)
        }
    )
    if report.trigger != "manual" and periods:
        return ", ".join(periods)
    return report.now.astimezone(config.account.zone).date().isoformat()


def next_run_text(schedule: Schedule, config: Config, now: datetime) -> str:
    if not schedule.enabled:
        return "none: the schedule is disabled"
    zone = config.account.zone
    upcoming = next_slots(schedule.rule(), zone, now, 1)
    if not upcoming:
        return "none: the schedule never fires again"
    slot = upcoming[0]
    return f"{slot.local(zone):%Y-%m-%d %H:%M %Z} ({slot.at:%Y-%m-%d %H:%M} UTC)"


def trigger_text(report: SyncReport, acting_admin: str | None) -> str:
    who = acting_admin or "an unknown user"
    if report.trigger == "manual":
        return f"manual run by {who}"
    if report.trigger == "scheduled":
        return "scheduled"
    return f"{report.trigger}: plan approved by {who}"


def run_summary(
    config: Config,
    report: SyncReport,
    *,
    acting_admin: str | None,
    now: datetime,
    trends: Table | None = None,
) -> Summary:
    """The summary for the MSP's billing team: the outcome, failed and held lines first, then
    the changes, unchanged lines last (a count when there are many); ``trends`` (the run's
    customers' quantities over recent periods) goes after them."""
    period = run_period(report, config)
    zone = config.account.zone
    counts = "run stopped" if report.fatal else counts_text(report.results)
    facts = [
        ("Outcome", report.outcome),
        ("Period", period),
        ("Trigger", trigger_text(report, acting_admin)),
        ("Changes", counts_text(report.results)),
        ("Money effect", money_effect(report.results)),
        ("Run", f"#{report.run_id} at {report.now.astimezone(zone):%Y-%m-%d %H:%M %Z}"),
        ("PSA requests", pacing_text(report.pacing)),
        ("Next scheduled run", next_run_text(config.schedule, config, now)),
    ]
    outcome = "missed" if report.missed and report.outcome == "success" else report.outcome
    return Summary(
        kind="run",
        title=f"{config.account.name}: billing run {period}",
        facts=tuple((label, value) for label, value in facts if value),
        failures=failures_of(report),
        notes=notes_of(report),
        banner=banner(outcome, counts),
        tables=line_tables(report.results) + ((trends,) if trends else ()),
        footer=(
            f"psabill run #{report.run_id}. Every line is in the attached CSV; "
            f"`psabill report {report.run_id}` shows the same from the ledger."
        ),
        results=tuple(report.results),
    )


def missed_text(report: SyncReport) -> str:
    """e.g. "missed billing period 2026-11"."""
    return f"missed billing period {', '.join(sorted({m.period for m in report.missed}))}"


def missed_summary(config: Config, report: SyncReport, *, now: datetime) -> Summary:
    """An invocation that ran nothing but found billing periods missed: say so, loudly."""
    zone = config.account.zone
    return Summary(
        kind="run",
        title=f"{config.account.name}: {missed_text(report)}",
        banner=banner("missed", "not billed"),
        facts=(
            ("Outcome", "missed billing period: not billed"),
            ("Checked at", f"{report.now.astimezone(zone):%Y-%m-%d %H:%M %Z}"),
            ("Next scheduled run", next_run_text(config.schedule, config, now)),
        ),
        failures=failures_of(report),
        footer="psabill reports each missed period once. `psabill schedule` shows the slots.",
    )


def pacing_text(pacing: PacingStats | None) -> str:
    """ "1,204 requests, 3 throttled (429), 12.4 s waited"; "" when the run sent none."""
    if pacing is None:
        return ""
    requests = f"{pacing.requests:,} {'request' if pacing.requests == 1 else 'requests'}"
    return f"{requests}, {pacing.throttled:,} throttled (429), {pacing.waited:,.1f} s waited"


def failures_of(report: SyncReport) -> tuple[Failure, ...]:
    """Missed periods, a fatal error, failed sources, then every failed line, with hints."""
    return tuple(_failures(report))


def notes_of(report: SyncReport) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Source warnings, unmapped ids, repairs, guard trips, recovered runs, held customer
    summaries and unit adjustments to check: each titled list that has items."""
    return tuple((title, items) for title, items in _notes(report) if items)


def _failures(report: SyncReport) -> list[Failure]:
    found = [
        Failure(
            f"{m.label} / period {m.period}",
            f"missed: slot {m.slot_key} was not run within its catch-up window; not billed",
            m.hint,
        )
        for m in report.missed
    ]
    if report.fatal:
        found.append(Failure("run", report.fatal, "nothing after this error was written"))
    for error in report.source_errors:
        found.append(Failure("source", error, "lines fed by this source were not changed"))
    for result in report.results:
        if result.status != "failed":
            continue
        line = result.line
        message = result.error or line.why
        if line.writes:
            hint: str | None = "the write did not stick; the next run retries this line"
        else:
            hint = _HINTS.get(line.action)
        found.append(Failure(f"{line.customer_label} / {line.sku}", message, hint))
    return found


def _notes(report: SyncReport) -> list[tuple[str, tuple[str, ...]]]:
    resolution = report.resolution
    customers: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    not_synced: tuple[str, ...] = ()
    if resolution is not None:
        customers = tuple(
            f"{u.source} {u.id!r}: {qty(u.quantity)} seats in {u.records} rows"
            f" (map it: psabill customers map {u.id} PSA_COMPANY --source {u.source})"
            for u in resolution.unmapped_customers.values()
        )
        products = tuple(
            f"{u.source} {u.id!r}: {qty(u.quantity)} seats"
            f" (map it: psabill products map {u.id} PSA_PRODUCT --source {u.source})"
            for u in resolution.unmapped_products.values()
        )
        not_synced = tuple(resolution.not_synced)
    trips = tuple(str(trip) for trip in report.plan.guard_trips) if report.plan else ()
    return [
        ("Source warnings", tuple(report.source_warnings)),
        ("Unmapped customers (not billed)", customers),
        ("Unmapped products (not billed)", products),
        ("Not synced", not_synced),
        ("Mapping repairs", tuple(report.repairs)),
        ("Guard trips (rerun with --allow-drop or --allow-rise once checked)", trips),
        ("Interrupted runs (this run re-read the PSA after them)", _recovered(report)),
        (
            "Customer summaries held back (sent once all the company's lines are confirmed)",
            tuple(report.customer_mail_held),
        ),
        (
            "Unit adjustments the PSA may or may not hold (`psabill adjustments --open`)",
            tuple(str(a) for a in report.adjustments if a.open),
        ),
        (
            "Unit adjustments a read found landed or lost",
            tuple(str(a) for a in report.adjustments if not a.open),
        ),
    ]


def _recovered(report: SyncReport) -> tuple[str, ...]:
    return tuple(
        f"run #{run_id} stopped before it finished; `psabill report {run_id}` shows what it sent"
        for run_id in report.recovered
    )
