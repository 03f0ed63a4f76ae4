"""The read half of the ConnectWise adapter: companies, agreements, additions, catalog, invoices.

:class:`CwReads` is the base of :class:`~psabill.psa.connectwise.client.ConnectWiseClient`,
which adds the writes and their safety. Every read goes through one :class:`CwSession`; lists
of identifiers or ids are split into batches that keep each URL under the session's budget, and
what comes back is filtered again here, so a server that ignores ``conditions`` cannot slip
other records in.

A text that has no escape-free literal (:func:`~psabill.psa.connectwise.mapping.condition_literal`:
a backslash, or both quote characters) is never written into a condition. It is looked up by
its longest run without a quote, backslash or ``[`` (``identifier contains "run"``, one query
each), and matched in full here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TypeVar

from psabill.core.entities import Addition, Agreement, CatalogItem, Company, Invoice
from psabill.psa.connectwise import bodies
from psabill.psa.connectwise import mapping as cw
from psabill.psa.connectwise.session import CwSession, unique_rows
from psabill.psa.tasks import gather_all

T = TypeVar("T")
Identified = TypeVar("Identified", Company, CatalogItem)


class CwReads:
    """The reads of :class:`~psabill.psa.base.PsaClient` over one ConnectWise session."""

    def __init__(self, session: CwSession) -> None:
        self.session = session

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

    async def additions(self, agreement_id: int, on: date | None = None) -> list[Addition]:
        """The additions of ``agreement_id``; ``on`` is ignored (quantities are not dated)."""
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
        literal = cw.condition_literal(needle)
        probe = literal or _probe_literal(needle)
        endpoint = "procurement/catalog"
        rows = await self.session.rows(
            endpoint,
            fields=cw.CATALOG_FIELDS,
            conditions=probe and f"identifier contains {probe} or description contains {probe}",
            order_by="identifier asc",
            limit=limit if literal else None,
        )
        found = self.session.map(rows, cw.catalog_item, f"GET {endpoint}")
        if literal is None:  # the probe asked for more: keep what holds the whole text
            text = needle.casefold()
            found = [
                item
                for item in found
                if any(text in field.casefold() for field in (item.identifier, item.description))
            ]
        return found[:limit]

    async def invoices(self, company_ids: Sequence[int], since: date, until: date) -> list[Invoice]:
        after = bodies.wire_date(since)
        before = bodies.wire_date(until + timedelta(days=1))
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
        literals = {i: cw.condition_literal(i) for i in _distinct(identifiers)}
        values = [text for text in literals.values() if text is not None]
        probes = [_probe(i) for i, text in literals.items() if text is None]
        found = await self._batched(
            endpoint, values, "identifier in ({})", fields, mapper, probes=probes
        )
        return [item for item in found if item.identifier.casefold() in wanted]

    async def _batched(
        self,
        endpoint: str,
        values: list[str],
        template: str,
        fields: str,
        mapper: Callable[[cw.Row], T],
        *,
        probes: Sequence[str | None] = (),
    ) -> list[T]:
        """Rows for ``template`` around batches of ``values``, plus one query per probe
        condition (``None``: the whole list), side by side; a row found twice counts once."""
        if not values and not probes:
            return []
        await self.session.api_url()  # discover once, before the batches run side by side
        batches = self.session.batches(endpoint, values, template, fields) if values else []
        conditions: list[str | None] = [template.format(", ".join(b)) for b in batches]
        conditions += dict.fromkeys(probes)
        jobs = [self.session.rows(endpoint, fields=fields, conditions=c) for c in conditions]
        rows = unique_rows([row for batch in await gather_all(jobs) for row in batch])
        return self.session.map(rows, mapper, f"GET {endpoint}")


def _probe_literal(value: str) -> str | None:
    """The longest run of ``value`` without ``"``, ``\\`` or ``[``, double-quoted, or ``None``
    when there is none. ``[`` opens a character class should the server read ``contains`` as
    SQL ``LIKE``, which could narrow the match; its wildcards (``%``, ``_``) only widen it, and
    everything found is matched in full afterwards."""
    run = max(re.split(r'["\\\[]', value), key=len)
    return f'"{run}"' if run else None


def _probe(identifier: str) -> str | None:
    literal = _probe_literal(identifier)
    return None if literal is None else f"identifier contains {literal}"


def _distinct(identifiers: Sequence[str]) -> list[str]:
    if isinstance(identifiers, str):  # a str is a Sequence[str] too: "Acme" is not 4 letters
        raise TypeError("pass a list of identifiers, not one string")
    return list(dict.fromkeys(identifiers))
