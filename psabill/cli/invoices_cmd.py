"""``psabill invoices list``: what the PSA invoiced, for a billing admin with view."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import click

from psabill.app.approval import require_admin
from psabill.app.invoices import Period, companies_of, current_period, invoices_for, parse_period
from psabill.cli.app import App, echo_json, pass_app
from psabill.cli.editing import json_option, on_psa, print_table, text
from psabill.core.entities import Invoice


@click.group()
def invoices() -> None:
    """The PSA's invoices, for billing admins with view.

    \b
    Example:
      psabill invoices list --period 2026-11 --as controller@northwind.example
    """


@invoices.command("list")
@click.option("--customer", help="Only this customer (vendor id or source:id).")
@click.option(
    "--period", metavar="YYYY-MM", help="Billing month; default: this month (account zone)."
)
@click.option("--as", "as_admin", metavar="EMAIL", help="A billing admin with view.")
@json_option
@pass_app
def list_invoices(
    app: App, customer: str | None, period: str | None, as_admin: str | None, as_json: bool
) -> None:
    """List the PSA's invoices of the mapped customers' companies for one month.

    When billing admins are configured, --as must name one with view
    (psabill checks the list; it does not authenticate). Read-only.

    \b
    Example:
      psabill invoices list --customer 51234 --period 2026-11 --as controller@northwind.example
    """
    cfg = app.loaded().config
    if cfg.billing_admins or as_admin is not None:
        require_admin(cfg, as_admin)
    month = parse_period(period) if period else current_period(cfg, app.now())
    identifiers = companies_of(cfg, customer)
    found = on_psa(app, lambda client: invoices_for(client, identifiers, month))
    total = sum((i.total for i in found), Decimal(0))
    if as_json:
        rows = [_invoice_json(i) for i in found]
        echo_json({"period": month.name, "invoices": rows, "total": str(total)})
        return
    if not found:
        click.echo(f"no invoices in {month.name} for {', '.join(identifiers) or 'no companies'}")
        return
    _print_invoices(found, month, total)


def _invoice_json(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "number": invoice.number,
        "company": invoice.company_identifier,
        "date": invoice.date.isoformat(),
        "total": str(invoice.total),
        "agreement_id": invoice.agreement_id,
    }


def _print_invoices(found: Sequence[Invoice], month: Period, total: Decimal) -> None:
    """The invoices as a table, then how many there are and what they add up to."""
    print_table(
        ("Invoice", "Date", "Company", "Total", "Agreement"),
        [
            (
                i.number,
                i.date.isoformat(),
                i.company_identifier,
                text(i.total),
                text(i.agreement_id),
            )
            for i in found
        ],
    )
    click.echo(f"{len(found)} invoices in {month.name}, total {text(total)}")
