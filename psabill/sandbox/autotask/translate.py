"""The ConnectWise demo MSP in Autotask's records, so all three sandboxes serve the same MSP.

A seeded ConnectWise :class:`~psabill.sandbox.store.Store` (``seed_demo``, ``seed_large``)
becomes an :class:`AutotaskWorld`, keeping every ConnectWise record id:

=====================  ====================================================================
ConnectWise            Autotask
=====================  ====================================================================
company                Company: ``companyName`` = name; deleted -> ``isActive`` false
agreement type         a ``contractCategory`` picklist value (value = the type's id)
agreement              Recurring Service contract (``contractType`` 7); cancelled -> status 0;
                       no end date -> :data:`OPEN_END` (Autotask contracts always end)
catalog item           Service: ``name`` = the item's description; inactive -> ``isActive`` false
addition               ContractService (id kept) and a seeded adjustment of its quantity from
                       its effective date; a cancelled one another taking it to 0 from then
invoice                Invoice
=====================  ====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from psabill.sandbox.autotask.data import (
    ACTIVE,
    MONTHLY,
    RECURRING_SERVICE,
    AutotaskWorld,
    at_date,
    parse_day,
)
from psabill.sandbox.store import Store

OPEN_END = date(2099, 12, 31)
INACTIVE = 0


def world_from_store(store: Store) -> AutotaskWorld:
    world = AutotaskWorld(categories={})
    for row in store.rows("agreementTypes"):
        world.categories[int(row["id"])] = str(row["name"])
    for row in store.rows("companies"):
        world.put("Companies", _company(row))
    for row in store.rows("catalog"):
        world.put("Services", _service(row))
    for row in store.rows("agreements"):
        world.put("Contracts", _contract(row))
    for row in store.rows("additions"):
        _addition(world, row)
    for row in store.rows("invoices"):
        world.put("Invoices", _invoice(row))
    return world


def _company(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "companyName": row["name"],
        "companyNumber": row["identifier"],
        "isActive": not row.get("deletedFlag"),
        "parentCompanyID": None,
    }


def _service(row: dict[str, Any]) -> dict[str, Any]:
    name = str(row.get("description") or row["identifier"])
    return {
        "id": row["id"],
        "name": name,
        "description": str(row.get("customerDescription") or name),
        "invoiceDescription": name,
        "isActive": not row.get("inactiveFlag"),
        "periodType": MONTHLY,
        "unitPrice": float(row.get("price") or 0),
        "unitCost": float(row.get("cost") or 0),
    }


def _contract(row: dict[str, Any]) -> dict[str, Any]:
    start = parse_day(row.get("startDate")) or date(2024, 1, 1)
    end = parse_day(row.get("endDate")) or max(OPEN_END, start)
    return {
        "id": row["id"],
        "companyID": row["company"]["id"],
        "contractName": row["name"],
        "contractNumber": None,
        "contractType": RECURRING_SERVICE,
        "contractCategory": (row.get("type") or {}).get("id"),
        "contractPeriodType": "m",
        "status": INACTIVE if row.get("cancelledFlag") else ACTIVE,
        "startDate": at_date(start),
        "endDate": at_date(end),
        "isDefaultContract": False,
    }


def _addition(world: AutotaskWorld, row: dict[str, Any]) -> None:
    contract = world.tables["Contracts"][int(row["agreementId"])]
    service_id = int(row["product"]["id"])
    service = world.tables["Services"][service_id]
    existing = [
        link
        for link in world.tables["ContractServices"].values()
        if (link["contractID"], link["serviceID"]) == (contract["id"], service_id)
    ]
    if existing:  # Autotask has one ContractService per service and contract: they add up
        link_id = int(existing[0]["id"])
    else:
        price = row.get("unitPrice")
        adjusted = None if price is None or price == service["unitPrice"] else float(price)
        link_id = world.put(
            "ContractServices",
            {
                "id": row["id"],
                "contractID": contract["id"],
                "serviceID": service_id,
                "unitPrice": service["unitPrice"],
                "unitCost": float(row.get("unitCost") or service["unitCost"]),
                "adjustedPrice": adjusted,
                "invoiceDescription": row.get("invoiceDescription") or service["name"],
                "internalDescription": None,
            },
        )
    units = round(float(row.get("quantity") or 0))
    start, end = parse_day(contract["startDate"]), parse_day(contract["endDate"])
    assert start is not None
    assert end is not None
    effective = max(parse_day(row.get("effectiveDate")) or start, start)
    if units and effective <= end:
        world.adjust(contract["id"], service_id, link_id, effective, units, seeded=True)
        cancelled = parse_day(row.get("cancelledDate"))
        if cancelled is not None and effective < cancelled <= end:
            world.adjust(contract["id"], service_id, link_id, cancelled, -units, seeded=True)


def _invoice(row: dict[str, Any]) -> dict[str, Any]:
    day = parse_day(row.get("date")) or date(2024, 1, 1)
    return {
        "id": row["id"],
        "companyID": row["company"]["id"],
        "invoiceNumber": row.get("invoiceNumber"),
        "invoiceDateTime": at_date(day),
        "invoiceTotal": float(row.get("total") or 0),
        "isVoided": False,
    }


@dataclass(frozen=True)
class Identifiers:
    """The ConnectWise demo's identifiers in Autotask's terms (unknown ones unchanged)."""

    companies: dict[str, str]
    catalog_items: dict[str, str]

    @classmethod
    def of(cls, store: Store) -> Identifiers:
        return cls(
            {str(r["identifier"]).casefold(): str(r["id"]) for r in store.rows("companies")},
            {
                str(r["identifier"]).casefold(): str(r.get("description") or r["identifier"])
                for r in store.rows("catalog")
            },
        )

    def company(self, cw_identifier: str) -> str:
        return self.companies.get(cw_identifier.casefold(), cw_identifier)

    def catalog(self, cw_identifier: str) -> str:
        return self.catalog_items.get(cw_identifier.casefold(), cw_identifier)
