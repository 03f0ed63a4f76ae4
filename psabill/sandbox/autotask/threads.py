"""Autotask's thread limit: at most 3 requests at once per integration code (reference §1.5).

The 4th concurrent request is refused at once with the ``Itgenatr005`` text and HTTP 500 (the
status the real API uses is not documented; it "may not be 429"). Zone lookups are exempt.
:class:`Gate` lets a test hold requests inside the limit, so concurrency is arranged by events,
never by sleeping.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

THREAD_LIMIT = 3
THREAD_LIMIT_MESSAGE = (
    "Thread Threshold Exceeded — The Autotask API thread threshold of 3 threads has been "
    "exceeded. Please try again later. (Itgenatr005)"
)
GATE_PATIENCE = 10.0
"""Seconds a held request waits at most, so a broken test cannot hang the server."""


class Gate:
    """Holds the next ``count`` requests until :meth:`open` (or until ``until_inside`` are held)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._quota = 0
        self._held = 0
        self._release_at: int | None = None
        self._generation = 0

    def hold(self, count: int, *, until_inside: int | None = None) -> None:
        with self._cond:
            self._quota, self._held, self._release_at = count, 0, until_inside

    def open(self) -> None:
        with self._cond:
            self._quota, self._release_at = 0, None
            self._generation += 1
            self._cond.notify_all()

    def wait_held(self, count: int, timeout: float = GATE_PATIENCE) -> bool:
        """Wait until ``count`` requests are held; ``False`` if ``timeout`` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._held >= count, timeout)

    def enter(self) -> None:
        with self._cond:
            if self._quota <= 0:
                return
            self._quota -= 1
            self._held += 1
            generation = self._generation
            self._cond.notify_all()
            if self._release_at is not None and self._held >= self._release_at:
                self.open()
                return
            self._cond.wait_for(lambda: self._generation != generation, GATE_PATIENCE)


class ThreadLimiter:
    """Requests in flight per integration code, and the most ever seen at once."""

    def __init__(self, limit: int = THREAD_LIMIT) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()
        self._peak: Counter[str] = Counter()

    @contextmanager
    def slot(self, code: str) -> Iterator[bool]:
        """Yield ``True`` with a slot taken, or ``False`` when ``code`` already has ``limit``."""
        with self._lock:
            if self._in_flight[code] >= self.limit:
                granted = False
            else:
                granted = True
                self._in_flight[code] += 1
                self._peak[code] = max(self._peak[code], self._in_flight[code])
        try:
            yield granted
        finally:
            if granted:
                with self._lock:
                    self._in_flight[code] -= 1

    def peak(self, code: str) -> int:
        with self._lock:
            return self._peak[code]
