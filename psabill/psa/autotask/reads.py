"""The read half of the Autotask adapter: companies, contracts, services, units, invoices.

Every list of ids or names is asked 500 at a time (Autotask's limit on OR terms), and what
comes back is filtered again here, so a server that ignored a condition could not slip other
records in. Names compare case-insensitively, as Autotask's SQL Server collation does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

from psabill.core.entities import Addition, Agreement, CatalogItem, Company, Invoice
from psabill.errors import PsaError
from psabill.psa.autotask import mapping as at
from psabill.psa.autotask.session import AutotaskSession
from psabill.psa.pacing import WallClock
from psabill.psa.tasks import gather_all, gather_pair

T = TypeVar("T")
IN_LIMIT = 500
FIELDS = "Contracts/entityInformation/fields"
_RECORD_ID = re.compile(r"[0-9]{1,10}")


def eq(field: str, value: Any) -> dict[str, Any]:
    return {"op": "eq", "field": field, "value": value}


def among(field: str, values: Sequence[Any]) -> dict[str, Any]:
    return {"op": "in", "field": field, "value": list(values)}


def covering(day: date) -> list[dict[str, Any]]:
    """Conditions for a ContractServiceUnits row whose dates include ``day``."""
    when = at.at_date(day)
    return [
        {"op": "lte", "field": "startDate", "value": when},
        {"op": "gte", "field": "endDate", "value": when},
    ]


class AtReads:
    """The reads of :class:`~psabill.psa.base.PsaClient` over one Autotask session."""

    def __init__(self, session: AutotaskSession, wall: WallClock) -> None:
        self.session = session
        self._wall = wall
        self._categories: dict[str, str] | None = None

    def today(self) -> date:
        return self._wall().date()

    def decode(self, rows: list[at.Row], mapper: Callable[[at.Row], T], what: str) -> list[T]:
        try:
            return [mapper(row) for row in rows]
        except at.Malformed as problem:
            message = f"Autotask answered {what} with a record psabill cannot read: {problem}"
            raise PsaError(message) from None

    async def _in_chunks(
        self,
        entity: str,
        field: str,
        values: Sequence[Any],
        extra: Sequence[dict[str, Any]] = (),
    ) -> list[at.Row]:
        chunks = [list(values[i : i + IN_LIMIT]) for i in range(0, len(values), IN_LIMIT)]
        jobs = [self.session.query(entity, [among(field, c), *extra]) for c in chunks]
        return [row for rows in await gather_all(jobs) for row in rows]

    async def companies(self, identifiers: Sequence[str]) -> list[Company]:
        if isinstance(identifiers, str):
            raise TypeError("pass a list of identifiers, not one string")
        ids = sorted({int(i.strip()) for i in identifiers if _RECORD_ID.fullmatch(i.strip())})
        rows = await self._in_chunks("Companies", "id", ids) if ids else []
        found = self.decode(rows, at.company, "a Companies query")
        return [c for c in found if c.id in set(ids)]

    async def search_companies(self, text: str, limit: int = 50) -> list[Company]:
        needle = _needle(text, limit)
        terms: list[dict[str, Any]] = [{"op": "contains", "field": "companyName", "value": needle}]
        if _RECORD_ID.fullmatch(needle):
            terms.append(eq("id", int(needle)))
        rows = await self.session.query("Companies", [{"op": "or", "items": terms}])
        folded = needle.casefold()
        found = [
            c
            for c in self.decode(rows, at.company, "a Companies query")
            if folded in c.name.casefold() or c.identifier == needle
        ]
        return sorted(found, key=lambda c: c.identifier)[:limit]

    async def categories(self) -> dict[str, str]:
        """Contract category picklist value -> label, asked once per client."""
        if self._categories is None:
            fields = await self.session.get(
                "Contracts/entityInformation/fields", "Contracts fields"
            )
            self._categories = at.labels(at.picklist(fields, "contractCategory"))
        return self._categories

    async def agreement_types(self) -> list[str]:
        fields = await self.session.get(FIELDS, "Contracts fields")
        active = at.labels(at.picklist(fields, "contractCategory"), active_only=True)
        return sorted(set(active.values()) - {""}, key=str.casefold)

    async def agreements(self, company_ids: Sequence[int]) -> list[Agreement]:
        ids = sorted({int(i) for i in company_ids})
        if not ids:
            return []
        recurring = [eq("contractType", at.RECURRING_SERVICE)]
        rows = await self._in_chunks("Contracts", "companyID", ids, recurring)
        categories, today = await self.categories(), self.today()
        found = self.decode(
            rows, lambda row: at.agreement(row, categories, today), "a Contracts query"
        )
        wanted = set(ids)
        return [a for a in found if a.company_id in wanted]

    async def contract(self, contract_id: int) -> at.Row | None:
        rows = await self.session.query("Contracts", [eq("id", int(contract_id))])
        return next((r for r in rows if r.get("id") == contract_id), None)

    async def services(self, ids: Sequence[int]) -> dict[int, CatalogItem]:
        rows = await self._in_chunks("Services", "id", sorted(set(ids))) if ids else []
        return {s.id: s for s in self.decode(rows, at.catalog_item, "a Services query")}

    async def links(self, contract_id: int, service_id: int | None = None) -> list[at.Row]:
        """The ContractServices of a contract (of one service, when given)."""
        conditions = [eq("contractID", int(contract_id))]
        if service_id is not None:
            conditions.append(eq("serviceID", int(service_id)))
        rows = await self.session.query("ContractServices", conditions)
        return [r for r in rows if r.get("contractID") == contract_id]

    async def unit_rows(self, contract_id: int, service_id: int, day: date) -> list[at.Row]:
        """A fresh read of the ContractServiceUnits rows of one contract service on ``day``."""
        conditions = [eq("contractID", contract_id), eq("serviceID", service_id), *covering(day)]
        return await self.session.query("ContractServiceUnits", conditions)

    async def units_on(self, contract_id: int, service_id: int, day: date) -> int:
        return count_units(await self.unit_rows(contract_id, service_id, day))

    async def additions(self, agreement_id: int, on: date | None = None) -> list[Addition]:
        day = on or self.today()
        links = await self.links(agreement_id)
        if not links:
            return []
        conditions = [eq("contractID", int(agreement_id)), *covering(day)]
        services, units = await gather_pair(
            self.services([at.ident(link, "serviceID") for link in links]),
            self.session.query("ContractServiceUnits", conditions),
        )
        by_link: dict[Any, list[at.Row]] = {}
        for row in units:
            by_link.setdefault(row.get("contractServiceID"), []).append(row)

        def mapper(link: at.Row) -> Addition:
            service = services.get(at.ident(link, "serviceID"))
            return at.addition(link, service, count_units(by_link.get(link.get("id"), [])))

        return self.decode(links, mapper, "a ContractServices query")

    async def catalog_items(self, identifiers: Sequence[str]) -> list[CatalogItem]:
        if isinstance(identifiers, str):
            raise TypeError("pass a list of identifiers, not one string")
        names = list(dict.fromkeys(identifiers))
        rows = await self._in_chunks("Services", "name", names) if names else []
        wanted = {name.casefold() for name in names}
        found = self.decode(rows, at.catalog_item, "a Services query")
        return [item for item in found if item.identifier.casefold() in wanted]

    async def search_catalog(self, text: str, limit: int = 50) -> list[CatalogItem]:
        needle = _needle(text, limit)
        terms = [
            {"op": "contains", "field": "name", "value": needle},
            {"op": "contains", "field": "description", "value": needle},
        ]
        rows = await self.session.query("Services", [{"op": "or", "items": terms}])
        folded = needle.casefold()
        found = [
            item
            for item in self.decode(rows, at.catalog_item, "a Services query")
            if folded in item.identifier.casefold() or folded in item.description.casefold()
        ]
        return sorted(found, key=lambda item: item.identifier.casefold())[:limit]

    async def invoices(self, company_ids: Sequence[int], since: date, until: date) -> list[Invoice]:
        ids = sorted({int(i) for i in company_ids})
        if not ids:
            return []
        dates = [
            {"op": "gte", "field": "invoiceDateTime", "value": at.at_date(since)},
            {"op": "lt", "field": "invoiceDateTime", "value": at.at_date(until + timedelta(1))},
        ]
        rows = await self._in_chunks("Invoices", "companyID", ids, dates)
        found = self.decode(rows, at.invoice, "an Invoices query")
        return [i for i in found if i.company_id in set(ids) and since <= i.date <= until]


def count_units(rows: list[at.Row]) -> int:
    try:
        return at.units_of(rows)
    except at.Malformed as problem:
        message = f"Autotask answered a ContractServiceUnits query oddly: {problem}"
        raise PsaError(message) from None


def _needle(text: str, limit: int) -> str:
    needle = text.strip()
    if len(needle) < 2:
        raise ValueError("search text needs at least 2 characters")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return needle
