"""``psabill report RUN_ID`` (one run's lines) and ``psabill report --customer ID`` (trends)."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from psabill.app.trends import CustomerTrends, customer_trends
from psabill.cli.app import App, echo_json, stdout_console
from psabill.cli.history_cmd import report as run_report
from psabill.core.plan import qty
from psabill.core.trends import Series
from psabill.errors import UsageError

WIDE = 6
"""Up to this many periods each gets a column; more show first and last only (and --json)."""


@click.command()
@click.argument("run_id", type=int, required=False)
@click.option(
    "--customer",
    metavar="ID",
    help="Trends of this customer: its vendor id, ledger key, name or PSA company.",
)
@click.option(
    "--periods",
    type=click.IntRange(1, 120),
    default=None,
    help="With --customer: how many completed billing periods to look back over. [default: 12]",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def report(
    ctx: click.Context,
    run_id: int | None,
    customer: str | None,
    periods: int | None,
    as_json: bool,
) -> None:
    """Show one run's lines, or a customer's quantities over its last billing periods.

    With RUN_ID: every line that run planned, sent and confirmed. With
    --customer: each product's quantity in each completed billing period (what
    psabill had confirmed in the PSA when the period was completed), with a
    sparkline and the change from first to last. Manual runs complete no period.

    \b
    Examples:
      psabill report 42
      psabill report --customer 7d1f3c2e-acme --periods 12
      psabill report --customer "Acme Dental Group" --json
    """
    if (run_id is None) == (customer is None):
        raise UsageError(
            "give either a RUN_ID or --customer ID",
            hint="psabill report 42, or psabill report --customer ID --periods 12",
        )
    if customer is None:
        if periods is not None:
            raise UsageError("--periods needs --customer", hint="psabill report --customer ID")
        ctx.invoke(run_report, run_id=run_id, as_json=as_json)
        return
    _trends(ctx.find_object(App), customer, periods or 12, as_json)


def _trends(app: App | None, customer: str, periods: int, as_json: bool) -> None:
    assert app is not None
    found = customer_trends(app.loaded().config, app.state_dir(), customer, periods)
    if as_json:
        echo_json(_json(found))
        return
    if not found.series:
        click.echo(
            f"{found.label}: no completed billing period in the ledger yet "
            "(manual runs complete none; `psabill history` lists the runs)"
        )
        return
    shown = max(len(s.periods) for s in found.series)
    click.echo(f"{found.label}: quantities over the last {_count(shown)} (of {periods} asked)")
    stdout_console().print(_table(found))


def _count(periods: int) -> str:
    return f"{periods} {'period' if periods == 1 else 'periods'}"


def _table(found: CustomerTrends) -> Table:
    several = len({s.customer for s in found.series}) > 1
    periods = max((s.periods for s in found.series), key=len)
    wide = len(periods) <= WIDE
    table = Table(box=None, pad_edge=False)
    for column in ("Account",) * several + ("Product",):
        table.add_column(column)
    for heading in periods if wide else ("First", "Last"):
        table.add_column(heading, justify="right")
    table.add_column("Trend")
    table.add_column("Change")
    for item in found.series:
        numbers = [qty(v) for v in item.values] if wide else [qty(item.first), qty(item.last)]
        names = [item.customer] * several + [item.product]  # one company, several accounts
        table.add_row(*names, *numbers, item.sparkline, item.change_text)
    return table


def _json(found: CustomerTrends) -> dict[str, Any]:
    return {
        "customer": found.label,
        "keys": list(found.keys),
        "periods_asked": found.periods,
        "series": [_series_json(s) for s in found.series],
    }


def _series_json(item: Series) -> dict[str, Any]:
    def number(value: object) -> str | None:
        return None if value is None else str(value)

    return {
        "customer": item.customer,
        "label": item.label,
        "product": item.product,
        "periods": list(item.periods),
        "quantities": [number(v) for v in item.values],
        "first": number(item.first),
        "last": number(item.last),
        "change": number(item.change),
        "sparkline": item.sparkline,
    }
