"""The ledger's outbox: e-mails are stored before they are sent.

A run's report is queued in the ledger first and sent afterwards, so an SMTP
outage (or a crash right after a sync) delays the report instead of losing
it; the next run, or ``psabill`` itself, retries everything pending.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from psabill.state import _rows
from psabill.state._base import LedgerBase, row_id
from psabill.state.db import encode_time
from psabill.state.records import NewMail, OutboxRecord


class LedgerOutbox(LedgerBase):
    """Outbox operations of :class:`~psabill.state.ledger.Ledger`."""

    def outbox_add(
        self,
        *,
        run_id: int | None,
        sender: str,
        recipients: Sequence[str],
        subject: str,
        message: bytes,
        created_at: datetime,
    ) -> int:
        """Queue one e-mail (the full RFC 5322 bytes) for sending; return its id."""
        mail = NewMail(sender, tuple(_recipients(recipients)), subject, bytes(message))
        with self._write("queue an e-mail") as conn:
            if run_id is not None:
                self._require_run(conn, run_id, running=False)
            return insert_mail(conn, run_id, mail, created_at)

    def outbox_pending(self) -> list[OutboxRecord]:
        """Every message not yet sent, oldest first, however often it failed."""
        query = "SELECT * FROM outbox WHERE sent_at IS NULL ORDER BY created_at, id"
        with self._read("read the outbox") as conn:
            return [_rows.outbox_record(row) for row in conn.execute(query)]

    def outbox_mark_sent(self, outbox_id: int, *, at: datetime) -> None:
        """Record a successful send (it counts as an attempt); already sent → no change."""
        stamp = encode_time(at)
        with self._write("mark an e-mail sent") as conn:
            self._require_outbox(conn, outbox_id)
            conn.execute(
                "UPDATE outbox SET sent_at = ?, last_attempt_at = ?, attempts = attempts + 1"
                " WHERE id = ? AND sent_at IS NULL",
                (stamp, stamp, outbox_id),
            )

    def outbox_mark_failed(self, outbox_id: int, *, error: str, at: datetime) -> None:
        """Record a failed attempt; the message stays pending. Already sent → ValueError."""
        stamp = encode_time(at)
        with self._write("record a failed e-mail") as conn:
            if self._require_outbox(conn, outbox_id)["sent_at"] is not None:
                raise ValueError(f"outbox message {outbox_id} was already sent")
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, last_attempt_at = ?"
                " WHERE id = ?",
                (error, stamp, outbox_id),
            )

    @staticmethod
    def _require_outbox(conn: sqlite3.Connection, outbox_id: int) -> sqlite3.Row:
        row: sqlite3.Row | None = conn.execute(
            "SELECT sent_at FROM outbox WHERE id = ?", (outbox_id,)
        ).fetchone()
        if row is None:
            raise ValueError(f"no outbox message {outbox_id} in the ledger")
        return row


def _recipients(recipients: Sequence[str]) -> Sequence[str]:
    if isinstance(recipients, str) or not recipients:
        raise ValueError("an outbox message needs a non-empty list of recipients")
    return recipients


def insert_mail(
    conn: sqlite3.Connection, run_id: int | None, mail: NewMail, created_at: datetime
) -> int:
    """Store ``mail`` in the outbox within the caller's transaction; return its id."""
    _recipients(mail.recipients)
    cursor = conn.execute(
        "INSERT INTO outbox (run_id, created_at, sender, recipients_json, subject, message)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            run_id,
            encode_time(created_at),
            mail.sender,
            json.dumps(list(mail.recipients)),
            mail.subject,
            mail.message,
        ),
    )
    return row_id(cursor)
