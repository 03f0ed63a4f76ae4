"""Words for people: counts with the right plural, money with two decimals, the PSA's nouns."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from psabill.psa.words import PsaWords, words

if TYPE_CHECKING:
    from psabill.cli.app import App

CENT = Decimal("0.01")


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 line``, ``2 lines``, ``0 lines``; ``nouns`` for irregular plurals (``addresses``)."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def money(value: Decimal | None) -> str:
    """An amount with two decimals and thousands separators (``1,234.50``); ``-`` for none."""
    if value is None:
        return "-"
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,}"


def psa_words(app: App) -> PsaWords:
    """What the configured PSA calls companies, agreements and catalog items."""
    return words(app.loaded().config.psa.kind)
