"""What every part of the ledger shares: the connection, its lifecycle, and the write/read wrappers.

The public class is :class:`psabill.state.ledger.Ledger`; this base only keeps
the transaction and error-translation rules in one place, so that every
method gets them the same way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from psabill.state.db import transaction, translate_errors


class LedgerBase:
    """An open ledger connection. Not thread-safe: one per thread, like the connection."""

    def __init__(self, conn: sqlite3.Connection, path: Path, schema_version: int) -> None:
        self._conn = conn
        self.path = path
        self._schema_version = schema_version

    @property
    def schema_version(self) -> int:
        """The schema version of the open file (always this code's version once opened)."""
        return self._schema_version

    def close(self) -> None:
        with translate_errors(self.path, "close it"):
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _write(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One write: one transaction; SQLite errors as StateError("cannot <doing>")."""
        with translate_errors(self.path, doing), transaction(self._conn) as conn:
            yield conn

    @contextmanager
    def _read(self, doing: str) -> Iterator[sqlite3.Connection]:
        with translate_errors(self.path, doing):
            yield self._conn

    @staticmethod
    def _require_run(conn: sqlite3.Connection, run_id: int, *, running: bool) -> sqlite3.Row:
        """The run's ``outcome`` and ``dry_run``; ValueError if it is missing, or finished
        when ``running`` is asked for."""
        row: sqlite3.Row | None = conn.execute(
            "SELECT outcome, dry_run FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise ValueError(f"no run {run_id} in the ledger")
        if running and row["outcome"] != "running":
            raise ValueError(f"run {run_id} already finished ({row['outcome']})")
        return row


def check_choice(what: str, value: str, allowed: Iterable[str]) -> None:
    """ValueError unless ``value`` is allowed: Literal types are not checked at run time."""
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}")


def row_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just added."""
    new_id = cursor.lastrowid
    assert new_id is not None, "an INSERT always sets lastrowid"
    return new_id
