"""Resolve usage records through the config: which customer, which product, how many.

Pure. Input is every usage record the sources produced; output is one desired
quantity per (customer, SKU) in scope, plus everything that could *not* be
billed - unmapped customers and products, switched-off ones, lines stopped
because their source failed - so the summary can show an MSP what it is not
billing. Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, TypeVar

from psabill.config.models import Config, Customer, Product
from psabill.core.due import customer_key as customer_key  # the ledger key, used here too

Scoped = TypeVar("Scoped", Customer, Product)


class Reported(Protocol):
    """What :func:`resolve` reads of a usage record: a :class:`Usage`, or a source's own."""

    @property
    def source(self) -> str: ...
    @property
    def customer(self) -> str: ...
    @property
    def sku(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def location(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Usage:
    """One usage record as the planner sees it."""

    source: str
    customer: str
    sku: str
    quantity: Decimal
    location: str = ""


@dataclass(frozen=True, slots=True)
class Desired:
    """The quantity one customer should be billed for one vendor product."""

    customer: Customer
    customer_key: str
    product: Product
    quantity: Decimal
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Unmapped:
    source: str
    id: str
    records: int
    quantity: Decimal


@dataclass
class Resolution:
    desired: dict[tuple[str, str], Desired] = field(default_factory=dict)
    unmapped_customers: dict[tuple[str, str], Unmapped] = field(default_factory=dict)
    unmapped_products: dict[tuple[str, str], Unmapped] = field(default_factory=dict)
    not_synced: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)


def most_specific(candidates: Iterable[Scoped], source: str | None) -> Scoped | None:
    """Of the mappings of one vendor id (or SKU), the one that applies to usage from ``source``.

    A specific mapping beats a generic one: an entry scoped to ``source`` (``source = X``) wins
    over one without a source, and an entry scoped to another source never applies.
    ``source=None`` (a customer that names no source: its usage may come from any) lets every
    scoped entry apply, and a scoped one still wins. The config allows one entry per (source,
    key), so entries tie only then; the later one wins. ``None`` when none applies.
    """
    best: Scoped | None = None
    for entry in candidates:
        if entry.source is None:
            if best is None or best.source is None:
                best = entry
        elif source is None or entry.source == source:
            best = entry
    return best


def find_customer(config: Config, source: str, vendor_id: str) -> Customer | None:
    """The mapping for a vendor customer seen in ``source`` (see :func:`most_specific`)."""
    return most_specific((c for c in config.customers if c.id == vendor_id), source)


def find_product(config: Config, source: str, sku: str) -> Product | None:
    """The mapping for a vendor SKU seen in ``source`` (see :func:`most_specific`)."""
    return most_specific((p for p in config.products if p.sku == sku), source)


def products_for(config: Config, customer: Customer) -> list[Product]:
    """Mapped, synced products that may bill ``customer``, one per SKU, by SKU.

    Per SKU, :func:`most_specific` for the customer's source picks among the mapped, synced
    entries only; note that :func:`find_product` picks among all entries, so there a scoped
    entry that is switched off or unmapped shadows the generic one.
    """
    return list(MappingIndex(config).products_for(customer))


class MappingIndex:
    """:func:`find_customer`, :func:`find_product` and :func:`products_for` for many lookups.

    The entries are grouped by vendor id and SKU once, keeping their order in the config, and
    :func:`most_specific` picks within a group; each answer is remembered, so resolving N
    records over M mappings costs O(N + M) instead of O(N x M). Same answers as the functions,
    for the config it was built from.
    """

    def __init__(self, config: Config) -> None:
        self._customers = _grouped((c.id, c) for c in config.customers)
        self._products = _grouped((p.sku, p) for p in config.products)
        billable = _grouped(
            (p.sku, p) for p in config.products if p.sync and p.psa_product is not None
        )
        self._billable = sorted(billable.items())
        self._customer_found: dict[tuple[str, str], Customer | None] = {}
        self._product_found: dict[tuple[str, str], Product | None] = {}
        self._for_source: dict[str | None, tuple[Product, ...]] = {}

    def customer(self, source: str, vendor_id: str) -> Customer | None:
        """:func:`find_customer`."""
        try:
            return self._customer_found[source, vendor_id]
        except KeyError:
            found = most_specific(self._customers.get(vendor_id, ()), source)
            self._customer_found[source, vendor_id] = found
            return found

    def product(self, source: str, sku: str) -> Product | None:
        """:func:`find_product`."""
        try:
            return self._product_found[source, sku]
        except KeyError:
            found = most_specific(self._products.get(sku, ()), source)
            self._product_found[source, sku] = found
            return found

    def products_for(self, customer: Customer) -> tuple[Product, ...]:
        """:func:`products_for`; the answer depends on the customer's source only."""
        found = self._for_source.get(customer.source)
        if found is None:
            chosen = (most_specific(group, customer.source) for _, group in self._billable)
            found = self._for_source[customer.source] = tuple(p for p in chosen if p is not None)
        return found


def _grouped(pairs: Iterable[tuple[str, Scoped]]) -> dict[str, list[Scoped]]:
    groups: dict[str, list[Scoped]] = {}
    for key, entry in pairs:
        groups.setdefault(key, []).append(entry)
    return groups


def resolve(config: Config, usage: Iterable[Reported], scope: Collection[str]) -> Resolution:
    """Desired quantities for the customers whose keys are in ``scope``."""
    index = MappingIndex(config)
    keys = scope if isinstance(scope, set | frozenset) else frozenset(scope)
    out = Resolution()
    for record in usage:
        product = index.product(record.source, record.sku)
        customer = index.customer(record.source, record.customer)
        if product is None or product.psa_product is None:
            _count(out.unmapped_products, record, record.sku)
        if customer is None:
            _count(out.unmapped_customers, record, record.customer)
        if product is None or product.psa_product is None or customer is None:
            continue
        if customer_key(customer) not in keys:
            continue
        if not product.sync or not customer.sync:
            what = f"product {product.sku}" if not product.sync else f"customer {customer.id}"
            out.not_synced.append(f"{what} has sync = false ({record.location or record.source})")
            continue
        _add(out, customer, product, record)
    out.not_synced = sorted(set(out.not_synced))
    return out


def _add(out: Resolution, customer: Customer, product: Product, record: Reported) -> None:
    key = (customer_key(customer), product.sku)
    seen = out.desired.get(key)
    if seen is None:
        out.desired[key] = Desired(customer, key[0], product, record.quantity, (record.source,))
        return
    if record.source in seen.sources:
        # Sources already merge or refuse their own duplicates; this cannot happen twice.
        raise ValueError(f"duplicate usage for {key} from source {record.source}")
    # Two sources report the same SKU for one customer: refuse to guess which is right.
    out.conflicts.append(
        (
            key[0],
            product.sku,
            f"sources {', '.join((*seen.sources, record.source))} all report this SKU; "
            "scope the product to one source with `source = ...`",
        )
    )


def _count(table: dict[tuple[str, str], Unmapped], record: Reported, ident: str) -> None:
    key = (record.source, ident)
    old = table.get(key)
    records = (old.records if old else 0) + 1
    quantity = (old.quantity if old else Decimal(0)) + record.quantity
    table[key] = Unmapped(record.source, ident, records, quantity)
