"""The sandbox's in-memory PSA: thread-safe tables, ids, dump/load, seeding helpers.

Rows are stored lean: references as ``{"id": n}``, no computed fields. Reading a row
(:meth:`Store.get`, :meth:`Store.rows`, :meth:`Store.dump`) *expands* it the way ConnectWise
does, with current reference names and computed addition fields; :mod:`psabill.sandbox.views`
owns that expansion and its inverse.

Ids are per table and start in different ranges (companies at 250, agreements at 1500,
additions at 9000, ...) so a client that mixes up ids gets a 404, not somebody else's row.

One re-entrant lock guards everything; the HTTP layer holds it for a whole request so
compound operations (look up, validate, insert) are atomic. Every ``add_*`` helper validates
through the same code as the HTTP API and raises :class:`~psabill.sandbox.api_errors.ApiError`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from psabill.sandbox.schema import TABLES, Ref, Table, format_timestamp, json_copy
from psabill.sandbox.store_seeding import SeedingHelpers
from psabill.sandbox.views import DUMP_FORMAT, Tables, expand, tables_from_dump

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


class Store(SeedingHelpers):
    """All sandbox data. Safe to share between the server threads and the test thread.

    The ``add_*`` seeding helpers come from :class:`~psabill.sandbox.store_seeding.SeedingHelpers`.

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
        self._tables: Tables = {t: {} for t in TABLES}
        self._next_id = dict(ID_START)
        self._stamp_at: datetime | None = None
        self._by_agreement: dict[object, set[int]] = {}
        """Addition ids by ``agreementId``: an agreement's additions list reads only its own."""

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
            self._index(table, record_id)
            return record_id

    def replace(self, table: Table, record_id: int, record: Mapping[str, Any]) -> None:
        with self.lock:
            if record_id not in self._tables[table]:
                raise KeyError(record_id)
            self._unindex(table, record_id)
            self._tables[table][record_id] = self._stamped(record_id, record)
            self._index(table, record_id)

    def delete(self, table: Table, record_id: int) -> bool:
        with self.lock:
            self._unindex(table, record_id)
            return self._tables[table].pop(record_id, None) is not None

    def raw(self, table: Table, record_id: int) -> dict[str, Any] | None:
        """A copy of the stored (unexpanded) row."""
        with self.lock:
            row = self._tables[table].get(record_id)
            return None if row is None else json_copy(row)

    def exists(self, table: Table, record_id: int) -> bool:
        """Whether the row is there (:meth:`raw` without copying it)."""
        with self.lock:
            return record_id in self._tables[table]

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

    def _index(self, table: Table, record_id: int) -> None:
        if table == "additions":
            agreement = self._tables[table][record_id].get("agreementId")
            self._by_agreement.setdefault(agreement, set()).add(record_id)

    def _unindex(self, table: Table, record_id: int) -> None:
        row = self._tables[table].get(record_id)
        if table == "additions" and row is not None:
            self._by_agreement.get(row.get("agreementId"), set()).discard(record_id)

    def _reindex(self) -> None:
        self._by_agreement = {}
        for record_id in self._tables["additions"]:
            self._index("additions", record_id)

    def _stamped(self, record_id: int, record: Mapping[str, Any]) -> dict[str, Any]:
        row = {"id": record_id, **json_copy(dict(record))}
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
        only: frozenset[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Expanded rows ordered by id; ``where`` filters the *stored* rows first (cheap);
        ``only`` limits each view to those top-level keys (see :func:`views.expand`)."""
        with self.lock:
            stored = self._tables[table]
            return [
                self._expand(table, stored[i], api_url, only)
                for i in sorted(stored)
                if where is None or where(stored[i])
            ]

    def additions_of(
        self, agreement_id: int, *, api_url: str | None = None, only: frozenset[str] | None = None
    ) -> list[dict[str, Any]]:
        """The expanded additions of one agreement, ordered by id: :meth:`rows` of
        ``additions`` where ``agreementId`` is ``agreement_id``, without reading the others."""
        with self.lock:
            stored = self._tables["additions"]
            ids = sorted(self._by_agreement.get(agreement_id, ()))
            return [self._expand("additions", stored[i], api_url, only) for i in ids]

    def _expand(
        self,
        table: Table,
        row: Mapping[str, Any],
        api_url: str | None,
        only: frozenset[str] | None = None,
    ) -> dict[str, Any]:
        return expand(self._tables, table, row, api_url, self.now, only)

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
        tables = tables_from_dump(data)
        with self.lock:
            self._tables = tables
            self._next_id = {
                table: max([ID_START[table], *(i + 1 for i in tables[table])]) for table in TABLES
            }
            self._reindex()

    def clear(self) -> None:
        with self.lock:
            self._tables = {t: {} for t in TABLES}
            self._next_id = dict(ID_START)
            self._by_agreement = {}
