"""Diff desired quantities against the PSA into a plan: the whole action list before any write.

Pure. :func:`build_plan` walks every customer in scope and every product that
may bill it, asks :func:`psabill.core.decide.product_line` for its line, and
refuses any two lines that would bill one addition.
"""

from __future__ import annotations

from dataclasses import replace

from psabill.config.models import Customer, Product
from psabill.core.decide import product_line
from psabill.core.mapping import customer_key, products_for
from psabill.core.plan import (
    CatalogRepair,
    Plan,
    PlanContext,
    PlanLine,
    fingerprint_of,
)


def build_plan(ctx: PlanContext) -> Plan:
    """Every line for every customer in scope, sorted by customer then SKU."""
    lines: list[PlanLine] = []
    repairs: dict[str, CatalogRepair] = {}
    by_key = {customer_key(c): c for c in ctx.config.customers}
    for key in ctx.scope:
        lines += _customer_lines(ctx, by_key[key], repairs)
    lines = _one_line_per_addition(lines)
    touched = {line.agreement_id for line in lines if line.agreement_id is not None}
    fingerprint = {aid: fingerprint_of(ctx.snapshot.additions.get(aid, ())) for aid in touched}
    return Plan(ctx.today, tuple(lines), tuple(repairs.values()), (), fingerprint)


def _customer_lines(
    ctx: PlanContext, customer: Customer, repairs: dict[str, CatalogRepair]
) -> list[PlanLine]:
    key = customer_key(customer)
    base = PlanLine(key, customer.name or customer.id, "*", "error", "", customer.psa_company)
    if customer.source is not None and customer.source in ctx.failed_sources:
        return [replace(base, action="stopped", why=f"source {customer.source} failed")]
    company = ctx.snapshot.companies.get(customer.psa_company.casefold())
    if company is None or company.deleted:
        state = "is deleted" if company else "was not found"
        return [replace(base, why=f"PSA company {customer.psa_company!r} {state}")]
    desired = {sku: d for (ckey, sku), d in ctx.resolution.desired.items() if ckey == key}
    conflicts = {sku: why for ckey, sku, why in ctx.resolution.conflicts if ckey == key}
    lines = []
    for product in products_for(ctx.config, customer):
        line = replace(base, sku=product.sku, psa_product=product.psa_product)
        if product.sku in conflicts:
            lines.append(replace(line, why=conflicts[product.sku]))
        elif failed := _failed_feeds(customer, product, ctx.failed_sources):
            lines.append(replace(line, action="stopped", why=f"source {failed} failed"))
        else:
            want = desired.get(product.sku)
            planned = product_line(ctx, customer, company, product, line, want, repairs)
            if planned is not None:
                lines.append(planned)
    return lines


def _failed_feeds(customer: Customer, product: Product, failed: frozenset[str]) -> str:
    """Failed sources that could have reported this product for this customer."""
    feeding = customer.source or product.source
    if feeding is not None:
        return feeding if feeding in failed else ""
    return ", ".join(sorted(failed))


def _one_line_per_addition(lines: list[PlanLine]) -> list[PlanLine]:
    """Never let two lines bill one (agreement, PSA product): that is billing twice.

    It happens when two vendor accounts of one PSA company (or two mappings of
    one SKU) reach the same agreement and catalog item. Each such line becomes
    an error naming the others; nothing is written for them.
    """
    groups: dict[tuple[int, str], list[int]] = {}
    for index, line in enumerate(lines):
        if line.agreement_id is not None and line.psa_product and line.action != "error":
            key = (line.agreement_id, line.psa_product.casefold())
            groups.setdefault(key, []).append(index)
    out = list(lines)
    for indexes in groups.values():
        if len(indexes) < 2:
            continue
        who = ", ".join(f"{lines[i].customer} {lines[i].sku}" for i in indexes)
        for i in indexes:
            line = lines[i]
            why = (
                f"{len(indexes)} lines would bill {line.psa_product} on agreement "
                f"{line.agreement_name!r} ({who}); psabill bills one addition once - scope "
                "the customers or products to one source, or use separate agreements"
            )
            out[i] = replace(line, action="error", why=why)
    return out
