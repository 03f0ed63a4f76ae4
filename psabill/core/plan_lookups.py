"""What a plan line is decided on, each found once per plan: catalog item, agreement, additions.

Pure. :func:`psabill.core.decide.product_line` runs for every product of every customer in
scope; the answers it needs repeat across them (one catalog item per product, one agreement
choice per company and contract, one agreement's live additions), so :class:`Lookups`
computes each once and remembers it. Planning N customers x P products stays linear.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from psabill.config.models import Contract, Product
from psabill.core.contracts import Choice, choose_agreement
from psabill.core.entities import Addition, CatalogItem
from psabill.core.plan import CatalogRepair, Snapshot, default_identifier


@dataclass(frozen=True)
class Billed:
    """The catalog item a product bills as: one in the snapshot, or one a repair will create
    (``id`` None). ``unpriced`` is why a new line on it could not be priced, should it need one."""

    identifier: str
    id: int | None
    description: str
    price: Decimal | None
    cost: Decimal | None
    unpriced: str


class Found(NamedTuple):
    """The live additions of one agreement that concern one line (a tuple: one per line)."""

    drifted: Addition | None
    """The addition psabill synced for this SKU before, now billing another PSA product."""
    mine: tuple[Addition, ...]
    """The live additions billing the line's PSA product."""


@dataclass(frozen=True, slots=True)
class LiveAdditions:
    """An agreement's additions not cancelled on the billing date, by PSA product too."""

    additions: tuple[Addition, ...]
    by_product: Mapping[str, tuple[Addition, ...]]
    """Keyed by casefolded product identifier; each in the agreement's order."""

    @classmethod
    def of(cls, additions: tuple[Addition, ...], today: date) -> LiveAdditions:
        live = tuple(a for a in additions if not a.is_cancelled(today))
        groups: dict[str, list[Addition]] = {}
        for addition in live:
            groups.setdefault(addition.product_identifier.casefold(), []).append(addition)
        return cls(live, {ident: tuple(group) for ident, group in groups.items()})

    def match(self, known: int | None, identifier: str) -> Found:
        """The additions concerning a line billing ``identifier`` whose SKU psabill last
        synced as addition ``known``."""
        ident = identifier.casefold()
        drifted = None
        if known is not None:
            drifted = next(
                (
                    a
                    for a in self.additions
                    if a.id == known and a.product_identifier.casefold() != ident
                ),
                None,
            )
        return Found(drifted, self.by_product.get(ident, ()))


class Lookups:
    """Per-plan memory of :func:`catalog_item`, :func:`choose_agreement` and live additions.

    ``repairs`` collects, by SKU, the catalog repairs of the products looked up so far.
    """

    def __init__(self, snapshot: Snapshot, today: date, products: Iterable[Product]) -> None:
        self.repairs: dict[str, CatalogRepair] = {}
        self._snapshot = snapshot
        self._today = today
        self._items: dict[int, tuple[Product, Billed, str | None, CatalogRepair | None]] = {}
        self._choices: dict[tuple[int, int], tuple[Contract | None, Choice]] = {}
        self._live: dict[int, LiveAdditions] = {}
        self._skus_billed: dict[int, tuple[str, ...]] = {}
        self._skus_by_name: dict[str, set[str]] = {}
        self._repairable: set[str] = set()
        for product in products:
            for name in (product.psa_product or "", default_identifier(product.sku)):
                self._skus_by_name.setdefault(name.casefold(), set()).add(product.sku)
            if catalog_item(snapshot.catalog, product)[2] is not None:
                self._repairable.add(product.sku)

    def catalog_item(self, product: Product) -> tuple[Billed, str | None]:
        """:func:`catalog_item`, recording its repair in ``repairs`` on every call (so the
        last product looked up for a SKU is the one repaired, as without the memory)."""
        found = self._items.get(id(product))
        if found is None:  # the entry holds ``product``, so its id is never reused meanwhile
            found = (product, *catalog_item(self._snapshot.catalog, product))
            self._items[id(product)] = found
        _, billed, problem, repair = found
        if repair is not None:
            self.repairs[product.sku] = repair
        return billed, problem

    def agreement(self, company_id: int, contract: Contract | None) -> Choice:
        """:func:`choose_agreement` among the company's agreements on the billing date."""
        key = (company_id, id(contract))
        found = self._choices.get(key)
        if found is None:
            agreements = self._snapshot.agreements.get(company_id, ())
            found = (contract, choose_agreement(contract, agreements, on=self._today))
            self._choices[key] = found
        return found[1]

    def skipped(self, product: Product) -> None:
        """Record the repair of a product whose line is not looked at (it has nothing to say),
        as :meth:`catalog_item` would have."""
        if product.sku in self._repairable:
            self.catalog_item(product)

    def skus_billed(self, company_id: int) -> tuple[str, ...]:
        """The SKUs whose PSA product (or repair fallback) an addition on one of the company's
        agreements bills: the only ones whose lines can find an addition there at all. (A
        tuple: a handful each, for every company; a set would weigh five times as much.)"""
        found = self._skus_billed.get(company_id)
        if found is None:
            skus = {
                sku: None
                for agreement in self._snapshot.agreements.get(company_id, ())
                for addition in self._snapshot.additions.get(agreement.id, ())
                for sku in self._skus_by_name.get(addition.product_identifier.casefold(), ())
            }
            found = self._skus_billed[company_id] = tuple(skus)
        return found

    def live(self, agreement_id: int) -> LiveAdditions:
        found = self._live.get(agreement_id)
        if found is None:
            additions = self._snapshot.additions.get(agreement_id, ())
            found = self._live[agreement_id] = LiveAdditions.of(additions, self._today)
        return found


def catalog_item(
    catalog: Mapping[str, CatalogItem], product: Product
) -> tuple[Billed, str | None, CatalogRepair | None]:
    """The catalog item to bill as, why the product is paused (if so), and the repair of a
    broken mapping, when configured to repair and the repair is recorded.

    A repair item is only created when it can be priced: without ``unit_price`` ConnectWise
    would file it at 0, and so every new line on it.
    """
    identifier = product.psa_product or ""
    item = catalog.get(identifier.casefold())
    if item is None or item.inactive:
        state = "is inactive" if item else "is not in the PSA catalog"
        if product.on_psa_product_missing == "pause":
            return _billed(None, identifier), f"PSA product {identifier!r} {state} (paused)", None
        billed, repair = _repaired(catalog, product, f"PSA product {identifier!r} {state}")
        return billed, None, repair
    return _billed(item, identifier), None, None


def _repaired(
    catalog: Mapping[str, CatalogItem], product: Product, missing: str
) -> tuple[Billed, CatalogRepair | None]:
    fallback = default_identifier(product.sku)
    existing = catalog.get(fallback.casefold())
    repair = CatalogRepair(
        sku=product.sku,
        missing=product.psa_product or "",
        identifier=fallback,
        description=(product.description or product.name or product.sku)[:60],
        exists=existing is not None,
        price=product.unit_price,
        cost=product.unit_cost,
        source=product.source,
    )
    recorded = repair if existing is not None or repair.price is not None else None
    if existing is not None:
        return _billed(existing, fallback), recorded
    unpriced = (
        f"no unit price: {missing}, and the catalog item psabill would create instead "
        f"({fallback!r}) has none, so it would bill at 0; set unit_price"
    )
    billed = Billed(fallback, None, repair.description, repair.price, repair.cost, unpriced)
    return billed, recorded


def _billed(item: CatalogItem | None, identifier: str) -> Billed:
    """``item`` billed under ``identifier``, the name the mapping gives it."""
    unpriced = (
        f"no unit price: neither the product mapping nor catalog item {identifier!r} has one, "
        "so it would bill at 0; set unit_price"
    )
    if item is None:
        return Billed(identifier, None, "", None, None, unpriced)
    return Billed(identifier, item.id, item.description, item.price, item.cost, unpriced)
