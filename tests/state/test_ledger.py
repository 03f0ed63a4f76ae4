"""The ledger file: creation, permissions, schema checks, bad files, and time handling."""

from __future__ import annotations

import inspect
import sqlite3
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from psabill.errors import StateError
from psabill.state import SCHEMA_VERSION, Ledger

from .support import T0, line


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# Files, schema, bad files


def test_open_creates_a_private_file_in_a_private_dir(ledger_file: Path) -> None:
    with Ledger.open(ledger_file) as ledger:
        ledger.start_run(trigger="manual", started_at=T0)  # Makes SQLite create its -wal file.
        assert ledger.schema_version == SCHEMA_VERSION
        assert _mode(ledger_file) == 0o600
        assert _mode(ledger_file.parent) == 0o700
        wal = ledger_file.with_name(ledger_file.name + "-wal")
        assert wal.exists()
        assert _mode(wal) == 0o600


def test_reopen_keeps_everything(ledger_file: Path) -> None:
    with Ledger.open(ledger_file) as ledger:
        run_id = ledger.start_run(trigger="scheduled", started_at=T0, period="2026-11")
        ledger.add_lines(run_id, [line(new_quantity=Decimal("7"))], at=T0)
    with Ledger.open(ledger_file) as again:
        assert again.schema_version == SCHEMA_VERSION
        record = again.run(run_id)
        assert record is not None
        assert record.period == "2026-11"
        assert [item.new_quantity for item in again.lines(run_id)] == [Decimal("7")]


def test_the_file_is_in_wal_mode(ledger_file: Path) -> None:
    Ledger.open(ledger_file).close()
    with sqlite3.connect(ledger_file) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    raw.close()


def test_a_newer_schema_is_refused_with_an_upgrade_hint(ledger_file: Path) -> None:
    Ledger.open(ledger_file).close()
    raw = sqlite3.connect(ledger_file)
    with raw:
        raw.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION + 1,))
    raw.close()

    with pytest.raises(StateError, match="newer than this psabill") as caught:
        Ledger.open(ledger_file)
    assert caught.value.hint is not None
    assert "upgrade psabill" in caught.value.hint
    assert str(ledger_file) in str(caught.value)


@pytest.mark.parametrize(
    "content", [b"this is not a database\n" * 50, b"x", b"SQLite format 3\x00" + b"\xff" * 200]
)
def test_a_file_that_is_not_sqlite_is_a_state_error_naming_it(
    ledger_file: Path, content: bytes
) -> None:
    ledger_file.parent.mkdir()
    ledger_file.write_bytes(content)

    with pytest.raises(StateError) as caught:
        Ledger.open(ledger_file)

    assert str(ledger_file) in str(caught.value)
    assert caught.value.hint is not None
    assert "backup" in caught.value.hint
    assert ledger_file.read_bytes() == content


def test_another_programs_sqlite_database_is_left_alone(ledger_file: Path) -> None:
    ledger_file.parent.mkdir()
    raw = sqlite3.connect(ledger_file)
    with raw:
        raw.execute("CREATE TABLE contacts (name TEXT)")
    raw.close()

    with pytest.raises(StateError, match="not a psabill ledger"):
        Ledger.open(ledger_file)

    raw = sqlite3.connect(ledger_file)
    tables = raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    raw.close()
    assert tables == [("contacts",)]


def test_a_closed_ledger_raises_state_error_not_sqlite3(ledger_file: Path) -> None:
    ledger = Ledger.open(ledger_file)
    ledger.close()
    with pytest.raises(StateError):
        ledger.runs()


# Time


def test_aware_times_are_stored_as_utc(ledger: Ledger) -> None:
    paris = timezone(timedelta(hours=1))
    run_id = ledger.start_run(
        trigger="manual", started_at=datetime(2026, 11, 1, 7, 0, 3, 999, paris)
    )
    record = ledger.run(run_id)
    assert record is not None
    assert record.started_at == datetime(2026, 11, 1, 6, 0, 3, tzinfo=UTC)
    assert record.started_at.utcoffset() == timedelta(0)


NAIVE = datetime(2026, 11, 1, 6, 0)


def _started(ledger: Ledger) -> int:
    return ledger.start_run(trigger="manual", started_at=T0)


NAIVE_CALLS: dict[str, Callable[[Ledger], object]] = {
    "start_run": lambda led: led.start_run(trigger="manual", started_at=NAIVE),
    "add_lines": lambda led: led.add_lines(_started(led), [line()], at=NAIVE),
    "finish_run": lambda led: led.finish_run(_started(led), outcome="success", finished_at=NAIVE),
    "recover_interrupted": lambda led: led.recover_interrupted(at=NAIVE),
    "complete_slots": lambda led: led.complete_slots(
        _started(led), customers=["a"], period="p", slot_key="k", slot_at=NAIVE, completed_at=T0
    ),
    "outbox_add": lambda led: led.outbox_add(
        run_id=None, sender="a@x", recipients=["b@x"], subject="s", message=b"m", created_at=NAIVE
    ),
}


@pytest.mark.parametrize("call", NAIVE_CALLS.values(), ids=NAIVE_CALLS.keys())
def test_naive_datetimes_are_refused(ledger: Ledger, call: Callable[[Ledger], object]) -> None:
    with pytest.raises(ValueError, match="naive"):
        call(ledger)
    assert all(run.outcome == "running" for run in ledger.runs())
    assert ledger.outbox_pending() == []


def test_no_ledger_method_falls_back_to_the_wall_clock() -> None:
    """Every time the ledger stores is passed in: no datetime parameter has a default."""
    stamped = [
        (name, param)
        for name, method in inspect.getmembers(Ledger, inspect.isfunction)
        if not name.startswith("_")
        for param in inspect.signature(method).parameters.values()
        if "datetime" in str(param.annotation)
    ]
    assert len(stamped) >= 8  # start_run, add_lines, update_line, finish_run, ... were seen
    assert [f"{name}({p.name})" for name, p in stamped if p.default is not p.empty] == []


def test_naive_datetime_refused_when_updating_a_line(ledger: Ledger) -> None:
    (line_id,) = ledger.add_lines(_started(ledger), [line()], at=T0)
    with pytest.raises(ValueError, match="naive"):
        ledger.update_line(line_id, status="sent", at=NAIVE)
