"""The PSA half of ``psabill doctor``: access, then every mapping against the PSA.

Customer mappings are checked as ``psabill customers verify`` checks them (the company
exists, and each product finds the one agreement it bills on); product mappings by their
catalog item. Read-only: the access probes change nothing, and these are plain reads.
"""

from __future__ import annotations

from psabill.app.mappings.verify import verify_customers
from psabill.config.models import Config, Product
from psabill.core.entities import CatalogItem
from psabill.core.mapping import customer_key
from psabill.core.plan import default_identifier
from psabill.errors import PsaError
from psabill.psa.base import AccessCheck, AccessReport, PsaClient
from psabill.psa.words import PsaWords, words

Checks = tuple[AccessCheck, ...]


async def psa_sections(client: PsaClient, config: Config) -> tuple[AccessReport, Checks]:
    """The access report, and the mapping checks (not run when the PSA cannot be read)."""
    async with client:
        access = await client.check_access()
        if not access.ok:
            why = "not checked: the PSA checks above failed"
            return access, (AccessCheck("mappings", None, why),)
        try:
            return access, await mapping_checks(client, config)
        except PsaError as exc:
            return access, (AccessCheck("mappings", None, f"not checked: {exc}", exc.hint),)


async def mapping_checks(client: PsaClient, config: Config) -> Checks:
    """One passing check per kind when every mapping works, else one per broken mapping."""
    psa = words(config.psa.kind)
    customers = await _customer_checks(client, config, psa)
    return (*customers, *await _product_checks(client, config, psa))


async def _customer_checks(client: PsaClient, config: Config, psa: PsaWords) -> Checks:
    mapped = [c for c in config.customers if c.sync]
    if not mapped:
        hint = "map them with `psabill customers map ID PSA_COMPANY`"
        detail = f"no customer is mapped to a PSA {psa.company}"
        return (AccessCheck("customers", False, detail, hint),)
    verdicts = await verify_customers(client, config)
    broken = [v for v in verdicts if v.problems]
    if not broken:
        count = len(verdicts)
        noun = "customer" if count == 1 else "customers"
        detail = f"{count} {noun}: every PSA {psa.company} and {psa.agreement} found"
        return (AccessCheck("customers", True, detail),)
    by_key = {customer_key(c): c for c in config.customers}
    checks = []
    for verdict in broken:
        customer = by_key[verdict.key]
        source = f" --source {customer.source}" if customer.source else ""
        ident = customer.id
        company = not verdict.company_found
        hint = (
            f'psa_company of [[customers]] id = "{ident}": '
            f"`psabill customers map {ident} PSA_COMPANY{source}`"
            if company
            else f"[sync] agreement_type, or the customer's contract: "
            f"`psabill contracts assign {ident} ...`"
        )
        detail = f"{verdict.psa_company}: " + "; ".join(verdict.problems)
        checks.append(AccessCheck(f"customer {verdict.label}", False, detail, hint))
    return tuple(checks)


async def _product_checks(client: PsaClient, config: Config, psa: PsaWords) -> Checks:
    mapped = [p for p in config.products if p.sync and p.psa_product]
    if not mapped:
        return ()
    wanted = {p.psa_product for p in mapped if p.psa_product}
    wanted |= {default_identifier(p.sku) for p in mapped}
    catalog = {i.identifier.casefold(): i for i in await client.catalog_items(sorted(wanted))}
    checks = [_product_check(p, catalog, psa) for p in mapped]
    broken = tuple(c for c in checks if c.ok is not True)
    if broken:
        return broken
    noun = "product" if len(mapped) == 1 else "products"
    detail = f"{len(mapped)} {noun}: every {psa.catalog_item} found"
    return (AccessCheck("products", True, detail),)


def _product_check(product: Product, catalog: dict[str, CatalogItem], psa: PsaWords) -> AccessCheck:
    identifier = product.psa_product or ""
    item = catalog.get(identifier.casefold())
    name = f"product {product.sku}"
    if item is not None and not item.inactive:
        return AccessCheck(name, True, f"bills as {identifier!r}")
    state = "is inactive" if item else "is not in the PSA catalog"
    source = f" --source {product.source}" if product.source else ""
    setting = f'psa_product of [[products]] sku = "{product.sku}"'
    fallback = default_identifier(product.sku)
    replacement = catalog.get(fallback.casefold())
    creates = product.on_psa_product_missing == "create_default" and replacement is None
    if creates and not psa.creates_catalog_items:
        detail = (
            f"PSA product {identifier!r} {state}; a run would create {fallback!r}, "
            f"which psabill does not do in {psa.name}"
        )
        hint = (
            f"{setting}: add a {psa.catalog_item} in {psa.catalog_hint}, then "
            f"`psabill products map {product.sku} NAME{source}`"
        )
        return AccessCheck(name, False, detail, hint)
    if product.on_psa_product_missing == "create_default":
        there = " (in the catalog)" if replacement else ", created on the next run"
        detail = f"PSA product {identifier!r} {state}; a run bills it as {fallback!r}{there}"
        hint = f"{setting}: `psabill products map {product.sku} {fallback}{source}`"
        return AccessCheck(name, False, detail, hint, required=False)
    hint = (
        f"{setting}: `psabill products map {product.sku} PSA_PRODUCT{source}` "
        "(find it with `psabill products search TEXT`)"
    )
    detail = f"PSA product {identifier!r} {state}; a run pauses it (exit 3)"
    return AccessCheck(name, False, detail, hint)
