"""``psabill customers list|search|map|unmap|verify|settings``."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click

from psabill.app.mappings import companies, edits, inventory, known, verify
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
from psabill.cli.words import psa_words
from psabill.core.entities import Company
from psabill.errors import ExitCode
from psabill.psa.base import PsaClient


@click.group()
def customers() -> None:
    """Vendor customers and the PSA companies they bill to.

    Find a company with `customers search`; `--source any` names an entry
    without a source. Edits go to the managed mappings file (`mappings_file`,
    default mappings.toml); psabill.toml is never rewritten.

    \b
    Example:
      psabill customers search mueller
      psabill customers map 51234 MuellerSoehne --source trendmicro
    """


@customers.command("list")
@click.option("--offline", is_flag=True, help="Skip the live check of the PSA companies.")
@json_option
@pass_app
def list_customers(app: App, offline: bool, as_json: bool) -> None:
    """Every vendor customer in the sources or the config, with its PSA company.

    Columns: customer (source:id), name, PSA company, settings (global or
    custom), sync, status (ok, unmapped, PSA company missing - checked live
    unless --offline) and the file the mapping comes from.

    \b
    Example:
      psabill customers list
    """
    listing = inventory.customers(app.loaded(), app.env, check_psa=not offline)
    if as_json:
        echo_json(
            {
                "customers": [asdict(row) for row in listing.rows],
                "source_errors": listing.source_errors,
                "psa_error": listing.psa_error,
            }
        )
        return
    print_table(
        ("Customer", "Name", "PSA company", "Settings", "Sync", "Status", "From"),
        [
            (r.key, text(r.name), text(r.psa_company), r.settings, text(r.sync), r.status, r.file)
            for r in listing.rows
        ],
    )
    report_problems(listing.source_errors, listing.psa_error)


@customers.command()
@click.argument("search_text", metavar="TEXT")
@click.option("--limit", default=25, show_default=True, type=click.IntRange(1, 200))
@json_option
@pass_app
def search(app: App, search_text: str, limit: int, as_json: bool) -> None:
    """Search the PSA companies, live, by identifier, name or id (at least 2 characters).

    Deleted companies (in the recycle bin) are listed too, marked; they
    cannot be mapped. On Autotask and HaloPSA (clients) the identifier is the
    company's id, and inactive ones are marked.

    \b
    Example:
      psabill customers search mueller
    """
    needle = search_needle(search_text, "psabill customers search acme")
    found = on_psa(app, lambda client: client.search_companies(needle, limit))
    if as_json:
        echo_json({"companies": [asdict(c) for c in found]})
        return
    psa = psa_words(app)
    if not found:
        click.echo(f"no PSA {psa.company} matches {needle!r}")
        return
    if psa.companies_by_id:  # the identifier is the id: one column, and inactive, not deleted
        rows = [(c.identifier, c.name, "yes" if c.deleted else "no") for c in found]
        print_table(("Identifier (id)", "Name", "Inactive"), rows)
        return
    print_table(("Identifier", "Name", "Id", "Deleted"), [_company_row(c) for c in found])


def _company_row(company: Company) -> tuple[str, str, str, str]:
    return company.identifier, company.name, str(company.id), "yes" if company.deleted else "no"


@customers.command("map")
@click.argument("vendor_id")
@click.argument("psa_company")
@source_option
@click.option("--name", help="Display name for summaries.")
@new_option
@pass_app
def map_customer(
    app: App, vendor_id: str, psa_company: str, source: str | None, name: str | None, new_sku: bool
) -> None:
    """Bill vendor customer VENDOR_ID to PSA_COMPANY, verified live in the PSA.

    PSA_COMPANY is the company's identifier (its Company ID), its record id
    or its exact name; on Autotask and HaloPSA its id or exact name, and the
    id is what is written. When none matches, the closest companies are
    listed (exit 2). VENDOR_ID must appear in a usage source or a mapping: a typo is
    refused with the closest known ids; --new maps one no source reports yet.
    With an entry without a source and one for a source, name one (--source
    any or --source NAME). An edit that would make two lines bill one
    addition on the next sync is refused, naming them.

    \b
    Example:
      psabill customers map 7d1f3c2e-acme AcmeDental --source sophos --name "Acme Dental"
    """
    if not new_sku:
        known.require_known_customer(app.loaded(), app.env, vendor_id)
    psa = psa_words(app)
    company = on_psa(app, lambda client: companies.find_company(client, psa_company, psa))
    apply_edit(
        app,
        lambda d: edits.map_customer(d, vendor_id, company.identifier, source=source, name=name),
    )


@customers.command()
@click.argument("vendor_id")
@source_option
@pass_app
def unmap(app: App, vendor_id: str, source: str | None) -> None:
    """Remove a customer mapping: its usage is then listed as unmapped, never billed.

    A hand-written entry is hidden under [[removed.customers]]. Removing the
    entry for one source while an entry without a source exists sends that
    source's usage to the latter (and says so). With both, name one:
    --source any or --source NAME.

    \b
    Example:
      psabill customers unmap 7d1f3c2e-acme
    """
    apply_edit(app, lambda d: edits.unmap_customer(d, vendor_id, source=source))


@customers.command("verify")
@json_option
@pass_app
def verify_customers(app: App, as_json: bool) -> None:
    """Check every customer mapping against the PSA and report the broken ones.

    Checks that each PSA company exists and is not deleted, and that each
    mapped product finds exactly one active agreement (agreement type first,
    then name). Exit 0 when all work, 1 when any is broken.

    \b
    Example:
      psabill customers verify
    """
    cfg = app.loaded().config

    async def job(client: PsaClient) -> list[verify.CustomerCheck]:
        return await verify.verify_customers(client, cfg)

    checks = on_psa(app, job)
    broken = [c for c in checks if c.problems]
    if as_json:
        echo_json({"ok": not broken, "customers": [asdict(c) for c in checks]})
    else:
        for check in checks:
            mark = "FAIL" if check.problems else "ok  "
            click.echo(f"  {mark} {check.key} -> {check.psa_company}")
            for problem in check.problems:
                click.echo(f"       {problem}")
        click.echo(
            f"{len(broken)} of {len(checks)} customer mappings are broken"
            if broken
            else f"all {len(checks)} customer mappings work"
        )
    sys.exit(int(ExitCode.FAILURE if broken else ExitCode.OK))


@customers.command()
@click.argument("customer")
@click.argument("mode", type=click.Choice(["global", "custom"]))
@click.option(
    "--schedule",
    metavar="SPEC",
    help='Custom: its own schedule, e.g. "monthly day=31 hour=7", "weekly weekday=monday", '
    '"daily hour=6" or "cron 0 6 * * 1-5".',
)
@click.option("--emails", metavar="LIST", help='Custom: who gets its summary, "a@x.com, b@x.com".')
@source_option
@pass_app
def settings(
    app: App,
    customer: str,
    mode: str,
    schedule: str | None,
    emails: str | None,
    source: str | None,
) -> None:
    """Give CUSTOMER the global settings, or custom ones (--schedule, --emails).

    Switching to global drops the customer's own schedule, emails and
    contracts, and says so.

    \b
    Example:
      psabill customers settings 51234 custom --schedule "monthly day=31 hour=7"
    """
    table = edits.parse_schedule(schedule) if schedule is not None else None
    addresses = None if emails is None else [e.strip() for e in emails.split(",") if e.strip()]
    apply_edit(
        app,
        lambda d: edits.customer_settings(
            d, customer, mode, source=source, schedule=table, emails=addresses
        ),
    )
