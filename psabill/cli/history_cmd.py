"""``psabill history`` and ``psabill report RUN_ID``: what the ledger says happened."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import click
from rich.table import Table

from psabill.cli.app import App, echo_json, pass_app, stdout_console
from psabill.core.plan import qty
from psabill.errors import UsageError
from psabill.state import LineRecord, RunRecord, existing_ledger, ledger_path


def _utc(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}Z" if value else "-"


def run_json(run: RunRecord) -> dict[str, Any]:
    data = asdict(run)
    data["started_at"] = _utc(run.started_at)
    data["finished_at"] = _utc(run.finished_at) if run.finished_at else None
    data["summary"] = dict(run.summary) if run.summary else None
    return data


def line_json(line: LineRecord) -> dict[str, Any]:
    data = asdict(line)
    data["old_quantity"] = None if line.old_quantity is None else str(line.old_quantity)
    data["new_quantity"] = None if line.new_quantity is None else str(line.new_quantity)
    data["updated_at"] = _utc(line.updated_at)
    return data


def _counts(run: RunRecord) -> str:
    counts = run.line_counts
    parts = [
        f"{value} {name}"
        for name, value in (
            ("confirmed", counts.confirmed),
            ("failed", counts.failed),
            ("skipped", counts.skipped),
            ("sent", counts.sent),
            ("planned", counts.planned),
        )
        if value
    ]
    if not parts and run.outcome == "planned":
        plan = (run.summary or {}).get("plan")
        lines = plan.get("lines", []) if isinstance(plan, dict) else []
        return f"plan of {len(lines)} lines, awaiting `psabill approve {run.id}`"
    return ", ".join(parts) or "no lines"


@click.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def history(app: App, limit: int, as_json: bool) -> None:
    """List recent runs, newest first (times in UTC).

    \b
    Example:
      psabill history --limit 5
    """
    with existing_ledger(app.state_dir()) as ledger:
        runs = ledger.runs(limit=limit) if ledger else []
    if as_json:
        echo_json({"runs": [run_json(run) for run in runs]})
        return
    if not runs:
        click.echo(f"no runs recorded yet (ledger: {ledger_path(app.state_dir())})")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("Run", "Started (UTC)", "Trigger", "Period", "Outcome", "Lines", "By"):
        table.add_column(column)
    for run in runs:
        trigger = f"{run.trigger} (dry run)" if run.dry_run else run.trigger
        table.add_row(
            str(run.id),
            _utc(run.started_at),
            trigger,
            run.period or "-",
            run.outcome,
            _counts(run),
            run.acting_admin or "-",
        )
    stdout_console().print(table)


@click.command()
@click.argument("run_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def report(app: App, run_id: int, as_json: bool) -> None:
    """Show one run and every line it planned, sent and confirmed.

    \b
    Example:
      psabill report 42
    """
    with existing_ledger(app.state_dir()) as ledger:
        run = ledger.run(run_id) if ledger else None
        lines = ledger.lines(run_id) if ledger and run else []
    if run is None:
        raise UsageError(f"no run {run_id} in the ledger", hint="see `psabill history`")
    if as_json:
        echo_json({"run": run_json(run), "lines": [line_json(line) for line in lines]})
        return
    click.echo(_run_text(run))
    click.echo(f"Lines: {_counts(run)}")
    if not lines:
        return
    stdout_console().print(_lines_table(lines))


def _run_text(run: RunRecord) -> str:
    """One run on one line: what started it, for which period, how it ended, when and by whom."""
    return (
        f"Run {run.id}: {run.trigger}, period {run.period or '-'}, outcome {run.outcome}; "
        f"started {_utc(run.started_at)}, finished {_utc(run.finished_at)}"
        + (f"; by {run.acting_admin}" if run.acting_admin else "")
    )


def _lines_table(lines: Sequence[LineRecord]) -> Table:
    """Every line of a run: where it bills, the change, and what became of it."""
    table = Table(box=None, pad_edge=False)
    for column in (
        "Customer",
        "Agreement",
        "Product",
        "Current -> New",
        "Action",
        "Status",
        "Note",
    ):
        table.add_column(column)
    for line in lines:
        table.add_row(
            line.customer if not line.company else f"{line.customer} ({line.company})",
            line.agreement_name or (str(line.agreement_id) if line.agreement_id else "-"),
            line.product if not line.psa_product else f"{line.product} -> {line.psa_product}",
            f"{qty(line.old_quantity)} -> {qty(line.new_quantity)}",
            line.action,
            line.status,
            line.error or line.why or "",
        )
    return table
