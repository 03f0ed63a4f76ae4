"""Diff desired quantities against the PSA into a plan: the whole action list before any write.

Pure. :func:`build_plan` walks every customer in scope and every product that
may bill it, asks :func:`psabill.core.decide.product_line` for its line, and
refuses any two lines that would bill one addition.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

from psabill.config.models import Customer, Product
from psabill.core.decide import for_product, product_line
from psabill.core.entities import Company
from psabill.core.mapping import Desired, MappingIndex, customer_key
from psabill.core.plan import Plan, PlanContext, PlanLine, fingerprint_of
from psabill.core.plan_lookups import Lookups


def build_plan(ctx: PlanContext) -> Plan:
    """Every line for every customer in scope, sorted by customer then SKU."""
    lines: list[PlanLine] = []
    by_key = {customer_key(c): c for c in ctx.config.customers}
    walk = _Walk.of(ctx)
    for key in ctx.scope:
        lines += _customer_lines(walk, by_key[key])
    lines = _one_line_per_addition(lines)
    touched = {line.agreement_id for line in lines if line.agreement_id is not None}
    fingerprint = {aid: fingerprint_of(ctx.snapshot.additions.get(aid, ())) for aid in touched}
    repairs = tuple(walk.lookups.repairs.values())
    return Plan(ctx.today, tuple(lines), repairs, (), fingerprint)


@dataclass(frozen=True)
class _Walk:
    """What every customer's lines look up, indexed once per plan: the mappings, the
    resolution's desired quantities and conflicts by customer key, then SKU, and the PSA."""

    ctx: PlanContext
    mappings: MappingIndex
    desired: Mapping[str, Mapping[str, Desired]]
    conflicts: Mapping[str, Mapping[str, str]]
    lookups: Lookups
    synced: Mapping[str, frozenset[str]]
    """The SKUs psabill synced an addition for before, by customer key."""

    @classmethod
    def of(cls, ctx: PlanContext) -> _Walk:
        desired: dict[str, dict[str, Desired]] = {}
        for (ckey, sku), want in ctx.resolution.desired.items():
            desired.setdefault(ckey, {})[sku] = want
        conflicts: dict[str, dict[str, str]] = {}
        for ckey, sku, why in ctx.resolution.conflicts:
            conflicts.setdefault(ckey, {})[sku] = why
        synced: dict[str, set[str]] = {}
        for ckey, sku in ctx.known_additions:
            synced.setdefault(ckey, set()).add(sku)
        lookups = Lookups(ctx.snapshot, ctx.today, ctx.config.products)
        frozen = {ckey: frozenset(skus) for ckey, skus in synced.items()}
        return cls(ctx, MappingIndex(ctx.config), desired, conflicts, lookups, frozen)


def _customer_lines(walk: _Walk, customer: Customer) -> list[PlanLine]:
    ctx = walk.ctx
    key = customer_key(customer)
    base = PlanLine(key, customer.name or customer.id, "*", "error", "", customer.psa_company)
    if customer.source is not None and customer.source in ctx.failed_sources:
        return [replace(base, action="stopped", why=f"source {customer.source} failed")]
    company = ctx.snapshot.companies.get(customer.psa_company.casefold())
    if company is None or company.deleted:
        state = "is deleted" if company else "was not found"
        return [replace(base, why=f"PSA company {customer.psa_company!r} {state}")]
    if customer.name is None:  # people know a customer by its PSA name, not its vendor id
        base = replace(base, customer_label=company.name or customer.id)
    return _product_lines(walk, customer, company, base)


def _product_lines(
    walk: _Walk, customer: Customer, company: Company, base: PlanLine
) -> list[PlanLine]:
    """A line for each product that has something to say: a conflict, a failed source, or
    what :func:`product_line` decides."""
    ctx, key = walk.ctx, base.customer
    desired = walk.desired.get(key, {})
    conflicts = walk.conflicts.get(key, {})
    speaking = _speaking(walk, key, company, conflicts)
    lines = []
    for product in walk.mappings.products_for(customer):
        want = desired.get(product.sku)
        if want is None and speaking is not None and product.sku not in speaking:
            walk.lookups.skipped(product)
        elif product.sku in conflicts:
            lines.append(for_product(base, product, why=conflicts[product.sku]))
        elif ctx.failed_sources and (
            failed := _failed_feeds(customer, product, ctx.failed_sources)
        ):
            lines.append(
                for_product(base, product, action="stopped", why=f"source {failed} failed")
            )
        else:
            planned = product_line(ctx, walk.lookups, customer, company, product, base, want)
            if planned is not None:
                lines.append(planned)
    return lines


def _speaking(
    walk: _Walk, key: str, company: Company, conflicts: Mapping[str, str]
) -> Collection[str] | None:
    """The SKUs whose lines may say something though no usage is reported for them (None:
    any may): a conflict, an addition psabill synced before, one on the company's agreements.
    The line of every other product without usage says nothing (most products of most
    customers), so :func:`product_line` is not asked; it decides every line that may speak."""
    if walk.ctx.failed_sources:
        return None
    touched = walk.lookups.skus_billed(company.id)
    synced = walk.synced.get(key)
    if not conflicts and not synced:
        return touched
    return frozenset(touched).union(conflicts, synced or ())


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
    by_agreement: dict[int, list[int]] = {}  # by agreement first: ints, not a key per line
    for index, line in enumerate(lines):
        if line.agreement_id is not None and line.psa_product and line.action != "error":
            by_agreement.setdefault(line.agreement_id, []).append(index)
    out = list(lines)
    for indexes in by_agreement.values():
        groups: dict[str, list[int]] = {}
        for index in indexes:
            groups.setdefault((lines[index].psa_product or "").casefold(), []).append(index)
        for same in groups.values():
            if len(same) > 1:
                _refuse(out, lines, same)
    return out


def _refuse(out: list[PlanLine], lines: list[PlanLine], indexes: list[int]) -> None:
    who = ", ".join(f"{lines[i].customer} {lines[i].sku}" for i in indexes)
    for i in indexes:
        line = lines[i]
        why = (
            f"{len(indexes)} lines would bill {line.psa_product} on agreement "
            f"{line.agreement_name!r} ({who}); psabill bills one addition once - scope "
            "the customers or products to one source, or use separate agreements"
        )
        out[i] = replace(line, action="error", why=why)
