"""Entity rules shared by the HTTP API and the :class:`~psabill.sandbox.store.Store` helpers.

Decisions where the reference is silent or open (§9), kept here in one place:

* **Addition defaults.** "Anything that does not require a value will be set to Null" (doc S4),
  so ``quantity``, ``effectiveDate``, ``description`` and ``invoiceDescription`` stay null when
  left out. Whether ConnectWise copies ``unitPrice``/``unitCost`` from the catalog item is
  unverified (reference §9), so the sandbox does not: prices left out are stored as the field's
  default, 0, and the line bills nothing. A client that wants a price sends it.
* **Agreement status** is derived, never stored: ``agreementStatus`` reads ``Cancelled``,
  ``Inactive`` (not started), ``Expired`` (ended) or ``Active`` from ``cancelledFlag``,
  ``startDate`` and ``endDate`` on the store clock's day (:mod:`psabill.sandbox.views`).
* **Additions on a cancelled, expired or not-yet-started agreement** are accepted (whether the
  real API refuses them is unverified); such an addition's ``agreementStatus`` is its agreement's.
* **Duplicate catalog identifier on POST**: by default renamed ``<identifier>Copy0`` (then
  ``Copy1`` ...), as integrators report (reference §2.4); with the store's
  ``duplicate_catalog_identifier="reject"`` it is 400 ``InvalidObject`` / ``ObjectExists``.
  A PATCH onto an existing identifier is always refused with ``ObjectExists``. Identifiers are
  compared case-insensitively, like SQL Server does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from psabill.sandbox.api_errors import ApiError, ValidationIssue, invalid_object, not_found
from psabill.sandbox.model import (
    ADDITION,
    AGREEMENT,
    AGREEMENT_TYPE,
    CATALOG_ITEM,
    COMPANY,
    INVOICE,
    RESOURCES,
)
from psabill.sandbox.schema import Ref, Resource, Table, format_timestamp
from psabill.sandbox.views import ENTERED, entered
from psabill.sandbox.writes import build, patch

if TYPE_CHECKING:
    from psabill.sandbox.store import Store

COMPANY_STATUSES = {"Active": 1, "Inactive": 2, "Credit Hold": 3, "Not-Approved": 5}
PRODUCT_CATEGORIES = {"Software": 1, "Services": 2, "Hardware": 3}
MONTHLY = {"id": 2, "name": "Monthly"}


def number(value: float | Decimal | str | None) -> float | str | None:
    """A helper argument as the API would receive it (strings are validated later)."""
    if value is None or isinstance(value, str):
        return value
    return float(value)


def timestamp(value: datetime | date | str | None) -> str | None:
    """``datetime`` (aware) or ``date`` (midnight UTC) to the wire format; text passes through."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return format_timestamp(value)
    return format_timestamp(datetime(value.year, value.month, value.day, tzinfo=UTC))


def _insert(store: Store, resource: Resource, body: dict[str, Any]) -> int:
    with store.lock:
        return store.insert(resource.table, build(resource, body, store.resolve))


# -- seeding helpers -------------------------------------------------------------------------


def add_company(
    store: Store, identifier: str, name: str, *, status: str, deleted: bool, city: str | None
) -> int:
    status_ref = {"id": COMPANY_STATUSES.get(status, 9), "name": status}
    body: dict[str, Any] = {
        "identifier": identifier,
        "name": name,
        "status": status_ref,
        "city": city,
        "deletedFlag": deleted,
        "dateDeleted": format_timestamp(store.stamp_time()) if deleted else None,
    }
    return _insert(store, COMPANY, body)


def add_agreement_type(store: Store, name: str, *, prorate: bool) -> int:
    return _insert(store, AGREEMENT_TYPE, {"name": name, "prorateFlag": prorate})


def add_agreement(
    store: Store,
    company_id: int,
    name: str,
    *,
    agreement_type: int | str,
    start_date: datetime | str | None,
    end_date: datetime | str | None,
    cancelled_date: datetime | str | None,
    bill_amount: float | Decimal | str,
) -> int:
    cancelled = cancelled_date is not None
    body: dict[str, Any] = {
        "name": name,
        "type": _by_id_or(agreement_type, "name"),
        "company": {"id": company_id},
        "startDate": timestamp(start_date),
        "endDate": timestamp(end_date),
        "noEndingDateFlag": end_date is None,
        "cancelledFlag": cancelled,
        "dateCancelled": timestamp(cancelled_date),
        "reasonCancelled": "Customer cancelled" if cancelled else None,
        "billingCycle": dict(MONTHLY),
        "billAmount": number(bill_amount),
    }
    return _insert(store, AGREEMENT, body)


def add_named(store: Store, table: Table, name: str, *, category: str | None = None) -> int:
    """A product type or subcategory (the two setup tables that only need a name)."""
    body: dict[str, Any] = {"name": name}
    if category is not None:
        body["category"] = {"id": PRODUCT_CATEGORIES.get(category, 9), "name": category}
    return _insert(store, RESOURCES[table], body)


def add_catalog_item(
    store: Store,
    identifier: str,
    description: str,
    *,
    price: float | Decimal | str,
    cost: float | Decimal | str,
    customer_description: str | None,
    subcategory: int | str | None,
    product_type: int | str | None,
    inactive: bool,
) -> int:
    with store.lock:
        body: dict[str, Any] = {
            "identifier": identifier,
            "description": description,
            "customerDescription": customer_description or description,
            "subcategory": _setup_ref(store, "subcategories", subcategory, "Software Licenses"),
            "type": _setup_ref(store, "productTypes", product_type, "Software"),
            "price": number(price),
            "cost": number(cost),
            "inactiveFlag": inactive,
            "recurringFlag": True,
        }
        return create_catalog_item(store, body)


def add_invoice(
    store: Store,
    company_id: int,
    invoice_number: str,
    *,
    date: datetime | str,
    total: float | Decimal | str,
    agreement_id: int | None,
    balance: float | Decimal | str | None,
) -> int:
    body: dict[str, Any] = {
        "invoiceNumber": invoice_number,
        "type": "Agreement" if agreement_id is not None else "Standard",
        "status": {"id": 1, "name": "Open"},
        "company": {"id": company_id},
        "agreement": None if agreement_id is None else {"id": agreement_id},
        "date": timestamp(date),
        "subtotal": number(total),
        "total": number(total),
        "balance": number(total if balance is None else balance),
    }
    return _insert(store, INVOICE, body)


def _by_id_or(value: int | str, key: str) -> dict[str, Any]:
    return {"id": value} if isinstance(value, int) else {key: value}


def _setup_ref(store: Store, table: Table, value: int | str | None, default: str) -> dict[str, Any]:
    if isinstance(value, int):
        return {"id": value}
    name = value or default
    found = store.resolve(Ref(table, ("id", "name"), ("name",)), "name", name)
    if found is None:
        found = add_named(
            store, table, name, category="Software" if table == "subcategories" else None
        )
    return {"id": found}


# -- catalog items ---------------------------------------------------------------------------


def create_catalog_item(store: Store, body: Any) -> int:
    with store.lock:
        record = build(CATALOG_ITEM, body, store.resolve)
        identifier = record["identifier"]
        if _identifier_taken(store, identifier):
            if store.duplicate_catalog_identifier == "reject":
                raise _exists(identifier)
            copies = (f"{identifier}Copy{n}" for n in range(10_000))
            record["identifier"] = next(c for c in copies if not _identifier_taken(store, c))
        return store.insert("catalog", record)


def patch_catalog_item(store: Store, item_id: int, operations: Any) -> None:
    with store.lock:
        current = store.raw("catalog", item_id)
        if current is None:
            raise not_found(CATALOG_ITEM.label, item_id)
        record = patch(CATALOG_ITEM, current, operations, store.resolve)
        if _identifier_taken(store, record["identifier"], besides=item_id):
            raise _exists(record["identifier"])
        record[ENTERED] = entered(current)
        store.replace("catalog", item_id, record)


def _identifier_taken(store: Store, identifier: str, *, besides: int | None = None) -> bool:
    ref = Ref("catalog", ("id",), ("identifier",))
    found = store.resolve(ref, "identifier", identifier)
    return found is not None and found != besides


def _exists(identifier: str) -> ApiError:
    message = f"A catalog item with identifier {identifier!r} already exists."
    issue = ValidationIssue("ObjectExists", message, CATALOG_ITEM.name, "identifier")
    return invalid_object(CATALOG_ITEM.name, [issue])


# -- agreement additions ---------------------------------------------------------------------


def require_agreement(store: Store, agreement_id: int) -> None:
    if not store.exists("agreements", agreement_id):
        raise not_found(AGREEMENT.label, agreement_id)


def require_addition(store: Store, agreement_id: int, addition_id: int) -> dict[str, Any]:
    """The stored addition, or 404 when it does not exist *on this agreement*."""
    require_agreement(store, agreement_id)
    row = store.raw("additions", addition_id)
    if row is None or row.get("agreementId") != agreement_id:
        raise not_found(ADDITION.label, addition_id)
    return row


def create_addition(store: Store, agreement_id: int, body: Any) -> int:
    with store.lock:
        require_agreement(store, agreement_id)
        record = _addition_defaults(build(ADDITION, body, store.resolve))
        record["agreementId"] = agreement_id
        return store.insert("additions", record)


def replace_addition(store: Store, agreement_id: int, addition_id: int, body: Any) -> None:
    """PUT: a brand-new record under the same id; whatever the body leaves out is reset."""
    with store.lock:
        current = require_addition(store, agreement_id, addition_id)
        record = _addition_defaults(build(ADDITION, body, store.resolve))
        record["agreementId"] = agreement_id
        record[ENTERED] = entered(current)
        store.replace("additions", addition_id, record)


def patch_addition(store: Store, agreement_id: int, addition_id: int, operations: Any) -> None:
    with store.lock:
        current = require_addition(store, agreement_id, addition_id)
        record = _addition_defaults(patch(ADDITION, current, operations, store.resolve))
        record[ENTERED] = entered(current)
        store.replace("additions", addition_id, record)


def delete_addition(store: Store, agreement_id: int, addition_id: int) -> None:
    with store.lock:
        require_addition(store, agreement_id, addition_id)
        store.delete("additions", addition_id)


ADDITION_PRICE_DEFAULT = 0.0
"""What an addition's ``unitPrice``/``unitCost`` hold when a write leaves them out: never the
catalog's (see the module docstring)."""


def _addition_defaults(record: dict[str, Any]) -> dict[str, Any]:
    for field in ("unitPrice", "unitCost"):
        if record.get(field) is None:
            record[field] = ADDITION_PRICE_DEFAULT
    return record
