"""``psabill products create``: a new PSA catalog item for a vendor SKU, then its mapping."""

from __future__ import annotations

from decimal import Decimal

import click

from psabill.app.mappings import edits, inventory, known
from psabill.cli.app import App, pass_app, warn
from psabill.cli.editing import Money, apply_edit, check_edit, new_option, on_psa, source_option
from psabill.cli.words import psa_words
from psabill.core.entities import CatalogItem, NewCatalogItem
from psabill.core.plan import IDENTIFIER_LIMIT, default_identifier
from psabill.errors import UsageError
from psabill.psa.base import PsaClient
from psabill.psa.words import PsaWords

DESCRIPTION_LIMIT = 60  # ConnectWise: catalog item description, at most 60 characters


@click.command()
@click.argument("sku")
@click.option(
    "--identifier", help=f"Catalog identifier, at most {IDENTIFIER_LIMIT} characters. "
    "Default: PSABILL-<SKU>."
)  # fmt: skip
@click.option(
    "--description", help=f"Catalog description, at most {DESCRIPTION_LIMIT} characters; "
    "the line a customer's invoice shows. Default: the vendor's product name (the mapping's "
    "description or name, or --name), the SKU only when none is known."
)  # fmt: skip
@click.option("--price", type=Money(), help="Catalog price, e.g. 4.50.")
@click.option("--cost", type=Money(), help="Catalog cost, e.g. 2.75.")
@click.option("--name", help="Display name of the vendor product.")
@source_option
@new_option
@pass_app
def create(
    app: App,
    sku: str,
    identifier: str | None,
    description: str | None,
    price: Decimal | None,
    cost: Decimal | None,
    name: str | None,
    source: str | None,
    new_sku: bool,
) -> None:
    """Add a new item to the PSA catalog and map SKU to it.

    The item gets the PSA's default product type and subcategory; an active
    item with that identifier already there is mapped as it is. SKU must be
    in a usage source or a mapping (else --new), and the mapping is checked
    before anything is created. Autotask services are never created (their
    allocation code is an accounting choice): there an existing active
    service of that name is mapped, and otherwise the command says so (exit 1).

    \b
    Example:
      psabill products create CIXA-XDR --description "Sophos XDR" --price 6.25 --cost 3.90
    """
    if description is not None and not 0 < len(description.strip()) <= DESCRIPTION_LIMIT:
        raise UsageError(
            f"--description must be 1 to {DESCRIPTION_LIMIT} characters "
            f"(got {len(description.strip())})"
        )
    words, origin = _words(app, sku, source, description, name)
    new = _new_item(sku, identifier, words, price, cost)
    check_edit(app, lambda d: edits.map_product(d, sku, new.identifier, source=source, name=name))
    if not new_sku:
        known.require_known_sku(app.loaded(), app.env, sku)

    async def job(client: PsaClient) -> tuple[CatalogItem, bool]:
        existed = any(not i.inactive for i in await client.catalog_items([new.identifier]))
        return await client.create_catalog_item(new), existed

    item, existed = on_psa(app, job)
    _say_created(item, new, existed, origin, price, psa_words(app))
    apply_edit(app, lambda d: edits.map_product(d, sku, item.identifier, source=source, name=name))


def _say_created(
    item: CatalogItem,
    new: NewCatalogItem,
    existed: bool,
    origin: str,
    price: Decimal | None,
    psa: PsaWords,
) -> None:
    if existed:
        said = f"is already in the PSA catalog (kept as it is: description {item.description!r})"
    else:
        said = f"created in the PSA with description {new.description!r} ({origin})"
    click.echo(f"{psa.catalog_item} {item.identifier!r} (#{item.id}) {said}")
    if not existed and price is None:
        warn(
            f"{item.identifier!r} has no --price: {psa.name} files it at 0, and new "
            f"{psa.additions} take its price; set unit_price on the mapping or the price in "
            f"{psa.name}"
        )


def _words(
    app: App, sku: str, source: str | None, description: str | None, name: str | None
) -> tuple[str, str]:
    """The new item's description and where it comes from: what a customer's invoice will show,
    so the vendor's product name wherever psabill knows one, and the SKU only as a last resort."""
    if description is not None:
        return description, "from --description"
    mapped_description, mapped_name = inventory.product_words(app.loaded().config, sku, source)
    for words, origin in (
        (mapped_description, "the product mapping's description"),
        (name, "from --name"),
        (mapped_name, "the product mapping's name"),
    ):
        if words and words.strip():
            return words, origin
    return sku, "the SKU: no product name is known; pass --description to name it"


def _new_item(
    sku: str, identifier: str | None, words: str, price: Decimal | None, cost: Decimal | None
) -> NewCatalogItem:
    """The catalog item to create, within the PSA's limits: a given --identifier is refused
    when too long (as --description is, before), a default description is cut to fit."""
    ident = (identifier if identifier is not None else default_identifier(sku)).strip()
    if not ident or len(ident) > IDENTIFIER_LIMIT:
        raise UsageError(f"--identifier must be 1 to {IDENTIFIER_LIMIT} characters, got {ident!r}")
    text = words.strip()[:DESCRIPTION_LIMIT]
    return NewCatalogItem(ident, text, text, price, cost)
