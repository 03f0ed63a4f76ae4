"""The planner as it was before it was indexed: a straightforward scan per record and per customer.

The oracle for :mod:`tests.core.test_plan_equivalence`: copied from psabill.core (mapping.resolve,
plan_build, decide, due.targets) as they stood before the indexes were added, so a random world
must plan identically both ways. Not maintained as production code: slow on purpose.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from psabill.config.models import Config, Customer, Product
from psabill.core.contracts import choose_agreement, contract_for
from psabill.core.due import RUN_KEY, LastCompleted, Target, TargetDue
from psabill.core.entities import Addition, CatalogItem, Company
from psabill.core.mapping import (
    Desired,
    Resolution,
    Unmapped,
    Usage,
    customer_key,
    find_customer,
    find_product,
    most_specific,
)
from psabill.core.plan import (
    CatalogRepair,
    Plan,
    PlanContext,
    PlanLine,
    default_identifier,
    fingerprint_of,
)
from psabill.core.schedule.engine import Due, NotDue, evaluate, next_slots
from psabill.errors import UsageError


def products_for(config: Config, customer: Customer) -> list[Product]:
    """Mapped, synced products that may bill ``customer``, one per SKU, by SKU.

    Per SKU, :func:`most_specific` for the customer's source picks among the mapped, synced
    entries only; note that :func:`find_product` picks among all entries, so there a scoped
    entry that is switched off or unmapped shadows the generic one.
    """
    by_sku: dict[str, list[Product]] = {}
    for product in config.products:
        if product.sync and product.psa_product is not None:
            by_sku.setdefault(product.sku, []).append(product)
    chosen = (most_specific(group, customer.source) for _, group in sorted(by_sku.items()))
    return [product for product in chosen if product is not None]


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
    if customer.name is None:
        base = replace(base, customer_label=company.name or customer.id)
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
        company_name=company.name,
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
    price = _first(current.unit_price, line.unit_price)
    line = replace(
        line, addition_id=current.id, current=current.quantity, desired=desired, unit_price=price
    )
    if current.quantity == desired:
        return replace(line, action="unchanged", why="quantity already matches")
    return replace(line, action="update", why="usage changed")


def _usage_gone(
    ctx: PlanContext, line: PlanLine, product: Product, current: Addition | None
) -> PlanLine | None:
    if current is None:
        return None  # nothing reported, nothing billed: nothing to say
    price = _first(current.unit_price, line.unit_price)
    line = replace(line, addition_id=current.id, current=current.quantity, unit_price=price)
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


def targets(config: Config, only: str | None = None) -> list[Target]:
    """Everything with a schedule; ``only`` narrows to one customer (by id or key)."""
    names = [c.name or c.id for c in config.customers]
    found = [
        Target(
            key=customer_key(customer),
            # Two vendor accounts of one company share a name: tell them apart.
            label=(customer.name or customer.id)
            if names.count(customer.name or customer.id) == 1
            else f"{customer.name or customer.id} ({customer_key(customer)})",
            schedule=customer.schedule or config.schedule,
            custom=customer.schedule is not None,
        )
        for customer in config.customers
        if customer.sync and (only is None or only in (customer.id, customer_key(customer)))
    ]
    if only is not None and not found:
        known = ", ".join(customer_key(c) for c in config.customers) or "none configured"
        raise UsageError(f"no synced customer {only!r} in the config (customers: {known})")
    if not config.customers:
        found.append(Target(key=RUN_KEY, label="(all)", schedule=config.schedule, custom=False))
    return found


def evaluate_targets(
    config: Config, last_completed: LastCompleted, now: datetime, only: str | None = None
) -> list[TargetDue]:
    """Due decision for each target; a disabled schedule is never due."""
    zone = config.account.zone
    results = []
    for target in targets(config, only):
        if not target.schedule.enabled:
            upcoming = next_slots(target.rule, zone, now, 1)
            decision: Due | NotDue = NotDue(
                next_slot=upcoming[0] if upcoming else None,
                missed=(),
                reason="the schedule is disabled (enabled = false); use `psabill sync --now`",
            )
        else:
            decision = evaluate(
                target.rule, zone, last_completed(target.key), now, target.schedule.catch_up
            )
        results.append(TargetDue(target=target, decision=decision))
    return results
