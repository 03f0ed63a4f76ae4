"""``psabill invoices list``: what the PSA invoiced, for a billing admin with view."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import click

from psabill.app.approval import require_admin
from psabill.app.invoices import (
    NamedInvoices,
    Period,
    companies_of,
    current_period,
    named_invoices,
    parse_period,
)
from psabill.cli.app import App, echo_json, pass_app
from psabill.cli.editing import json_option, on_psa, text
from psabill.cli.tables import print_rows
from psabill.cli.words import money, plural, psa_words
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
    named = on_psa(app, lambda client: named_invoices(client, identifiers, month))
    found = named.invoices
    total = sum((i.total for i in found), Decimal(0))
    if as_json:
        rows = [_invoice_json(i, named) for i in found]
        echo_json({"period": month.name, "invoices": rows, "total": str(total)})
        return
    if not found:
        shown = sorted(set(named.names.values())) or identifiers  # names read, else as mapped
        click.echo(f"no invoices in {month.name} for {', '.join(shown) or 'no companies'}")
        return
    agreement = psa_words(app).agreement.capitalize()
    _print_invoices(named, month, total, identifiers=app.verbosity > 0, agreement=agreement)


def _invoice_json(invoice: Invoice, named: NamedInvoices) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "number": invoice.number,
        "company": invoice.company_identifier,
        "company_name": named.names.get(invoice.company_id),
        "date": invoice.date.isoformat(),
        "total": str(invoice.total),
        "agreement_id": invoice.agreement_id,
    }


def _print_invoices(
    named: NamedInvoices, month: Period, total: Decimal, *, identifiers: bool, agreement: str
) -> None:
    """The invoices as a table (the company by its PSA name; ``-v`` adds its identifier),
    then how many there are and what they add up to."""
    columns = ["Invoice", "Date", "Company", *(["Company ID"] if identifiers else [])]
    rows = [
        (
            i.number,
            i.date.isoformat(),
            named.names.get(i.company_id, i.company_identifier),
            *([i.company_identifier] if identifiers else []),
            money(i.total),
            text(i.agreement_id),
        )
        for i in named.invoices
    ]
    print_rows([*columns, "Total", agreement], rows, right=("Total",))
    count = plural(len(named.invoices), "invoice")
    click.echo(f"{count} in {month.name}, total {money(total)}")
