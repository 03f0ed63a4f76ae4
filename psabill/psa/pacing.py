"""Pacing for PSA requests: the client-side rate limit, backoff delays and ``Retry-After``.

Pure arithmetic plus one small async class; the clock and ``sleep`` are always passed in, so
tests drive them with a fake clock and never really wait.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]
WallClock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up. Every wait is bounded, and so is their sum."""

    max_retries: int = 5
    """Retries after the first attempt."""
    base_delay: float = 0.5
    """First backoff delay in seconds; doubles per retry."""
    max_delay: float = 30.0
    """Cap of one backoff delay."""
    max_retry_after: float = 120.0
    """A ``Retry-After`` longer than this is not waited for: the request fails instead."""
    max_total_wait: float = 300.0
    """Cap of all waits of one request together."""

    def __post_init__(self) -> None:
        if self.max_retries < 0 or min(self.base_delay, self.max_delay) < 0:
            raise ValueError("retry counts and delays cannot be negative")


def backoff_delay(retry: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": between half and all of ``base * 2**retry``.

    The jitter spreads out clients that failed together; the floor keeps a minimum pause.
    """
    ceiling = min(policy.max_delay, policy.base_delay * 2.0**retry)
    return ceiling / 2 + rng.uniform(0.0, ceiling / 2)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delay-seconds or an HTTP-date.

    ``None`` for a missing or unreadable value (the caller falls back to backoff). A date in
    the past means "now" (0).
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until(text, now)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _seconds_until(text: str, now: datetime) -> float | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


class TokenBucket:
    """A token bucket: ``per_minute`` requests per minute on average, ``burst`` at once.

    Over any 60 seconds at most ``burst + per_minute`` requests pass, so the default burst
    (one second's worth) keeps psabill well below a server limit a little above ``per_minute``.
    :meth:`pause` holds every caller back, for example after a 429 with ``Retry-After``.
    Waiters are served in arrival order.
    """

    def __init__(
        self,
        per_minute: int,
        *,
        burst: int | None = None,
        monotonic: Monotonic,
        sleep: Sleep,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.rate = per_minute / 60.0
        self.capacity = float(burst if burst is not None else max(1, per_minute // 60))
        if self.capacity < 1:
            raise ValueError("burst must be at least 1")
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = self.capacity
        self._stamp = monotonic()
        self._paused_until = -math.inf
        self._lock = asyncio.Lock()

    async def acquire(self) -> float:
        """Take one token, waiting as needed; return the seconds waited."""
        async with self._lock:
            now = self._monotonic()
            wait = max(0.0, self._paused_until - now)
            elapsed = max(0.0, now - self._stamp) + wait
            tokens = min(self.capacity, self._tokens + elapsed * self.rate)
            if tokens < 1.0:
                wait += (1.0 - tokens) / self.rate
                tokens = 1.0
            if wait > 0:
                await self._sleep(wait)
            # Count from the moment the wait was planned to end, never from a clock that lags
            # behind a (fake) sleep: the bucket cannot spin or hand out tokens twice.
            self._tokens = tokens - 1.0
            self._stamp = max(self._monotonic(), now + wait)
            return wait

    def pause(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` from now."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)
