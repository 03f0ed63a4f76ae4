"""The sandbox's in-memory PSA: thread-safe tables, read views, dump/load, seeding helpers.

Rows are stored lean: references as ``{"id": n}``, no computed fields. Reading a row
(:meth:`Store.get`, :meth:`Store.rows`, :meth:`Store.dump`) *expands* it the way ConnectWise
does: references show the target's current ``id``/``identifier``/``name`` (plus an ``_info``
link when served over HTTP) and computed addition fields are filled in:

* ``billedQuantity = quantity - lessIncluded``; ``extPrice``/``extCost`` are that times
  ``unitPrice``/``unitCost``; ``margin = extPrice - extCost``;
* an addition's ``agreementStatus`` is ``Cancelled`` once its ``cancelledDate`` is at or before
  the store clock, otherwise its agreement's ``agreementStatus``.

Ids are per table and start in different ranges (companies at 250, agreements at 1500,
additions at 9000, ...) so a client that mixes up ids gets a 404, not somebody else's row.

One re-entrant lock guards everything; the HTTP layer holds it for a whole request so
compound operations (look up, validate, insert) are atomic. Every ``add_*`` helper validates
through the same code as the HTTP API and raises :class:`~psabill.sandbox.api_errors.ApiError`.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from psabill.sandbox import entities
from psabill.sandbox.model import RESOURCES
from psabill.sandbox.schema import TABLES, Ref, Table, format_timestamp, parse_timestamp

DUMP_FORMAT = "psabill-sandbox/1"
ID_START: dict[Table, int] = {
    "companies": 250,
    "agreementTypes": 10,
    "agreements": 1500,
    "productTypes": 20,
    "subcategories": 40,
    "catalog": 700,
    "additions": 9000,
    "invoices": 4200,
}
DuplicateIdentifierPolicy = Literal["rename", "reject"]


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Store:
    """All sandbox data. Safe to share between the server threads and the test thread.

    ``clock`` returns an aware datetime; it stamps ``_info.lastUpdated`` and decides whether a
    ``cancelledDate`` is in the past. Pass a fixed clock for byte-identical dumps.
    ``duplicate_catalog_identifier`` chooses what a catalog POST with an existing identifier
    does: ``"rename"`` (default, the ``…Copy0`` behaviour reported by integrators) or ``"reject"``
    (400 ``ObjectExists``); see :func:`psabill.sandbox.entities.create_catalog_item`.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = _utc_now,
        updated_by: str = "psabill-sandbox",
        duplicate_catalog_identifier: DuplicateIdentifierPolicy = "rename",
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.updated_by = updated_by
        self.duplicate_catalog_identifier: DuplicateIdentifierPolicy = duplicate_catalog_identifier
        self._tables: dict[Table, dict[int, dict[str, Any]]] = {t: {} for t in TABLES}
        self._next_id = dict(ID_START)
        self._stamp_at: datetime | None = None

    # -- low-level access (the HTTP layer and entities.py) ------------------------------------

    def now(self) -> datetime:
        return self.clock()

    def stamp_time(self) -> datetime:
        """The time written into ``_info.lastUpdated`` right now."""
        return self._stamp_at or self.clock()

    @contextmanager
    def stamped_at(self, moment: datetime) -> Iterator[None]:
        """Hold the lock and stamp every row written inside the block with ``moment``.

        Seed data uses it so a seeded store dumps identically whatever the clock says.
        """
        with self.lock:
            previous, self._stamp_at = self._stamp_at, moment
            try:
                yield
            finally:
                self._stamp_at = previous

    def insert(self, table: Table, record: Mapping[str, Any]) -> int:
        """Store a new row, assign its id, stamp ``_info``; return the id."""
        with self.lock:
            record_id = self._next_id[table]
            self._next_id[table] = record_id + 1
            self._tables[table][record_id] = self._stamped(record_id, record)
            return record_id

    def replace(self, table: Table, record_id: int, record: Mapping[str, Any]) -> None:
        with self.lock:
            if record_id not in self._tables[table]:
                raise KeyError(record_id)
            self._tables[table][record_id] = self._stamped(record_id, record)

    def delete(self, table: Table, record_id: int) -> bool:
        with self.lock:
            return self._tables[table].pop(record_id, None) is not None

    def raw(self, table: Table, record_id: int) -> dict[str, Any] | None:
        """A copy of the stored (unexpanded) row."""
        with self.lock:
            row = self._tables[table].get(record_id)
            return None if row is None else copy.deepcopy(row)

    def resolve(self, ref: Ref, key: str, value: Any) -> int | None:
        """Id of the ``ref.table`` row whose ``key`` equals ``value`` (text: case-insensitive)."""
        with self.lock:
            rows = self._tables[ref.table]
            if key == "id":
                try:
                    wanted = int(value)
                except (TypeError, ValueError):
                    return None
                return wanted if wanted in rows else None
            folded = str(value).casefold()
            matches = (i for i, row in rows.items() if str(row.get(key, "")).casefold() == folded)
            return min(matches, default=None)

    def _stamped(self, record_id: int, record: Mapping[str, Any]) -> dict[str, Any]:
        row = {"id": record_id, **copy.deepcopy(dict(record))}
        stamp = format_timestamp(self.stamp_time())
        row["_info"] = {"lastUpdated": stamp, "updatedBy": self.updated_by}
        return row

    # -- reading -------------------------------------------------------------------------------

    def get(
        self, table: Table, record_id: int, *, api_url: str | None = None
    ) -> dict[str, Any] | None:
        """The expanded row as the API shows it, or ``None``."""
        with self.lock:
            row = self._tables[table].get(record_id)
            return None if row is None else self._expand(table, row, api_url)

    def rows(
        self,
        table: Table,
        where: Callable[[Mapping[str, Any]], bool] | None = None,
        *,
        api_url: str | None = None,
    ) -> list[dict[str, Any]]:
        """Expanded rows ordered by id; ``where`` filters the *stored* rows first (cheap)."""
        with self.lock:
            stored = self._tables[table]
            return [
                self._expand(table, stored[i], api_url)
                for i in sorted(stored)
                if where is None or where(stored[i])
            ]

    def _expand(self, table: Table, row: Mapping[str, Any], api_url: str | None) -> dict[str, Any]:
        resource = RESOURCES[table]
        derived = self._derived(row) if table == "additions" else {}
        view: dict[str, Any] = {}
        for field in resource.fields:
            value = row.get(field.name)
            if field.derived:
                value = derived.get(field.name)
            elif field.ref is not None and isinstance(value, Mapping) and "id" in value:
                value = self._reference(field.ref, value["id"], api_url)
            else:
                value = copy.deepcopy(value)
            view[field.name] = value
        view["_info"] = dict(row.get("_info") or {})
        return view

    def _reference(self, ref: Ref, target_id: Any, api_url: str | None) -> dict[str, Any]:
        target = self._tables[ref.table].get(target_id)
        reference = {"id": target_id}
        if target is not None:
            reference.update({key: target.get(key) for key in ref.keys})
        if api_url is not None:
            resource = RESOURCES[ref.table]
            href = f"{api_url}/{resource.path}/{target_id}"
            reference["_info"] = {resource.href_key: href}
        return reference

    def _derived(self, row: Mapping[str, Any]) -> dict[str, Any]:
        billed = _dec(row.get("quantity")) - _dec(row.get("lessIncluded"))
        ext_price = billed * _dec(row.get("unitPrice"))
        ext_cost = billed * _dec(row.get("unitCost"))
        cancelled = row.get("cancelledDate")
        if isinstance(cancelled, str) and parse_timestamp(cancelled) <= self.now():
            status = "Cancelled"
        else:
            agreement = self._tables["agreements"].get(row.get("agreementId") or 0) or {}
            status = agreement.get("agreementStatus") or "Active"
        return {
            "billedQuantity": float(billed),
            "extPrice": float(ext_price),
            "extCost": float(ext_cost),
            "margin": float(ext_price - ext_cost),
            "agreementStatus": status,
        }

    # -- whole-state snapshots ----------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """Every table as expanded rows ordered by id (no hrefs); JSON-serialisable."""
        with self.lock:
            data: dict[str, Any] = {"format": DUMP_FORMAT}
            for table in TABLES:
                data[table] = self.rows(table)
            return data

    def load(self, data: Mapping[str, Any]) -> None:
        """Replace everything with a :meth:`dump`; computed fields are recomputed, not trusted."""
        if not isinstance(data, Mapping) or data.get("format") != DUMP_FORMAT:
            raise ValueError(f"not a sandbox dump (expected format {DUMP_FORMAT!r})")
        tables: dict[Table, dict[int, dict[str, Any]]] = {}
        for table in TABLES:
            tables[table] = {}
            for view in data.get(table) or []:
                row = _collapse(table, view)
                tables[table][row["id"]] = row
        with self.lock:
            self._tables = tables
            self._next_id = {
                table: max([ID_START[table], *(i + 1 for i in tables[table])]) for table in TABLES
            }

    def clear(self) -> None:
        with self.lock:
            self._tables = {t: {} for t in TABLES}
            self._next_id = dict(ID_START)

    # -- seeding helpers (validated like API writes) ------------------------------------------

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
            self, identifier, name, status=status, deleted=deleted, city=city
        )

    def add_agreement_type(self, name: str, *, prorate: bool = False) -> int:
        return entities.add_agreement_type(self, name, prorate=prorate)

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
            self,
            company_id,
            name,
            agreement_type=agreement_type,
            start_date=start_date,
            end_date=end_date,
            cancelled_date=cancelled_date,
            bill_amount=bill_amount,
        )

    def add_product_type(self, name: str) -> int:
        return entities.add_named(self, "productTypes", name)

    def add_subcategory(self, name: str, *, category: str = "Software") -> int:
        return entities.add_named(self, "subcategories", name, category=category)

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
            self,
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
        """An addition on ``agreement_id`` for ``product`` (catalog id or identifier)."""
        body: dict[str, Any] = {
            "product": {"id": product} if isinstance(product, int) else {"identifier": product},
            "quantity": entities.number(quantity),
            "unitPrice": entities.number(unit_price),
            "unitCost": entities.number(unit_cost),
            "billCustomer": bill_customer,
            "effectiveDate": entities.timestamp(effective_date),
            "cancelledDate": entities.timestamp(cancelled_date),
            "description": description,
        }
        return entities.create_addition(self, agreement_id, body)

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
            self,
            company_id,
            invoice_number,
            date=date,
            total=total,
            agreement_id=agreement_id,
            balance=balance,
        )


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if isinstance(value, int | float) else Decimal(0)


def _collapse(table: Table, view: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row from an expanded one: drop computed fields, shrink references to ids."""
    record_id = view.get("id")
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        raise ValueError(f"{table}: every row needs an integer id")
    row: dict[str, Any] = {"id": record_id}
    for field in RESOURCES[table].fields:
        if field.derived or field.name == "id":
            continue
        value = copy.deepcopy(view.get(field.name))
        if field.ref is not None and isinstance(value, Mapping) and "id" in value:
            value = {"id": value["id"]}
        row[field.name] = value
    info = view.get("_info")
    row["_info"] = (
        {k: v for k, v in info.items() if not k.endswith("_href")}
        if isinstance(info, Mapping)
        else {}
    )
    return row
