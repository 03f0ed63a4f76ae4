"""The adaptive rate of :class:`~psabill.psa.pacing.Pacer`: additive increase, multiplicative
decrease, in requests a minute. Pure arithmetic: no clock, no I/O."""

from __future__ import annotations

import math
from dataclasses import dataclass

WINDOW = 61.0
"""Seconds between a request and the R-th after it, for an allowance of R a minute: the PSA
counts any 60 seconds, and the extra second absorbs network jitter (a request delayed on the
way arrives later than it left, and the PSA counts arrivals)."""
CUT = 0.5
"""A 429 multiplies the rate by this."""
FLOOR = 10.0
"""A 429 never cuts the rate below this many a minute (or the ceiling, when lower)."""
EASE = 0.9
"""Sustained rising latency multiplies the rate by this. With a bounded number of requests in
flight, slower answers already mean fewer requests a second; this only matters to a run the
rate holds back, so it eases that one off gently rather than halting it."""
STEP = 0.1
"""Each window's worth of answered requests adds this share of the ceiling back."""
SLOW = 2.0
"""Latency counts as rising when its smoothed value exceeds this many times its reference..."""
SLOW_FLOOR = 0.5
"""... plus this many seconds: a busy client, or writes answering slower than reads, never
count; a PSA struggling under load does."""
SETTLE = 20
"""Answers between two latency cuts, and before the first: "sustained"."""


@dataclass
class Aimd:
    """The adaptive rate, in requests a minute: additive increase, multiplicative decrease.

    Pure arithmetic: the caller says what happened (a 429, an answer and its latency) and,
    to cut, how many requests it started in the last window; :attr:`rate` is never above
    the ceiling and never below 1.
    """

    ceiling: float
    rate: float = 0.0
    answered: int = 0
    """Answers since the rate last changed: a window's worth of them earns a step up."""
    smoothed: float | None = None
    reference: float = math.inf
    """The lowest smoothed latency since the last latency cut: latency rising above it cuts."""
    baseline: float = math.inf
    """The lowest smoothed latency ever: while latency is well above it, no recovery."""
    since_cut: int = 0

    def __post_init__(self) -> None:
        if self.ceiling < 1:
            raise ValueError("a rate limit must be at least 1 a minute")
        self.rate = self.rate or self.ceiling

    def throttled(self, recent: int) -> None:
        """A 429: halve what was really getting through (``recent`` started in a window).

        Not below :data:`FLOOR`: when psabill sent little, others used up the allowance, and
        ``Retry-After`` says when to come back; crawling would not help them.
        """
        self._set(max(min(self.rate, recent) * CUT, FLOOR))

    def succeeded(self, latency: float) -> bool:
        """An answer after ``latency`` seconds; recover a step per window's worth of them.

        True when latency has kept rising: the caller then calls :meth:`ease`.
        """
        self.smoothed = latency if self.smoothed is None else self.smoothed * 0.9 + latency * 0.1
        self.reference = min(self.reference, self.smoothed)
        self.baseline = min(self.baseline, self.smoothed)
        self.since_cut += 1
        if self.since_cut >= SETTLE and _slow(self.smoothed, self.reference):
            return True
        if not _slow(self.smoothed, self.baseline):  # no recovery while answers are slow
            self.answered += 1
            if self.rate < self.ceiling and self.answered >= self.rate:
                self._set(self.rate + self.ceiling * STEP)
        return False

    def ease(self) -> None:
        """Latency kept rising: a tenth off the rate."""
        self._set(self.rate * EASE)
        self.reference, self.since_cut = self.smoothed or 0.0, 0

    def _set(self, rate: float) -> None:
        self.rate = min(self.ceiling, max(1.0, rate))
        self.answered = 0


def _slow(latency: float, reference: float) -> bool:
    return latency > reference * SLOW + SLOW_FLOOR
