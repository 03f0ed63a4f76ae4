"""A virtual clock for concurrent code: sleepers wake in order of their wake-up time, never
all at once, and time stands still while a request is on the wire.

:class:`~tests.psa.conftest.FakeClock` adds every sleep to "now", which is right for one task
at a time; with several tasks sleeping side by side it would add their sleeps up. Here
``sleep(d)`` waits until ``now + d`` is the earliest wake-up pending, then moves ``now`` there.
Time moves only when no request is in flight (count them with :meth:`VirtualClock.track`), so
a server reading the same clock sees each request at the moment the client sent it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

import httpx

SETTLE = 50
"""Loop turns given to runnable tasks before time moves (they may still start a request)."""


class VirtualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self.in_flight = 0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._driver: asyncio.Task[None] | None = None
        self._idle: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), woken))
        if self._driver is None or self._driver.done():
            self._driver = asyncio.get_running_loop().create_task(self._drive())
        await woken

    async def _drive(self) -> None:
        while self._sleepers:
            await self._settle()
            due, _, woken = heapq.heappop(self._sleepers)
            self.now = max(self.now, due)
            if not woken.done():
                woken.set_result(None)

    async def _settle(self) -> None:
        """Let every task that can run reach its next sleep, with no request on the wire."""
        while True:
            for _ in range(SETTLE):
                await asyncio.sleep(0)
            if not self.in_flight:
                return
            await self._event().wait()

    def _event(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._idle is None or self._loop is not loop:  # each asyncio.run has a loop of its own
            self._idle, self._loop = asyncio.Event(), loop
            if not self.in_flight:
                self._idle.set()
        return self._idle

    def track(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        """``inner``, counting the requests in flight on this clock."""
        return _Tracked(inner, self)

    def started(self) -> None:
        self.in_flight += 1
        self._event().clear()

    def finished(self) -> None:
        self.in_flight -= 1
        if not self.in_flight:
            self._event().set()


class _Tracked(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, clock: VirtualClock) -> None:
        self.inner, self.clock = inner, clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.clock.started()
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.clock.finished()

    async def aclose(self) -> None:
        await self.inner.aclose()
