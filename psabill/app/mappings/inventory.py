"""What ``products list`` and ``customers list`` show: config, sources, ledger and PSA side by side.

Every vendor product (customer) seen in the usage sources or named in the
config gets a row. A failing source, or an unreachable PSA, never hides the
rest: the rows are still listed and the failure is reported beside them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Generic, TypeVar

from psabill.app.mappings.store import read_draft
from psabill.app.mappings.verify import with_client
from psabill.app.planning import collector_held
from psabill.config.loader import LoadedConfig
from psabill.config.models import Config, Customer, Product
from psabill.core.mapping import MappingIndex, customer_key, most_specific
from psabill.errors import PsabillError
from psabill.psa.base import PsaClient
from psabill.sources import SourceResult, read_all
from psabill.sources.vendors.records import names_seen
from psabill.state import Ledger, ledger_path

log = logging.getLogger(__name__)

Row = TypeVar("Row")


@dataclass(frozen=True)
class ProductRow:
    sku: str
    source: str | None
    name: str | None
    psa_product: str | None
    sync: bool
    synced_total: Decimal | None
    seen_in: tuple[str, ...]
    status: str
    file: str


@dataclass(frozen=True)
class CustomerRow:
    key: str
    id: str
    source: str | None
    name: str | None
    psa_company: str | None
    settings: str
    sync: bool
    seen_in: tuple[str, ...]
    status: str
    file: str


@dataclass
class Listing(Generic[Row]):
    rows: list[Row] = field(default_factory=list)
    source_errors: list[str] = field(default_factory=list)
    psa_error: str | None = None


def products(
    loaded: LoadedConfig, env: Mapping[str, str], state_dir: Path, *, check_psa: bool
) -> Listing[ProductRow]:
    config = loaded.config
    sources, errors = read_sources(loaded, env)
    origins = _origins(loaded, "products")
    totals = _synced_totals(state_dir)
    out: Listing[ProductRow] = Listing(source_errors=errors)
    catalog: dict[str, bool] | None = None
    identifiers = sorted({p.psa_product for p in config.products if p.psa_product})
    if check_psa and identifiers:
        catalog, out.psa_error = _catalog(loaded, identifiers)
    seen = _Seen.of(config, sources)
    for product in config.products:
        out.rows.append(
            ProductRow(
                product.sku,
                product.source,
                product.name,
                product.psa_product,
                product.sync,
                totals.get(product.sku),
                seen.product_in(product),
                _product_status(product.psa_product, catalog),
                origins.get((product.sku, product.source), "psabill.toml"),
            )
        )
    out.rows.extend(_unmapped_products(seen, totals))
    return out


@dataclass(frozen=True)
class _Seen:
    """The (vendor id or SKU, source) pairs the sources report, and the config's mappings
    indexed, so each row is found without scanning every usage record again."""

    mappings: MappingIndex
    sources: tuple[str, ...]
    customers: frozenset[tuple[str, str]]
    skus: frozenset[tuple[str, str]]
    names: dict[tuple[str, str], str]
    """(source, vendor id) -> the name the vendor API gives it (Sophos tenants)."""

    @classmethod
    def of(cls, config: Config, sources: list[SourceResult]) -> _Seen:
        return cls(
            MappingIndex(config),
            tuple(r.source for r in sources),
            frozenset((u.customer, r.source) for r in sources for u in r.records),
            frozenset((u.sku, r.source) for r in sources for u in r.records),
            names_seen(u for r in sources for u in r.records),
        )

    def product_in(self, product: Product) -> tuple[str, ...]:
        """The sources that report ``product``'s SKU and whose usage this very entry maps."""
        return tuple(
            source
            for source in self.sources
            if (product.sku, source) in self.skus
            and self.mappings.product(source, product.sku) == product
        )

    def customer_in(self, customer: Customer) -> tuple[str, ...]:
        """The sources whose usage of ``customer``'s vendor id this very entry maps."""
        return tuple(
            source
            for source in self.sources
            if self.mappings.customer(source, customer.id) == customer
            and (customer.id, source) in self.customers
        )


def _unmapped_products(seen: _Seen, totals: dict[str, Decimal]) -> list[ProductRow]:
    """A row for each (SKU, source) the sources report that no product entry maps."""
    return [
        ProductRow(sku, source, None, None, True, totals.get(sku), (source,), "unmapped", "-")
        for sku, source in sorted(seen.skus)
        if seen.mappings.product(source, sku) is None
    ]


def _product_status(psa_product: str | None, catalog: dict[str, bool] | None) -> str:
    if psa_product is None:
        return "unmapped"
    if catalog is None:
        return "mapped (PSA not checked)"
    return "ok" if catalog.get(psa_product.casefold()) else "PSA product missing"


def product_words(config: Config, sku: str, source: str | None) -> tuple[str | None, str | None]:
    """``(description, name)`` psabill knows for vendor product ``sku``: its mapping's.

    The mapping scoped to ``source`` wins over a generic one (any scoped one applies when
    ``source`` is None). Usage sources report SKUs and counts only, so the mapping is where a
    vendor's product name lives; the SKU itself is no description a customer can read.
    """
    product = most_specific((p for p in config.products if p.sku == sku), source)
    return (product.description, product.name) if product else (None, None)


def customers(
    loaded: LoadedConfig, env: Mapping[str, str], *, check_psa: bool
) -> Listing[CustomerRow]:
    config = loaded.config
    sources, errors = read_sources(loaded, env)
    origins = _origins(loaded, "customers")
    out: Listing[CustomerRow] = Listing(source_errors=errors)
    companies: dict[str, bool] | None = None
    identifiers = sorted({c.psa_company for c in config.customers})
    if check_psa and identifiers:
        companies, out.psa_error = _companies(loaded, identifiers)
    seen = _Seen.of(config, sources)
    for customer in config.customers:
        out.rows.append(
            CustomerRow(
                customer_key(customer),
                customer.id,
                customer.source,
                customer.name,
                customer.psa_company,
                customer.settings,
                customer.sync,
                seen.customer_in(customer),
                _company_status(customer.psa_company, companies),
                origins.get((customer.id, customer.source), "psabill.toml"),
            )
        )
    out.rows.extend(_unmapped_customers(seen))
    return out


def _unmapped_customers(seen: _Seen) -> list[CustomerRow]:
    """A row for each (vendor id, source) the sources report that no customer entry maps."""
    return [
        CustomerRow(
            f"{source}:{ident}",
            ident,
            source,
            seen.names.get((source, ident)),
            None,
            "-",
            True,
            (source,),
            "unmapped",
            "-",
        )
        for ident, source in sorted(seen.customers)
        if seen.mappings.customer(source, ident) is None
    ]


def _company_status(psa_company: str, companies: dict[str, bool] | None) -> str:
    if companies is None:
        return "mapped (PSA not checked)"
    return "ok" if companies.get(psa_company.casefold()) else "PSA company missing"


def read_sources(
    loaded: LoadedConfig, env: Mapping[str, str]
) -> tuple[list[SourceResult], list[str]]:
    """The sources that could be read, and ``"name: problem"`` for each one that could not.
    Reads the usage only: never the PSA."""
    config = loaded.config
    with collector_held():  # 100,000 records: see collector_held
        results = read_all(
            config.sources,
            base_dir=loaded.base_dir,
            env=env,
            decimal_skus=frozenset(p.sku for p in config.products if p.decimal_quantities),
        )
    for text in (text for r in results for text in r.warnings):
        log.warning("%s", text)  # a listing says what a source warns about, as it always did
    errors = [f"{r.source}: {r.error}" for r in results if r.error is not None]
    return [r for r in results if r.error is None], errors


def _origins(loaded: LoadedConfig, section: str) -> dict[tuple[str, str | None], str]:
    """Which file each entry's effective version comes from, by key."""
    draft = read_draft(loaded.path)
    ident = "sku" if section == "products" else "id"
    names = {"config": loaded.path.name, "managed": loaded.mappings_path.name}
    return {
        (str(entry.get(ident)), entry.get("source")): names[which]
        for which, entry in draft.entries(section)
    }


def _synced_totals(state_dir: Path) -> dict[str, Decimal]:
    path = ledger_path(state_dir)
    if not path.exists():
        return {}  # no ledger yet: never create one just to read it
    with Ledger.open(path) as ledger:
        return ledger.last_synced_totals()


def _catalog(
    loaded: LoadedConfig, identifiers: list[str]
) -> tuple[dict[str, bool] | None, str | None]:
    async def job(client: PsaClient) -> dict[str, bool]:
        items = await client.catalog_items(identifiers)
        return {i.identifier.casefold(): not i.inactive for i in items}

    try:
        return with_client(loaded.config, job), None
    except PsabillError as exc:
        return None, exc.message


def _companies(
    loaded: LoadedConfig, identifiers: list[str]
) -> tuple[dict[str, bool] | None, str | None]:
    async def job(client: PsaClient) -> dict[str, bool]:
        found = await client.companies(identifiers)
        live: dict[str, bool] = {}
        for company in found:
            key = company.identifier.casefold()
            live[key] = live.get(key, False) or not company.deleted
        return live

    try:
        return with_client(loaded.config, job), None
    except PsabillError as exc:
        return None, exc.message
