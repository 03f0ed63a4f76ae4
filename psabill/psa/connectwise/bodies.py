"""What psabill sends ConnectWise: addition and catalog bodies, PATCH operations, wire values.

Numbers go out as the JSON numbers ConnectWise's spec types them as, dates as its ISO
timestamps at midnight UTC; reading answers back is :mod:`.mapping`'s.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from psabill.core.entities import NewAddition, NewCatalogItem


def wire_number(value: Decimal) -> int | float:
    """A ``Decimal`` as a JSON number (the API's doubles); whole numbers stay integers."""
    if not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    return int(value) if value == value.to_integral_value() else float(value)


def wire_date(day: date) -> str:
    """Midnight UTC in the only format the API reliably accepts (reference §5.4 item 9)."""
    return f"{day.isoformat()}T00:00:00Z"


def addition_body(new: NewAddition) -> dict[str, Any]:
    """The POST body of a new addition. Price, cost and description go out whenever known
    (the planner fills them from the catalog item): whether ConnectWise copies them from the
    catalog is not documented, and a price left to chance may bill at 0."""
    body: dict[str, Any] = {
        "product": {"id": new.product_id},
        "billCustomer": "Billable",
        "quantity": wire_number(new.quantity),
        "effectiveDate": wire_date(new.effective_date),
    }
    if new.unit_price is not None:
        body["unitPrice"] = wire_number(new.unit_price)
    if new.unit_cost is not None:
        body["unitCost"] = wire_number(new.unit_cost)
    if new.description:
        body["description"] = new.description
    return body


def replace_patch(path: str, value: Any) -> list[dict[str, Any]]:
    return [{"op": "replace", "path": path, "value": value}]


def catalog_body(new: NewCatalogItem, type_id: int, subcategory_id: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "identifier": new.identifier,
        "description": new.description,
        "customerDescription": new.customer_description,
        "type": {"id": type_id},
        "subcategory": {"id": subcategory_id},
    }
    if new.price is not None:
        body["price"] = wire_number(new.price)
    if new.cost is not None:
        body["cost"] = wire_number(new.cost)
    return body
