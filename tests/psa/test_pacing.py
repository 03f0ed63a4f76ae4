"""Retry-After parsing, backoff bounds and the adaptive pacer, on fake clocks (never waiting)."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psabill.psa.aimd import WINDOW, Aimd
from psabill.psa.pacing import (
    Pacer,
    RetryPolicy,
    backoff_delay,
    pacing_of,
    parse_retry_after,
)
from tests.psa.conftest import FakeClock
from tests.psa.virtual_clock import VirtualClock

NOW = datetime(2025, 3, 15, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30", 30.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("Sat, 15 Mar 2025 12:00:45 GMT", 45.0),
        ("Sat, 15 Mar 2025 11:59:00 GMT", 0.0),  # in the past: now
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


@given(retry=st.integers(0, 40), seed=st.integers(0, 2**32))
def test_backoff_stays_between_half_and_all_of_the_capped_exponential(
    retry: int, seed: int
) -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=30.0)
    delay = backoff_delay(retry, policy, random.Random(seed))
    ceiling = min(30.0, 0.5 * 2**retry)
    assert ceiling / 2 <= delay <= ceiling


def test_backoff_grows_until_the_cap() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    floors = [backoff_delay(n, policy, random.Random(0)) for n in range(6)]
    assert floors[0] <= 1.0 < floors[3]
    assert max(floors) <= 8.0


def pacer(ceiling: float | None, clock: FakeClock | VirtualClock) -> Pacer:
    return Pacer(ceiling, monotonic=clock.monotonic, sleep=clock.sleep)


def starts(pace: Pacer, count: int) -> list[float]:
    """Start ``count`` requests one after another, each answered at once."""

    async def main() -> list[float]:
        moments = []
        for _ in range(count):
            moments.append(await pace.acquire())
            pace.answered(moments[-1])
        return moments

    return asyncio.run(main())


def busiest_minute(moments: list[float]) -> int:
    """The most starts in any 60 seconds (a window starting at each start is the worst case)."""
    ordered = sorted(moments)
    return max(
        (sum(1 for m in ordered[i:] if m < start + 60.0) for i, start in enumerate(ordered)),
        default=0,
    )


def test_a_run_within_the_allowance_goes_at_once_and_the_next_waits_a_window() -> None:
    clock = FakeClock()
    moments = starts(pacer(5, clock), 7)
    assert moments[:5] == [1000.0] * 5
    assert moments[5:] == pytest.approx([1000.0 + WINDOW] * 2)
    assert clock.sleeps == pytest.approx([WINDOW])  # one sleep for the gap, not one per request


@given(ceiling=st.integers(1, 120), count=st.integers(1, 400))
def test_no_minute_ever_sees_more_than_the_ceiling(ceiling: int, count: int) -> None:
    assert busiest_minute(starts(pacer(ceiling, FakeClock()), count)) <= ceiling


@given(ceiling=st.integers(1, 60), tasks=st.integers(1, 12), each=st.integers(1, 15))
def test_concurrent_requests_never_exceed_the_ceiling_either(
    ceiling: int, tasks: int, each: int
) -> None:
    clock = VirtualClock()
    pace = pacer(ceiling, clock)
    moments: list[float] = []

    async def worker() -> None:
        for _ in range(each):
            moments.append(await pace.acquire())
            pace.answered(moments[-1])

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(tasks)))

    asyncio.run(main())
    assert len(moments) == tasks * each
    assert busiest_minute(moments) <= ceiling


def test_a_429_halves_what_was_getting_through_and_spaces_requests() -> None:
    clock = FakeClock()
    pace = pacer(600, clock)
    moments = starts(pace, 100)
    pace.refused(moments[-1])
    assert pace.aimd is not None
    assert pace.aimd.rate == 50  # half the 100 that went through, not half of 600
    assert pace.stats().throttled == 1
    later = starts(pace, 3)
    gaps = [b - a for a, b in itertools.pairwise(later)]
    assert gaps == pytest.approx([WINDOW / 50] * 2)


def test_429s_of_requests_sent_before_the_cut_cut_only_once() -> None:
    clock = FakeClock()
    pace = pacer(600, clock)
    moments = starts(pace, 80)
    for started in moments[-8:]:  # eight in flight together, all refused
        pace.refused(started)
    assert pace.aimd is not None
    assert pace.aimd.rate == 40
    [after] = starts(pace, 1)
    pace.refused(after)  # refused again after the cut: cut again
    assert pace.aimd.rate < 40
    assert pace.stats().throttled == 9


def test_recovery_is_additive_and_stops_at_the_ceiling() -> None:
    clock = FakeClock()
    pace = pacer(600, clock)
    pace.refused(starts(pace, 600)[-1])
    assert pace.aimd is not None
    rates = [pace.aimd.rate]
    for _ in range(12):
        starts(pace, int(pace.aimd.rate))  # a window's worth of answers
        rates.append(pace.aimd.rate)
    steps = [b - a for a, b in itertools.pairwise(rates)]
    assert rates[0] == 300
    assert set(steps[:5]) == {60.0}  # a tenth of the ceiling each time
    assert rates[-1] == 600
    assert max(rates) == 600


@given(cap=st.integers(2, 90), rounds=st.integers(1, 6))
def test_an_explicit_cap_is_never_exceeded_through_cuts_and_recovery(cap: int, rounds: int) -> None:
    clock = FakeClock()
    pace = pacer(cap, clock)
    moments: list[float] = []
    for _ in range(rounds):
        moments += starts(pace, 2 * cap)
        pace.refused(moments[-1])
        pace.pause(5.0)
    moments += starts(pace, 3 * cap)
    assert pace.aimd is not None
    assert pace.aimd.rate <= cap
    assert busiest_minute(moments) <= cap


def test_no_limit_never_waits() -> None:
    clock = FakeClock()
    pace = pacer(None, clock)
    starts(pace, 10_000)
    pace.refused(clock.now)  # counted, but "none" has no rate to cut
    assert clock.sleeps == []
    assert pace.stats() == pace.stats().__class__(requests=10_000, throttled=1)


def test_a_pause_holds_back_waiters_that_already_had_a_turn() -> None:
    clock = VirtualClock()
    pace = pacer(2, clock)
    moments: list[float] = []

    async def one() -> None:
        moments.append(await pace.acquire())

    async def main() -> None:
        await one()
        await one()  # the window is full: the next start is a window later
        waiting = asyncio.gather(one(), one())
        await asyncio.sleep(0)
        pace.pause(300.0)  # a Retry-After arrives meanwhile
        await waiting

    asyncio.run(main())
    assert moments[:2] == [1000.0, 1000.0]
    assert min(moments[2:]) >= 1300.0
    assert pace.stats().waited == pytest.approx(moments[-1] - 1000.0)


def test_rising_latency_eases_the_rate_off_gently() -> None:
    clock = FakeClock()
    pace = pacer(600, clock)
    assert pace.aimd is not None

    async def main() -> None:
        for latency in [0.05] * 30 + [1.0] * 60:
            started = await pace.acquire()
            clock.now += latency
            pace.answered(started)

    asyncio.run(main())
    # A tenth off, once: latency rose, then held steady (no further cut), and while it
    # stays high the rate does not recover either.
    assert pace.aimd.rate == 540
    assert pace.stats().waited == 0  # easing never stalls a run the rate does not hold back


def test_latency_back_to_normal_lets_the_rate_recover() -> None:
    aimd = Aimd(600)
    for latency in [0.05] * 30 + [1.5] * 30:
        if aimd.succeeded(latency):
            aimd.ease()
    eased = aimd.rate
    for _ in range(900):
        assert not aimd.succeeded(0.05)
    assert eased == 540
    assert aimd.rate == 600


def test_steady_latency_never_eases_off() -> None:
    aimd = Aimd(600)
    assert not any(aimd.succeeded(0.2) for _ in range(500))
    assert aimd.rate == 600


@pytest.mark.parametrize("ceiling", [0, 0.5])
def test_aimd_refuses_nonsense(ceiling: float) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Aimd(ceiling)


def test_pacing_of_a_client_that_keeps_no_count_is_none() -> None:
    assert pacing_of(object()) is None
    pace = pacer(60, FakeClock())
    starts(pace, 3)

    class Client:
        def pacing_stats(self) -> object:
            return pace.stats()

    stats = pacing_of(Client())
    assert stats is not None
    assert stats.requests == 3
    assert stats.ceiling == 60
