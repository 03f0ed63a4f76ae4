"""The ledger: psabill's SQLite record of runs, their lines, billed periods and outgoing mail.

It is what makes "exactly once per billing period" hold across restarts:
``completed_slots`` says which periods are done per customer, and every
write is one transaction, so a run killed at any instant leaves either the
old state or the new one, never a run marked finished that was not.

Contract for callers: datetimes in are aware (naive → ValueError) and come
back as UTC at whole seconds; quantities are Decimals both ways, exactly.
Misuse (unknown ids, illegal status moves) raises ValueError; anything the
database itself refuses raises :class:`~psabill.errors.StateError` with the
path and a hint. No ``sqlite3`` exception leaves this class.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from psabill.core.outcome import Trigger
from psabill.state import _rows
from psabill.state._base import check_choice, row_id
from psabill.state.adjustments import LedgerAdjustments
from psabill.state.customer_mail import LedgerCustomerMail, NewCustomerMail, queue_customer_mail
from psabill.state.db import (
    check_sqlite_header,
    connect,
    create_ledger_file,
    encode_json,
    encode_time,
    translate_errors,
)
from psabill.state.latest import LedgerLatest
from psabill.state.migrations import migrate
from psabill.state.missed import LedgerMissed
from psabill.state.outbox import LedgerOutbox, insert_mail
from psabill.state.paths import ensure_private_dir
from psabill.state.queries import LedgerQueries
from psabill.state.records import (
    LINE_TRANSITIONS,
    RUN_STATUSES,
    TRIGGERS,
    LineRecord,
    LineStatus,
    LineUpdate,
    NewLine,
    NewMail,
    RunRecord,
    RunStatus,
)
from psabill.state.slots import LedgerSlots

LEDGER_FILENAME = "ledger.sqlite3"
_FINAL_OUTCOMES = tuple(outcome for outcome in RUN_STATUSES if outcome != "running")


def ledger_path(state_dir: Path) -> Path:
    """Where the ledger lives in a state directory."""
    return state_dir / LEDGER_FILENAME


class Ledger(
    LedgerOutbox,
    LedgerQueries,
    LedgerMissed,
    LedgerCustomerMail,
    LedgerLatest,
    LedgerAdjustments,
    LedgerSlots,
):
    """An open ledger. Use :meth:`open`; close it (or use ``with``) when done.

    The outbox methods (``outbox_add``, ``outbox_pending``, ``outbox_mark_sent``,
    ``outbox_mark_failed``) live in :class:`~psabill.state.outbox.LedgerOutbox`;
    ``runs_where`` and the latest-confirmed-line queries (``last_confirmed_quantities``,
    ``known_additions``, ``last_synced_totals``) in :class:`~psabill.state.queries.LedgerQueries`;
    the delta journal (``add_adjustment``, ``settle_adjustment``, ``adjustments``, ...) in
    :class:`~psabill.state.adjustments.LedgerAdjustments`; ``complete_slots`` and
    ``last_completed`` in :class:`~psabill.state.slots.LedgerSlots`.
    """

    @classmethod
    def open(cls, path: Path) -> Ledger:
        """Open (creating and migrating as needed) the ledger at ``path``.

        A missing parent directory is created 0700 and a new file 0600.
        Raises :class:`StateError` if the file is not a psabill ledger, is
        damaged, or was written by a newer psabill.
        """
        ensure_private_dir(path.parent)
        create_ledger_file(path)
        check_sqlite_header(path)
        with translate_errors(path, "open it"):
            conn = connect(path)
            try:
                version = migrate(conn, path)
            except BaseException:
                conn.close()
                raise
        return cls(conn, path, version)

    # Runs and their lines

    def start_run(
        self,
        *,
        trigger: Trigger,
        started_at: datetime,
        slot_key: str | None = None,
        period: str | None = None,
        acting_admin: str | None = None,
        dry_run: bool = False,
        version: str = "",
        summary: Mapping[str, object] | None = None,
    ) -> int:
        """Record a new ``running`` run for this process (pid and hostname); return its id.

        ``summary`` is stored at once (``finish_run`` replaces it), so what a run is
        for - say the planned run an approval applies - survives an interrupted run.
        """
        check_choice("trigger", trigger, TRIGGERS)
        values = (trigger, slot_key, period, encode_time(started_at), acting_admin, int(dry_run))
        summary_json = None if summary is None else encode_json(summary)
        with self._write("record the start of a run") as conn:
            cursor = conn.execute(
                "INSERT INTO runs (trigger, slot_key, period, started_at, outcome, acting_admin,"
                " dry_run, pid, hostname, version, summary_json)"
                " VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (*values, os.getpid(), socket.gethostname(), version, summary_json),
            )
            return row_id(cursor)

    def add_lines(self, run_id: int, lines: Sequence[NewLine], *, at: datetime) -> list[int]:
        """Add lines to a running run, all or none; return their ids in order.

        ``at`` stamps ``updated_at``.
        """
        stamp = encode_time(at)
        rows = [_rows.line_values(run_id, line, stamp) for line in lines]
        for line in lines:
            check_choice("line status", line.status, LINE_TRANSITIONS)
        with self._write("record run lines") as conn:
            self._require_run(conn, run_id, running=True)
            return [row_id(conn.execute(_rows.LINE_INSERT, row)) for row in rows]

    def update_line(
        self,
        line_id: int,
        *,
        status: LineStatus,
        at: datetime,
        addition_id: int | None = None,
        error: str | None = None,
        old_quantity: Decimal | None = None,
    ) -> None:
        """Move a line to ``status``, setting the given fields (``None`` keeps the stored value).

        Only the moves in :data:`~psabill.state.records.LINE_TRANSITIONS` are
        allowed; anything else (say confirmed → sent) raises ValueError.
        """
        change = LineUpdate(line_id, status, addition_id, error, old_quantity)
        self._update_lines([change], at, "update a run line")

    def update_lines(self, changes: Sequence[LineUpdate], *, at: datetime) -> None:
        """:meth:`update_line` for many lines at once, all or none.

        One transaction, so one sync to disk for the lot rather than one per line: a run
        marks all its writes ``sent`` (each must be on disk before its request goes out) and
        later ``confirmed`` this way. A line may appear twice (say ``sent``, then
        ``confirmed``); the changes apply in order.
        """
        self._update_lines(changes, at, "update run lines")

    def _update_lines(self, changes: Sequence[LineUpdate], at: datetime, doing: str) -> None:
        for change in changes:
            check_choice("line status", change.status, LINE_TRANSITIONS)
        stamp = encode_time(at)
        rows = [_rows.line_update_values(change, stamp) for change in changes]
        if not rows:
            return
        with self._write(doing) as conn:
            for change, row in zip(changes, rows, strict=True):
                _check_move(conn, change.line_id, change.status)
                conn.execute(_rows.LINE_UPDATE, row)

    def finish_run(
        self,
        run_id: int,
        *,
        outcome: RunStatus,
        finished_at: datetime,
        summary: Mapping[str, object] | None = None,
        mail: Sequence[NewMail] = (),
        customer_mail: Sequence[NewCustomerMail] = (),
    ) -> list[int]:
        """Mark a running run finished with ``outcome`` (not ``running``) and its summary,
        and queue its ``mail``, then its ``customer_mail`` (recorded per company and period),
        in the outbox in the same transaction; return the outbox ids in that order.

        One transaction: a run is never recorded as finished without the summaries that
        report it, so a crash can delay a summary but never lose it or queue it twice.
        """
        check_choice("final outcome", outcome, _FINAL_OUTCOMES)
        summary_json = None if summary is None else encode_json(summary)
        with self._write("record the end of a run") as conn:
            self._require_run(conn, run_id, running=True)
            conn.execute(
                "UPDATE runs SET outcome = ?, finished_at = ?, summary_json = ? WHERE id = ?",
                (outcome, encode_time(finished_at), summary_json, run_id),
            )
            ids = [insert_mail(conn, run_id, item, finished_at) for item in mail]
            return ids + queue_customer_mail(conn, run_id, customer_mail, finished_at)

    def recover_interrupted(self, *, at: datetime) -> list[int]:
        """Mark every ``running`` run ``interrupted`` (finished ``at``); return their ids.

        Call it holding the run lock: then no run is really running, so these
        processes died. Their lines keep their status: a ``sent`` line may or
        may not have reached the PSA, which the next sync finds out by reading it.
        """
        stamp = encode_time(at)
        with self._write("recover interrupted runs") as conn:
            rows = conn.execute("SELECT id FROM runs WHERE outcome = 'running' ORDER BY id")
            ids = [int(row[0]) for row in rows]
            conn.executemany(
                "UPDATE runs SET outcome = 'interrupted', finished_at = ? WHERE id = ?",
                [(stamp, run_id) for run_id in ids],
            )
            return ids

    def runs(self, *, limit: int = 20) -> list[RunRecord]:
        """The ``limit`` most recently started runs, newest first."""
        query = _rows.RUN_SELECT + " GROUP BY r.id ORDER BY r.id DESC LIMIT ?"
        with self._read("list runs") as conn:
            return [_rows.run_record(row) for row in conn.execute(query, (limit,))]

    def run(self, run_id: int) -> RunRecord | None:
        query = _rows.RUN_SELECT + " WHERE r.id = ? GROUP BY r.id"
        with self._read("read a run") as conn:
            row = conn.execute(query, (run_id,)).fetchone()
            return None if row is None else _rows.run_record(row)

    def lines(self, run_id: int) -> list[LineRecord]:
        """A run's lines in the order they were added."""
        query = "SELECT * FROM run_lines WHERE run_id = ? ORDER BY id"
        with self._read("read run lines") as conn:
            return [_rows.line_record(row) for row in conn.execute(query, (run_id,))]

    def check_integrity(self) -> list[str]:
        """SQLite's ``integrity_check`` problems; empty when the file is sound."""
        with self._read("check its integrity") as conn:
            rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows


def _check_move(conn: sqlite3.Connection, line_id: int, status: LineStatus) -> None:
    row = conn.execute("SELECT status FROM run_lines WHERE id = ?", (line_id,)).fetchone()
    if row is None:
        raise ValueError(f"no run line {line_id} in the ledger")
    if row["status"] not in LINE_TRANSITIONS[status]:
        raise ValueError(f"run line {line_id} is {row['status']}; it cannot become {status}")


@contextmanager
def existing_ledger(state_dir: Path) -> Iterator[Ledger | None]:
    """The ledger of ``state_dir``, or ``None`` where none exists yet.

    For read-only commands and dry runs: they never create state.
    """
    path = ledger_path(state_dir)
    if not path.exists():
        yield None
        return
    with Ledger.open(path) as ledger:
        yield ledger
