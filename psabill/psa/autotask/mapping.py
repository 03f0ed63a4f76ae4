"""Autotask records in psabill's terms (the identifiers decided for issue 16).

* Company: ``identifier`` is ``str(id)`` (Autotask has no short identifier; names repeat),
  ``deleted`` is ``not isActive``.
* Agreement: a Recurring Service contract (``contractType`` 7); ``type_name`` is the label of
  its ``contractCategory`` picklist value, read from the PSA, never hard-coded.
* CatalogItem: a Service, identified by its name.
* Addition: a ContractService with the units of the ContractServiceUnits row covering the day.

Autotask sends money as JSON doubles; they become ``Decimal`` through their shortest repr here,
once. A record that lacks a field psabill needs is a :class:`Malformed` problem, never a guess.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from psabill.core.entities import (
    Addition,
    Agreement,
    AgreementStatus,
    CatalogItem,
    Company,
    Invoice,
)

RECURRING_SERVICE = 7
ACTIVE = 1
Row = dict[str, Any]


class Malformed(ValueError):
    """An Autotask record without a field psabill needs."""


def at_date(day: date) -> str:
    """A date-only field for Autotask: the calendar date at midnight, never zone-converted."""
    return f"{day.isoformat()}T00:00:00"


def day_of(value: Any) -> date | None:
    """The calendar date an Autotask date field names (its time part is ignored)."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    raise Malformed(f"expected a number, got {value!r}")


def ident(row: Row, key: str = "id") -> int:
    value = row.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Malformed(f"a record without a numeric {key}")
    return value


def company(row: Row) -> Company:
    name = row.get("companyName")
    return Company(
        id=ident(row),
        identifier=str(ident(row)),
        name=str(name) if name is not None else "",
        deleted=row.get("isActive") is False,
    )


def agreement(row: Row, categories: dict[str, str], today: date) -> Agreement:
    """``categories``: picklist value -> label. An inactive contract is cancelled; an active
    one is Expired/Inactive when ``today`` is past its end or before its start."""
    start, end = day_of(row.get("startDate")), day_of(row.get("endDate"))
    cancelled = row.get("status") != ACTIVE
    status: AgreementStatus = "Cancelled" if cancelled else "Active"
    if not cancelled and end is not None and end < today:
        status = "Expired"
    elif not cancelled and start is not None and start > today:
        status = "Inactive"
    category = row.get("contractCategory")
    return Agreement(
        id=ident(row),
        name=str(row.get("contractName") or ""),
        type_name=categories.get(str(category), "") if category is not None else "",
        company_id=ident(row, "companyID"),
        company_identifier=str(ident(row, "companyID")),
        cancelled=cancelled,
        status=status,
        start_date=start,
        end_date=end,
    )


def catalog_item(row: Row) -> CatalogItem:
    name = row.get("name")
    if not isinstance(name, str) or not name:
        raise Malformed(f"service {row.get('id')} has no name")
    return CatalogItem(
        id=ident(row),
        identifier=name,
        description=str(row.get("description") or name),
        inactive=row.get("isActive") is False,
        price=number(row.get("unitPrice")),
        cost=number(row.get("unitCost")),
    )


def addition(link: Row, service: CatalogItem | None, units: int) -> Addition:
    """A ContractService and its units on the day asked for."""
    price = number(link.get("adjustedPrice"))
    if price is None:
        price = number(link.get("unitPrice"))
    identifier = service.identifier if service is not None else f"service {link.get('serviceID')}"
    return Addition(
        id=ident(link),
        agreement_id=ident(link, "contractID"),
        product_id=ident(link, "serviceID"),
        product_identifier=identifier,
        quantity=Decimal(units),
        unit_price=price,
        unit_cost=number(link.get("unitCost")),
        description=str(link.get("invoiceDescription") or identifier),
    )


def units_of(rows: list[Row]) -> int:
    """Units of the ContractServiceUnits row covering a day; the latest-starting when more
    than one does (reference §1.7); 0 when none does (the service is not billed that day)."""
    if not rows:
        return 0
    latest = max(rows, key=lambda row: str(row.get("startDate")))
    value = latest.get("units")
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise Malformed("a ContractServiceUnits row without units")
    return int(value)


def invoice(row: Row) -> Invoice:
    day = day_of(row.get("invoiceDateTime"))
    if day is None:
        raise Malformed(f"invoice {row.get('id')} has no invoiceDateTime")
    return Invoice(
        id=ident(row),
        number=str(row.get("invoiceNumber") or row.get("id")),
        company_id=ident(row, "companyID"),
        company_identifier=str(ident(row, "companyID")),
        date=day,
        total=number(row.get("invoiceTotal")) or Decimal(0),
    )


def picklist(fields: Any, name: str) -> list[Row]:
    """The picklist values of field ``name`` in an ``entityInformation/fields`` answer."""
    for entry in (fields or {}).get("fields") or []:
        if isinstance(entry, dict) and str(entry.get("name", "")).lower() == name.lower():
            values = entry.get("picklistValues") or []
            return [value for value in values if isinstance(value, dict)]
    return []


def labels(values: list[Row], *, active_only: bool = False) -> dict[str, str]:
    return {
        str(value.get("value")): str(value.get("label", ""))
        for value in values
        if not active_only or value.get("isActive", True)
    }


def today_of(moment: datetime) -> date:
    return moment.date()
