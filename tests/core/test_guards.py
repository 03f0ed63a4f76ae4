"""The rise guard: a line jumping far above what psabill last synced holds its customer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from psabill.core.guards import RiseLimit, apply_guards
from tests.core.test_plan import addition, only, plan_for, snapshot

LIMIT = Decimal("0.5")


def rise(last: dict[str, int] | None = None, *, allowed: bool = False) -> RiseLimit:
    synced = {("c1", sku): Decimal(q) for sku, q in (last or {}).items()}
    return RiseLimit(Decimal(10), Decimal(20), synced, allowed)


def test_a_typo_sized_rise_is_held_with_its_reason() -> None:
    snap = snapshot((addition(1, "CAT-A", "45"),))
    plan = apply_guards(
        plan_for({"A": 9_999_999}, snap), snap, LIMIT, allow_drop=False, rise=rise({"A": 45})
    )
    line = only(plan, "A")
    assert line.action == "held"
    assert line.why == "guard: A rises from 45 to 9999999 (x222222.2, limit x10)"
    (trip,) = plan.guard_trips
    assert (trip.customer, trip.allowed_by) == ("c1", "")


@pytest.mark.parametrize("flag", ["allow_drop", "allow_rise"])
def test_either_flag_lets_a_rise_through(flag: str) -> None:
    snap = snapshot((addition(1, "CAT-A", "45"),))
    limit = rise({"A": 45}, allowed=flag == "allow_rise")
    plan = apply_guards(
        plan_for({"A": 5000}, snap), snap, LIMIT, allow_drop=flag == "allow_drop", rise=limit
    )
    assert only(plan, "A").action == "update"
    assert str(plan.guard_trips[0]).endswith(f"(allowed by --{flag.replace('_', '-')})")


def test_allow_rise_does_not_let_a_drop_through() -> None:
    snap = snapshot((addition(1, "CAT-A", "45"), addition(2, "CAT-B", "10000")))
    plan = plan_for({"A": 5000, "B": 1}, snap)
    guarded = apply_guards(plan, snap, LIMIT, allow_drop=False, rise=rise(allowed=True))
    assert {only(guarded, sku).action for sku in "AB"} == {"held"}


@pytest.mark.parametrize(
    ("current", "usage", "last", "action"),
    [
        ("45", 450, {"A": 45}, "update"),  # exactly ten-fold: allowed
        ("45", 451, {"A": 45}, "held"),
        ("1", 20, {"A": 1}, "update"),  # at or below the floor: never held
        ("1", 21, {"A": 1}, "held"),
        ("0", 500, {"A": 0}, "update"),  # rising from 0: a customer who started using it
        ("300", 500, {"A": 30}, "held"),  # compared with what psabill last synced
        ("30", 500, {}, "held"),  # no ledger history: the PSA's quantity stands in
    ],
)
def test_rise_boundaries(current: str, usage: int, last: dict[str, int], action: str) -> None:
    snap = snapshot((addition(1, "CAT-A", current),))
    plan = apply_guards(
        plan_for({"A": usage}, snap), snap, LIMIT, allow_drop=False, rise=rise(last)
    )
    assert only(plan, "A").action == action


def test_a_new_line_is_never_held_for_rising() -> None:
    snap = snapshot()
    plan = apply_guards(plan_for({"A": 9_999}, snap), snap, LIMIT, allow_drop=False, rise=rise())
    assert only(plan, "A").action == "create"
    assert plan.guard_trips == ()
