"""Diff desired quantities against the PSA into a plan: the whole action list before any write.

Pure. ``build_plan`` is a decision table; each branch leaves a one-line *why*
on its line, the way vdirsyncer's ``_get_actions`` does. Quantities are
absolute: a line says "set to N", never "add N", so applying a plan twice
changes nothing the second time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Literal

from psabill.config.models import Config, Customer, Product
from psabill.core.contracts import choose_agreement, contract_for
from psabill.core.entities import Addition, Agreement, CatalogItem, Company
from psabill.core.mapping import Desired, Resolution, customer_key, products_for

Action = Literal[
    "create", "update", "zero", "cancel", "unchanged", "keep",
    "ambiguous", "error", "paused", "stopped", "held",
]  # fmt: skip
WRITES: frozenset[str] = frozenset({"create", "update", "zero", "cancel"})
PROBLEMS: frozenset[str] = frozenset({"ambiguous", "error", "paused", "stopped", "held"})
IDENTIFIER_LIMIT = 60  # ConnectWise allows 75 since 2025.x, 60 before: stay portable.


@dataclass(frozen=True)
class Snapshot:
    """What was read from the PSA for the customers in scope (keys are casefolded)."""

    companies: Mapping[str, Company]
    agreements: Mapping[int, tuple[Agreement, ...]]
    additions: Mapping[int, tuple[Addition, ...]]
    catalog: Mapping[str, CatalogItem]


@dataclass(frozen=True)
class PlanLine:
    customer: str
    customer_label: str
    sku: str
    action: Action
    why: str
    company: str | None = None
    agreement_id: int | None = None
    agreement_name: str | None = None
    psa_product: str | None = None
    product_id: int | None = None
    addition_id: int | None = None
    current: Decimal | None = None
    desired: Decimal | None = None
    unit_price: Decimal | None = None
    unit_cost: Decimal | None = None

    @property
    def writes(self) -> bool:
        return self.action in WRITES


@dataclass(frozen=True)
class CatalogRepair:
    """A broken product mapping repaired with a catalog item psabill owns."""

    sku: str
    missing: str
    identifier: str
    description: str
    exists: bool
    price: Decimal | None = None
    cost: Decimal | None = None


@dataclass(frozen=True)
class GuardTrip:
    """One customer a mass-change guard held back (or let through with ``allowed``), and why.

    A value, never a string to split: a customer may be called "Acme: Dental".
    """

    customer: str
    label: str
    reasons: tuple[str, ...]
    allowed: bool = False

    def __str__(self) -> str:
        text = "; ".join(self.reasons)
        text = f"{self.label}: {text}" if self.label else text
        return f"{text} (allowed by --allow-drop)" if self.allowed else text


@dataclass(frozen=True)
class Plan:
    today: date
    lines: tuple[PlanLine, ...]
    repairs: tuple[CatalogRepair, ...] = ()
    guard_trips: tuple[GuardTrip, ...] = ()
    fingerprint: Mapping[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def writes(self) -> tuple[PlanLine, ...]:
        return tuple(line for line in self.lines if line.writes)


@dataclass(frozen=True)
class PlanContext:
    config: Config
    resolution: Resolution
    scope: tuple[str, ...]
    snapshot: Snapshot
    today: date
    failed_sources: frozenset[str] = frozenset()
    known_additions: Mapping[tuple[str, str], int] = field(default_factory=dict)


def qty(value: Decimal | None) -> str:
    """A quantity for people: ``-`` for none, no exponent, no trailing zeros ("45", "2.5")."""
    return "-" if value is None else format(value.normalize(), "f")


def default_identifier(sku: str) -> str:
    """Catalog identifier psabill creates for a SKU: stable, safe characters, within limits."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", sku).strip("-") or "PRODUCT"
    return f"PSABILL-{cleaned}"[:IDENTIFIER_LIMIT]


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


def fingerprint_of(additions: tuple[Addition, ...]) -> tuple[str, ...]:
    """What a saved plan assumed about one agreement; compared again before applying it."""
    return tuple(
        sorted(
            f"{a.id}:{a.product_identifier}:{a.quantity.normalize()}:{a.status}:{a.cancelled_date}"
            for a in additions
        )
    )


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
            planned = _product_line(ctx, customer, company, product, line, want, repairs)
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


def _product_line(
    ctx: PlanContext,
    customer: Customer,
    company: Company,
    product: Product,
    line: PlanLine,
    desired: Desired | None,
    repairs: dict[str, CatalogRepair],
) -> PlanLine | None:
    item, identifier, problem = _catalog_item(ctx, product, repairs)
    if problem is not None:
        return replace(line, action="paused", why=problem) if desired else None
    choice = choose_agreement(
        contract_for(ctx.config, customer, product.sku),
        ctx.snapshot.agreements.get(company.id, ()),
    )
    if choice.agreement is None:
        return replace(line, why=choice.problem or "no agreement") if desired else None
    agreement = choice.agreement
    line = replace(
        line,
        company=company.identifier,
        agreement_id=agreement.id,
        agreement_name=agreement.name,
        psa_product=identifier,
        product_id=item.id if item else None,
        unit_price=product.unit_price,
        unit_cost=product.unit_cost,
    )
    additions = ctx.snapshot.additions.get(agreement.id, ())
    return _diff(ctx, line, product, additions, desired.quantity if desired else None)


def _catalog_item(
    ctx: PlanContext, product: Product, repairs: dict[str, CatalogRepair]
) -> tuple[CatalogItem | None, str, str | None]:
    """The catalog item to bill as, repairing a broken mapping when configured to."""
    identifier = product.psa_product or ""
    item = ctx.snapshot.catalog.get(identifier.casefold())
    if item is not None and not item.inactive:
        return item, identifier, None
    state = "is inactive" if item else "is not in the PSA catalog"
    if product.on_psa_product_missing == "pause":
        return None, identifier, f"PSA product {identifier!r} {state} (paused)"
    fallback = default_identifier(product.sku)
    existing = ctx.snapshot.catalog.get(fallback.casefold())
    repairs[product.sku] = CatalogRepair(
        sku=product.sku,
        missing=identifier,
        identifier=fallback,
        description=(product.name or product.sku)[:60],
        exists=existing is not None,
        price=product.unit_price,
        cost=product.unit_cost,
    )
    return existing, fallback, None


def _diff(
    ctx: PlanContext,
    line: PlanLine,
    product: Product,
    additions: tuple[Addition, ...],
    desired: Decimal | None,
) -> PlanLine | None:
    live = [a for a in additions if not a.is_cancelled(ctx.today)]
    known = ctx.known_additions.get((line.customer, product.sku))
    drifted = [a for a in live if a.id == known and _ident(a) != _ident_of(line.psa_product)]
    if drifted:
        why = (
            f"addition #{drifted[0].id} synced earlier for this SKU now bills "
            f"{drifted[0].product_identifier!r}: the PSA product was renamed; map the SKU to it"
        )
        return replace(line, addition_id=drifted[0].id, why=why)
    mine = [a for a in live if _ident(a) == _ident_of(line.psa_product)]
    if len(mine) > 1:
        ids = ", ".join(f"#{a.id}" for a in mine)
        return replace(line, action="ambiguous", why=f"several active additions ({ids})")
    current = mine[0] if mine else None
    if desired is None:
        return _usage_gone(ctx, line, product, current)
    if current is None:
        if desired == 0:
            return replace(line, action="unchanged", desired=desired, why="usage is 0, no addition")
        return replace(line, action="create", desired=desired, why="no active addition yet")
    line = replace(line, addition_id=current.id, current=current.quantity, desired=desired)
    if current.quantity == desired:
        return replace(line, action="unchanged", why="quantity already matches")
    return replace(line, action="update", why="usage changed")


def _usage_gone(
    ctx: PlanContext, line: PlanLine, product: Product, current: Addition | None
) -> PlanLine | None:
    if current is None:
        return None  # nothing reported, nothing billed: nothing to say
    line = replace(line, addition_id=current.id, current=current.quantity)
    policy = product.on_usage_gone
    if policy == "keep":
        return replace(line, action="keep", why="no usage reported (on_usage_gone = keep)")
    if policy == "zero":
        if current.quantity == 0:
            return replace(line, action="unchanged", desired=Decimal(0), why="already 0")
        return replace(line, action="zero", desired=Decimal(0), why="no usage reported")
    return replace(line, action="cancel", desired=Decimal(0), why=f"no usage; cancel {ctx.today}")


def _ident(addition: Addition) -> str:
    return addition.product_identifier.casefold()


def _ident_of(identifier: str | None) -> str:
    return (identifier or "").casefold()
