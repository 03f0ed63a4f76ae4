"""Pacing for PSA requests: the adaptive rate limit, backoff delays and ``Retry-After``.

Pure arithmetic (:func:`backoff_delay`, :func:`parse_retry_after`, and the adaptive rate,
:class:`~psabill.psa.aimd.Aimd`) plus one small async class (:class:`Pacer`); the clock and
``sleep`` are always passed in, so tests drive them with a fake clock and never really wait.

ConnectWise counts requests per API member and answers 429 with ``Retry-After`` beyond its
allowance ("over 1,000 requests per minute will likely experience rate limiting", Developer
Guide). The pacer starts at a ceiling (``[psa] rate_limit``, or 900 a minute when unset) and
lets at most that many requests start in any 60 seconds; a 429 halves the rate and holds
everyone back for ``Retry-After``; latency that keeps rising eases it off by a tenth; each
window's worth of answers adds a tenth of the ceiling back, up to the ceiling and never above.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol, runtime_checkable

from psabill.core.report import PacingStats
from psabill.psa.aimd import WINDOW, Aimd

Sleep = Callable[[float], Awaitable[None]]
CLOCK_SLACK = 1e-3
"""A start this close is now: a clock of microseconds (or a sleep that returns a hair early)
must not make a request sleep again for the rounding left over from the last wait."""
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


class Pacer:
    """When each PSA request may start: at most R in any minute, R adapting to the PSA.

    ``ceiling`` is R to start from and never exceed (``None``: no limit, and the pacer only
    holds requests back after a 429). Requests may go at once while fewer than R started in
    the last :data:`WINDOW` seconds: a run smaller than the allowance is never slowed down.
    After a 429 the rate is halved and requests are spaced evenly (no bursts) until it has
    recovered to the ceiling, so psabill does not draw 429 after 429; :meth:`pause` holds
    everyone back, for a ``Retry-After``.

    Each request computes its start time from the recent starts and sleeps once for the gap
    (nothing when there is none): no lock, no per-request timer. A start time is reserved when
    computed; a 429 or a pause withdraws reservations not yet started, and their waiters
    compute again when they wake.
    """

    def __init__(self, ceiling: float | None, *, monotonic: Monotonic, sleep: Sleep) -> None:
        self.aimd = None if ceiling is None else Aimd(ceiling)
        self._monotonic = monotonic
        self._sleep = sleep
        self._starts: deque[float] = deque(maxlen=int(ceiling or 1))
        self._spacing = 0.0
        self._paused_until = -math.inf
        self._cut_at = -math.inf
        self._generation = 0
        self._held_until = -math.inf
        self.requests = 0
        self.throttled = 0
        self.held = 0.0
        """Seconds during which the pacer held at least one request back."""

    async def acquire(self) -> float:
        """Wait for this request's turn; return the moment it starts."""
        while True:
            now = self._monotonic()
            at = self._slot(now)
            if self.aimd is not None:
                self._starts.append(at)
            if at - now < CLOCK_SLACK:
                self.requests += 1
                return now
            self._hold(now, at)
            generation = self._generation
            await self._sleep(at - now)
            if generation == self._generation:
                self.requests += 1
                return max(at, self._monotonic())

    def _slot(self, now: float) -> float:
        at = max(now, self._paused_until)
        if self.aimd is None or not self._starts:
            return at
        starts, allowed = self._starts, int(self.aimd.rate)
        at = max(at, starts[-1] + self._spacing)
        if len(starts) >= allowed:
            at = max(at, starts[-allowed] + WINDOW)
        return at

    def answered(self, started: float) -> None:
        """A request that started at ``started`` got an answer that was not a 429."""
        if self.aimd is not None:
            now = self._monotonic()
            before = self.aimd.rate
            if self.aimd.succeeded(now - started):
                self.aimd.ease()
                self._withdraw(now)
            elif self.aimd.rate > before and self._spacing:
                self._spaced()

    def refused(self, started: float) -> None:
        """A request that started at ``started`` got a 429.

        Requests that started before the last cut went out at the old rate: their 429s are
        the same news, so the rate is cut once for them all.
        """
        self.throttled += 1
        if self.aimd is not None and started > self._cut_at:
            now = self._monotonic()
            self.aimd.throttled(self._recent(now))
            self._cut_at = now
            self._spaced()
            self._withdraw(now)

    def pause(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` from now."""
        now = self._monotonic()
        until = now + seconds
        if until > self._paused_until:
            self._hold(now, until)
            self._paused_until = until
            self._withdraw(now)

    def stats(self) -> PacingStats:
        aimd = self.aimd
        return PacingStats(
            requests=self.requests,
            throttled=self.throttled,
            waited=self.held,
            ceiling=None if aimd is None else aimd.ceiling,
            final_rate=None if aimd is None else aimd.rate,
        )

    def _spaced(self) -> None:
        """After a 429, until the rate is back at the ceiling: requests go evenly spaced."""
        if self.aimd is not None:
            rate = self.aimd.rate
            self._spacing = 0.0 if rate >= self.aimd.ceiling else WINDOW / rate

    def _withdraw(self, now: float) -> None:
        """Forget reserved starts after ``now``; their waiters compute again when they wake."""
        while self._starts and self._starts[-1] > now:
            self._starts.pop()
        self._generation += 1

    def _recent(self, now: float) -> int:
        """Requests started in the last window."""
        count = 0
        for moment in reversed(self._starts):
            if moment <= now - WINDOW:
                break
            count += moment <= now
        return count

    def _hold(self, now: float, until: float) -> None:
        self.held += max(0.0, until - max(now, self._held_until))
        self._held_until = max(self._held_until, until)


@runtime_checkable
class ReportsPacing(Protocol):
    """A PSA client that keeps :class:`~psabill.core.report.PacingStats` (fakes need not)."""

    def pacing_stats(self) -> PacingStats: ...


def pacing_of(client: object) -> PacingStats | None:
    """How ``client`` paced its requests, if it keeps count."""
    return client.pacing_stats() if isinstance(client, ReportsPacing) else None
