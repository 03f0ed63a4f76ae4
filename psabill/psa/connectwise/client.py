"""The ConnectWise Manage adapter: :class:`~psabill.psa.base.PsaClient` over the REST API 2025.8.

Plumbing (auth, discovery, paging, decoding) is in :mod:`.session`, JSON mapping in
:mod:`.mapping`, error wording in :mod:`.answers`, ``psabill doctor`` checks in
:mod:`.access`. This module holds the billing operations and their write safety:

* ``create_addition`` / ``create_catalog_item`` POST at most once per attempt. When the outcome
  is unknown (:class:`~psabill.psa.http.UnknownOutcome`), they wait (at least one request
  timeout), re-read, and POST again only if the record is really absent. ConnectWise has no
  idempotency key, so a server that commits a write *after* that re-read could still end with
  two; the wait makes that unlikely, and nothing better exists without server support.
* PATCHes carry absolute values, so they are retried like reads; the answer is compared with
  what was asked, to catch a "false 200" (reference §4.1).
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Self, TypeVar

import httpx

from psabill.config.models import Psa
from psabill.core.entities import (
    Addition,
    Agreement,
    CatalogItem,
    Company,
    Invoice,
    NewAddition,
    NewCatalogItem,
)
from psabill.errors import ConfigError, PsaError
from psabill.psa.base import AccessReport
from psabill.psa.connectwise import mapping as cw
from psabill.psa.connectwise.session import CwSession, gather_all
from psabill.psa.connectwise.urls import parse_site
from psabill.psa.http import HttpClient, HttpSettings, UnknownOutcome
from psabill.psa.pacing import Monotonic, RetryPolicy, Sleep, WallClock, utc_now

T = TypeVar("T")
Identified = TypeVar("Identified", Company, CatalogItem)


class ConnectWiseClient:
    """A :class:`~psabill.psa.base.PsaClient` for ConnectWise Manage; no I/O until first use.

    ``policy`` (default: ``psa.retries`` retries) and ``burst`` tune retries and the rate
    limit's burst. ``timeout`` (seconds,
    overriding ``psa.timeout``), ``transport``, ``sleep``, ``monotonic``, ``wall`` and ``rng``
    exist for tests (a sub-second timeout, an ``httpx.MockTransport``, a fake clock).
    """

    def __init__(
        self,
        psa: Psa,
        *,
        policy: RetryPolicy | None = None,
        burst: int | None = None,
        timeout: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
        wall: WallClock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        site = parse_site(psa.site)
        settings = HttpSettings(
            timeout=float(psa.timeout) if timeout is None else timeout,
            concurrency=psa.concurrency,
            rate_limit=psa.rate_limit,
            burst=burst,
            verify=_tls(psa),
            policy=policy or RetryPolicy(max_retries=psa.retries),
            user_agent="psabill (ConnectWise)",
        )
        http = HttpClient(
            settings, transport=transport, sleep=sleep, monotonic=monotonic, wall=wall, rng=rng
        )
        self.session = CwSession(psa, site, http)
        self.http = http

    def __repr__(self) -> str:
        return f"ConnectWiseClient(site={self.session.site.url!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- reads ---------------------------------------------------------------------------------

    async def companies(self, identifiers: Sequence[str]) -> list[Company]:
        return await self._identified(
            "company/companies", identifiers, cw.COMPANY_FIELDS, cw.company
        )

    async def agreements(self, company_ids: Sequence[int]) -> list[Agreement]:
        wanted = set(company_ids)
        found = await self._batched(
            "finance/agreements",
            [str(int(i)) for i in dict.fromkeys(company_ids)],
            "company/id in ({})",
            cw.AGREEMENT_FIELDS,
            cw.agreement,
        )
        return [a for a in found if a.company_id in wanted]

    async def agreement_types(self) -> list[str]:
        endpoint = "finance/agreements/types"
        rows = await self.session.rows(endpoint, fields=cw.SETUP_FIELDS)
        entries = self.session.map(rows, cw.setup_entry, f"GET {endpoint}")
        return sorted({name for _, name, _, inactive in entries if not inactive}, key=str.casefold)

    async def additions(self, agreement_id: int) -> list[Addition]:
        endpoint = f"finance/agreements/{int(agreement_id)}/additions"
        rows = await self.session.rows(endpoint, fields=cw.ADDITION_FIELDS)
        return self.session.map(rows, cw.addition_of(agreement_id), f"GET {endpoint}")

    async def catalog_items(self, identifiers: Sequence[str]) -> list[CatalogItem]:
        return await self._identified(
            "procurement/catalog", identifiers, cw.CATALOG_FIELDS, cw.catalog_item
        )

    async def search_catalog(self, text: str, limit: int = 50) -> list[CatalogItem]:
        needle = text.strip()
        if len(needle) < 2:
            raise ValueError("search text needs at least 2 characters")
        if limit < 1:
            raise ValueError("limit must be at least 1")
        literal = cw.condition_text(needle)
        endpoint = "procurement/catalog"
        rows = await self.session.rows(
            endpoint,
            fields=cw.CATALOG_FIELDS,
            conditions=f"identifier contains {literal} or description contains {literal}",
            order_by="identifier asc",
            limit=limit,
        )
        return self.session.map(rows, cw.catalog_item, f"GET {endpoint}")

    async def invoices(self, company_ids: Sequence[int], since: date, until: date) -> list[Invoice]:
        after = cw.wire_date(since)
        before = cw.wire_date(until + timedelta(days=1))
        found = await self._batched(
            "finance/invoices",
            [str(int(i)) for i in dict.fromkeys(company_ids)],
            f"company/id in ({{}}) and date >= [{after}] and date < [{before}]",
            cw.INVOICE_FIELDS,
            cw.invoice,
        )
        wanted = set(company_ids)
        return [i for i in found if i.company_id in wanted and since <= i.date <= until]

    async def _identified(
        self,
        endpoint: str,
        identifiers: Sequence[str],
        fields: str,
        mapper: Callable[[cw.Row], Identified],
    ) -> list[Identified]:
        """Entities by identifier, compared case-insensitively as the PSA does, and
        re-checked here so a server that ignores ``conditions`` cannot slip others in."""
        wanted = {i.casefold() for i in identifiers}
        values = [cw.condition_text(i) for i in _distinct(identifiers)]
        found = await self._batched(endpoint, values, "identifier in ({})", fields, mapper)
        return [item for item in found if item.identifier.casefold() in wanted]

    async def _batched(
        self,
        endpoint: str,
        values: list[str],
        template: str,
        fields: str,
        mapper: Callable[[cw.Row], T],
    ) -> list[T]:
        if not values:
            return []
        await self.session.api_url()  # discover once, before the batches run side by side
        jobs = [
            self.session.rows(endpoint, fields=fields, conditions=template.format(", ".join(b)))
            for b in self.session.batches(endpoint, values, template, fields)
        ]
        rows = [row for batch in await gather_all(jobs) for row in batch]
        return self.session.map(rows, mapper, f"GET {endpoint}")

    # -- writes --------------------------------------------------------------------------------

    async def create_addition(self, new: NewAddition) -> Addition:
        endpoint = f"finance/agreements/{int(new.agreement_id)}/additions"
        body = cw.addition_body(new)
        for attempt in range(self.http.policy.max_retries + 1):
            try:
                payload = await self.session.call("POST", endpoint, body=body)
            except UnknownOutcome as unknown:
                outcome = unknown
                await self.http.settle(attempt)
                existing = await self._reread(new, unknown)
                if existing is not None:
                    return existing
                continue
            return self.session.map_one(
                payload, cw.addition_of(new.agreement_id), f"POST {endpoint}", write=True
            )
        raise _gave_up(outcome)

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
        self, agreement_id: int, addition_id: int, quantity: Decimal
    ) -> Addition:
        patch = cw.replace_patch("quantity", cw.wire_number(quantity))
        addition = await self._patch_addition(agreement_id, addition_id, patch)
        if addition.quantity != Decimal(str(patch[0]["value"])):
            raise _not_applied(addition, "quantity", quantity, addition.quantity)
        return addition

    async def cancel_addition(
        self, agreement_id: int, addition_id: int, cancelled: date
    ) -> Addition:
        patch = cw.replace_patch("cancelledDate", cw.wire_date(cancelled))
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
        body = cw.catalog_body(new, type_id, subcategory_id)
        endpoint = "procurement/catalog"
        for attempt in range(self.http.policy.max_retries + 1):
            try:
                payload = await self.session.call("POST", endpoint, body=body)
            except UnknownOutcome as unknown:
                outcome = unknown
                await self.http.settle(attempt)
                found = await self._catalog_item(new.identifier)
                if found is not None:
                    return _usable(found)
                continue
            item = self.session.map_one(payload, cw.catalog_item, f"POST {endpoint}", write=True)
            return _not_renamed(item, new.identifier)
        raise _gave_up(outcome)

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


def _distinct(identifiers: Sequence[str]) -> list[str]:
    if isinstance(identifiers, str):  # a str is a Sequence[str] too: "Acme" is not 4 letters
        raise TypeError("pass a list of identifiers, not one string")
    return list(dict.fromkeys(identifiers))


def _tls(psa: Psa) -> ssl.SSLContext | bool:
    if psa.ca_bundle is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(psa.ca_bundle))
    except (OSError, ssl.SSLError) as error:
        raise ConfigError(
            f"psa.ca_bundle {str(psa.ca_bundle)!r} cannot be used: {error}",
            hint="point psa.ca_bundle at a readable PEM file of CA certificates",
        ) from None


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
