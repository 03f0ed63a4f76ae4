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
from psabill.core.plan import WRITES, Plan, PlanLine, qty
from psabill.core.report import SyncReport
from psabill.core.schedule.engine import next_slots

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
    config: Config, report: SyncReport, *, acting_admin: str | None, now: datetime
) -> Summary:
    """The summary for the MSP's billing team: everything, failures first."""
    period = run_period(report, config)
    zone = config.account.zone
    facts = [
        ("Outcome", report.outcome),
        ("Period", period),
        ("Trigger", trigger_text(report, acting_admin)),
        ("Changes", counts_text(report.results)),
        ("Run", f"#{report.run_id} at {report.now.astimezone(zone):%Y-%m-%d %H:%M %Z}"),
        ("Next scheduled run", next_run_text(config.schedule, config, now)),
    ]
    return Summary(
        kind="run",
        title=f"{config.account.name}: billing run {period}",
        facts=tuple(facts),
        failures=tuple(_failures(report)),
        notes=tuple((title, items) for title, items in _notes(report) if items),
        rows=tuple(_row(r) for r in report.results),
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
        facts=(
            ("Outcome", "missed billing period: not billed"),
            ("Checked at", f"{report.now.astimezone(zone):%Y-%m-%d %H:%M %Z}"),
            ("Next scheduled run", next_run_text(config.schedule, config, now)),
        ),
        failures=tuple(_failures(report)),
        footer="psabill reports each missed period once. `psabill schedule` shows the slots.",
    )


def plan_counts(plan: Plan | None) -> str:
    """What an approved plan would change: "4 to create, 2 to update"."""
    counts: dict[str, int] = {}
    for line in plan.lines if plan else ():
        if line.writes:
            counts[line.action] = counts.get(line.action, 0) + 1
    return ", ".join(f"{n} to {action}" for action, n in sorted(counts.items())) or "no changes"


def plan_summary(config: Config, report: SyncReport, *, now: datetime) -> Summary:
    """A scheduled run's plan waiting for a billing admin's approval: nothing was pushed."""
    period = run_period(report, config)
    run = report.pending_run
    lines = report.plan.lines if report.plan else ()
    facts = [
        ("Outcome", "plan waiting for approval; nothing was pushed"),
        ("Period", period),
        ("Would change", plan_counts(report.plan)),
        ("Review", f"psabill approve {run} --show"),
        ("Approve", f"psabill approve {run} --as EMAIL (a billing admin with pay)"),
        ("Next scheduled run", next_run_text(config.schedule, config, now)),
    ]
    pending = tuple(LineResult(line, "skipped") for line in lines)
    return Summary(
        kind="plan",
        title=f"{config.account.name}: billing plan {period} awaits approval",
        facts=tuple(facts),
        failures=tuple(_failures(report)),
        notes=tuple((title, items) for title, items in _notes(report) if items),
        rows=tuple(_plan_row(line) for line in lines),
        footer=(
            f"psabill planned run #{run}. Nothing reaches the PSA until it is approved; "
            "approving refuses if the PSA changed since this plan was made."
        ),
        results=pending,
    )


def _plan_row(line: PlanLine) -> Row:
    product = f"{line.sku} → {line.psa_product}" if line.psa_product else line.sku
    state = f"{line.action}: awaiting approval" if line.writes else line.action
    return (
        line.customer_label,
        line.agreement_name or "-",
        product,
        change_text(line),
        state,
        line.why,
    )


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
        ("Unmapped customers (not billed)", customers),
        ("Unmapped products (not billed)", products),
        ("Not synced", not_synced),
        ("Mapping repairs", tuple(report.repairs)),
        ("Guard trips (rerun with --allow-drop or --allow-rise once checked)", trips),
        ("Interrupted runs (this run re-read the PSA after them)", _recovered(report)),
    ]


def _recovered(report: SyncReport) -> tuple[str, ...]:
    return tuple(
        f"run #{run_id} stopped before it finished; `psabill report {run_id}` shows what it sent"
        for run_id in report.recovered
    )


def _row(result: LineResult) -> Row:
    line = result.line
    product = f"{line.sku} → {line.psa_product}" if line.psa_product else line.sku
    result_text = f"{line.action}: {result.status}"
    note = result.error or line.why
    return (
        line.customer_label,
        line.agreement_name or "-",
        product,
        change_text(line),
        result_text,
        note,
    )
