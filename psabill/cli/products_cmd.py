"""``psabill products list|search|map|unmap|enable|disable|create``."""

from __future__ import annotations

from dataclasses import asdict

import click

from psabill.app.mappings import edits, inventory, known, verify
from psabill.cli.app import App, echo_json, pass_app
from psabill.cli.editing import (
    apply_edit,
    json_option,
    new_option,
    on_psa,
    print_table,
    report_problems,
    search_needle,
    source_option,
    text,
)
from psabill.cli.products_create import create
from psabill.cli.words import money, psa_words
from psabill.core.entities import CatalogItem


@click.group()
def products() -> None:
    """Vendor products (SKUs) and the PSA catalog items they bill as.

    Mappings key on the vendor's stable SKU, so a product the vendor renames
    keeps its mapping. `--source any` names an entry without a source. Edits
    go to the managed mappings file (`mappings_file`, default mappings.toml);
    psabill.toml is never rewritten.

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

    The catalog is ConnectWise's product catalog, Autotask's services (the
    identifier is the service's name) or HaloPSA's items (the item's name).

    \b
    Example:
      psabill products search sophos
    """
    needle = search_needle(search_text, "psabill products search sophos")
    items = on_psa(app, lambda client: client.search_catalog(needle, limit))
    if as_json:
        echo_json({"items": [_item_json(i) for i in items]})
        return
    if not items:
        psa = psa_words(app)
        click.echo(f"no {psa.catalog_item} in the PSA matches {needle!r}")
        return
    print_table(
        ("Identifier", "Description", "Price", "Cost", "Active"),
        [
            (i.identifier, i.description, money(i.price), money(i.cost), text(not i.inactive))
            for i in items
        ],
    )


@products.command("map")
@click.argument("sku")
@click.argument("psa_product")
@source_option
@click.option("--name", help="Display name (the vendor may rename it; the SKU is what counts).")
@new_option
@pass_app
def map_product(
    app: App, sku: str, psa_product: str, source: str | None, name: str | None, new_sku: bool
) -> None:
    """Bill vendor SKU as PSA_PRODUCT, which must exist (active) in the PSA catalog.

    SKU must appear in a usage source or a mapping: a typo is refused (exit 2)
    with the closest known SKUs; --new maps a SKU no source reports yet.
    Without --source the SKU's one entry is changed (or a new one without a
    source made); with two entries, name one (--source any or --source NAME).
    An edit that would make two lines bill one addition on the next sync is
    refused, naming them.

    \b
    Example:
      psabill products map CIXA SOPHOS-IX-ADV --source sophos
    """
    if not new_sku:
        known.require_known_sku(app.loaded(), app.env, sku)
    psa = psa_words(app)
    item = on_psa(app, lambda client: verify.catalog_item(client, psa_product, psa))
    apply_edit(app, lambda d: edits.map_product(d, sku, item.identifier, source=source, name=name))


@products.command()
@click.argument("sku")
@source_option
@pass_app
def unmap(app: App, sku: str, source: str | None) -> None:
    """Stop billing SKU: its usage is listed as unmapped and never billed.

    Takes the PSA product off the entry; an entry left with nothing else is
    removed (a hand-written one is hidden under [[removed.products]]). With an
    entry without a source and one for a source, name one: --source any or
    --source NAME.

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
    """Sync SKU again (sync = true). Changes an existing entry, never adds one.

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

    Changes an existing entry, never adds one; with several, name one
    (--source any or --source NAME).

    \b
    Example:
      psabill products disable CIXA
    """
    apply_edit(app, lambda d: edits.set_product_sync(d, sku, False, source=source))


def _item_json(item: CatalogItem) -> dict[str, object]:
    data = asdict(item)
    data["price"] = None if item.price is None else str(item.price)
    data["cost"] = None if item.cost is None else str(item.cost)
    return data


products.add_command(create)
