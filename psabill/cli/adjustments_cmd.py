"""``psabill adjustments``: the delta journal, and settling an entry a person checked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from psabill.app.journal import Resolution, list_adjustments, resolve
from psabill.cli.app import App, echo_json, pass_app
from psabill.cli.tables import print_rows
from psabill.state import AdjustmentRecord


def _signed(record: AdjustmentRecord) -> str:
    change = f"{record.change.normalize():f}"
    return f"+{change}" if record.change > 0 else change


def adjustment_json(record: AdjustmentRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "run_id": record.run_id,
        "day": record.day.isoformat(),
        "agreement_id": record.agreement_id,
        "product_id": record.product_id,
        "reference": record.reference,
        "before": str(record.before),
        "change": str(record.change),
        "state": record.state,
        "open": record.open,
        "note": record.note,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


@click.group(invoke_without_command=True)
@click.option("--open", "open_only", is_flag=True, help="Only entries still sending or unknown.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def adjustments(ctx: click.Context, open_only: bool, as_json: bool) -> None:
    """List the unit adjustments psabill posted to the PSA, newest first.

    A PSA that changes seats only by deltas (Autotask) cannot be asked later
    what it was sent, and a delta cannot be undone; psabill records each one
    here before it is sent. States: sending (recorded, no answer yet: a
    crash leaves it so), posted, refused, unknown (no usable answer), and
    landed / lost (a later read showed it applied / not applied). An open
    entry (sending or unknown) blocks further changes to that product on
    that agreement until a read or `psabill adjustments resolve` settles it.

    \b
    Examples:
      psabill adjustments --open
      psabill adjustments --json
      psabill adjustments resolve 12 landed --as controller@northwind.example
    """
    if ctx.invoked_subcommand is not None:
        return
    app = ctx.find_object(App)
    assert app is not None
    records = list_adjustments(app.state_dir(), open_only=open_only)
    if as_json:
        echo_json({"adjustments": [adjustment_json(r) for r in records]})
        return
    if not records:
        click.echo("no open unit adjustments" if open_only else "no unit adjustments recorded")
        return
    print_adjustments(records)


def print_adjustments(records: Sequence[AdjustmentRecord]) -> None:
    """Journal entries as a table, in the order given."""
    columns = ("ID", "Run", "Day", "Agreement", "Product", "Before", "Change", "State", "Note")
    rows = [
        (
            str(r.id),
            str(r.run_id),
            r.day.isoformat(),
            str(r.agreement_id),
            str(r.product_id),
            f"{r.before.normalize():f}",
            _signed(r),
            r.state,
            r.note or "",
        )
        for r in records
    ]
    print_rows(columns, rows, right=("Before", "Change"))


@adjustments.command("resolve")
@click.argument("entry", metavar="ID", type=int)
@click.argument("state", type=click.Choice(["landed", "lost"]))
@click.option("--as", "as_name", metavar="NAME", help="Who checked it (default: login name).")
@click.option("--json", "as_json", is_flag=True, help="Print the settled entry as JSON.")
@pass_app
def resolve_cmd(app: App, entry: int, state: str, as_name: str | None, as_json: bool) -> None:
    """Settle open adjustment ID as landed or lost, after checking the PSA.

    Look at the contract service's units on the entry's day in the PSA: if
    they include the change, it landed; if not, it was lost. The next run
    then writes that product again from a fresh read. Only a sending or
    unknown entry can be resolved (otherwise exit 2); the note records who
    and when. Takes the run lock, so it waits for no run (exit 75 while one
    runs).

    \b
    Example:
      psabill adjustments resolve 12 lost --as controller@northwind.example
    """
    outcome: Resolution = "landed" if state == "landed" else "lost"
    record = resolve(app.state_dir(), entry, outcome, by=as_name, now=app.now())
    if as_json:
        echo_json({"adjustment": adjustment_json(record)})
        return
    click.echo(f"unit adjustment {record.id} is now {record.state}: {record.note}")
