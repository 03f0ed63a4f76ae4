"""Seat counts on Autotask Recurring Service contracts: read units for a day, post the delta.

Autotask has no "set quantity" call: units change only by ``ContractServiceAdjustments``, signed
deltas that can never be read back, updated or deleted (reference §0, §1.7). So the rules are
made structural here:

* :meth:`AutotaskSeats.adjust` takes the :class:`UnitsRead` it is based on, not a number: the
  delta is ``target - read.units`` for ``read.day`` exactly, and the adjustment is dated that day.
* An adjustment spends every earlier read of its contract service, *before* the POST is sent,
  so after any failure (including an unknown outcome) the only way on is a fresh read, and two
  reads of the same state can never base two deltas.
* Reads and adjustments of one contract service never overlap, so a read is never taken while
  an adjustment of it is in flight, and two adjustments of it are never in flight at once.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from psabill.errors import PsaError
from psabill.psa.autotask.session import AutotaskSession

RECURRING_SERVICE = 7
IN_LIMIT = 500
_SERIALS = itertools.count(1)


@dataclass(frozen=True)
class UnitsRead:
    """``units`` of ``service_id`` on ``contract_id`` on ``day``, read by :class:`AutotaskSeats`.

    ``rows`` counts the ContractServiceUnits rows covering the day (0: the service is not on
    the contract, units 0; more than 1 is reported, and the latest-starting row is used)."""

    contract_id: int
    service_id: int
    day: date
    units: int
    rows: int
    serial: int


@dataclass(frozen=True)
class PostedAdjustment:
    item_id: int
    contract_id: int
    service_id: int
    day: date
    unit_change: int
    before: int


def at_date(day: date) -> str:
    """A date-only field for Autotask: the calendar date at midnight, never zone-converted."""
    return f"{day.isoformat()}T00:00:00"


def eq(field: str, value: Any) -> dict[str, Any]:
    return {"op": "eq", "field": field, "value": value}


class AutotaskSeats:
    """Reads and unit adjustments over one :class:`AutotaskSession`."""

    def __init__(self, session: AutotaskSession) -> None:
        self.session = session
        self._open: dict[int, tuple[int, int]] = {}
        """Reads no adjustment has spent yet, by serial, with their (contract, service)."""
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}

    def _lock(self, pair: tuple[int, int]) -> asyncio.Lock:
        """One (contract, service)'s lock: reads and adjustments of it never overlap."""
        return self._locks.setdefault(pair, asyncio.Lock())

    async def companies(self) -> list[dict[str, Any]]:
        return await self.session.query("Companies", [{"op": "gte", "field": "id", "value": 0}])

    async def recurring_contracts(self, company_id: int) -> list[dict[str, Any]]:
        conditions = [eq("companyID", company_id), eq("contractType", RECURRING_SERVICE)]
        return await self.session.query("Contracts", conditions)

    async def services(self, ids: list[int]) -> list[dict[str, Any]]:
        """The services with these ids, asked 500 at a time (Autotask's limit on OR terms)."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), IN_LIMIT):
            chunk = ids[start : start + IN_LIMIT]
            found += await self.session.query(
                "Services", [{"op": "in", "field": "id", "value": chunk}]
            )
        return found

    async def contract_services(self, contract_id: int) -> list[dict[str, Any]]:
        return await self.session.query("ContractServices", [eq("contractID", contract_id)])

    async def read_units(self, contract_id: int, service_id: int, day: date) -> UnitsRead:
        """The units on ``day``: the rows whose start and end dates include it."""
        when = at_date(day)
        group = {
            "op": "and",
            "items": [
                eq("contractID", contract_id),
                eq("serviceID", service_id),
                {"op": "lte", "field": "startDate", "value": when},
                {"op": "gte", "field": "endDate", "value": when},
            ],
        }
        pair = (contract_id, service_id)
        async with self._lock(pair):
            rows = await self.session.query("ContractServiceUnits", [group])
            serial = next(_SERIALS)  # unique across instances: a read is only its own
            self._open[serial] = pair
        latest = max(rows, key=lambda row: str(row.get("startDate")), default=None)
        units = 0 if latest is None else int(latest.get("units") or 0)
        return UnitsRead(contract_id, service_id, day, units, len(rows), serial)

    async def adjust(self, read: UnitsRead, target: int) -> PostedAdjustment | None:
        """Post ``target - read.units`` dated ``read.day``; ``None`` when nothing changes.

        Raises ``ValueError`` for a read that is not this object's or is already spent, and for
        a negative target. The read is spent even when the POST fails; a read that finds the
        count already right is spent too."""
        if target < 0:
            raise ValueError("a seat count cannot be negative")
        pair = (read.contract_id, read.service_id)
        async with self._lock(pair):
            if self._open.get(read.serial) != pair:
                raise ValueError("adjust() needs a fresh read_units() result that no adjust() used")
            delta = target - read.units
            if delta == 0:
                del self._open[read.serial]
                return None
            # Every read of the pair predates this adjustment, so none may base another one.
            self._open = {serial: p for serial, p in self._open.items() if p != pair}
            body = {
                "contractID": read.contract_id,
                "serviceID": read.service_id,
                "effectiveDate": at_date(read.day),
                "unitChange": delta,
            }
            item_id = await self.session.create("ContractServiceAdjustments", body)
        return PostedAdjustment(
            item_id, read.contract_id, read.service_id, read.day, delta, read.units
        )

    async def set_units(
        self, read: UnitsRead, target: int
    ) -> tuple[PostedAdjustment | None, UnitsRead]:
        """:meth:`adjust`, then read the day again; :class:`PsaError` if the units are not
        ``target`` (never "corrected" by another adjustment)."""
        posted = await self.adjust(read, target)
        after = await self.read_units(read.contract_id, read.service_id, read.day)
        if after.units != target:
            raise PsaError(
                f"Autotask shows {after.units} units of service {read.service_id} on contract "
                f"{read.contract_id} on {read.day.isoformat()} after setting {target}",
                hint="check the contract in Autotask before running again: adjustments are final",
            )
        return posted, after
