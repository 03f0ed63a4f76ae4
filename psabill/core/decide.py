"""The decision table that turns one product of one customer into one plan line. Pure.

Each branch leaves a one-line *why* on its line, the way vdirsyncer's ``_get_actions``
does; :func:`psabill.core.plan_build.build_plan` runs it for every customer in scope.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from psabill.config.models import Customer, Product
from psabill.core.contracts import choose_agreement, contract_for
from psabill.core.entities import Addition, CatalogItem, Company
from psabill.core.mapping import Desired
from psabill.core.plan import CatalogRepair, PlanContext, PlanLine, default_identifier


def product_line(
    ctx: PlanContext,
    customer: Customer,
    company: Company,
    product: Product,
    line: PlanLine,
    desired: Desired | None,
    repairs: dict[str, CatalogRepair],
) -> PlanLine | None:
    billed, problem = _catalog_item(ctx, product, repairs)
    if problem is not None:
        return replace(line, action="paused", why=problem) if desired else None
    choice = choose_agreement(
        contract_for(ctx.config, customer, product.sku),
        ctx.snapshot.agreements.get(company.id, ()),
        on=ctx.today,
    )
    if choice.agreement is None:
        blocked = choice.blocked.name if choice.blocked else None
        why = choice.problem or "no agreement"
        return replace(line, agreement_name=blocked, why=why) if desired else None
    agreement = choice.agreement
    line = replace(
        line,
        company=company.identifier,
        agreement_id=agreement.id,
        agreement_name=agreement.name,
        psa_product=billed.identifier,
        product_id=billed.id,
        unit_price=_first(product.unit_price, billed.price),
        unit_cost=_first(product.unit_cost, billed.cost),
        description=product.description or billed.description or None,
    )
    additions = ctx.snapshot.additions.get(agreement.id, ())
    planned = _diff(ctx, line, product, additions, desired.quantity if desired else None)
    if planned is not None and planned.action == "create" and planned.unit_price is None:
        return replace(planned, action="error", why=billed.unpriced)
    return planned


@dataclass(frozen=True)
class _Billed:
    """The catalog item a product bills as: one in the snapshot, or one a repair will create
    (``id`` None). ``unpriced`` is why a new line on it could not be priced, should it need one."""

    identifier: str
    id: int | None
    description: str
    price: Decimal | None
    cost: Decimal | None
    unpriced: str


def _first(*values: Decimal | None) -> Decimal | None:
    """The configured value, else the catalog's; ``Decimal(0)`` is a value, ``None`` is not."""
    return next((value for value in values if value is not None), None)


def _catalog_item(
    ctx: PlanContext, product: Product, repairs: dict[str, CatalogRepair]
) -> tuple[_Billed, str | None]:
    """The catalog item to bill as, repairing a broken mapping when configured to.

    A repair item is only created when it can be priced: without ``unit_price`` ConnectWise
    would file it at 0, and so every new line on it.
    """
    identifier = product.psa_product or ""
    item = ctx.snapshot.catalog.get(identifier.casefold())
    if item is None or item.inactive:
        state = "is inactive" if item else "is not in the PSA catalog"
        if product.on_psa_product_missing == "pause":
            return _billed(None, identifier), f"PSA product {identifier!r} {state} (paused)"
        return _repaired(ctx, product, repairs, f"PSA product {identifier!r} {state}"), None
    return _billed(item, identifier), None


def _repaired(
    ctx: PlanContext, product: Product, repairs: dict[str, CatalogRepair], missing: str
) -> _Billed:
    fallback = default_identifier(product.sku)
    existing = ctx.snapshot.catalog.get(fallback.casefold())
    repair = CatalogRepair(
        sku=product.sku,
        missing=product.psa_product or "",
        identifier=fallback,
        description=(product.description or product.name or product.sku)[:60],
        exists=existing is not None,
        price=product.unit_price,
        cost=product.unit_cost,
    )
    if existing is not None or repair.price is not None:
        repairs[product.sku] = repair
    if existing is not None:
        return _billed(existing, fallback)
    unpriced = (
        f"no unit price: {missing}, and the catalog item psabill would create instead "
        f"({fallback!r}) has none, so it would bill at 0; set unit_price"
    )
    return _Billed(fallback, None, repair.description, repair.price, repair.cost, unpriced)


def _billed(item: CatalogItem | None, identifier: str) -> _Billed:
    """``item`` billed under ``identifier``, the name the mapping gives it."""
    unpriced = (
        f"no unit price: neither the product mapping nor catalog item {identifier!r} has one, "
        "so it would bill at 0; set unit_price"
    )
    if item is None:
        return _Billed(identifier, None, "", None, None, unpriced)
    return _Billed(identifier, item.id, item.description, item.price, item.cost, unpriced)


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
