"""Words for people: counts with the right plural, money with two decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 line``, ``2 lines``, ``0 lines``; ``nouns`` for irregular plurals (``addresses``)."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def money(value: Decimal | None) -> str:
    """An amount with two decimals and thousands separators (``1,234.50``); ``-`` for none."""
    if value is None:
        return "-"
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,}"
