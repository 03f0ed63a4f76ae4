"""The HaloPSA adapter: :class:`~psabill.psa.base.PsaClient` over Halo's API (reference §2).

Plumbing (token, paging, errors) is in :mod:`.session`, the reads in :mod:`.reads`, the JSON
mapping in :mod:`.mapping`, ``psabill doctor`` in :mod:`.access`. This module holds the writes:

* quantities are absolute (``qty_order``), so ``update_addition_quantity`` and
  ``cancel_addition`` post ``/RecurringInvoice/updatelines`` and are retried like reads; each is
  read back and compared with what was asked;
* creating a line is not idempotent: :meth:`HaloClient.create_addition` posts
  ``/RecurringInvoice/Lines`` only when a fresh view of the invoice's lines (read while holding
  the invoice, then kept up to date by psabill's own confirmed writes: :mod:`.invoices`) shows
  no line billing that item, and after an unknown outcome posts again only when a re-read
  shows the line is still missing;
* writes to one recurring invoice go one at a time (one lock per invoice): Halo fails
  overlapping writes to an invoice (HaloAPI issue #61);
* ``/RecurringInvoice/process`` (invoice now) is never called, nor a header POST with ``lines``.

Cancelling sets the line's ``enddate`` (the day before the cancelled date; the line stays, for
history, with its quantity): Halo bills a recurring line between its start and end dates.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from psabill.config.connection_models import HaloPsa
from psabill.core.entities import Addition, CatalogItem, NewAddition, NewCatalogItem
from psabill.core.report import PacingStats
from psabill.errors import PsaError, UnknownOutcome
from psabill.psa.base import AccessReport
from psabill.psa.halopsa import mapping as halo
from psabill.psa.halopsa.bodies import item_body, line_body, not_applied, usable, wire
from psabill.psa.halopsa.invoices import InvoiceWrites
from psabill.psa.halopsa.reads import HaloReads
from psabill.psa.halopsa.session import HaloSession
from psabill.psa.http_setup import psa_http
from psabill.psa.pacing import Monotonic, RetryPolicy, Sleep, WallClock, utc_now
from psabill.psa.tasks import AsyncClosing

T = TypeVar("T")


class HaloClient(HaloReads, AsyncClosing):
    """A :class:`~psabill.psa.base.PsaClient` for HaloPSA; no I/O until first use.

    ``timeout``, ``transport``, ``sleep``, ``monotonic``, ``wall`` and ``rng`` exist for tests,
    as for :class:`~psabill.psa.connectwise.client.ConnectWiseClient`.
    """

    def __init__(
        self,
        psa: HaloPsa,
        *,
        policy: RetryPolicy | None = None,
        timeout: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
        wall: WallClock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        http = psa_http(
            psa,
            "HaloPSA",
            policy=policy,
            timeout=timeout,
            transport=transport,
            sleep=sleep,
            monotonic=monotonic,
            wall=wall,
            rng=rng,
        )
        super().__init__(HaloSession(psa, http, monotonic=monotonic, sleep=sleep), wall)
        self.http = http
        self._writes = InvoiceWrites(monotonic)

    def __repr__(self) -> str:
        return f"HaloClient(url={self.session.site!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    def pacing_stats(self) -> PacingStats:
        return self.http.pacing_stats()

    def _invoice(self, header_id: int) -> AbstractAsyncContextManager[None]:
        """Hold one recurring invoice for one write (its lines kept from the last header list
        are dropped: they are about to change, and are not fresh enough to create a line by)."""
        self._lines.pop(int(header_id), None)
        return self._writes.writing(header_id)

    # -- absolute writes -----------------------------------------------------------------------

    async def update_addition_quantity(
        self, agreement_id: int, addition_id: int, quantity: Decimal, on: date | None = None
    ) -> Addition:
        change = {"qty_order": halo.wire_number(quantity)}
        line = await self._update_line(agreement_id, addition_id, change)
        if line.quantity != quantity:
            raise not_applied(line, "quantity", quantity, line.quantity)
        return line

    async def cancel_addition(
        self, agreement_id: int, addition_id: int, cancelled: date
    ) -> Addition:
        change = {"enddate": halo.halo_day(cancelled - timedelta(days=1))}
        line = await self._update_line(agreement_id, addition_id, change)
        if line.cancelled_date != cancelled:
            raise not_applied(line, "end date", cancelled, line.cancelled_date)
        return line

    async def _update_line(self, header_id: int, line_id: int, change: dict[str, Any]) -> Addition:
        body = [{"id": int(line_id), "ihid": int(header_id), **change}]
        async with self._invoice(header_id):
            await self.session.call(
                "POST", "RecurringInvoice/updatelines", body=body, idempotent=True
            )
            return await self._read_line(header_id, line_id)

    async def _read_line(self, header_id: int, line_id: int) -> Addition:
        """The line as Halo shows it after a write; the read refreshes the invoice's view."""
        lines = await self.lines(header_id)
        self._writes.read(header_id, lines)
        names = await self._item_names(lines)
        for line in lines:
            if line.get("id") == line_id:
                return halo.addition(line, names)
        raise PsaError(
            f"HaloPSA accepted a change to line {line_id} of recurring invoice {header_id} "
            "but the invoice no longer has that line",
            hint="check the recurring invoice in Halo; someone may have removed the line",
        )

    # -- creating a line -----------------------------------------------------------------------

    async def create_addition(self, new: NewAddition) -> Addition:
        header_id = int(new.agreement_id)
        async with self._invoice(header_id):
            existing = await self._line_for(new)
            if existing is not None:
                return await self._matching(existing, new)
            body = [line_body(new)]

            async def post() -> Addition:
                payload = await self.session.call(
                    "POST", "RecurringInvoice/Lines", body=body, idempotent=False
                )
                created = payload[0] if isinstance(payload, list) and payload else payload
                self._writes.created(header_id, new.product_id, created)
                if not isinstance(created, dict):
                    raise PsaError("HaloPSA answered the new line with something unexpected")
                return halo.addition(created, await self._item_names([created]))

            async def reread(unknown: UnknownOutcome) -> Addition | None:
                self._writes.forget(header_id)
                try:
                    return await self._line_for(new)
                except PsaError as error:
                    raise PsaError(
                        f"{unknown.message}, and re-reading recurring invoice {header_id} "
                        f"failed: {error}",
                        hint=f"check recurring invoice {header_id} in Halo for a new "
                        f"{new.product_identifier} line before running again",
                    ) from None

            return await self._create_once(post, reread)

    async def _line_for(self, new: NewAddition) -> Addition | None:
        """The one line billing ``new``'s item from its effective date, by the invoice's fresh
        view (read now when there is none); ``None`` when there is none; :class:`PsaError`
        "ambiguous" when there are several. The caller holds the invoice."""
        lines = self._writes.fresh(new.agreement_id)
        if lines is None:
            lines = await self.lines(new.agreement_id)
            self._writes.read(new.agreement_id, lines)
        names = await self._item_names(lines)
        current = [halo.addition(line, names) for line in lines]
        same = [
            a
            for a in current
            if a.product_id == new.product_id
            and a.status != "Cancelled"
            and (a.cancelled_date is None or a.cancelled_date > new.effective_date)
        ]
        if len(same) > 1:
            ids = ", ".join(str(a.id) for a in same)
            raise PsaError(
                f"ambiguous: recurring invoice {new.agreement_id} has {len(same)} lines for "
                f"{new.product_identifier!r} (lines {ids}); psabill changes none of them",
                hint="remove the duplicate lines in Halo so that one line bills the item",
            )
        return same[0] if same else None

    async def _matching(self, line: Addition, new: NewAddition) -> Addition:
        """An existing line for ``new``'s item, at ``new``'s quantity (an absolute write)."""
        if line.quantity == new.quantity or line.locked is not None:
            return line
        body = [{"id": line.id, "ihid": line.agreement_id, "qty_order": wire(new.quantity)}]
        await self.session.call("POST", "RecurringInvoice/updatelines", body=body, idempotent=True)
        return await self._read_line(line.agreement_id, line.id)

    async def _create_once(
        self,
        post: Callable[[], Awaitable[T]],
        reread: Callable[[UnknownOutcome], Awaitable[T | None]],
    ) -> T:
        """``post`` once; after an unknown outcome wait a request timeout, re-read, and post
        again only when the re-read finds nothing (as ConnectWise's ``_create_once``)."""
        attempt = 0
        while True:
            try:
                return await post()
            except UnknownOutcome as unknown:
                await self.http.settle(attempt)
                found = await reread(unknown)
                if found is not None:
                    return found
                if attempt >= self.http.policy.max_retries:
                    raise PsaError(
                        f"{unknown.message}; gave up after repeated attempts", hint=unknown.hint
                    ) from None
            attempt += 1

    # -- catalog -------------------------------------------------------------------------------

    async def create_catalog_item(self, new: NewCatalogItem) -> CatalogItem:
        """A recurring Item named ``new.identifier`` (an existing active one is returned)."""
        existing = await self._item_named(new.identifier, fresh=False)
        if existing is not None:
            return usable(existing)
        body = [item_body(new)]

        async def post() -> CatalogItem:
            payload = await self.session.call("POST", "Item", body=body, idempotent=False)
            if not isinstance(payload, dict):
                raise PsaError("HaloPSA answered the new item with something unexpected")
            self._remember(payload)
            item = halo.catalog_item(payload)
            if item.identifier != new.identifier:
                raise PsaError(
                    f"HaloPSA saved the new item as {item.identifier!r} (id {item.id}) "
                    f"instead of {new.identifier!r}",
                    hint="rename the item in Halo, or map the product to it",
                )
            return item

        async def reread(unknown: UnknownOutcome) -> CatalogItem | None:
            return await self._item_named(new.identifier, fresh=True)

        return await self._create_once(post, reread)

    async def _item_named(self, name: str, *, fresh: bool) -> CatalogItem | None:
        items = await self._all_items(fresh=fresh)
        found = [
            halo.catalog_item(row)
            for row in items.values()
            if str(row.get("name") or "").casefold() == name.strip().casefold()
        ]
        return min(found, key=lambda i: (i.inactive, i.id)) if found else None

    async def check_access(self) -> AccessReport:
        from psabill.psa.halopsa.access import check_access

        return await check_access(self.session)
