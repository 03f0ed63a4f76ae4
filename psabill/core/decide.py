"""The decision table that turns one product of one customer into one plan line. Pure.

Each branch leaves a one-line *why* on its line, the way vdirsyncer's ``_get_actions``
does; :func:`psabill.core.plan_build.build_plan` runs it for every customer in scope.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple

from psabill.config.models import Customer, Product
from psabill.core.contracts import contract_for
from psabill.core.entities import Addition, Agreement, Company
from psabill.core.mapping import Desired
from psabill.core.plan import Action, PlanContext, PlanLine
from psabill.core.plan_lookups import Billed, Found, Lookups


def product_line(
    ctx: PlanContext,
    lookups: Lookups,
    customer: Customer,
    company: Company,
    product: Product,
    base: PlanLine,
    desired: Desired | None,
) -> PlanLine | None:
    """The line for ``product`` of ``customer`` (whose line so far is ``base``), or None when
    there is nothing to say: nothing reported and nothing billed."""
    billed, problem = lookups.catalog_item(product)
    if problem is not None:
        return for_product(base, product, action="paused", why=problem) if desired else None
    choice = lookups.agreement(company.id, contract_for(ctx.config, customer, product.sku))
    if choice.agreement is None:
        blocked = choice.blocked.name if choice.blocked else None
        why = choice.problem or "no agreement"
        return for_product(base, product, agreement_name=blocked, why=why) if desired else None
    known = ctx.known_additions.get((base.customer, product.sku))
    found = lookups.live(choice.agreement.id).match(known, billed.identifier)
    verdict = _diff(ctx, product, found, desired.quantity if desired else None)
    if verdict is None:
        return None
    return _line(base, product, company, choice.agreement, billed, verdict)


def _line(
    base: PlanLine,
    product: Product,
    company: Company,
    agreement: Agreement,
    billed: Billed,
    verdict: _Verdict,
) -> PlanLine:
    """The line billing ``agreement``, every field given (most lines of a plan come here, and
    ``replace`` is slower); a new line that no price can be found for is an error."""
    # An existing addition bills at its own price; a new one at the mapping's, else the catalog's.
    unit_price = _first(verdict.price, _first(product.unit_price, billed.price))
    if verdict.action == "create" and unit_price is None:
        verdict = verdict._replace(action="error", why=billed.unpriced)
    return PlanLine(
        customer=base.customer,
        customer_label=base.customer_label,
        sku=product.sku,
        action=verdict.action,
        why=verdict.why,
        company=company.identifier,
        agreement_id=agreement.id,
        agreement_name=agreement.name,
        psa_product=billed.identifier,
        product_id=billed.id,
        addition_id=verdict.addition_id,
        current=verdict.current,
        desired=verdict.desired,
        unit_price=unit_price,
        unit_cost=_first(product.unit_cost, billed.cost),
        description=product.description or billed.description or None,
        company_name=company.name,
    )


def for_product(base: PlanLine, product: Product, **changes: Any) -> PlanLine:
    """A customer's line ``base`` as the line of ``product``, before an agreement is chosen."""
    return replace(base, sku=product.sku, psa_product=product.psa_product, **changes)


def _first(configured: Decimal | None, catalog: Decimal | None) -> Decimal | None:
    """The configured value, else the catalog's; ``Decimal(0)`` is a value, ``None`` is not."""
    return configured if configured is not None else catalog


class _Verdict(NamedTuple):
    """What :func:`_diff` decides for a line on an agreement; the rest of the line is data."""

    action: Action
    why: str
    addition_id: int | None = None
    current: Decimal | None = None
    desired: Decimal | None = None
    price: Decimal | None = None
    """The unit price the existing addition bills at, if the PSA said."""


def _diff(
    ctx: PlanContext, product: Product, found: Found, desired: Decimal | None
) -> _Verdict | None:
    if found.drifted is not None:
        drifted = found.drifted
        why = (
            f"addition #{drifted.id} synced earlier for this SKU now bills "
            f"{drifted.product_identifier!r}: the PSA product was renamed; map the SKU to it"
        )
        return _Verdict("error", why, addition_id=drifted.id)
    mine = found.mine
    if len(mine) > 1:
        ids = ", ".join(f"#{a.id}" for a in mine)
        return _Verdict("ambiguous", f"several active additions ({ids})")
    current = mine[0] if mine else None
    if current is not None and current.locked:
        return _Verdict("error", f"addition #{current.id}: {current.locked}", current.id)
    if desired is None:
        return _usage_gone(ctx, product, current)
    if current is None:
        if desired == 0:
            return _Verdict("unchanged", "usage is 0, no addition", desired=desired)
        return _Verdict("create", "no active addition yet", desired=desired)
    found_at = (current.id, current.quantity, desired, current.unit_price)
    if current.quantity == desired:
        return _Verdict("unchanged", "quantity already matches", *found_at)
    return _Verdict("update", "usage changed", *found_at)


def _usage_gone(ctx: PlanContext, product: Product, current: Addition | None) -> _Verdict | None:
    if current is None:
        return None  # nothing reported, nothing billed: nothing to say
    policy = product.on_usage_gone
    gone = partial(
        _Verdict, addition_id=current.id, current=current.quantity, price=current.unit_price
    )
    if policy == "keep":
        return gone("keep", "no usage reported (on_usage_gone = keep)")
    if policy == "zero":
        if current.quantity == 0:
            return gone("unchanged", "already 0", desired=Decimal(0))
        return gone("zero", "no usage reported", desired=Decimal(0))
    return gone("cancel", f"no usage; cancel {ctx.today}", desired=Decimal(0))
