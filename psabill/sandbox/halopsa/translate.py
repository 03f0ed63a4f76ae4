"""The demo MSP in Halo's terms: a seeded ConnectWise :class:`Store` translated into Halo records.

The three sandboxes serve the same MSP, so every record keeps its ConnectWise id:

* company -> **Client** (``inactive`` when ConnectWise deleted it), ``id`` kept;
* agreement -> **ClientContract** (``ref`` = the agreement's name, ``start_date``/``end_date``,
  ``contract_status`` "Cancelled" when ConnectWise cancelled it) plus its **RecurringInvoice**
  header (``contract_id``/``contract_ref`` naming the contract, ``disabled`` when cancelled);
  the agreement type's name becomes the contract's ``contracttype_name`` (with ``contracttype``
  its id): Halo's ``ContractHeader`` schema has exactly that pair, the closest thing it has to
  ConnectWise's agreement type;
* catalog item -> **Item** (``name`` = the ConnectWise description, as users know the product),
  ``inactive`` kept;
* addition -> **recurring invoice line** (``qty_order``; a cancelled addition gets ``enddate`` the
  day before its cancelled date: Halo's end date is the last day a line bills).

Two departures, both on purpose: the demo's "Blue Harbor - Managed Services" header gets a
*negative* id (Halo has them, reference §2.3; a sync creates lines on it), and Müller's
Microsoft 365 line is one whose quantity Halo calculates from licences (the demo bills no M365,
so no sync wants to write it). :class:`Identifiers` translates the ConnectWise demo's names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from psabill.sandbox.halopsa.data import (
    CALCULATED_FROM_LICENCES,
    HaloWorld,
    halo_date,
    parse_day,
)
from psabill.sandbox.store import Store

NEGATIVE_HEADERS = frozenset({"Blue Harbor - Managed Services"})
"""Agreements whose recurring invoice header id is the negated ConnectWise id."""
CALCULATED_LINES = frozenset({("Müller - Managed Services", "M365-BP")})
"""(agreement name, catalog identifier) of lines whose quantity Halo computes from licences."""


def header_id(agreement: dict[str, Any]) -> int:
    agreement_id = int(agreement["id"])
    return -agreement_id if agreement["name"] in NEGATIVE_HEADERS else agreement_id


def translate(store: Store) -> HaloWorld:
    """A Halo world holding ``store``'s companies, agreements, catalog, additions, invoices."""
    dump = store.dump()
    world = HaloWorld()
    for company in dump["companies"]:
        world.put("clients", _client(company))
    catalog = {row["id"]: row for row in dump["catalog"]}
    for item in dump["catalog"]:
        world.put("items", _item(item))
    headers: dict[int, int] = {}
    for agreement in dump["agreements"]:
        world.put("contracts", _contract(agreement))
        header = world.put("recurring", _header(agreement))
        headers[agreement["id"]] = header["id"]
    by_id = {row["id"]: row for row in dump["agreements"]}
    for addition in dump["additions"]:
        agreement = by_id[addition["agreementId"]]
        item = catalog[addition["product"]["id"]]
        world.put("lines", _line(addition, agreement, headers[agreement["id"]], item))
    for invoice in dump["invoices"]:
        world.put("invoices", _invoice(invoice, headers))
    return world


def _client(company: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": company["id"],
        "name": company["name"],
        "inactive": bool(company["deletedFlag"]),
        "toplevel_id": 1,
        "toplevel_name": "Customers",
        "accountsid": company["identifier"],
    }


def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["description"],
        "description": row.get("customerDescription") or row["description"],
        "inactive": bool(row["inactiveFlag"]),
        "isrecurringitem": True,
        "baseprice": row["price"],
        "costprice": row["cost"],
        "recurringprice": row["price"],
        "recurringcost": row["cost"],
        "internalreference": None,
    }


def _contract(agreement: dict[str, Any]) -> dict[str, Any]:
    cancelled = bool(agreement["cancelledFlag"])
    start = parse_day(agreement["startDate"])
    end = parse_day(agreement.get("endDate"))
    if cancelled:
        end = parse_day(agreement.get("dateCancelled")) or end
    return {
        "id": agreement["id"],
        "client_id": agreement["company"]["id"],
        "client_name": agreement["company"]["name"],
        "ref": agreement["name"],
        "start_date": halo_date(start),
        "end_date": halo_date(end),
        "status": 0 if cancelled else 1,
        "contract_status": "Cancelled" if cancelled else "Active",
        "contracttype": agreement["type"]["id"],
        "contracttype_name": agreement["type"]["name"],
        "billingperiod": 1,
        "periodchargeamount": agreement.get("billAmount") or 0,
    }


def _header(agreement: dict[str, Any]) -> dict[str, Any]:
    contract = _contract(agreement)
    return {
        "id": header_id(agreement),
        "client_id": contract["client_id"],
        "client_name": contract["client_name"],
        "contract_id": contract["id"],
        "contract_ref": contract["ref"],
        "is_recurring_invoice": True,
        "disabled": contract["contract_status"] == "Cancelled",
        "startdate": contract["start_date"],
        "enddate": contract["end_date"],
        "period": 1,
        "reference": contract["ref"],
    }


def _line(
    addition: dict[str, Any], agreement: dict[str, Any], ihid: int, item: dict[str, Any]
) -> dict[str, Any]:
    cancelled = parse_day(addition.get("cancelledDate"))
    line: dict[str, Any] = {
        "id": addition["id"],
        "ihid": ihid,
        "_itemid": item["id"],
        "item_code": item["description"],
        "item_shortdescription": item["description"],
        "qty_order": addition["quantity"],
        "unit_price": addition["unitPrice"],
        "unit_cost": addition["unitCost"],
        "contract_id": agreement["id"],
        "startdate": halo_date(parse_day(addition.get("effectiveDate"))),
        "enddate": halo_date(cancelled - timedelta(days=1)) if cancelled else None,
        "isinactive": False,
        "recurring_invoice_quantity_type": 0,
        "quantity_licences": [],
    }
    if (agreement["name"], item["identifier"]) in CALCULATED_LINES:
        line["recurring_invoice_quantity_type"] = CALCULATED_FROM_LICENCES
        line["quantity_licences"] = [
            {"id": 1, "invoice_line_id": line["id"], "licence_name": item["description"]}
        ]
    return line


def _invoice(row: dict[str, Any], headers: dict[int, int]) -> dict[str, Any]:
    agreement_id = (row.get("agreement") or {}).get("id")
    return {
        "id": row["id"],
        "invoicenumber": row["invoiceNumber"],
        "client_id": row["company"]["id"],
        "client_name": row["company"]["name"],
        "invoice_date": halo_date(parse_day(row["date"])),
        "total": float(Decimal(str(row["total"]))),
        "contract_id": agreement_id,
        "recurring_invoice_id": headers.get(agreement_id) if agreement_id else None,
        "posted": True,
    }


@dataclass(frozen=True)
class Identifiers:
    """The ConnectWise demo's identifiers in Halo's terms: a company identifier -> the client id
    (as text), a catalog identifier -> the Item name; unknown ones are returned unchanged."""

    companies: dict[str, str]
    products: dict[str, str]
    headers: dict[int, int]

    @classmethod
    def of(cls, store: Store) -> Identifiers:
        dump = store.dump()
        return cls(
            companies={c["identifier"].casefold(): str(c["id"]) for c in dump["companies"]},
            products={c["identifier"].casefold(): c["description"] for c in dump["catalog"]},
            headers={a["id"]: header_id(a) for a in dump["agreements"]},
        )

    def company(self, cw_identifier: str) -> str:
        return self.companies.get(cw_identifier.casefold(), cw_identifier)

    def catalog(self, cw_identifier: str) -> str:
        return self.products.get(cw_identifier.casefold(), cw_identifier)

    def agreement(self, cw_agreement_id: int) -> int:
        """The recurring invoice header id of a ConnectWise agreement (negative for some)."""
        return self.headers.get(cw_agreement_id, cw_agreement_id)
