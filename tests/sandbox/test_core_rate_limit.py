"""The fault plan's rate limit: the PSA's own by default, ``None`` for none, or a window."""

from __future__ import annotations

from typing import Any

import pytest

from psabill.sandbox import FaultPlan
from psabill.sandbox.fault_rate import PSA_DEFAULT


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _refusals(plan: FaultPlan, count: int) -> list[int | None]:
    return [plan.decide("GET", "/x").retry_after for _ in range(count)]


def test_unset_the_psas_own_limit_applies_and_outlives_replace_and_clear() -> None:
    plan = FaultPlan(clock=Clock())
    plan.use_psa_limit((2, 300.0))

    first = _refusals(plan, 3)
    plan.replace(FaultPlan())
    plan.clear()
    after_clear = _refusals(plan, 3)

    assert plan.rate_limit is PSA_DEFAULT
    assert first == after_clear == [None, None, 300]


def test_none_switches_even_the_psas_limit_off() -> None:
    plan = FaultPlan(rate_limit=None, clock=Clock())
    plan.use_psa_limit((1, 60.0))

    assert _refusals(plan, 5) == [None] * 5


def test_a_plans_window_replaces_the_psas_and_retry_after_counts_down() -> None:
    clock = Clock()
    plan = FaultPlan(rate_limit=(3, 10.0), clock=clock)
    plan.use_psa_limit((1000, 1.0))

    burst = _refusals(plan, 4)
    clock.now = 2.5
    waiting = plan.decide("GET", "/x").retry_after
    clock.now = 10.0  # the first request leaves the window
    freed = plan.decide("GET", "/x").retry_after

    assert burst == [None, None, None, 10]
    assert waiting == 8  # ceil(10 - 2.5)
    assert freed is None


def test_refused_requests_do_not_fill_the_window() -> None:
    clock = Clock()
    plan = FaultPlan(rate_limit=(1, 60.0), clock=clock)

    _refusals(plan, 50)
    clock.now = 60.0

    assert plan.decide("GET", "/x").retry_after is None


def test_set_rate_limit_takes_a_per_minute_int_a_window_none_or_the_psas() -> None:
    plan = FaultPlan(clock=Clock())
    plan.use_psa_limit((1, 60.0))

    plan.set_rate_limit(2)
    per_minute = _refusals(plan, 3)
    plan.set_rate_limit((1, 5.0))
    window = _refusals(plan, 2)
    plan.set_rate_limit(None)
    off = _refusals(plan, 2)
    plan.set_rate_limit(PSA_DEFAULT)
    psa = _refusals(plan, 2)

    assert per_minute == [None, None, 60]
    assert window == [None, 5]
    assert off == [None, None]
    assert psa == [None, 60]


@pytest.mark.parametrize(
    "plan",
    [
        FaultPlan(),
        FaultPlan(rate_limit=None),
        FaultPlan(rate_limit=(300, 300.0)),
        FaultPlan(rate_limit_per_minute=100),
    ],
)
def test_the_json_form_round_trips(plan: FaultPlan) -> None:
    assert FaultPlan.from_json(plan.to_json()).rate_limit == plan.rate_limit


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, PSA_DEFAULT),
        ({"rate_limit_per_minute": None}, PSA_DEFAULT),
        ({"rate_limit_per_minute": 30}, (30, 60.0)),
        ({"rate_limit": "psa"}, PSA_DEFAULT),
        ({"rate_limit": None}, None),
        ({"rate_limit": [300, 300]}, (300, 300.0)),
        ({"rate_limit": {"requests": 5, "window_seconds": 1.5}}, (5, 1.5)),
    ],
)
def test_json_spellings(data: dict[str, Any], expected: object) -> None:
    assert FaultPlan.from_json(data).rate_limit == expected


@pytest.mark.parametrize(
    "data",
    [
        {"rate_limit": "fast"},
        {"rate_limit": [0.5, 10]},
        {"rate_limit": [5, 0]},
        {"rate_limit": {"requests": 5}},
        {"rate_limit_per_minute": "10"},
        {"rate_limit": [10, 60], "rate_limit_per_minute": 20},
    ],
)
def test_bad_json_limits_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        FaultPlan.from_json(data)


def test_both_spellings_at_once_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        FaultPlan(rate_limit=(1, 1.0), rate_limit_per_minute=5)
