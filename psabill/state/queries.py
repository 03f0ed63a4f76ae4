"""Read-only ledger queries: runs by trigger or outcome, and what psabill last confirmed.

Kept beside :mod:`psabill.state.outbox` as a mixin of
:class:`~psabill.state.ledger.Ledger`, so the ledger module stays about writing runs.
Every "what did psabill last confirm" question is one window query,
:meth:`LedgerQueries._latest_confirmed`, asked with a different grouping.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from decimal import Decimal
from typing import Final, Literal, get_args

from psabill.core.outcome import Trigger
from psabill.core.trends import PeriodMark, QuantityMark
from psabill.state import _rows
from psabill.state._base import LedgerBase, check_choice
from psabill.state.records import RUN_STATUSES, TRIGGERS, RunRecord, RunStatus

Column = Literal["customer", "product", "agreement_id"]
"""A ``run_lines`` column the latest-confirmed query may group by."""
_COLUMNS: Final[tuple[Column, ...]] = get_args(Column)

_LATEST_CONFIRMED = """
    SELECT * FROM (
        SELECT l.*, row_number() OVER (
            PARTITION BY {partition} ORDER BY l.run_id DESC, l.id DESC
        ) AS recency
        FROM run_lines AS l JOIN runs AS r ON r.id = l.run_id
        WHERE {where}
    ) WHERE recency = 1
"""


class LedgerQueries(LedgerBase):
    """Queries of :class:`~psabill.state.ledger.Ledger` for ``products list`` and ``approve``."""

    def runs_where(
        self, *, trigger: Trigger | None = None, outcome: RunStatus | None = None
    ) -> list[RunRecord]:
        """Every run with this trigger and/or outcome, newest first."""
        clauses: list[str] = []
        values: list[str] = []
        if trigger is not None:
            check_choice("trigger", trigger, TRIGGERS)
            clauses.append("r.trigger = ?")
            values.append(trigger)
        if outcome is not None:
            check_choice("outcome", outcome, RUN_STATUSES)
            clauses.append("r.outcome = ?")
            values.append(outcome)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        query = _rows.RUN_SELECT + where + " GROUP BY r.id ORDER BY r.id DESC"
        with self._read("list runs") as conn:
            return [_rows.run_record(row) for row in conn.execute(query, values)]

    def last_synced_totals(self) -> dict[str, Decimal]:
        """``product -> quantity`` summed over customers, each customer's latest confirmed line.

        What psabill last confirmed in the PSA per vendor SKU. Dry runs never count.
        """
        rows = self._latest_confirmed("read synced quantities", ("customer", "product"))
        totals: dict[str, Decimal] = {}
        for row in rows:
            if row["new_quantity"] is not None:
                quantity = Decimal(row["new_quantity"])
                totals[row["product"]] = totals.get(row["product"], Decimal(0)) + quantity
        return totals

    def last_confirmed_quantities(self, customer: str) -> dict[tuple[str, int | None], Decimal]:
        """``(product, agreement_id) → quantity`` from each pair's latest confirmed line.

        What psabill last *knows* the PSA accepted, for the mass-change guards.
        Dry runs never count. A pair whose latest confirmed line has no
        quantity is left out rather than shown with an older one.
        """
        by: tuple[Column, ...] = ("product", "agreement_id")
        rows = self._latest_confirmed("read confirmed quantities", by, customer=customer)
        return {
            (row["product"], row["agreement_id"]): Decimal(row["new_quantity"])
            for row in rows
            if row["new_quantity"] is not None
        }

    def last_synced_quantities(self) -> dict[tuple[str, str], Decimal]:
        """``(customer, product) → quantity`` from each pair's latest confirmed line: what the
        rise guard compares a new quantity with. Dry runs never count."""
        rows = self._latest_confirmed("read synced quantities", ("customer", "product"))
        return {
            (row["customer"], row["product"]): Decimal(row["new_quantity"])
            for row in rows
            if row["new_quantity"] is not None
        }

    def known_additions(self) -> dict[tuple[str, str], int]:
        """``(customer, product) → addition id`` from each pair's latest confirmed line.

        The planner uses it to notice an addition psabill synced before whose
        PSA product was renamed since, instead of creating a second one.
        """
        rows = self._latest_confirmed(
            "read known additions", ("customer", "product"), with_addition=True
        )
        return {(row["customer"], row["product"]): int(row["addition_id"]) for row in rows}

    def period_history(
        self, customers: Sequence[str], periods: int
    ) -> tuple[list[PeriodMark], list[QuantityMark]]:
        """The last ``periods`` completed periods of each customer (ledger keys), and every
        confirmed quantity of theirs up to the newest of those runs, oldest first: what
        :func:`psabill.core.trends.build_series` turns into trends. Dry runs never count."""
        if not customers:
            return [], []
        marks: list[PeriodMark] = []
        with self._read("read billing periods") as conn:
            for customer in dict.fromkeys(customers):
                rows = conn.execute(
                    "SELECT period, run_id FROM completed_slots WHERE customer = ?"
                    " ORDER BY slot_at DESC, run_id DESC LIMIT ?",
                    (customer, periods),
                ).fetchall()
                marks += [PeriodMark(customer, row["period"], row["run_id"]) for row in rows]
            if not marks:
                return [], []
            return marks, self._quantities(conn, customers, max(m.run_id for m in marks))

    @staticmethod
    def _quantities(
        conn: sqlite3.Connection, customers: Sequence[str], up_to: int
    ) -> list[QuantityMark]:
        query = (
            "SELECT l.run_id, l.customer, l.product, l.new_quantity FROM run_lines AS l"
            " JOIN runs AS r ON r.id = l.run_id WHERE l.status = 'confirmed' AND r.dry_run = 0"
            " AND l.new_quantity IS NOT NULL AND l.customer = ? AND l.run_id <= ?"
            " ORDER BY l.run_id, l.id"
        )
        return [
            QuantityMark(
                row["run_id"], row["customer"], row["product"], Decimal(row["new_quantity"])
            )
            for customer in dict.fromkeys(customers)
            for row in conn.execute(query, (customer, up_to))
        ]

    def _latest_confirmed(
        self,
        doing: str,
        by: tuple[Column, ...],
        *,
        customer: str | None = None,
        with_addition: bool = False,
    ) -> list[sqlite3.Row]:
        """The latest confirmed line (highest run id, then line id) of each ``by`` group.

        Lines of dry runs never count: they did not touch the PSA. ``customer`` keeps one
        customer's lines; ``with_addition`` only lines that name an addition, so a group's
        latest line *with* an id wins over a newer one without.
        """
        for column in by:
            check_choice("column", column, _COLUMNS)
        clauses = ["l.status = 'confirmed'", "r.dry_run = 0"]
        values: list[str] = []
        if customer is not None:
            clauses.append("l.customer = ?")
            values.append(customer)
        if with_addition:
            clauses.append("l.addition_id IS NOT NULL")
        partition = ", ".join(f"l.{column}" for column in by)
        query = _LATEST_CONFIRMED.format(partition=partition, where=" AND ".join(clauses))
        with self._read(doing) as conn:
            return conn.execute(query, values).fetchall()
