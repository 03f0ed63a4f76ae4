"""The fake Autotask's database: companies, contracts, services and the adjustments that move units.

Units are never stored: ``ContractServiceUnits`` rows are derived from the adjustments posted for a
contract service, one row per calendar month of the contract, split where an adjustment takes
effect (reference §1.6). Adjustments can only be appended, as in Autotask, where they can never be
queried, updated or deleted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

RECURRING_SERVICE = 7
"""``Contracts.contractType`` of a Recurring Service contract."""
ACTIVE = 1
"""``Contracts.status`` of an active contract."""
STORED = ("Companies", "Contracts", "Services", "ContractServices")


@dataclass(frozen=True)
class AutotaskCredentials:
    """The three auth headers' values; the integration code is Autotask's tracking identifier."""

    username: str
    integration_code: str
    secret: str

    def headers(self) -> dict[str, str]:
        return {
            "ApiIntegrationCode": self.integration_code,
            "UserName": self.username,
            "Secret": self.secret,
        }


DEMO_CREDENTIALS = AutotaskCredentials(
    "psabill-api@example.com", "DEMO7TRACKING5CODE", "demo-autotask-secret"
)


def at_date(day: date) -> str:
    """A date-only field as Autotask returns it: midnight, no zone (reference §1.1)."""
    return f"{day.isoformat()}T00:00:00"


def parse_day(value: object) -> date | None:
    """The calendar date in ``value`` (``2026-12-06`` or ``2026-12-06T00:00:00[.000][Z]``)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


@dataclass
class Adjustment:
    id: int
    contract_id: int
    service_id: int
    contract_service_id: int
    effective: date
    unit_change: int


@dataclass
class AutotaskWorld:
    """Every record by entity name, plus the adjustments; safe to use from the server's threads."""

    tables: dict[str, dict[int, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in STORED}
    )
    adjustments: list[Adjustment] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _next_id: int = 29_682_000

    def new_id(self) -> int:
        with self.lock:
            self._next_id += 1
            return self._next_id

    def add(self, entity: str, record: dict[str, Any]) -> int:
        with self.lock:
            item_id = self.new_id()
            self.tables[entity][item_id] = {**record, "id": item_id}
            return item_id

    def records(self, entity: str) -> list[dict[str, Any]]:
        """Copies of ``entity``'s records by id (derived ones for ``ContractServiceUnits``)."""
        with self.lock:
            if entity == "ContractServiceUnits":
                return unit_rows(self)
            return [dict(self.tables[entity][key]) for key in sorted(self.tables[entity])]

    def units_on(self, contract_service_id: int, day: date) -> int:
        with self.lock:
            return sum(
                a.unit_change
                for a in self.adjustments
                if a.contract_service_id == contract_service_id and a.effective <= day
            )


def unit_rows(world: AutotaskWorld) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for cs_id in sorted(world.tables["ContractServices"]):
        link = world.tables["ContractServices"][cs_id]
        contract = world.tables["Contracts"][link["contractID"]]
        rows.extend(_rows_of(world, link, contract))
    return rows


def _rows_of(
    world: AutotaskWorld, link: dict[str, Any], contract: dict[str, Any]
) -> list[dict[str, Any]]:
    start, end = parse_day(contract["startDate"]), parse_day(contract["endDate"])
    assert start is not None
    assert end is not None
    splits = {a.effective for a in world.adjustments if a.contract_service_id == link["id"]}
    bounds = sorted({start, *_month_starts(start, end), *(d for d in splits if start < d <= end)})
    price = Decimal(str(link.get("adjustedPrice") or link["unitPrice"]))
    rows = []
    for index, first in enumerate(bounds):
        last = bounds[index + 1] - timedelta(days=1) if index + 1 < len(bounds) else end
        units = world.units_on(link["id"], first)
        rows.append(
            {
                "id": link["id"] * 1000 + index,
                "contractID": link["contractID"],
                "contractServiceID": link["id"],
                "serviceID": link["serviceID"],
                "startDate": at_date(first),
                "endDate": at_date(last),
                "units": units,
                "price": float(price * units),  # the line total, not a rate (reference §1.6)
                "cost": float(Decimal(str(link["unitCost"])) * units),
                "approveAndPostDate": None,
            }
        )
    return rows


def _month_starts(start: date, end: date) -> list[date]:
    days, day = [], start.replace(day=1)
    while day <= end:
        if day > start:
            days.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return days


def seed_autotask_demo(world: AutotaskWorld, today: date) -> None:
    """Two customers, each on a Recurring Service contract for this year with seat services."""
    edr = world.add("Services", _service("Sophos EDR per seat", "12.50", "7.00"))
    backup = world.add("Services", _service("Cloud backup per user", "4.00", "1.50"))
    for number, (name, seats) in enumerate((("Acme Dental", 12), ("Birch Legal", 30)), 1):
        company = world.add(
            "Companies",
            {
                "companyName": name,
                "companyNumber": f"C{number:04d}",
                "isActive": True,
                "parentCompanyID": None,
            },
        )
        contract = world.add(
            "Contracts", recurring_contract(company, f"{name} managed services", today)
        )
        for service, units in ((edr, seats), (backup, seats // 2)):
            link = add_contract_service(world, contract, service)
            start = parse_day(world.tables["Contracts"][contract]["startDate"])
            assert start is not None
            world.adjustments.append(
                Adjustment(world.new_id(), contract, service, link, start, units)
            )


def _service(name: str, price: str, cost: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": name,
        "invoiceDescription": name,
        "isActive": True,
        "periodType": 3,
        "unitPrice": float(price),
        "unitCost": float(cost),
    }


def recurring_contract(company_id: int, name: str, today: date) -> dict[str, Any]:
    """An active Recurring Service contract for ``today``'s calendar year."""
    return {
        "companyID": company_id,
        "contractName": name,
        "contractNumber": None,
        "contractType": RECURRING_SERVICE,
        "contractCategory": 1,
        "contractPeriodType": "m",
        "status": ACTIVE,
        "startDate": at_date(today.replace(month=1, day=1)),
        "endDate": at_date(today.replace(month=12, day=31)),
        "isDefaultContract": False,
    }


def add_contract_service(world: AutotaskWorld, contract_id: int, service_id: int) -> int:
    service = world.tables["Services"][service_id]
    record = {
        "contractID": contract_id,
        "serviceID": service_id,
        "unitPrice": service["unitPrice"],
        "unitCost": service["unitCost"],
        "adjustedPrice": None,
        "invoiceDescription": service["invoiceDescription"],
        "internalDescription": None,
    }
    return world.add("ContractServices", record)
