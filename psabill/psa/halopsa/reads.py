"""The HaloPSA reads of :class:`~psabill.psa.base.PsaClient`, in as few requests as Halo allows.

Hosted Halo allows about 300 requests per 5 minutes for the whole tenant, so:

* :meth:`HaloReads.agreements` reads the recurring invoices of many clients in one list
  (``client_ids``) *with their lines* (``includelines``), and keeps the lines for the
  :meth:`~HaloReads.additions` call that follows: each header's lines are used once, then read
  afresh (``GET /RecurringInvoice/{id}?includedetails=true``);
* contracts (for the agreement type, name and dates) and items (for the product names of lines)
  are listed once per client and kept: neither changes while psabill runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from psabill.core.entities import Addition, Agreement, CatalogItem, Company, Invoice
from psabill.errors import PsaError
from psabill.psa.halopsa import mapping as halo
from psabill.psa.halopsa.session import HaloSession
from psabill.psa.pacing import WallClock

CLIENTS_PER_LIST = 50
"""Client ids in one ``client_ids`` filter: the query string stays short."""


class HaloReads:
    def __init__(self, session: HaloSession, wall: WallClock) -> None:
        self.session = session
        self._wall = wall
        self._contracts: dict[int, dict[str, Any]] | None = None
        self._items: dict[int, dict[str, Any]] | None = None
        self._lines: dict[int, list[dict[str, Any]]] = {}

    # -- cached lists --------------------------------------------------------------------------

    async def _all_contracts(self) -> dict[int, dict[str, Any]]:
        if self._contracts is None:
            rows = await self.session.rows(
                "ClientContract", "contracts", {"includeinactive": "true"}
            )
            self._contracts = {halo.record_id(row, "contract"): row for row in rows}
        return self._contracts

    async def _all_items(self, *, fresh: bool = False) -> dict[int, dict[str, Any]]:
        if self._items is None or fresh:
            rows = await self.session.rows("Item", "items", {"includeinactive": "true"})
            self._items = {halo.record_id(row, "item"): row for row in rows}
        return self._items

    async def _item_names(self, lines: list[dict[str, Any]]) -> dict[int, str]:
        items = await self._all_items()
        if any(line.get("_itemid") not in items for line in lines if line.get("_itemid")):
            items = await self._all_items(fresh=True)
        return {item_id: str(row.get("name") or "") for item_id, row in items.items()}

    def _remember(self, item: dict[str, Any]) -> None:
        if self._items is not None:
            self._items[halo.record_id(item, "item")] = item

    # -- PsaClient reads -----------------------------------------------------------------------

    async def companies(self, identifiers: Sequence[str]) -> list[Company]:
        wanted = {text.strip() for text in identifiers}
        rows = await self.session.rows("Client", "clients", {"includeinactive": "true"})
        found = [halo.company(row) for row in rows]
        return [c for c in found if c.identifier in wanted]

    async def agreements(self, company_ids: Sequence[int]) -> list[Agreement]:
        ids = sorted({int(i) for i in company_ids})
        if not ids:
            return []
        contracts = await self._all_contracts()
        today = self._wall().date()
        found: list[Agreement] = []
        for start in range(0, len(ids), CLIENTS_PER_LIST):
            chunk = ",".join(str(i) for i in ids[start : start + CLIENTS_PER_LIST])
            params = {"client_ids": chunk, "includelines": "true"}
            for header in await self.session.rows("RecurringInvoice", "invoices", params):
                if header.get("client_id") not in ids:
                    continue  # a filter the server ignored must not widen what is read
                contract = contracts.get(header.get("contract_id") or 0)
                entry = halo.agreement(header, contract, today)
                lines = header.get("lines")
                if isinstance(lines, list):
                    self._lines[entry.id] = lines
                found.append(entry)
        return sorted(found, key=lambda a: (a.company_id, a.id))

    async def agreement_types(self) -> list[str]:
        contracts = await self._all_contracts()
        return sorted(
            {
                str(row["contracttype_name"])
                for row in contracts.values()
                if row.get("contracttype_name")
                and str(row.get("contract_status") or "").casefold() != "cancelled"
            }
        )

    async def additions(self, agreement_id: int, on: date | None = None) -> list[Addition]:
        lines = self._lines.pop(agreement_id, None)
        if lines is None:
            lines = await self.lines(agreement_id)
        names = await self._item_names(lines)
        return [halo.addition(line, names) for line in lines]

    async def lines(self, header_id: int) -> list[dict[str, Any]]:
        """The lines of one recurring invoice, read now."""
        header = await self.session.call(
            "GET",
            f"RecurringInvoice/{int(header_id)}",
            params={"includedetails": "true"},
            missing_ok=True,
        )
        if header is None:
            raise PsaError(
                f"HaloPSA has no recurring invoice {header_id}",
                hint="it may have been deleted; run again to read the client's invoices afresh",
            )
        lines = header.get("lines") if isinstance(header, dict) else None
        return [line for line in lines or [] if isinstance(line, dict)]

    async def catalog_items(self, identifiers: Sequence[str]) -> list[CatalogItem]:
        wanted = {text.strip().casefold() for text in identifiers}
        items = await self._all_items()
        found = [halo.catalog_item(row) for row in items.values()]
        return sorted((i for i in found if i.identifier.casefold() in wanted), key=lambda i: i.id)

    async def search_catalog(self, text: str, limit: int = 50) -> list[CatalogItem]:
        needle = _search_text(text)
        params = {"search": text.strip(), "includeinactive": "true"}
        rows = await self.session.rows("Item", "items", params)
        found = [halo.catalog_item(row) for row in rows]
        hits = [
            i
            for i in found
            if needle in i.identifier.casefold() or needle in i.description.casefold()
        ]
        return sorted(hits, key=lambda i: (i.identifier.casefold(), i.id))[:limit]

    async def search_companies(self, text: str, limit: int = 50) -> list[Company]:
        needle = _search_text(text)
        params = {"search": text.strip(), "includeinactive": "true"}
        found = {
            c.id: c for c in map(halo.company, await self.session.rows("Client", "clients", params))
        }
        if text.strip().isdigit():
            row = await self.session.call("GET", f"Client/{int(text)}", missing_ok=True)
            if isinstance(row, dict):
                found[halo.record_id(row, "client")] = halo.company(row)
        hits = [
            c
            for c in found.values()
            if needle in c.identifier.casefold() or needle in c.name.casefold()
        ]
        return sorted(hits, key=lambda c: c.identifier)[:limit]

    async def invoices(self, company_ids: Sequence[int], since: date, until: date) -> list[Invoice]:
        ids = sorted({int(i) for i in company_ids})
        found: list[Invoice] = []
        for start in range(0, len(ids), CLIENTS_PER_LIST):
            chunk = ",".join(str(i) for i in ids[start : start + CLIENTS_PER_LIST])
            for row in await self.session.rows("Invoice", "invoices", {"client_ids": chunk}):
                entry = halo.invoice(row)
                if entry is not None and entry.company_id in ids and since <= entry.date <= until:
                    found.append(entry)
        return sorted(found, key=lambda i: (i.date, i.id))


def _search_text(text: str) -> str:
    needle = text.strip().casefold()
    if len(needle) < 2:
        raise ValueError("search text must be at least 2 characters")
    return needle
