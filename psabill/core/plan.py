"""A plan and its lines, and the decision table that turns one product of one customer into a line.

Pure. :func:`product_line` is a decision table; each branch leaves a one-line
*why* on its line, the way vdirsyncer's ``_get_actions`` does
(:func:`psabill.core.plan_build.build_plan` runs it for every customer in scope). Quantities are
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
from psabill.core.mapping import Desired, Resolution

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
    """One customer a mass-change guard held back, and why; ``allowed_by`` names the flag
    that let it through instead ("" while it holds).

    A value, never a string to split: a customer may be called "Acme: Dental".
    """

    customer: str
    label: str
    reasons: tuple[str, ...]
    allowed_by: str = ""

    def __str__(self) -> str:
        text = "; ".join(self.reasons)
        text = f"{self.label}: {text}" if self.label else text
        return f"{text} (allowed by {self.allowed_by})" if self.allowed_by else text


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


def fingerprint_of(additions: tuple[Addition, ...]) -> tuple[str, ...]:
    """What a saved plan assumed about one agreement; compared again before applying it."""
    return tuple(
        sorted(
            f"{a.id}:{a.product_identifier}:{a.quantity.normalize()}:{a.status}:{a.cancelled_date}"
            for a in additions
        )
    )


def product_line(
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
