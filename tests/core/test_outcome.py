"""Run outcome and per-customer completion from the final line statuses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from psabill.core.outcome import STATUS_WITHOUT_WRITE, LineResult, customer_complete, outcome_of
from psabill.core.plan import PlanLine


def result(action: str, status: str) -> LineResult:
    line = PlanLine("c1", "Acme", "A", action, "why", desired=Decimal(1))  # type: ignore[arg-type]
    return LineResult(line, status)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("results", "outcome"),
    [
        ([], "success"),
        ([result("update", "confirmed"), result("unchanged", "confirmed")], "success"),
        ([result("update", "failed")], "failure"),
        ([result("update", "failed"), result("unchanged", "confirmed")], "partial"),
        ([result("update", "confirmed"), result("held", "skipped")], "guard"),
        (
            [result("paused", STATUS_WITHOUT_WRITE["paused"]), result("update", "confirmed")],
            "partial",
        ),
    ],
)
def test_outcomes(results: list[LineResult], outcome: str) -> None:
    assert outcome_of(results) == outcome


def test_a_paused_product_keeps_the_period_open() -> None:
    """Pausing a product must not let its period complete unbilled."""
    assert not customer_complete([result("paused", STATUS_WITHOUT_WRITE["paused"])])
    assert not customer_complete([result("held", "skipped")])
    assert customer_complete([result("keep", "skipped"), result("update", "confirmed")])
