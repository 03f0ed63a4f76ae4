"""One recurring invoice at a time: the lock psabill's writes to it queue on, and what psabill
last saw of its lines.

Halo fails overlapping writes to one invoice (HaloAPI issue #61), so writes to an invoice are
serialised. Creating a line is not idempotent, so a line is created only after a read that is
*fresh* shows it missing. Reading the invoice before every new line cost one GET per line (2,500
in a 500 x 5 first sync); while writes are serialised, psabill's own writes are the only ones it
must account for between two of its reads, so :class:`InvoiceWrites` keeps a *view* of the
invoice's lines:

* it starts from a read made while holding the invoice (never the lines ``agreements()`` read
  earlier in the run);
* it changes only by what psabill confirmed itself: a created line as Halo answered it, or the
  whole invoice as the read-back after an update showed it;
* anything else ends it: an error or an unknown outcome inside the invoice's lock, an answer
  that does not plainly describe the created line, the last queued write to the invoice
  finishing (the *batch* of writes a run queued on it), or :data:`VIEW_SECONDS` passing since
  its read, so that a slow, paced batch reads again rather than trust a minutes-old read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from psabill.psa.pacing import Monotonic

VIEW_SECONDS = 300.0
"""How long a read of an invoice's lines stays fresh enough to create a line by.

Paced at Halo's limit, a write waits behind every other invoice's requests, so consecutive
writes to one invoice are often a minute or more apart (as were the read and the POST of one
create when each create read first); a shorter bound would re-read before almost every line of
a paced run. It bounds how old a read a line is created by when a batch stalls (429 waits)."""


@dataclass
class _View:
    lines: list[dict[str, Any]]
    read_at: float


class InvoiceWrites:
    """Per recurring invoice: a write lock, the writes queued on it, and the fresh view."""

    def __init__(self, monotonic: Monotonic) -> None:
        self._monotonic = monotonic
        self._locks: dict[int, asyncio.Lock] = {}
        self._queued: dict[int, int] = {}
        self._views: dict[int, _View] = {}

    @asynccontextmanager
    async def writing(self, header_id: int) -> AsyncIterator[None]:
        """Hold ``header_id`` for one write; an exception escaping it forgets the view, and
        the last queued write leaving it ends the batch (and the view)."""
        header_id = int(header_id)
        self._queued[header_id] = self._queued.get(header_id, 0) + 1
        try:
            async with self._locks.setdefault(header_id, asyncio.Lock()):
                try:
                    yield
                except BaseException:
                    self.forget(header_id)
                    raise
        finally:
            self._queued[header_id] -= 1
            if not self._queued[header_id]:
                del self._queued[header_id], self._locks[header_id]
                self.forget(header_id)

    def fresh(self, header_id: int) -> list[dict[str, Any]] | None:
        """The invoice's lines as psabill knows them now, or ``None``: read them again."""
        view = self._views.get(int(header_id))
        if view is None:
            return None
        if self._monotonic() - view.read_at > VIEW_SECONDS:
            self.forget(header_id)
            return None
        return [dict(line) for line in view.lines]

    def read(self, header_id: int, lines: list[dict[str, Any]]) -> None:
        """``lines`` were just read from Halo, by the holder of the invoice's lock."""
        self._views[int(header_id)] = _View([dict(line) for line in lines], self._monotonic())

    def created(self, header_id: int, product_id: int, line: object) -> None:
        """Halo answered a new line with ``line``: it joins the view only if it plainly is the
        new line of ``product_id`` on this invoice, else the view is forgotten."""
        view = self._views.get(int(header_id))
        if view is None:
            return
        known = {row.get("id") for row in view.lines}
        if (
            isinstance(line, dict)
            and isinstance(line.get("id"), int)
            and line["id"] not in known
            and line.get("ihid") == int(header_id)
            and line.get("_itemid") == int(product_id)
        ):
            view.lines.append(dict(line))
        else:
            self.forget(header_id)

    def forget(self, header_id: int) -> None:
        self._views.pop(int(header_id), None)
