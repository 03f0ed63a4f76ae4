"""Async plumbing every PSA client shares: batches that fail together, closing, and the
lanes requests travel in."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self, TypeVar

import httpx

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")


async def gather_all(jobs: Iterable[Awaitable[T]]) -> list[T]:
    """``asyncio.gather`` that cancels the other jobs when one fails, waits for them, then
    re-raises.

    A plain ``gather`` leaves the others running; ``asyncio.run`` then cancels them on
    the way out, some before their connection attempt has started, and Python warns
    "coroutine ... was never awaited". Nothing outlives a failed batch here.
    """
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def gather_pair(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Two jobs of different types, with :func:`gather_all`'s guarantee."""
    one, two = asyncio.ensure_future(first), asyncio.ensure_future(second)
    await gather_all([one, two])
    return one.result(), two.result()


class AsyncClosing:
    """``async with client:`` closes it on the way out, whatever happened inside."""

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


class Lanes:
    """httpx clients of one connection each, one per request in flight.

    One client with a pool of N connections costs more CPU per request than N clients of one
    connection: httpcore's pool (1.0) checks every connection twice per request, each check
    quadratic in their number, and can hand one idle connection to two requests at once, so
    that one of them goes round again. The caller bounds the requests in flight (a semaphore);
    the most recently used client is handed out first, so a trickle of requests keeps one
    connection warm rather than letting all of them expire.
    """

    def __init__(self, open_client: Callable[[], httpx.AsyncClient]) -> None:
        self._open = open_client
        self._idle: list[httpx.AsyncClient] = []
        self._opened: list[httpx.AsyncClient] = []

    @contextmanager
    def lane(self) -> Iterator[httpx.AsyncClient]:
        """A client no other request is using (opened when none is idle)."""
        client = self._idle.pop() if self._idle else self._new()
        try:
            yield client
        finally:
            self._idle.append(client)

    def _new(self) -> httpx.AsyncClient:
        client = self._open()
        if all(client is not opened for opened in self._opened):
            self._opened.append(client)
        return client

    async def aclose(self) -> None:
        """Close every client opened; each once, even one handed out to several lanes."""
        opened, self._opened, self._idle = self._opened, [], []
        for client in opened:
            await client.aclose()
