"""Cross-field checks the per-model validators cannot see.

Each check returns ``(path, message)`` pairs so the loader can attach line
numbers. Nothing here raises: every problem is reported at once.
"""

from __future__ import annotations

from collections.abc import Iterator

from psabill.config.locate import PathKey
from psabill.config.models import Config

Problem = tuple[PathKey, str]


def cross_check(config: Config) -> list[Problem]:
    return [
        *_unique_sources(config),
        *_known_sources(config),
        *_unique_products(config),
        *_unique_customers(config),
        *_contract_products(config),
        *_unique_admins(config),
        *_notify_folder(config),
    ]


def _notify_folder(config: Config) -> Iterator[Problem]:
    if config.notify.transport == "folder" and config.notify.folder is None:
        yield ("notify", "transport"), 'transport = "folder" needs `folder`, e.g. folder = "mail"'


def _unique_sources(config: Config) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, source in enumerate(config.sources):
        if source.name in seen:
            yield ("sources", index, "name"), f"another source is already named {source.name!r}"
        seen.add(source.name)


def _known_sources(config: Config) -> Iterator[Problem]:
    names = {source.name for source in config.sources}
    refs = [("products", i, p.source) for i, p in enumerate(config.products)]
    refs += [("customers", i, c.source) for i, c in enumerate(config.customers)]
    for section, index, source in refs:
        if source is not None and source not in names:
            yield (section, index, "source"), f"no [[sources]] entry is named {source!r}"


def _unique_products(config: Config) -> Iterator[Problem]:
    seen: set[tuple[str | None, str]] = set()
    for index, product in enumerate(config.products):
        key = (product.source, product.sku)
        if key in seen:
            yield ("products", index, "sku"), f"SKU {product.sku!r} is mapped twice"
        seen.add(key)


def _unique_customers(config: Config) -> Iterator[Problem]:
    seen: set[tuple[str | None, str]] = set()
    for index, customer in enumerate(config.customers):
        key = (customer.source, customer.id)
        if key in seen:
            yield ("customers", index, "id"), f"customer {customer.id!r} is mapped twice"
        seen.add(key)


def _contract_products(config: Config) -> Iterator[Problem]:
    skus = {product.sku for product in config.products}
    for index, customer in enumerate(config.customers):
        assigned: set[str] = set()
        for item, contract in enumerate(customer.contracts):
            path: PathKey = ("customers", index, "contracts", item, "product")
            if contract.product not in skus:
                yield path, f"no [[products]] entry has sku {contract.product!r}"
            if contract.product in assigned:
                yield path, f"product {contract.product!r} is assigned twice"
            assigned.add(contract.product)


def _unique_admins(config: Config) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, admin in enumerate(config.billing_admins):
        if admin.email.lower() in seen:
            yield ("billing_admins", index, "email"), f"{admin.email} is listed twice"
        seen.add(admin.email.lower())
