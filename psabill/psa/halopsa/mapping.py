"""Halo's JSON -> psabill's entities (reference §2.3).

* **Client** -> :class:`Company`: the identifier is the client id as text (Halo has no short
  unique code a user types; names repeat and change), ``deleted`` = ``inactive``.
* **Recurring invoice header** -> :class:`Agreement`: its id (possibly negative), with the name,
  dates and type of the **ClientContract** it names: ``ref`` and ``contracttype_name`` (the
  ``ContractHeader`` schema's contract type, what ``agreement_type`` matches). A header that is
  ``disabled``, or whose contract's ``contract_status`` is "Cancelled", is cancelled.
* **Recurring invoice line** -> :class:`Addition`: the line id, ``_itemid`` and the Item's name,
  ``qty_order``. Halo's ``enddate`` is the last day a line bills, psabill's cancelled date the
  first day it does not: they are one day apart. A line whose quantity Halo calculates
  (``recurring_invoice_quantity_type`` set, or ``quantity_licences``/``_users``/``_assets``/
  ``_subscriptions`` filled) is ``locked``.
* **Item** -> :class:`CatalogItem`: the identifier is the Item's name (what ``psa_product`` holds).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from psabill.core.entities import (
    Addition,
    Agreement,
    AgreementStatus,
    CatalogItem,
    Company,
    Invoice,
)
from psabill.errors import PsaError

QUANTITY_SOURCES = {
    "quantity_licences": "licences",
    "quantity_users": "users",
    "quantity_assets": "assets",
    "quantity_subscriptions": "subscriptions",
}


def day_of(value: object) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def halo_day(day: date) -> str:
    return f"{day.isoformat()}T00:00:00"


def decimal_of(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def wire_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def record_id(row: Any, what: str) -> int:
    value = row.get("id") if isinstance(row, dict) else None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PsaError(f"HaloPSA sent a {what} without a numeric id")
    return value


def company(row: dict[str, Any]) -> Company:
    identifier = record_id(row, "client")
    name = str(row.get("name") or "")
    return Company(identifier, str(identifier), name, deleted=bool(row.get("inactive")))


def catalog_item(row: dict[str, Any]) -> CatalogItem:
    name = str(row.get("name") or "")
    return CatalogItem(
        id=record_id(row, "item"),
        identifier=name,
        description=str(row.get("description") or name),
        inactive=bool(row.get("inactive")),
        price=decimal_of(row.get("recurringprice") or row.get("baseprice")),
        cost=decimal_of(row.get("recurringcost") or row.get("costprice")),
    )


def agreement(header: dict[str, Any], contract: dict[str, Any] | None, today: date) -> Agreement:
    contract = contract or {}
    header_id = record_id(header, "recurring invoice")
    name = contract.get("ref") or header.get("contract_ref") or header.get("reference")
    start = day_of(contract.get("start_date")) or day_of(header.get("startdate"))
    end = day_of(contract.get("end_date")) or day_of(header.get("enddate"))
    contract_status = str(contract.get("contract_status") or "").casefold()
    cancelled = bool(header.get("disabled")) or contract_status in ("cancelled", "terminated")
    status: AgreementStatus = "Active"
    if cancelled:
        status = "Cancelled"
    elif start is not None and start > today:
        status = "Inactive"
    elif end is not None and end < today:
        status = "Expired"
    client_id = header.get("client_id")
    return Agreement(
        id=header_id,
        name=str(name or f"Recurring invoice {header_id}"),
        type_name=str(contract.get("contracttype_name") or ""),
        company_id=int(client_id) if isinstance(client_id, int) else 0,
        company_identifier=str(client_id),
        cancelled=cancelled,
        status=status,
        start_date=start,
        end_date=end,
    )


def locked_reason(line: dict[str, Any]) -> str | None:
    """Why psabill must not write this line's quantity, or ``None``."""
    sources = [word for key, word in QUANTITY_SOURCES.items() if line.get(key)]
    kind = line.get("recurring_invoice_quantity_type")
    if not sources and not kind:
        return None
    what = ", ".join(sources) if sources else "licences, users or assets"
    return (
        f"HaloPSA calculates this line's quantity itself from {what} "
        f"(recurring_invoice_quantity_type {kind}); psabill does not write it: change the "
        "line's quantity source in Halo, or take the product out of the mapping"
    )


def addition(line: dict[str, Any], item_names: dict[int, str]) -> Addition:
    item_id = line.get("_itemid")
    product_id = item_id if isinstance(item_id, int) else 0
    name = item_names.get(product_id) or line.get("item_code") or line.get("item_shortdescription")
    end = day_of(line.get("enddate"))
    ihid = line.get("ihid")
    return Addition(
        id=record_id(line, "recurring invoice line"),
        agreement_id=int(ihid) if isinstance(ihid, int) else 0,
        product_id=product_id,
        product_identifier=str(name or ""),
        quantity=decimal_of(line.get("qty_order")) or Decimal(0),
        unit_price=decimal_of(line.get("unit_price")),
        unit_cost=decimal_of(line.get("unit_cost")),
        effective_date=day_of(line.get("startdate")),
        cancelled_date=None if end is None else end + timedelta(days=1),
        status="Cancelled" if line.get("isinactive") else "Active",
        description=str(line.get("item_shortdescription") or ""),
        locked=locked_reason(line),
    )


def invoice(row: dict[str, Any]) -> Invoice | None:
    """A posted invoice, or ``None`` when it has no date (a draft)."""
    day = day_of(row.get("invoice_date"))
    if day is None:
        return None
    client_id = row.get("client_id")
    header_id = row.get("recurring_invoice_id")
    return Invoice(
        id=record_id(row, "invoice"),
        number=str(row.get("invoicenumber") or row.get("id")),
        company_id=int(client_id) if isinstance(client_id, int) else 0,
        company_identifier=str(client_id),
        date=day,
        total=decimal_of(row.get("total")) or Decimal(0),
        agreement_id=header_id if isinstance(header_id, int) and header_id else None,
    )
