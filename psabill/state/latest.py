"""Every customer's latest completed period in one query: the hourly due check of thousands."""

from __future__ import annotations

from datetime import datetime

from psabill.state._base import LedgerBase
from psabill.state.db import decode_time
from psabill.state.records import CompletedSlotRecord

_LATEST = """
    SELECT c.customer, c.period, c.slot_key, c.slot_at, c.run_id, c.completed_at
    FROM completed_slots AS c
    JOIN (SELECT customer, MAX(slot_at) AS slot_at FROM completed_slots GROUP BY customer) AS m
        ON c.customer = m.customer AND c.slot_at = m.slot_at
    ORDER BY c.completed_at
"""


class LedgerLatest(LedgerBase):
    def last_completed_all(self) -> dict[str, CompletedSlotRecord]:
        """:meth:`~psabill.state.ledger.Ledger.last_completed` of every customer that has one,
        by customer: one query instead of one per customer."""
        with self._read("read completed billing periods") as conn:
            rows = conn.execute(_LATEST).fetchall()
        records = (
            CompletedSlotRecord(
                customer=row["customer"],
                period=row["period"],
                slot_key=row["slot_key"],
                slot_at=_time(row["slot_at"]),
                run_id=row["run_id"],
                completed_at=_time(row["completed_at"]),
            )
            for row in rows
        )
        # Two periods of one customer at the same slot: the later completion wins, as there.
        return {record.customer: record for record in records}


_LENGTH = len("2026-12-01T06:00:00Z")


def _time(text: str) -> datetime:
    """:func:`~psabill.state.db.decode_time`, thirty times faster for what
    :func:`~psabill.state.db.encode_time` wrote (thousands of these per hourly run)."""
    if len(text) == _LENGTH and text.endswith("Z"):
        return datetime.fromisoformat(text)
    return decode_time(text)
