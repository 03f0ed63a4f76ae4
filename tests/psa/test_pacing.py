"""Retry-After parsing, backoff bounds and the token bucket, on a fake clock."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psabill.psa.pacing import RetryPolicy, TokenBucket, backoff_delay, parse_retry_after
from tests.psa.conftest import FakeClock

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


def take(bucket: TokenBucket, count: int) -> list[float]:
    async def main() -> list[float]:
        return [await bucket.acquire() for _ in range(count)]

    return asyncio.run(main())


def test_bucket_lets_a_burst_through_then_spaces_requests_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, burst=3, monotonic=clock.monotonic, sleep=clock.sleep)
    waits = take(bucket, 6)
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([1.0, 1.0, 1.0])
    assert clock.now == pytest.approx(1003.0)


def test_bucket_refills_while_idle_but_never_above_its_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(120, burst=2, monotonic=clock.monotonic, sleep=clock.sleep)
    take(bucket, 2)
    clock.now += 3600
    waits = take(bucket, 3)
    assert waits == pytest.approx([0.0, 0.0, 0.5])


@given(
    per_minute=st.integers(1, 2000),
    burst=st.integers(1, 50),
    count=st.integers(1, 200),
)
def test_no_minute_ever_sees_more_than_burst_plus_rate(
    per_minute: int, burst: int, count: int
) -> None:
    clock = FakeClock()
    bucket = TokenBucket(per_minute, burst=burst, monotonic=clock.monotonic, sleep=clock.sleep)

    async def main() -> list[float]:
        moments = []
        for _ in range(count):
            await bucket.acquire()
            moments.append(clock.now)
        return moments

    moments = asyncio.run(main())
    for index, start in enumerate(moments):
        in_window = [m for m in moments[index:] if m < start + 60.0 - 1e-9]
        assert len(in_window) <= burst + per_minute


def test_pause_holds_back_the_next_request() -> None:
    clock = FakeClock()
    bucket = TokenBucket(600, burst=10, monotonic=clock.monotonic, sleep=clock.sleep)
    bucket.pause(30)
    assert take(bucket, 1) == [pytest.approx(30.0)]


def test_concurrent_waiters_are_spaced_too() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, burst=1, monotonic=clock.monotonic, sleep=clock.sleep)

    async def main() -> list[float]:
        moments: list[float] = []

        async def one() -> None:
            await bucket.acquire()
            moments.append(clock.now)

        await asyncio.gather(*(one() for _ in range(5)))
        return moments

    assert sorted(asyncio.run(main())) == pytest.approx([1000, 1001, 1002, 1003, 1004])


@pytest.mark.parametrize(("per_minute", "burst"), [(0, None), (60, 0)])
def test_bucket_refuses_nonsense(per_minute: int, burst: int | None) -> None:
    clock = FakeClock()
    with pytest.raises(ValueError, match="at least 1"):
        TokenBucket(per_minute, burst=burst, monotonic=clock.monotonic, sleep=clock.sleep)
