"""``psabill products list|search|map|unmap|enable|disable|create``."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal

import click

from psabill.app.mappings import edits, inventory, verify
from psabill.cli.app import App, echo_json, pass_app, warn
from psabill.cli.editing import (
    Money,
    apply_edit,
    check_edit,
    json_option,
    on_psa,
    print_table,
    report_problems,
    source_option,
    text,
)
from psabill.core.entities import CatalogItem, NewCatalogItem
from psabill.core.plan import IDENTIFIER_LIMIT, default_identifier
from psabill.errors import UsageError
from psabill.psa.base import PsaClient

DESCRIPTION_LIMIT = 60  # ConnectWise: catalog item description, at most 60 characters
MIN_SEARCH = 2


@click.group()
def products() -> None:
    """Vendor products (SKUs) and the PSA catalog items they bill as.

    Mappings key on the vendor's stable SKU, so a product the vendor renames
    keeps its mapping. Edits go to the managed mappings file (`mappings_file`,
    default mappings.toml); psabill.toml is never rewritten.

    \b
    Example:
      psabill products map CIXA SOPHOS-IX-ADV
    """


@products.command("list")
@click.option("--offline", is_flag=True, help="Skip the live check of the PSA catalog.")
@json_option
@pass_app
def list_products(app: App, offline: bool, as_json: bool) -> None:
    """Every vendor product in the sources or the config, with its mapping and status.

    Columns: SKU, source, PSA product, sync on/off, the quantity last synced
    (summed over customers, from the ledger), status (ok, unmapped, PSA product
    missing - checked live in the PSA catalog unless --offline) and the file
    the mapping comes from. A failing source is reported; the rest is listed.

    \b
    Example:
      psabill products list --json
    """
    listing = inventory.products(app.loaded(), app.env, app.state_dir(), check_psa=not offline)
    if as_json:
        rows = [asdict(row) | {"synced_total": text(row.synced_total)} for row in listing.rows]
        echo_json(
            {
                "products": rows,
                "source_errors": listing.source_errors,
                "psa_error": listing.psa_error,
            }
        )
        return
    print_table(
        ("SKU", "Source", "Name", "PSA product", "Sync", "Last synced", "Status", "From"),
        [
            (
                r.sku,
                text(r.source or "any"),
                text(r.name),
                text(r.psa_product),
                text(r.sync),
                text(r.synced_total),
                r.status,
                r.file,
            )
            for r in listing.rows
        ],
    )
    report_problems(listing.source_errors, listing.psa_error)


@products.command()
@click.argument("search_text", metavar="TEXT")
@click.option("--limit", default=25, show_default=True, type=click.IntRange(1, 200))
@json_option
@pass_app
def search(app: App, search_text: str, limit: int, as_json: bool) -> None:
    """Search the PSA catalog, live, by identifier or description (at least 2 characters).

    \b
    Example:
      psabill products search sophos
    """
    needle = search_text.strip()
    if len(needle) < MIN_SEARCH:
        raise UsageError(
            f"search text needs at least {MIN_SEARCH} characters, got {needle!r}",
            hint="e.g. `psabill products search sophos`",
        )
    items = on_psa(app, lambda client: client.search_catalog(needle, limit))
    if as_json:
        echo_json({"items": [_item_json(i) for i in items]})
        return
    if not items:
        click.echo(f"nothing in the PSA catalog matches {needle!r}")
        return
    print_table(
        ("Identifier", "Description", "Price", "Cost", "Active"),
        [
            (i.identifier, i.description, text(i.price), text(i.cost), text(not i.inactive))
            for i in items
        ],
    )


@products.command("map")
@click.argument("sku")
@click.argument("psa_product")
@source_option
@click.option("--name", help="Display name (the vendor may rename it; the SKU is what counts).")
@pass_app
def map_product(app: App, sku: str, psa_product: str, source: str | None, name: str | None) -> None:
    """Bill vendor SKU as PSA_PRODUCT, which must exist (active) in the PSA catalog.

    \b
    Example:
      psabill products map CIXA SOPHOS-IX-ADV --source sophos
    """
    item = on_psa(app, lambda client: verify.catalog_item(client, psa_product))
    apply_edit(app, lambda d: edits.map_product(d, sku, item.identifier, source=source, name=name))


@products.command()
@click.argument("sku")
@source_option
@pass_app
def unmap(app: App, sku: str, source: str | None) -> None:
    """Stop billing SKU: it stays listed as unmapped, and its usage is never billed.

    \b
    Example:
      psabill products unmap CIXA
    """
    apply_edit(app, lambda d: edits.unmap_product(d, sku, source=source))


@products.command()
@click.argument("sku")
@source_option
@pass_app
def enable(app: App, sku: str, source: str | None) -> None:
    """Sync SKU again (sync = true).

    \b
    Example:
      psabill products enable CIXA
    """
    apply_edit(app, lambda d: edits.set_product_sync(d, sku, True, source=source))


@products.command()
@click.argument("sku")
@source_option
@pass_app
def disable(app: App, sku: str, source: str | None) -> None:
    """Leave SKU alone (sync = false): listed, never synced, its mapping kept.

    \b
    Example:
      psabill products disable CIXA
    """
    apply_edit(app, lambda d: edits.set_product_sync(d, sku, False, source=source))


@products.command()
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
) -> None:
    """Add a new item to the PSA catalog and map SKU to it.

    The item gets the PSA's default product type and subcategory; an active
    item with that identifier already there is mapped as it is. The mapping
    is checked before anything is created.

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

    async def job(client: PsaClient) -> tuple[CatalogItem, bool]:
        existed = any(not i.inactive for i in await client.catalog_items([new.identifier]))
        return await client.create_catalog_item(new), existed

    item, existed = on_psa(app, job)
    if existed:
        said = f"is already in the PSA catalog (kept as it is: description {item.description!r})"
    else:
        said = f"created in the PSA with description {new.description!r} ({origin})"
    click.echo(f"catalog item {item.identifier!r} (#{item.id}) {said}")
    if not existed and price is None:
        warn(
            f"{item.identifier!r} has no --price: ConnectWise files it at 0, and new additions "
            "take the catalog price; set unit_price on the mapping or the price in ConnectWise"
        )
    apply_edit(app, lambda d: edits.map_product(d, sku, item.identifier, source=source, name=name))


def _words(
    app: App, sku: str, source: str | None, description: str | None, name: str | None
) -> tuple[str, str]:
    """The new item's description and where it comes from: what a customer's invoice will show,
    so the vendor's product name wherever psabill knows one, and the SKU only as a last resort."""
    if description is not None:
        return description, "from --description"
    mapped_description, mapped_name = inventory.product_words(app.loaded().config, sku, source)
    for known, origin in (
        (mapped_description, "the product mapping's description"),
        (name, "from --name"),
        (mapped_name, "the product mapping's name"),
    ):
        if known and known.strip():
            return known, origin
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


def _item_json(item: CatalogItem) -> dict[str, object]:
    data = asdict(item)
    data["price"] = None if item.price is None else str(item.price)
    data["cost"] = None if item.cost is None else str(item.cost)
    return data
