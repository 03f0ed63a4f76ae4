"""The fake HaloPSA's database: clients, contracts, recurring invoices with their lines, items,
and posted invoices, as Halo's JSON shows them (reference §2.3, the OpenAPI schemas ``Area``,
``ContractHeader``, ``InvoiceHeader``, ``InvoiceDetail`` and ``Item``).

Records are kept as the JSON the API returns, so a list, a get and a dump show the same thing.
Recurring invoice lines live in their own table keyed by line id (``ihid`` names the header):
Halo's ``updatelines`` and ``Lines`` endpoints address lines directly.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

TABLES = ("clients", "contracts", "recurring", "lines", "items", "invoices")
"""``recurring``: recurring invoice headers (``/RecurringInvoice``); ``invoices``: posted
invoices (``/Invoice``)."""
CALCULATED_FROM_LICENCES = 2
"""``recurring_invoice_quantity_type`` the sandbox gives a line whose quantity Halo computes from
software licences. Halo does not document the values (reference §5, question 6); any value other
than ``0``/``null`` means "calculated" to the sandbox, as it must to a careful client."""


@dataclass(frozen=True)
class HaloCredentials:
    """The API application's client credentials and the hosted tenant (``None``: on-premise)."""

    client_id: str
    client_secret: str = field(repr=False)
    tenant: str | None = "psabill"


DEMO_CREDENTIALS = HaloCredentials("psabill-demo", "sandbox-halo-secret", "psabill")


def halo_date(day: date | None) -> str | None:
    """A date as Halo's API returns it: midnight, no zone."""
    return None if day is None else f"{day.isoformat()}T00:00:00"


def parse_day(value: object) -> date | None:
    """The calendar date in ``value`` (``2026-12-06`` or ``2026-12-06T00:00:00[Z]``)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


@dataclass
class HaloWorld:
    """Every record by table and id; safe to use from the server's threads (one lock)."""

    tables: dict[str, dict[int, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in TABLES}
    )
    processed: list[int] = field(default_factory=list)
    """Recurring invoice ids sent to ``/RecurringInvoice/process`` (psabill must never)."""
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def new_id(self, table: str) -> int:
        with self.lock:
            return max([0, *self.tables[table]]) + 1

    def put(self, table: str, record: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.tables[table][int(record["id"])] = record
            return record

    def get(self, table: str, record_id: int) -> dict[str, Any] | None:
        with self.lock:
            found = self.tables[table].get(record_id)
            return None if found is None else copy.deepcopy(found)

    def records(self, table: str) -> list[dict[str, Any]]:
        """Copies of ``table``'s records ordered by id."""
        with self.lock:
            rows = self.tables[table]
            return [copy.deepcopy(rows[key]) for key in sorted(rows)]

    def lines_of(self, header_id: int) -> list[dict[str, Any]]:
        """Copies of one recurring invoice's lines ordered by id.

        Lists with ``includelines`` and every ``includedetails`` GET call this per invoice, so
        it filters before it copies: copying every line of every invoice first made each call
        cost the whole table (33 s of sandbox CPU in a 500 x 5 no-change benchmark run)."""
        with self.lock:
            rows = self.tables["lines"]
            wanted = sorted(key for key, line in rows.items() if line["ihid"] == header_id)
            return [copy.deepcopy(rows[key]) for key in wanted]

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {
                "format": "psabill-halopsa/1",
                **{table: self.records(table) for table in TABLES},
                "processed": list(self.processed),
            }

    def load(self, state: dict[str, Any]) -> None:
        if state.get("format") != "psabill-halopsa/1":
            raise ValueError("not a HaloPSA sandbox state (format psabill-halopsa/1)")
        with self.lock:
            self.tables = {
                table: {int(row["id"]): copy.deepcopy(row) for row in state.get(table) or []}
                for table in TABLES
            }
            self.processed = [int(i) for i in state.get("processed") or []]
