"""``ContractServiceUnits``, derived: one row per calendar month of the contract, split where an
adjustment takes effect (reference §1.6); ``price`` and ``cost`` are line totals.

A contract running to 2099 has a thousand months per service, so rows are derived only for
the contract services and days a query can match (:func:`scope_of` reads the filter's ``eq``,
``in``, ``lte startDate`` and ``gte endDate`` terms); the full filter is applied afterwards, so
the scope only ever saves work. A row's id depends on its service and first day alone, so it
is the same whatever the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from psabill.sandbox.autotask.data import at_date, parse_day

if TYPE_CHECKING:
    from psabill.sandbox.autotask.data import AutotaskWorld

EPOCH = date(2000, 1, 1)
KEYS = {"contractid": "contractID", "serviceid": "serviceID", "contractserviceid": "id"}


@dataclass
class Scope:
    """Which contract services (by link field) and days a query can reach."""

    ids: dict[str, set[int]]
    earliest: date | None = None
    latest: date | None = None


def scope_of(conditions: list[Any]) -> Scope:
    scope = Scope({})
    for condition in _and_terms(conditions):
        op = str(condition.get("op", "")).lower()
        name = str(condition.get("field", "")).lower()
        value = condition.get("value")
        if name in KEYS and op in ("eq", "in"):
            values = value if op == "in" and isinstance(value, list) else [value]
            found = {v for v in values if isinstance(v, int)}
            key = KEYS[name]
            scope.ids[key] = found & scope.ids[key] if key in scope.ids else found
        day = parse_day(value)
        if day is not None and name == "startdate" and op in ("lte", "lt", "eq"):
            scope.latest = day if scope.latest is None else min(scope.latest, day)
        if day is not None and name == "enddate" and op in ("gte", "gt", "eq"):
            scope.earliest = day if scope.earliest is None else max(scope.earliest, day)
    return scope


def _and_terms(conditions: list[Any]) -> list[dict[str, Any]]:
    terms: list[dict[str, Any]] = []
    for condition in conditions:
        if not isinstance(condition, dict):
            continue
        if str(condition.get("op", "")).lower() == "and":
            terms += _and_terms(condition.get("items") or [])
        else:
            terms.append(condition)
    return terms


def unit_rows(world: AutotaskWorld, scope: Scope | None) -> list[dict[str, Any]]:
    scope = scope or Scope({})
    rows: list[dict[str, Any]] = []
    with world.lock:
        for cs_id in sorted(world.tables["ContractServices"]):
            link = world.tables["ContractServices"][cs_id]
            if all(link[key] in wanted for key, wanted in scope.ids.items()):
                contract = world.tables["Contracts"][link["contractID"]]
                rows.extend(_rows_of(world, link, contract, scope))
    return rows


def _rows_of(
    world: AutotaskWorld, link: dict[str, Any], contract: dict[str, Any], scope: Scope
) -> list[dict[str, Any]]:
    start, end = parse_day(contract["startDate"]), parse_day(contract["endDate"])
    assert start is not None
    assert end is not None
    low, high = max(start, scope.earliest or start), min(end, scope.latest or end)
    if low > high:
        return []
    splits = sorted({a.effective for a in world.adjustments if a.contract_service_id == link["id"]})
    splits = [d for d in splits if start < d <= end]
    first = max([start, low.replace(day=1), *(d for d in splits if d <= low)])
    price = Decimal(str(link.get("adjustedPrice") or link["unitPrice"]))
    cost = Decimal(str(link["unitCost"]))
    posted = world.posted_until.get(link["contractID"])
    rows = []
    while first <= high:
        following = min(
            [_next_month(first), end + timedelta(days=1)] + [d for d in splits if d > first]
        )
        units = world.units_on(link["id"], first)
        rows.append(
            {
                "id": link["id"] * 100_000 + (first - EPOCH).days,
                "contractID": link["contractID"],
                "contractServiceID": link["id"],
                "serviceID": link["serviceID"],
                "startDate": at_date(first),
                "endDate": at_date(following - timedelta(days=1)),
                "units": units,
                "price": float(price * units),  # the line total, not a rate (reference §1.6)
                "cost": float(cost * units),
                "approveAndPostDate": (
                    at_date(posted) if posted is not None and first <= posted else None
                ),
            }
        )
        first = following
    return rows


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)
