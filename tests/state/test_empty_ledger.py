"""An empty ledger file is a lost history, never a new ledger; only a missing one starts afresh."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from psabill.errors import StateError
from psabill.state import Ledger, existing_ledger
from psabill.state.db import _link_unless_exists

from .support import T0


def _corrupt_hint(ledger_file: Path) -> str:
    """The hint a damaged ledger gets, to hold the empty-file hint to the same advice."""
    Ledger.open(ledger_file).close()
    with ledger_file.open("r+b") as file:
        file.seek(100)
        file.write(b"\xff" * 4000)  # page 1's b-tree header: sqlite_master is unreadable
    with pytest.raises(StateError) as caught:
        Ledger.open(ledger_file).close()
    assert caught.value.hint is not None
    ledger_file.unlink()
    return caught.value.hint


def _open(path: Path) -> None:
    Ledger.open(path).close()


def _open_existing(path: Path) -> None:
    """How read-only commands and dry runs open it."""
    with existing_ledger(path.parent):
        pass


@pytest.mark.parametrize("opener", [_open, _open_existing], ids=["open", "existing_ledger"])
def test_an_empty_ledger_file_is_refused_and_left_alone(
    ledger_file: Path, opener: Callable[[Path], None]
) -> None:
    corrupt_hint = _corrupt_hint(ledger_file)
    ledger_file.write_bytes(b"")

    with pytest.raises(StateError) as caught:
        opener(ledger_file)

    assert str(ledger_file) in caught.value.message
    assert "empty" in caught.value.message
    assert caught.value.hint is not None
    assert f"restore {ledger_file} from a backup" in caught.value.hint
    assert caught.value.hint in corrupt_hint  # the advice a damaged ledger gets
    assert ledger_file.read_bytes() == b""
    assert sorted(p.name for p in ledger_file.parent.iterdir()) == [ledger_file.name]


def test_a_missing_ledger_starts_a_new_one_that_is_never_empty(ledger_file: Path) -> None:
    with existing_ledger(ledger_file.parent) as none:
        assert none is None
    with Ledger.open(ledger_file) as ledger:
        assert ledger_file.stat().st_size > 0  # before anything was written through it
        ledger.start_run(trigger="manual", started_at=T0)
    assert sorted(p.name for p in ledger_file.parent.iterdir()) == [ledger_file.name]
    with Ledger.open(ledger_file) as again:
        assert len(again.runs()) == 1


def test_a_ledger_another_process_created_first_is_kept(ledger_file: Path) -> None:
    """Two first runs racing: the file linked second is dropped, the first one's history kept."""
    with Ledger.open(ledger_file) as winner:
        winner.start_run(trigger="manual", started_at=T0)
    loser = ledger_file.with_name("loser.sqlite3")
    loser.write_bytes(b"SQLite format 3\x00")

    _link_unless_exists(loser, ledger_file)

    with Ledger.open(ledger_file) as kept:
        assert len(kept.runs()) == 1
