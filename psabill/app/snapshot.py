"""Read the PSA state the planner needs, for exactly the customers being synced.

Companies by identifier, their agreements (with their dates: the planner decides
which are active on the billing date), the additions of the agreements a line can bill,
and the catalog items the product mappings name, with the description, price and cost a
new addition is posted with. Requests run concurrently within the client's limits.

Additions are read only where a plan line can look: an agreement that is not cancelled and,
given the billing date, active on it and of an agreement type some contract of its company's
customers names (any type when one of them names none). Those are the only agreements
:func:`~psabill.core.contracts.choose_agreement` can pick; every other agreement is still
read, so a line that finds only an expired or not-yet-started one is still an ``error``
naming it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from datetime import date
from typing import Protocol

from psabill.config.models import Config, Customer
from psabill.core.entities import Addition, Agreement, Company
from psabill.core.plan import Snapshot, default_identifier
from psabill.psa.base import PsaClient
from psabill.psa.tasks import gather_all, gather_pair

AnyType = None
"""A company some customer of which names no contract: an agreement of any type may bill."""


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


def contract_types(config: Config, customer: Customer) -> frozenset[str] | None:
    """The agreement types (casefolded) a line of ``customer`` may bill on, or None for any.

    A superset of what :func:`~psabill.core.contracts.contract_for` can answer for any SKU:
    each product assignment's type, and the default (the customer's contract, else
    ``[sync] agreement_type``, else none: any type)."""
    default = customer.contract.agreement_type if customer.contract else config.sync.agreement_type
    if default is None:
        return None
    return frozenset(
        t.casefold() for t in (default, *(c.agreement_type for c in customer.contracts))
    )


def billable_types(
    config: Config, customers: Sequence[Customer]
) -> dict[str, frozenset[str] | None]:
    """:func:`contract_types` per PSA company identifier (casefolded), over its customers."""
    found: dict[str, frozenset[str] | None] = {}
    for customer in customers:
        company = customer.psa_company.casefold()
        types = contract_types(config, customer)
        if company in found:
            seen = found[company]
            types = None if seen is None or types is None else seen | types
        found[company] = types
    return found


def may_bill(
    agreement: Agreement, on: date | None, types: Mapping[int, frozenset[str] | None]
) -> bool:
    """Whether a plan line can bill ``agreement`` on billing date ``on`` (so its additions are
    worth reading); ``types`` is :func:`billable_types` by company id."""
    if not agreement.billable:
        return False
    if on is None:
        return True
    if agreement.status_on(on) != "Active":
        return False
    wanted = types.get(agreement.company_id, AnyType)
    return wanted is None or agreement.type_name.casefold() in wanted


class ReadProgress(Protocol):
    """Told about the reads that take time: one step per agreement whose additions are read."""

    def reading(self, agreements: int) -> None: ...

    def read_done(self) -> None: ...

    def reads_finished(self) -> None: ...


async def read_snapshot(
    client: PsaClient,
    config: Config,
    customers: Sequence[Customer],
    *,
    on: date | None = None,
    dated: date | None = None,
    progress: ReadProgress | None = None,
) -> Snapshot:
    """The PSA state for ``customers``; ``on`` is the billing date (None: read the additions
    of every agreement that is not cancelled, as a saved plan's check wants). ``dated`` is
    the day dated quantities (Autotask's units) are read for; default ``on``."""
    day = dated or on
    identifiers = sorted({c.psa_company for c in customers})
    companies_task = client.companies(identifiers) if identifiers else _nothing()
    catalog_task = client.catalog_items(catalog_identifiers(config))
    companies, catalog = await gather_pair(companies_task, catalog_task)
    live = [c for c in companies if not c.deleted]
    agreements = await client.agreements([c.id for c in live]) if live else []
    by_identifier = billable_types(config, customers)
    types = {c.id: by_identifier.get(c.identifier.casefold(), AnyType) for c in live}
    billable = [a for a in agreements if may_bill(a, on, types)]
    if progress is None:
        additions = await gather_all(client.additions(a.id, on=day) for a in billable)
    else:
        progress.reading(len(billable))
        try:
            additions = await gather_all(
                _told(client.additions(a.id, on=day), progress) for a in billable
            )
        finally:
            progress.reads_finished()
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


async def _told(read: Awaitable[list[Addition]], progress: ReadProgress) -> list[Addition]:
    found = await read
    progress.read_done()
    return found
