"""The ``Store.add_*`` seeding helpers: typed, keyword-friendly rows for seed data and tests.

Owns the convenience surface that seed data (:mod:`psabill.sandbox.seed`), tests and benchmarks
use to fill a store without speaking JSON. Each helper builds the body an API client would send
and hands it to :mod:`psabill.sandbox.entities`, so a helper row is validated exactly like an
HTTP write and a bad one raises :class:`~psabill.sandbox.api_errors.ApiError`. Kept apart from
:mod:`psabill.sandbox.store`, which owns the tables, ids and locking these helpers write through.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from psabill.sandbox import entities
from psabill.sandbox.schema import Ref

if TYPE_CHECKING:
    from psabill.sandbox.store import Store


class SeedingHelpers:
    """Mixed into :class:`~psabill.sandbox.store.Store`, its only user."""

    def _store(self) -> Store:
        """``self`` as the store it is mixed into (:mod:`.entities` is typed against Store)."""
        return cast("Store", self)

    def add_company(
        self,
        identifier: str,
        name: str,
        *,
        status: str = "Active",
        deleted: bool = False,
        city: str | None = None,
    ) -> int:
        return entities.add_company(
            self._store(), identifier, name, status=status, deleted=deleted, city=city
        )

    def add_agreement_type(self, name: str, *, prorate: bool = False) -> int:
        return entities.add_agreement_type(self._store(), name, prorate=prorate)

    def add_agreement(
        self,
        company_id: int,
        name: str,
        *,
        agreement_type: int | str,
        start_date: datetime | str | None = None,
        end_date: datetime | str | None = None,
        cancelled_date: datetime | str | None = None,
        bill_amount: float | Decimal | str = 0,
    ) -> int:
        """An agreement; with ``cancelled_date`` it is ``cancelledFlag`` / ``Cancelled``."""
        return entities.add_agreement(
            self._store(),
            company_id,
            name,
            agreement_type=agreement_type,
            start_date=start_date,
            end_date=end_date,
            cancelled_date=cancelled_date,
            bill_amount=bill_amount,
        )

    def add_product_type(self, name: str) -> int:
        return entities.add_named(self._store(), "productTypes", name)

    def add_subcategory(self, name: str, *, category: str = "Software") -> int:
        return entities.add_named(self._store(), "subcategories", name, category=category)

    def add_catalog_item(
        self,
        identifier: str,
        description: str,
        *,
        price: float | Decimal | str = 0,
        cost: float | Decimal | str = 0,
        customer_description: str | None = None,
        subcategory: int | str | None = None,
        product_type: int | str | None = None,
        inactive: bool = False,
    ) -> int:
        """A catalog item; subcategory and type default to "Software Licenses" and "Software"
        (created when missing)."""
        return entities.add_catalog_item(
            self._store(),
            identifier,
            description,
            price=price,
            cost=cost,
            customer_description=customer_description,
            subcategory=subcategory,
            product_type=product_type,
            inactive=inactive,
        )

    def add_addition(
        self,
        agreement_id: int,
        product: int | str,
        quantity: float | Decimal | str | None,
        *,
        unit_price: float | Decimal | str | None = None,
        unit_cost: float | Decimal | str | None = None,
        bill_customer: str = "Billable",
        effective_date: datetime | str | None = None,
        cancelled_date: datetime | str | None = None,
        description: str | None = None,
    ) -> int:
        """An addition on ``agreement_id`` for ``product`` (catalog id or identifier).

        Price, cost and description left out are taken from the catalog item, as ConnectWise's
        screen fills them in when a person picks the product; the API itself does not (an HTTP
        POST without them stores 0 and null, see :mod:`psabill.sandbox.entities`).
        """
        item = self._catalog_row(product)
        body: dict[str, Any] = {
            "product": {"id": product} if isinstance(product, int) else {"identifier": product},
            "quantity": entities.number(quantity),
            "unitPrice": entities.number(_or(unit_price, item.get("price"))),
            "unitCost": entities.number(_or(unit_cost, item.get("cost"))),
            "billCustomer": bill_customer,
            "effectiveDate": entities.timestamp(effective_date),
            "cancelledDate": entities.timestamp(cancelled_date),
            "description": description if description is not None else item.get("description"),
        }
        return entities.create_addition(self._store(), agreement_id, body)

    def _catalog_row(self, product: int | str) -> dict[str, Any]:
        """The stored catalog row ``product`` names, or ``{}`` (the write then reports it)."""
        store = self._store()
        key = "id" if isinstance(product, int) else "identifier"
        found = store.resolve(Ref("catalog", ("id",), ("identifier",)), key, product)
        return (store.raw("catalog", found) if found is not None else None) or {}

    def add_invoice(
        self,
        company_id: int,
        invoice_number: str,
        *,
        date: datetime | str,
        total: float | Decimal | str,
        agreement_id: int | None = None,
        balance: float | Decimal | str | None = None,
    ) -> int:
        return entities.add_invoice(
            self._store(),
            company_id,
            invoice_number,
            date=date,
            total=total,
            agreement_id=agreement_id,
            balance=balance,
        )


def _or(given: Any, fallback: Any) -> Any:
    return fallback if given is None else given
