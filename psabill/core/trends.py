"""Quantities over billing periods, from what the ledger confirmed: series and sparklines. Pure.

A customer's quantity of a product *in period P* is what psabill had last confirmed in the
PSA when P was completed: the latest confirmed line at or before the run that completed P.
A line that kept a quantity (``keep``) or did not touch a product carries the previous value
forward; a product first billed later has no value (``None``) before that.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

BARS = "▁▂▃▄▅▆▇█"
GAP = "·"
"""A period before the product was billed."""


@dataclass(frozen=True)
class PeriodMark:
    """Run ``run_id`` completed ``period`` for ``customer`` (a ledger key)."""

    customer: str
    period: str
    run_id: int


@dataclass(frozen=True)
class QuantityMark:
    """A confirmed line: after run ``run_id`` the PSA bills ``quantity`` of ``product``."""

    run_id: int
    customer: str
    product: str
    quantity: Decimal


@dataclass(frozen=True)
class Series:
    """One product of one customer over its last periods (oldest first)."""

    customer: str
    label: str
    product: str
    periods: tuple[str, ...]
    values: tuple[Decimal | None, ...]

    @property
    def known(self) -> tuple[Decimal, ...]:
        return tuple(v for v in self.values if v is not None)

    @property
    def first(self) -> Decimal | None:
        return self.known[0] if self.known else None

    @property
    def last(self) -> Decimal | None:
        return self.values[-1] if self.values else None

    @property
    def change(self) -> Decimal | None:
        """Last minus first known value; ``None`` when there is nothing to compare."""
        if self.first is None:
            return None
        return (self.last or Decimal(0)) - self.first

    @property
    def sparkline(self) -> str:
        return sparkline(self.values)

    @property
    def change_text(self) -> str:
        """ "42 → 52 (+10, +23.8%)"; "new: 0 → 9" when the product started in the window."""
        first, change = self.first, self.change
        if first is None or change is None:
            return "-"
        sign = "+" if change >= 0 else ""
        from psabill.core.plan import qty  # plan's models are not needed to read the ledger

        text = f"{qty(first)} → {qty(self.last or Decimal(0))} ({sign}{qty(change)}"
        if first:
            text += f", {sign}{change * 100 / first:.1f}%"
        return text + ")"


def sparkline(values: Sequence[Decimal | None]) -> str:
    """One bar per value, scaled between the lowest and the highest; flat series sit mid-way."""
    known = [v for v in values if v is not None]
    if not known:
        return GAP * len(values)
    low, high = min(known), max(known)
    span = high - low
    bars = []
    for value in values:
        if value is None:
            bars.append(GAP)
        elif not span:
            bars.append(BARS[3])
        else:
            bars.append(BARS[int((value - low) * (len(BARS) - 1) / span + Decimal("0.5"))])
    return "".join(bars)


def build_series(
    marks: Iterable[PeriodMark],
    lines: Iterable[QuantityMark],
    *,
    periods: int,
    labels: dict[str, str] | None = None,
) -> tuple[Series, ...]:
    """Each customer's products over its last ``periods`` completed periods; products never
    billed in that window are left out. Ordered by customer, then product."""
    by_customer: dict[str, list[PeriodMark]] = {}
    for mark in sorted(marks, key=lambda m: (m.run_id, m.period)):
        by_customer.setdefault(mark.customer, []).append(mark)
    history: dict[str, list[QuantityMark]] = {}
    for line in sorted(lines, key=lambda q: q.run_id):
        history.setdefault(line.customer, []).append(line)
    found: list[Series] = []
    for customer in sorted(by_customer):
        window = by_customer[customer][-periods:]
        label = (labels or {}).get(customer, customer)
        found += _customer_series(customer, label, window, history.get(customer, []))
    return tuple(found)


def _customer_series(
    customer: str, label: str, window: Sequence[PeriodMark], lines: Sequence[QuantityMark]
) -> list[Series]:
    """Walk the customer's confirmed lines once, reading every product at each period's run."""
    current: dict[str, Decimal] = {}
    columns: list[dict[str, Decimal]] = []
    index = 0
    for mark in window:
        while index < len(lines) and lines[index].run_id <= mark.run_id:
            current[lines[index].product] = lines[index].quantity
            index += 1
        columns.append(dict(current))
    periods = tuple(mark.period for mark in window)
    products = sorted({product for column in columns for product in column})
    return [
        Series(customer, label, product, periods, tuple(c.get(product) for c in columns))
        for product in products
    ]


def biggest_changes(series: Iterable[Series], limit: int) -> tuple[Series, ...]:
    """The ``limit`` series that moved most (by size of change, then by quantity)."""

    def size(item: Series) -> tuple[Decimal, Decimal]:
        return abs(item.change or Decimal(0)), item.last or Decimal(0)

    return tuple(sorted(series, key=size, reverse=True)[:limit])
