"""The ledger's record of missed billing periods, so each is reported exactly once."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from psabill.core.due import MissedPeriod
from psabill.state._base import LedgerBase
from psabill.state.db import encode_time


class LedgerMissed(LedgerBase):
    def note_missed(self, periods: Sequence[MissedPeriod], *, at: datetime) -> list[MissedPeriod]:
        """Record ``periods``; return those not recorded before (the ones to report now).

        A period some run by hand billed after its slot (every line of that customer in
        place) was not missed: the admin did what the report would have asked. Two
        invocations noting the same period at once report it once: the row's key is
        (customer, slot), and only the insert that adds it counts.
        """
        new = []
        with self._write("record missed billing periods") as conn:
            for missed in periods:
                if _billed_by_hand_since(conn, missed):
                    continue
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO missed_periods "
                    "(customer, slot_key, period, slot_at, reported_at) VALUES (?, ?, ?, ?, ?)",
                    (
                        missed.customer,
                        missed.slot_key,
                        missed.period,
                        encode_time(missed.slot_at),
                        encode_time(at),
                    ),
                )
                if cursor.rowcount == 1:
                    new.append(missed)
        return new


_BY_HAND = """
    SELECT 1 FROM runs r JOIN run_lines l ON l.run_id = r.id
    WHERE r.dry_run = 0 AND r.trigger != 'scheduled' AND r.started_at >= ? AND l.customer = ?
    GROUP BY r.id
    HAVING SUM(l.status NOT IN ('confirmed', 'skipped')) = 0
    LIMIT 1
"""


def _billed_by_hand_since(conn: sqlite3.Connection, missed: MissedPeriod) -> bool:
    row = conn.execute(_BY_HAND, (encode_time(missed.slot_at), missed.customer)).fetchone()
    return row is not None
