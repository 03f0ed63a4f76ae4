"""Tables for people: the plan (or a run's lines) and any list of rows.

At a terminal a table is drawn by rich; elsewhere (cron mail, CI logs, pipes) it is plain
aligned text built in linear time, since rich costs about half a millisecond a row and a first
sync has thousands. Unchanged lines beyond :data:`UNCHANGED_SHOWN` fold into one count line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from psabill.cli.app import stdout_console
from psabill.cli.words import plural
from psabill.core.outcome import LineResult
from psabill.core.plan import Plan, PlanLine, qty
from psabill.core.report import SyncReport

if TYPE_CHECKING:  # rich loads only when a table is drawn at a terminal
    from rich.table import Table


def _change(line: PlanLine) -> str:
    if line.action in ("create",):
        return f"- -> {qty(line.desired)}"
    if line.action in ("keep", "unchanged") and line.desired is None:
        return qty(line.current)
    if line.current is None and line.desired is None:
        return ""
    return f"{qty(line.current)} -> {qty(line.desired)}"


UNCHANGED_SHOWN = 20
"""A table with more unchanged lines than this folds them into one count line: rendering
2,500 rows costs seconds, and the changes are what a reader looks for. ``--all`` (``plan``)
or ``-v`` lists every line; ``--json`` always has every line."""


@dataclass(frozen=True)
class PlanRows:
    """The table's cells, and how many unchanged lines were folded out of it."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    folded: int


def plan_rows(
    plan: Plan,
    results: list[LineResult] | None = None,
    *,
    show_all: bool = False,
    vendor_ids: bool = False,
) -> PlanRows:
    """customer (PSA company), [vendor id], agreement, product, current -> new, action,
    [result], why; unchanged lines beyond :data:`UNCHANGED_SHOWN` folded unless ``show_all``."""
    pairs: list[tuple[PlanLine, LineResult | None]]
    pairs = (
        [(r.line, r) for r in results] if results is not None else [(x, None) for x in plan.lines]
    )
    unchanged = sum(1 for line, result in pairs if _quiet(line, result))
    folded = 0 if show_all or unchanged <= UNCHANGED_SHOWN else unchanged
    if folded:
        pairs = [(line, result) for line, result in pairs if not _quiet(line, result)]
    columns = ["Customer", *(["Vendor ID"] if vendor_ids else []), "Agreement", "Product"]
    columns += ["Current -> New", "Action", *(["Result"] if results is not None else []), "Why"]
    rows = tuple(_cells(line, result, results is not None, vendor_ids) for line, result in pairs)
    return PlanRows(tuple(columns), rows, folded)


def _quiet(line: PlanLine, result: LineResult | None) -> bool:
    """An unchanged line that stayed so: nothing to read in it."""
    return line.action == "unchanged" and (result is None or result.status == "confirmed")


def _cells(
    line: PlanLine, result: LineResult | None, with_result: bool, vendor_ids: bool
) -> tuple[str, ...]:
    product = line.sku if not line.psa_product else f"{line.sku} -> {line.psa_product}"
    cells = [customer_name(line), *([line.customer] if vendor_ids else [])]
    cells += [line.agreement_name or "-", product, _change(line), line.action]
    if with_result:
        cells.append(result.status if result is not None else "-")
    cells.append((result.error if result is not None else None) or line.why)
    return tuple(cells)


def customer_name(line: PlanLine) -> str:
    """Who the line bills, as people know them: the PSA company's name, else the mapping's
    ``name``, else the PSA company identifier; a bare vendor id only when nothing else is known
    (``-v`` adds a column of vendor ids)."""
    if line.company_name:
        return line.company_name
    if line.customer_label in (line.customer, line.customer.split(":", 1)[-1]) and line.company:
        return line.company
    return line.customer_label


def plan_table(plan: Plan) -> Table:
    """Every line of a plan as a rich table (``approve --show``)."""
    from rich.markup import escape
    from rich.table import Table

    found = plan_rows(plan, show_all=True)
    table = Table(box=None, pad_edge=False)
    for column in found.columns:
        table.add_column(column)
    for row in found.rows:
        table.add_row(*(escape(cell) for cell in row))
    return table


def print_rows(
    columns: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[str] = ()
) -> None:
    """A table: rich at a terminal; elsewhere plain aligned text, built in linear time.
    Columns named in ``right`` (amounts) are right-aligned."""
    console = stdout_console()
    if console.is_terminal:
        from rich.markup import escape
        from rich.table import Table

        table = Table(box=None, pad_edge=False)
        for column in columns:
            table.add_column(column, justify="right" if column in right else "left")
        for row in rows:
            table.add_row(*(escape(cell) for cell in row))  # "[sync]" is text, not markup
        console.print(table)
        return
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    lines = [columns, *rows]
    flush = [column in right for column in columns]
    text = "\n".join(
        "  ".join(
            cell.rjust(width) if flush_right else cell.ljust(width)
            for cell, width, flush_right in zip(cells, widths, flush, strict=True)
        ).rstrip()
        for cells in lines
    )
    click.echo(text)


def print_plan(
    report: SyncReport, results: list[LineResult] | None, *, show_all: bool, verbose: bool
) -> None:
    """The plan (or the run's results) as a table, then the fold line if lines were folded."""
    assert report.plan is not None
    table = plan_rows(report.plan, results, show_all=show_all, vendor_ids=verbose)
    if table.rows:
        print_rows(table.columns, table.rows)
    if table.folded:
        where = (
            f"`psabill report {report.run_id}` lists them"
            if report.run_id is not None
            else "`psabill plan --all` or `psabill -v plan` lists them"
        )
        click.echo(f"... and {plural(table.folded, 'unchanged line')} ({where})")
