"""Read the PSA state the planner needs, for exactly the customers being synced.

Companies by identifier, their agreements (with their dates: the planner decides
which are active on the billing date), the additions of agreements that are not
cancelled (cancelled ones are never touched, so never read), and the catalog
items the product mappings name, with the description, price and cost a new
addition is posted with. Requests run concurrently within the client's limits.
"""

from __future__ import annotations

from collections.abc import Sequence

from psabill.config.models import Config, Customer
from psabill.core.entities import Agreement, Company
from psabill.core.plan import Snapshot, default_identifier
from psabill.psa.base import PsaClient
from psabill.psa.tasks import gather_all, gather_pair


def catalog_identifiers(config: Config) -> list[str]:
    """Every catalog identifier a synced product may bill as, including repair fallbacks."""
    wanted: set[str] = set()
    for product in config.products:
        if not product.sync or product.psa_product is None:
            continue
        wanted.add(product.psa_product)
        if product.on_psa_product_missing == "create_default":
            wanted.add(default_identifier(product.sku))
    return sorted(wanted)


async def read_snapshot(
    client: PsaClient, config: Config, customers: Sequence[Customer]
) -> Snapshot:
    identifiers = sorted({c.psa_company for c in customers})
    companies_task = client.companies(identifiers) if identifiers else _nothing()
    catalog_task = client.catalog_items(catalog_identifiers(config))
    companies, catalog = await gather_pair(companies_task, catalog_task)
    live = [c for c in companies if not c.deleted]
    agreements = await client.agreements([c.id for c in live]) if live else []
    billable = [a for a in agreements if a.billable]
    additions = await gather_all(client.additions(a.id) for a in billable)
    by_company: dict[int, list[Agreement]] = {}
    for agreement in agreements:
        by_company.setdefault(agreement.company_id, []).append(agreement)
    # A deleted duplicate must not shadow the live company with the same identifier.
    ordered = sorted(companies, key=lambda c: not c.deleted)
    return Snapshot(
        companies={c.identifier.casefold(): c for c in ordered},
        agreements={cid: tuple(items) for cid, items in by_company.items()},
        additions={a.id: tuple(adds) for a, adds in zip(billable, additions, strict=True)},
        catalog={item.identifier.casefold(): item for item in catalog},
    )


async def _nothing() -> list[Company]:
    return []
