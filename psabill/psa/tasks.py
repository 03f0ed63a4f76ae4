"""Async plumbing every PSA client shares: batches that fail together, and closing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from types import TracebackType
from typing import Self, TypeVar

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
