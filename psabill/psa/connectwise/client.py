"""The ConnectWise Manage adapter: :class:`~psabill.psa.base.PsaClient` over the REST API 2025.8.

Plumbing (auth, discovery, paging, decoding) is in :mod:`.session`, the reads in
:mod:`.reads`, JSON mapping in :mod:`.mapping`, error wording in :mod:`.answers`,
``psabill doctor`` checks in :mod:`.access`. This module holds the billing writes and their
safety:

* ``create_addition`` / ``create_catalog_item`` go through one loop,
  :meth:`ConnectWiseClient._create_once`, which states the rule for an unknown outcome.
* PATCHes carry absolute values, so they are retried like reads; the answer is compared with
  what was asked, to catch a "false 200" (reference §4.1).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import TypeVar

import httpx

from psabill.config.models import ConnectWisePsa
from psabill.core.entities import Addition, CatalogItem, Company, NewAddition, NewCatalogItem
from psabill.core.report import PacingStats
from psabill.errors import PsaError, UnknownOutcome
from psabill.psa.base import AccessReport
from psabill.psa.connectwise import bodies
from psabill.psa.connectwise import mapping as cw
from psabill.psa.connectwise.reads import CwReads
from psabill.psa.connectwise.session import CwSession
from psabill.psa.connectwise.urls import parse_site
from psabill.psa.http_setup import psa_http
from psabill.psa.pacing import Monotonic, RetryPolicy, Sleep, WallClock, utc_now
from psabill.psa.tasks import AsyncClosing

T = TypeVar("T")


class ConnectWiseClient(CwReads, AsyncClosing):
    """A :class:`~psabill.psa.base.PsaClient` for ConnectWise Manage; no I/O until first use.

    ``policy`` (default: ``psa.retries`` retries) tunes retries. ``timeout`` (seconds,
    overriding ``psa.timeout``), ``transport``, ``sleep``, ``monotonic``, ``wall`` and ``rng``
    exist for tests (a sub-second timeout, an ``httpx.MockTransport``, a fake clock).
    """

    def __init__(
        self,
        psa: ConnectWisePsa,
        *,
        policy: RetryPolicy | None = None,
        timeout: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
        wall: WallClock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        site = parse_site(psa.site)
        http = psa_http(
            psa,
            "ConnectWise",
            policy=policy,
            timeout=timeout,
            transport=transport,
            sleep=sleep,
            monotonic=monotonic,
            wall=wall,
            rng=rng,
        )
        super().__init__(CwSession(psa, site, http))
        self.http = http

    def __repr__(self) -> str:
        return f"ConnectWiseClient(site={self.session.site.url!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    def pacing_stats(self) -> PacingStats:
        """How this client paced its requests so far (see :class:`~psabill.psa.pacing.Pacer`)."""
        return self.http.pacing_stats()

    async def search_companies(self, text: str, limit: int = 50) -> list[Company]:
        from psabill.psa.connectwise.company_search import search_companies

        return await search_companies(self.session, text, limit)

    # -- writes --------------------------------------------------------------------------------

    async def _create_once(
        self,
        post: Callable[[], Awaitable[T]],
        reread: Callable[[UnknownOutcome], Awaitable[T | None]],
    ) -> T:
        """Run ``post`` (one create request) so that a record is never created twice by a retry.

        The safety rule: a create is never sent again blindly. When its outcome is unknown
        (:class:`~psabill.psa.http.UnknownOutcome`: it was sent, but no usable answer came
        back), wait at least one request timeout (:meth:`HttpClient.settle`), then ``reread``:
        what it finds is the record, and it is returned; only when it finds nothing is the
        create sent again, at most ``policy.max_retries`` more times, then ``PsaError``.

        ConnectWise has no idempotency key, so a server that commits a write *after* that
        re-read could still end with two; the wait makes that unlikely, and nothing better
        exists without server support. Any other error of ``post`` or ``reread`` propagates.
        """
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
                    raise _gave_up(unknown) from None
            attempt += 1

    async def create_addition(self, new: NewAddition) -> Addition:
        endpoint = f"finance/agreements/{int(new.agreement_id)}/additions"
        body = bodies.addition_body(new)

        async def post() -> Addition:
            payload = await self.session.call("POST", endpoint, body=body)
            mapper = cw.addition_of(new.agreement_id)
            return self.session.map_one(payload, mapper, f"POST {endpoint}", write=True)

        return await self._create_once(post, lambda unknown: self._reread(new, unknown))

    async def _reread(self, new: NewAddition, unknown: UnknownOutcome) -> Addition | None:
        """The active addition for ``new``'s product, preferring one that matches exactly."""
        try:
            current = await self.additions(new.agreement_id)
        except PsaError as error:
            raise PsaError(
                f"{unknown.message}, and re-reading agreement {new.agreement_id} failed: {error}",
                hint=f"check agreement {new.agreement_id} in ConnectWise for a new "
                f"{new.product_identifier} addition before running again",
            ) from None
        active = [
            a
            for a in current
            if a.status != "Cancelled"
            and a.cancelled_date is None
            and (
                a.product_id == new.product_id
                or a.product_identifier.casefold() == new.product_identifier.casefold()
            )
        ]
        exact = [
            a
            for a in active
            if a.quantity == new.quantity and a.effective_date == new.effective_date
        ]
        best = exact or active
        return max(best, key=lambda a: a.id) if best else None

    async def update_addition_quantity(
        self, agreement_id: int, addition_id: int, quantity: Decimal, on: date | None = None
    ) -> Addition:
        patch = bodies.replace_patch("quantity", bodies.wire_number(quantity))
        addition = await self._patch_addition(agreement_id, addition_id, patch)
        if addition.quantity != Decimal(str(patch[0]["value"])):
            raise _not_applied(addition, "quantity", quantity, addition.quantity)
        return addition

    async def cancel_addition(
        self, agreement_id: int, addition_id: int, cancelled: date
    ) -> Addition:
        patch = bodies.replace_patch("cancelledDate", bodies.wire_date(cancelled))
        addition = await self._patch_addition(agreement_id, addition_id, patch)
        if addition.cancelled_date != cancelled:
            raise _not_applied(addition, "cancelled date", cancelled, addition.cancelled_date)
        return addition

    async def _patch_addition(
        self, agreement_id: int, addition_id: int, patch: list[dict[str, object]]
    ) -> Addition:
        endpoint = f"finance/agreements/{int(agreement_id)}/additions/{int(addition_id)}"
        payload = await self.session.call("PATCH", endpoint, body=patch, idempotent=True)
        mapper = cw.addition_of(agreement_id)
        return self.session.map_one(payload, mapper, f"PATCH {endpoint}", write=True)

    async def create_catalog_item(self, new: NewCatalogItem) -> CatalogItem:
        existing = await self._catalog_item(new.identifier)
        if existing is not None:
            return _usable(existing)
        type_id = await self._default_setup("procurement/types", "product type")
        subcategory_id = await self._default_setup("procurement/subcategories", "subcategory")
        body = bodies.catalog_body(new, type_id, subcategory_id)
        endpoint = "procurement/catalog"

        async def post() -> CatalogItem:
            payload = await self.session.call("POST", endpoint, body=body)
            item = self.session.map_one(payload, cw.catalog_item, f"POST {endpoint}", write=True)
            return _not_renamed(item, new.identifier)

        async def reread(unknown: UnknownOutcome) -> CatalogItem | None:
            found = await self._catalog_item(new.identifier)
            return None if found is None else _usable(found)

        return await self._create_once(post, reread)

    async def _catalog_item(self, identifier: str) -> CatalogItem | None:
        found = await self.catalog_items([identifier])
        exact = [item for item in found if item.identifier == identifier]
        return min(exact or found, key=lambda item: item.id) if found else None

    async def _default_setup(self, endpoint: str, what: str) -> int:
        """The default active entry of a setup table, else the active one with the lowest id."""
        rows = await self.session.rows(endpoint, fields=cw.SETUP_FIELDS)
        entries = self.session.map(rows, cw.setup_entry, f"GET {endpoint}")
        active = sorted((not default, id_) for id_, _, default, inactive in entries if not inactive)
        if not active:
            raise PsaError(
                f"ConnectWise has no active {what} to file a new catalog item under",
                hint=f"add a {what} in ConnectWise (System > Setup Tables), "
                "or create the catalog item there by hand",
            )
        return active[0][1]

    async def check_access(self) -> AccessReport:
        from psabill.psa.connectwise.access import check_access

        return await check_access(self.session)


def _gave_up(unknown: UnknownOutcome) -> PsaError:
    return PsaError(f"{unknown.message}; gave up after repeated attempts", hint=unknown.hint)


def _not_applied(addition: Addition, what: str, wanted: object, got: object) -> PsaError:
    return PsaError(
        f"ConnectWise accepted the new {what} of addition {addition.id} "
        f"(agreement {addition.agreement_id}) but shows {got} instead of {wanted}",
        hint="check the addition in ConnectWise; another change may have raced psabill",
    )


def _usable(item: CatalogItem) -> CatalogItem:
    if item.inactive:
        raise PsaError(
            f"the catalog item {item.identifier!r} (id {item.id}) exists but is inactive",
            hint="reactivate it in ConnectWise, or map the product to another catalog item",
        )
    return item


def _not_renamed(item: CatalogItem, wanted: str) -> CatalogItem:
    if item.identifier != wanted:
        raise PsaError(
            f"ConnectWise saved the new catalog item as {item.identifier!r} (id {item.id}) "
            f"instead of {wanted!r}: an item with that identifier already exists",
            hint=f"delete {item.identifier!r} in ConnectWise and map the product to the "
            f"existing {wanted!r} item (reactivate it if it is inactive)",
        )
    return item
