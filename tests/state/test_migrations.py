"""Schema migrations: applied in order, one transaction each, never downgraded."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from psabill.errors import StateError
from psabill.state import SCHEMA_VERSION, Ledger
from psabill.state.db import connect
from psabill.state.migrations import MIGRATIONS, Migration, migrate, read_version

from .support import T0

NEXT = SCHEMA_VERSION + 1  # a release after this one
V_NEXT = Migration(NEXT, "test: a note per run", ("ALTER TABLE runs ADD COLUMN note TEXT",))
BROKEN_NEXT = Migration(
    NEXT, "test: fails halfway", ("CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL")
)


@pytest.fixture
def conn(ledger_file: Path) -> Iterator[sqlite3.Connection]:
    """A current ledger (with one run in it) opened the way the ledger opens it."""
    with Ledger.open(ledger_file) as ledger:
        ledger.start_run(trigger="manual", started_at=T0)
    opened = connect(ledger_file)
    yield opened
    opened.close()


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_migrations_are_numbered_in_order() -> None:
    assert [step.version for step in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert len(MIGRATIONS) == SCHEMA_VERSION


def test_a_new_file_is_migrated_to_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    path.touch()
    conn = connect(path)
    try:
        assert read_version(conn, path) == 0
        assert migrate(conn, path) == SCHEMA_VERSION
        assert read_version(conn, path) == SCHEMA_VERSION
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()
    assert {"meta", "runs", "run_lines", "completed_slots", "outbox", "missed_periods"} <= tables
    assert {"run_lines_by_run", "outbox_pending"} <= tables


def test_a_later_migration_upgrades_an_existing_ledger(
    conn: sqlite3.Connection, ledger_file: Path
) -> None:
    assert migrate(conn, ledger_file, (*MIGRATIONS, V_NEXT)) == NEXT

    assert "note" in _columns(conn, "runs")
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    assert migrate(conn, ledger_file, (*MIGRATIONS, V_NEXT)) == NEXT  # Already there: no-op.


def test_a_failing_migration_leaves_the_previous_version_intact(
    conn: sqlite3.Connection, ledger_file: Path
) -> None:
    with pytest.raises(sqlite3.Error):
        migrate(conn, ledger_file, (*MIGRATIONS, BROKEN_NEXT))

    assert read_version(conn, ledger_file) == SCHEMA_VERSION
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchall() == []
    with Ledger.open(ledger_file) as ledger:
        assert len(ledger.runs()) == 1


def test_this_code_refuses_a_ledger_a_newer_release_migrated(
    conn: sqlite3.Connection, ledger_file: Path
) -> None:
    migrate(conn, ledger_file, (*MIGRATIONS, V_NEXT))

    with pytest.raises(StateError) as caught:
        Ledger.open(ledger_file)

    assert f"schema version {NEXT}" in str(caught.value)
    assert caught.value.hint is not None
    assert "upgrade psabill" in caught.value.hint


def test_migrations_must_be_numbered(conn: sqlite3.Connection, ledger_file: Path) -> None:
    with pytest.raises(ValueError, match="numbered"):
        migrate(conn, ledger_file, (*MIGRATIONS, Migration(NEXT + 1, "skips one", ())))


def test_a_ledger_of_the_first_release_gains_the_missed_periods_table(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = connect(path)
    try:
        assert migrate(old, path, MIGRATIONS[:1]) == 1
    finally:
        old.close()
    with Ledger.open(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
        assert ledger.runs() == []
