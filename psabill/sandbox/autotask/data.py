"""The fake Autotask's database: companies, contracts, services and the adjustments that move units.

Units are never stored: ``ContractServiceUnits`` rows are derived from the adjustments posted for a
contract service (:mod:`~psabill.sandbox.autotask.units`). Adjustments can only be appended, as in
Autotask, where they can never be queried, updated or deleted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

RECURRING_SERVICE = 7
"""``Contracts.contractType`` of a Recurring Service contract."""
ACTIVE = 1
"""``Contracts.status`` of an active contract (0: inactive)."""
MONTHLY = 1
"""``Services.periodType`` of a monthly service."""
STORED = ("Companies", "Contracts", "Services", "ContractServices", "Invoices")
FORMAT = "psabill-autotask-1"


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
    """One posted ``ContractServiceAdjustment``; ``seeded`` ones are the world's history."""

    id: int
    contract_id: int
    service_id: int
    contract_service_id: int
    effective: date
    unit_change: int
    seeded: bool = False


@dataclass
class AutotaskWorld:
    """Every record by entity name, plus the adjustments; safe to use from the server's threads.

    ``categories`` is the Contracts ``contractCategory`` picklist (value -> label);
    ``posted_until`` the last day of each contract's approved-and-posted periods."""

    tables: dict[str, dict[int, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in STORED}
    )
    adjustments: list[Adjustment] = field(default_factory=list)
    categories: dict[int, str] = field(default_factory=lambda: {1: "Standard"})
    posted_until: dict[int, date] = field(default_factory=dict)
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

    def put(self, entity: str, record: dict[str, Any]) -> int:
        """Store ``record`` under its own id (a translated seed keeps its ids)."""
        with self.lock:
            item_id = int(record["id"])
            self.tables[entity][item_id] = dict(record)
            self._next_id = max(self._next_id, item_id)
            return item_id

    def adjust(
        self, contract_id: int, service_id: int, link: int, day: date, change: int, seeded: bool
    ) -> Adjustment:
        with self.lock:
            made = Adjustment(self.new_id(), contract_id, service_id, link, day, change, seeded)
            self.adjustments.append(made)
            return made

    def records(self, entity: str) -> list[dict[str, Any]]:
        """Copies of ``entity``'s records by id (derived ones for ``ContractServiceUnits``)."""
        with self.lock:
            if entity == "ContractServiceUnits":
                from psabill.sandbox.autotask.units import unit_rows

                return unit_rows(self, None)
            return [dict(self.tables[entity][key]) for key in sorted(self.tables[entity])]

    def units_on(self, contract_service_id: int, day: date) -> int:
        with self.lock:
            return sum(
                a.unit_change
                for a in self.adjustments
                if a.contract_service_id == contract_service_id and a.effective <= day
            )

    def dump(self) -> dict[str, Any]:
        """The world as JSON-able data (dates as ISO strings)."""
        with self.lock:
            return {
                "format": FORMAT,
                "tables": {
                    name: [dict(table[key]) for key in sorted(table)]
                    for name, table in self.tables.items()
                },
                "adjustments": [
                    {**vars(a), "effective": a.effective.isoformat()} for a in self.adjustments
                ],
                "categories": {str(k): v for k, v in self.categories.items()},
                "postedUntil": {str(k): v.isoformat() for k, v in self.posted_until.items()},
                "nextId": self._next_id,
            }

    def load(self, state: dict[str, Any]) -> None:
        """Replace everything with a :meth:`dump`; ``ValueError`` if it is not one."""
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError(f"not a psabill Autotask sandbox state (format {FORMAT})")
        try:
            tables = {
                name: {int(r["id"]): dict(r) for r in state["tables"].get(name, [])}
                for name in STORED
            }
            adjustments = [
                Adjustment(**{**a, "effective": date.fromisoformat(a["effective"])})
                for a in state["adjustments"]
            ]
            categories = {int(k): str(v) for k, v in state["categories"].items()}
            posted = {int(k): date.fromisoformat(v) for k, v in state["postedUntil"].items()}
            next_id = int(state["nextId"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"the Autotask sandbox state is malformed: {error!r}") from None
        with self.lock:
            self.tables, self.adjustments = tables, adjustments
            self.categories, self.posted_until, self._next_id = categories, posted, next_id


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
            world.adjust(contract, service, link, start, units, seeded=True)


def _service(name: str, price: str, cost: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": name,
        "invoiceDescription": name,
        "isActive": True,
        "periodType": MONTHLY,
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
