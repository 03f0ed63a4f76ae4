"""Read-only ledger queries for the mapping and approval commands.

Kept beside :mod:`psabill.state.outbox` as a mixin of
:class:`~psabill.state.ledger.Ledger`, so the ledger module stays about runs.
"""

from __future__ import annotations

from decimal import Decimal

from psabill.state import _rows
from psabill.state._base import LedgerBase, check_choice
from psabill.state.records import OUTCOMES, TRIGGERS, Outcome, RunRecord, Trigger


class LedgerQueries(LedgerBase):
    """Queries of :class:`~psabill.state.ledger.Ledger` for ``products list`` and ``approve``."""

    def runs_where(
        self, *, trigger: Trigger | None = None, outcome: Outcome | None = None
    ) -> list[RunRecord]:
        """Every run with this trigger and/or outcome, newest first."""
        clauses: list[str] = []
        values: list[str] = []
        if trigger is not None:
            check_choice("trigger", trigger, TRIGGERS)
            clauses.append("r.trigger = ?")
            values.append(trigger)
        if outcome is not None:
            check_choice("outcome", outcome, OUTCOMES)
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
        query = """
            SELECT product, new_quantity FROM (
                SELECT l.product, l.new_quantity, row_number() OVER (
                    PARTITION BY l.customer, l.product ORDER BY l.run_id DESC, l.id DESC
                ) AS recency
                FROM run_lines AS l JOIN runs AS r ON r.id = l.run_id
                WHERE l.status = 'confirmed' AND r.dry_run = 0
            ) WHERE recency = 1 AND new_quantity IS NOT NULL
        """
        totals: dict[str, Decimal] = {}
        with self._read("read synced quantities") as conn:
            for product, quantity in conn.execute(query):
                totals[product] = totals.get(product, Decimal(0)) + Decimal(quantity)
        return totals
