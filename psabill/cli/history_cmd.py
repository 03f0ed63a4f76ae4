"""``psabill history`` and ``psabill report RUN_ID``: what the ledger says happened."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import click

from psabill.cli.app import App, echo_json, pass_app
from psabill.cli.tables import print_rows
from psabill.cli.words import plural
from psabill.config.models import Config
from psabill.core.mapping import customer_key
from psabill.core.plan import qty
from psabill.core.schedule.engine import previous_slot
from psabill.errors import ConfigError, UsageError
from psabill.state import LineRecord, RunRecord, existing_ledger, ledger_path


@dataclass(frozen=True)
class Context:
    """What the config adds to the ledger's record, when a config loads: the billing period
    a manual run fell in, and customers' names. History works without one."""

    config: Config | None = None
    names: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, app: App) -> Context:
        try:
            config = app.loaded().config
        except ConfigError:
            return cls()
        return cls(config, {customer_key(c): c.name for c in config.customers if c.name})

    def period(self, run: RunRecord) -> str | None:
        """The run's billing period: its slots', else (a manual run) the period of the
        account's schedule it ran in."""
        if run.period or self.config is None:
            return run.period
        schedule = self.config.schedule
        slot = previous_slot(schedule.rule(), self.config.account.zone, run.started_at)
        return slot.period if slot else None


def _utc(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}Z" if value else "-"


def run_json(run: RunRecord, context: Context | None = None) -> dict[str, Any]:
    data = asdict(run)
    data["billing_period"] = (context or Context()).period(run)
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
        return f"plan of {plural(len(lines), 'line')}, awaiting `psabill approve {run.id}`"
    return ", ".join(parts) or "no lines"


@click.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def history(app: App, limit: int, as_json: bool) -> None:
    """List recent runs, newest first (times in UTC).

    Period is the billing period a scheduled run ran for; a manual run shows
    the period of the account's [schedule] it ran in (customers on their own
    schedule may be in another).

    \b
    Example:
      psabill history --limit 5
    """
    with existing_ledger(app.state_dir()) as ledger:
        runs = ledger.runs(limit=limit) if ledger else []
    context = Context.of(app) if runs else Context()
    if as_json:
        echo_json({"runs": [run_json(run, context) for run in runs]})
        return
    if not runs:
        click.echo(f"no runs recorded yet (ledger: {ledger_path(app.state_dir())})")
        return
    columns = ("Run", "Started (UTC)", "Trigger", "Period", "Outcome", "Lines", "By")
    rows = [
        (
            str(run.id),
            _utc(run.started_at),
            f"{run.trigger} (dry run)" if run.dry_run else run.trigger,
            context.period(run) or "-",
            run.outcome,
            _counts(run),
            run.acting_admin or "-",
        )
        for run in runs
    ]
    print_rows(columns, rows)


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
        deltas = ledger.run_adjustments(run_id) if ledger and run else []
    if run is None:
        raise UsageError(f"no run {run_id} in the ledger", hint="see `psabill history`")
    context = Context.of(app)
    if as_json:
        from psabill.cli.adjustments_cmd import adjustment_json

        lines_json = [line_json(line) for line in lines]
        adjustments = [adjustment_json(delta) for delta in deltas]
        echo_json({"run": run_json(run, context), "lines": lines_json, "adjustments": adjustments})
        return
    click.echo(_run_text(run, context))
    click.echo(f"Lines: {_counts(run)}")
    if lines:
        _print_lines(lines, context, vendor_ids=app.verbosity > 0)
    if deltas:  # a PSA that posts deltas (Autotask): what this run sent, and what became of it
        from psabill.cli.adjustments_cmd import print_adjustments

        click.echo(f"Unit adjustments: {len(deltas)} (`psabill adjustments` lists them all)")
        print_adjustments(deltas)


def _run_text(run: RunRecord, context: Context) -> str:
    """One run on one line: what started it, for which period, how it ended, when and by whom."""
    return (
        f"Run {run.id}: {run.trigger}, period {context.period(run) or '-'}, "
        f"outcome {run.outcome}; started {_utc(run.started_at)}, finished {_utc(run.finished_at)}"
        + (f"; by {run.acting_admin}" if run.acting_admin else "")
    )


def _print_lines(lines: Sequence[LineRecord], context: Context, *, vendor_ids: bool) -> None:
    """Every line of a run: who and where it bills, the change, and what became of it."""
    columns = ["Customer", *(["Vendor ID"] if vendor_ids else []), "Agreement", "Product"]
    columns += ["Current -> New", "Action", "Status", "Note"]
    rows = [
        (
            context.names.get(line.customer) or line.company or line.customer,
            *([line.customer] if vendor_ids else []),
            line.agreement_name or (str(line.agreement_id) if line.agreement_id else "-"),
            line.product if not line.psa_product else f"{line.product} -> {line.psa_product}",
            f"{qty(line.old_quantity)} -> {qty(line.new_quantity)}",
            line.action,
            line.status,
            line.error or line.why or "",
        )
        for line in lines
    ]
    print_rows(columns, rows)
