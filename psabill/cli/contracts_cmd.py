"""``psabill contracts list|assign|unassign``: which agreement each customer's products bill on."""

from __future__ import annotations

import click

from psabill.app.mappings import edits, verify
from psabill.cli.app import App, echo_json, pass_app
from psabill.cli.editing import apply_edit, json_option, on_psa, print_table, source_option
from psabill.config.models import Config, Contract, Customer
from psabill.core.mapping import customer_key
from psabill.errors import UsageError
from psabill.psa.words import PsaWords, words


@click.group()
def contracts() -> None:
    """Which PSA agreement each customer's products bill on: agreement type, then name.

    \b
    Example:
      psabill contracts assign 51234 --type "Security Services"
    """


@contracts.command("list")
@click.option("--customer", help="Only this customer (vendor id or source:id).")
@json_option
@pass_app
def list_contracts(app: App, customer: str | None, as_json: bool) -> None:
    """Each customer's default contract and per-product contracts, and where they come from.

    A customer without its own contract uses [sync] agreement_type, else the
    company's only active agreement. On Autotask the agreement is a Recurring
    Service contract and its type the contract category; on HaloPSA a
    recurring invoice.

    \b
    Example:
      psabill contracts list --customer 51234
    """
    cfg = app.loaded().config
    psa = words(cfg.psa.kind)
    rows = [row for c in _customers(cfg, customer) for row in _rows(cfg, c, psa)]
    if as_json:
        keys = ("customer", "product", "agreement_type", "agreement_name", "from")
        echo_json({"contracts": [dict(zip(keys, row, strict=True)) for row in rows]})
        return
    print_table(
        (
            "Customer",
            "Product",
            psa.agreement_type.capitalize(),
            f"{psa.agreement} name".capitalize(),
            "From",
        ),
        [tuple(cell or "-" for cell in row) for row in rows],
    )


@contracts.command()
@click.argument("customer")
@click.argument("product", required=False)
@click.option("--type", "agreement_type", required=True, help="Agreement type (checked first).")
@click.option("--name", "agreement_name", help="Agreement name; needed when several are active.")
@source_option
@pass_app
def assign(
    app: App,
    customer: str,
    product: str | None,
    agreement_type: str,
    agreement_name: str | None,
    source: str | None,
) -> None:
    """Bill CUSTOMER's PRODUCT (or, without PRODUCT, all its products) on one agreement.

    The agreement type is verified in the PSA first, then the agreement name
    within it, against the customer's PSA company; exactly one active
    agreement must match. The customer switches to custom settings (its
    schedule stays the global one unless it has its own).

    \b
    Example:
      psabill contracts assign 51234 WFBS-SVC --type "Security Services"
      psabill contracts assign 7d1f3c2e-acme --type "Managed Services" --name "Acme MS"
    """
    cfg = app.loaded().config
    target = _one(cfg, customer, source)
    contract = Contract(agreement_type=agreement_type, agreement_name=agreement_name)
    psa = words(cfg.psa.kind)
    found = on_psa(app, lambda client: verify.agreement(client, target.psa_company, contract, psa))
    click.echo(
        f'found {psa.agreement} "{found.name}" (#{found.id}) of {psa.agreement_type} '
        f'"{found.type_name}"'
    )
    name = found.name if agreement_name is not None else None
    apply_edit(
        app,
        lambda d: edits.assign_contract(
            d, customer, product, found.type_name, name, source=target.source
        ),
    )


@contracts.command()
@click.argument("customer")
@click.argument("product", required=False)
@source_option
@pass_app
def unassign(app: App, customer: str, product: str | None, source: str | None) -> None:
    """Remove CUSTOMER's contract for PRODUCT, or its default contract without PRODUCT.

    \b
    Example:
      psabill contracts unassign 51234 WFBS-SVC
    """
    apply_edit(app, lambda d: edits.unassign_contract(d, customer, product, source=source))


def _customers(cfg: Config, ident: str | None) -> list[Customer]:
    return list(cfg.customers) if ident is None else [_one(cfg, ident, None)]


def _one(cfg: Config, ident: str, source: str | None) -> Customer:
    matches = [
        c
        for c in cfg.customers
        if ident in (c.id, customer_key(c)) and (source is None or c.source == source)
    ]
    if not matches:
        raise UsageError(f"customer {ident!r} is not mapped", hint="see `psabill customers list`")
    if len(matches) > 1:
        keys = ", ".join(customer_key(c) for c in matches)
        raise UsageError(f"customer {ident!r} is ambiguous ({keys})", hint="use --source")
    return matches[0]


Row = tuple[str, str, str | None, str | None, str]


def _rows(cfg: Config, customer: Customer, psa: PsaWords) -> list[Row]:
    key = customer_key(customer)
    rows: list[Row] = []
    if customer.contract is not None:
        c = customer.contract
        rows.append((key, "*", c.agreement_type, c.agreement_name, "customer default"))
    elif cfg.sync.agreement_type:
        rows.append((key, "*", cfg.sync.agreement_type, None, "global [sync] agreement_type"))
    else:
        rows.append((key, "*", None, None, f"the {psa.company}'s only active {psa.agreement}"))
    for item in customer.contracts:
        rows.append((key, item.product, item.agreement_type, item.agreement_name, "customer"))
    return rows
