"""Completed billing periods: which period is done for which customer.

A mixin of :class:`~psabill.state.ledger.Ledger`. ``completed_slots`` is what makes "exactly
once per billing period" hold across restarts, so only a real (not dry) run may complete one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from psabill.state import _rows
from psabill.state._base import LedgerBase
from psabill.state.db import encode_time
from psabill.state.records import CompletedSlotRecord


class LedgerSlots(LedgerBase):
    def complete_slots(
        self,
        run_id: int,
        *,
        customers: Iterable[str],
        period: str,
        slot_key: str,
        slot_at: datetime,
        completed_at: datetime,
    ) -> None:
        """Record ``period`` as done for each customer (replacing an earlier record), atomically.

        Refuses a dry run's id (ValueError): a dry run marking a period done
        would make the real run skip it, and the customer would not be billed.
        """
        rows = [
            (customer, period, slot_key, encode_time(slot_at), run_id, encode_time(completed_at))
            for customer in dict.fromkeys(customers)
        ]
        with self._write("record completed billing periods") as conn:
            if self._require_run(conn, run_id, running=False)["dry_run"]:
                raise ValueError(f"run {run_id} is a dry run; it cannot complete a billing period")
            conn.executemany(
                "INSERT OR REPLACE INTO completed_slots (customer, period, slot_key, slot_at,"
                " run_id, completed_at) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def last_completed(self, customer: str) -> CompletedSlotRecord | None:
        """The customer's completed period with the latest ``slot_at``, if any."""
        query = (
            "SELECT * FROM completed_slots WHERE customer = ?"
            " ORDER BY slot_at DESC, completed_at DESC LIMIT 1"
        )
        with self._read("read completed billing periods") as conn:
            row = conn.execute(query, (customer,)).fetchone()
            return None if row is None else _rows.completed_slot_record(row)
