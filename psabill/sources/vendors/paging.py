"""Paging helpers for vendor APIs: page numbers and continuation keys.

Each takes a function that fetches one page and returns its items with what leads to the next
page; each refuses to loop forever on a server that keeps answering the same page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from psabill.errors import SourceError

MAX_PAGES = 10_000
"""More pages than this is taken as a server that never stops, not as real data."""

NumberedPage = tuple[list[Any], int]
"""A page's items and the total number of pages."""
KeyedPage = tuple[list[Any], str | None]
"""A page's items and the key of the next page (``None``/empty: this was the last)."""


async def by_page_number(
    fetch: Callable[[int], Awaitable[NumberedPage]], what: str, first: int = 1
) -> list[Any]:
    """Every item of pages ``first``, ``first + 1``, ... up to the total the server reports."""
    items, total = await fetch(first)
    found = list(items)
    page = first
    while page - first + 1 < total:
        if page - first + 1 >= MAX_PAGES:
            raise SourceError(f"{what}: more than {MAX_PAGES:,} pages; giving up")
        page += 1
        items, total = await fetch(page)
        if not items:
            break  # fewer pages than announced (items removed meanwhile): nothing more to read
        found.extend(items)
    return found


async def by_key(fetch: Callable[[str | None], Awaitable[KeyedPage]], what: str) -> list[Any]:
    """Every item of the first page and of each page its predecessor's key leads to."""
    found: list[Any] = []
    seen: set[str] = set()
    key: str | None = None
    for _ in range(MAX_PAGES):
        items, key = await fetch(key)
        found.extend(items)
        if not key:
            return found
        if key in seen:
            raise SourceError(f"{what}: the server sent next page key {key!r} twice")
        seen.add(key)
    raise SourceError(f"{what}: more than {MAX_PAGES:,} pages; giving up")
