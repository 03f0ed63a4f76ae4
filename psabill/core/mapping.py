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

from psabill.config.models import Config, Customer, Product


@dataclass(frozen=True)
class Usage:
    """One usage record as the planner sees it."""

    source: str
    customer: str
    sku: str
    quantity: Decimal
    location: str = ""


@dataclass(frozen=True)
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


def customer_key(customer: Customer) -> str:
    """Ledger key of a customer: its vendor id, qualified by source when one is set."""
    return f"{customer.source}:{customer.id}" if customer.source else customer.id


def find_customer(config: Config, source: str, vendor_id: str) -> Customer | None:
    """The mapping for a vendor customer; a source-specific entry wins over a generic one."""
    generic = None
    for customer in config.customers:
        if customer.id == vendor_id:
            if customer.source == source:
                return customer
            if customer.source is None:
                generic = customer
    return generic


def find_product(config: Config, source: str, sku: str) -> Product | None:
    """The mapping for a vendor SKU; a source-specific entry wins over a generic one."""
    generic = None
    for product in config.products:
        if product.sku == sku:
            if product.source == source:
                return product
            if product.source is None:
                generic = product
    return generic


def resolve(config: Config, usage: Iterable[Usage], scope: Collection[str]) -> Resolution:
    """Desired quantities for the customers whose keys are in ``scope``."""
    out = Resolution()
    for record in usage:
        product = find_product(config, record.source, record.sku)
        customer = find_customer(config, record.source, record.customer)
        if product is None or product.psa_product is None:
            _count(out.unmapped_products, record, record.sku)
        if customer is None:
            _count(out.unmapped_customers, record, record.customer)
        if product is None or product.psa_product is None or customer is None:
            continue
        if customer_key(customer) not in scope:
            continue
        if not product.sync or not customer.sync:
            what = f"product {product.sku}" if not product.sync else f"customer {customer.id}"
            out.not_synced.append(f"{what} has sync = false ({record.location or record.source})")
            continue
        _add(out, customer, product, record)
    out.not_synced = sorted(set(out.not_synced))
    return out


def _add(out: Resolution, customer: Customer, product: Product, record: Usage) -> None:
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


def _count(table: dict[tuple[str, str], Unmapped], record: Usage, ident: str) -> None:
    key = (record.source, ident)
    old = table.get(key)
    records = (old.records if old else 0) + 1
    quantity = (old.quantity if old else Decimal(0)) + record.quantity
    table[key] = Unmapped(record.source, ident, records, quantity)
