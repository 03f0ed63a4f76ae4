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
from psabill.psa.autotask.prefetch import ContractCache, Entry
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
        self._contracts: dict[int, at.Row] = {}
        self._services: dict[int, CatalogItem | None] = {}
        self.cache = ContractCache()

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
        listed = [a for a in found if a.company_id in wanted]
        self._contracts.update(
            {a.id: row for a, row in zip(found, rows, strict=True) if a.company_id in wanted}
        )
        self.cache.listed({a.id: (a.start_date, a.end_date) for a in listed if not a.cancelled})
        return listed

    async def contract(self, contract_id: int) -> at.Row | None:
        """The Contracts record, as listed or first read by this client."""
        if contract_id not in self._contracts:
            rows = await self.session.query("Contracts", [eq("id", int(contract_id))])
            found = next((r for r in rows if r.get("id") == contract_id), None)
            if found is None:
                return None
            self._contracts[contract_id] = found
        return self._contracts[contract_id]

    async def services(self, ids: Sequence[int]) -> dict[int, CatalogItem]:
        """Services by id; each asked once per client, or found by name before (a run does
        not change them; a sync's new lines need the services its catalog read found)."""
        missing = sorted(set(ids) - self._services.keys())
        if missing:
            rows = await self._in_chunks("Services", "id", missing)
            found = {s.id: s for s in self.decode(rows, at.catalog_item, "a Services query")}
            self._services.update({i: found.get(i) for i in missing})
        return {i: item for i in set(ids) if (item := self._services.get(i)) is not None}

    def forget(self, contract_id: int) -> None:
        """A write of the contract starts or ends: no answer kept for it is given again."""
        self.cache.forget(contract_id)

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
        """The contract's services and units on ``on``, read with every contract known and
        not yet read for that day (:mod:`.prefetch`)."""
        contract_id, day = int(agreement_id), on or self.today()
        self.cache.ask(contract_id, day)
        async with self.cache.lock:
            entry = self.cache.get(contract_id, day)
            if entry is None:
                entry = (await self._read_contracts(self.cache.batch(contract_id, day), day))[
                    contract_id
                ]
        links, units = entry
        if not links:
            return []
        services = await self.services([at.ident(link, "serviceID") for link in links])
        by_link: dict[Any, list[at.Row]] = {}
        for row in units:
            by_link.setdefault(row.get("contractServiceID"), []).append(row)

        def mapper(link: at.Row) -> Addition:
            service = services.get(at.ident(link, "serviceID"))
            return at.addition(link, service, count_units(by_link.get(link.get("id"), [])))

        return self.decode(links, mapper, "a ContractServices query")

    async def _read_contracts(self, contract_ids: list[int], day: date) -> dict[int, Entry]:
        """The ContractServices (where not kept) and units on ``day`` of ``contract_ids``,
        in bulk; kept for contracts not written meanwhile."""
        started = self.cache.generations(contract_ids)
        need = [c for c in contract_ids if self.cache.needs_links(c)]
        link_rows, unit_rows = await gather_pair(
            self._in_chunks("ContractServices", "contractID", need) if need else _none(),
            self._in_chunks("ContractServiceUnits", "contractID", contract_ids, covering(day)),
        )
        links = _by_contract(link_rows, need)
        units = _by_contract(unit_rows, contract_ids)
        found = {
            c: (links[c] if c in links else self.cache.links_of(c), units[c]) for c in contract_ids
        }
        service_ids = {row.get("serviceID") for rows, _ in found.values() for row in rows}
        await self.services([i for i in service_ids if isinstance(i, int)])
        self.cache.store(day, found, started)
        return found

    async def catalog_items(self, identifiers: Sequence[str]) -> list[CatalogItem]:
        if isinstance(identifiers, str):
            raise TypeError("pass a list of identifiers, not one string")
        names = list(dict.fromkeys(identifiers))
        rows = await self._in_chunks("Services", "name", names) if names else []
        wanted = {name.casefold() for name in names}
        found = self.decode(rows, at.catalog_item, "a Services query")
        self._services.update({item.id: item for item in found})
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


def _by_contract(rows: list[at.Row], contract_ids: list[int]) -> dict[int, list[at.Row]]:
    """Rows by their ``contractID``, in the order served; only the contracts asked for."""
    grouped: dict[int, list[at.Row]] = {c: [] for c in contract_ids}
    for row in rows:
        contract_id = row.get("contractID")
        if isinstance(contract_id, int) and contract_id in grouped:
            grouped[contract_id].append(row)
    return grouped


async def _none() -> list[at.Row]:
    return []


def _needle(text: str, limit: int) -> str:
    needle = text.strip()
    if len(needle) < 2:
        raise ValueError("search text needs at least 2 characters")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return needle
