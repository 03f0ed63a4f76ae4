"""Request bodies and small checks of the HaloPSA writes (see :mod:`.client`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from psabill.core.entities import Addition, CatalogItem, NewAddition, NewCatalogItem
from psabill.errors import PsaError
from psabill.psa.halopsa import mapping as halo


def wire(quantity: Decimal) -> int | float:
    return halo.wire_number(quantity)


def line_body(new: NewAddition) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ihid": int(new.agreement_id),
        "_itemid": int(new.product_id),
        "qty_order": wire(new.quantity),
        "startdate": halo.halo_day(new.effective_date),
    }
    if new.unit_price is not None:
        body["unit_price"] = float(new.unit_price)
    if new.unit_cost is not None:
        body["unit_cost"] = float(new.unit_cost)
    if new.description:
        body["item_shortdescription"] = new.description
    return body


def item_body(new: NewCatalogItem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": new.identifier,
        "description": new.customer_description or new.description,
        "isrecurringitem": True,
    }
    if new.price is not None:
        body["baseprice"] = body["recurringprice"] = float(new.price)
    if new.cost is not None:
        body["costprice"] = body["recurringcost"] = float(new.cost)
    return body


def usable(item: CatalogItem) -> CatalogItem:
    if item.inactive:
        raise PsaError(
            f"the HaloPSA item {item.identifier!r} (id {item.id}) exists but is inactive",
            hint="reactivate it in Halo, or map the product to another item",
        )
    return item


def not_applied(line: Addition, what: str, wanted: object, got: object) -> PsaError:
    return PsaError(
        f"HaloPSA accepted the new {what} of line {line.id} (recurring invoice "
        f"{line.agreement_id}) but shows {got} instead of {wanted}",
        hint="check the line in Halo; its quantity may be calculated, or another change raced",
    )
