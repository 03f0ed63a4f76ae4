"""What a plan waiting for approval says: the same facts and notes as a run summary, every
planned line, and nothing pushed yet. Pure, like :mod:`psabill.notify.summary`."""

from __future__ import annotations

from datetime import datetime

from psabill.config.models import Config
from psabill.core.outcome import LineResult
from psabill.core.plan import Plan, PlanLine
from psabill.core.report import SyncReport
from psabill.notify.summary import (
    Row,
    Summary,
    change_text,
    failures_of,
    next_run_text,
    notes_of,
    run_period,
)
from psabill.notify.tables import banner


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
        banner=banner("planned", plan_counts(report.plan)),
        title=f"{config.account.name}: billing plan {period} awaits approval",
        facts=tuple(facts),
        failures=failures_of(report),
        notes=notes_of(report),
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
