"""LedgerJournal as the PSA adapters see it, and what a run report draws from it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from psabill.app.journal import LedgerJournal, resolve
from psabill.errors import LockedError, UsageError
from psabill.psa.base import Delta
from psabill.state import Ledger, RunLock, ledger_path, lock_path

T0 = datetime(2026, 11, 1, 6, tzinfo=UTC)
DAY = date(2026, 11, 1)


def _delta(product: int = 30, change: int = 3) -> Delta:
    return Delta(7, product, 900, DAY, Decimal(10), Decimal(change))


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def _journal(ledger: Ledger) -> LedgerJournal:
    return LedgerJournal(ledger, ledger.start_run(trigger="manual", started_at=T0), lambda: T0)


def test_the_journal_records_settles_and_finds_open_entries(state: Path) -> None:
    with Ledger.open(ledger_path(state)) as ledger:
        journal = _journal(ledger)
        first = journal.sending(_delta())
        journal.settle(first, "unknown", note="timed out")
        second = journal.sending(_delta())
        journal.sending(_delta(product=31))

        found = journal.open_entries(7, 30)

    assert [(e.id, e.state, e.run_id) for e in found] == [
        (first, "unknown", journal.run_id),
        (second, "sending", journal.run_id),
    ]
    assert found[0].delta == _delta()


def test_alerts_name_every_open_entry_then_those_this_run_settled(state: Path) -> None:
    with Ledger.open(ledger_path(state)) as ledger:
        earlier = _journal(ledger)
        untouched = earlier.sending(_delta(product=40))
        settled_later = earlier.sending(_delta())
        earlier.settle(settled_later, "unknown", note="dropped")
        posted = earlier.sending(_delta(product=41))
        earlier.settle(posted, "posted", note="item 1")
        ledger.finish_run(earlier.run_id, outcome="partial", finished_at=T0)
        assert [a.entry for a in earlier.alerts()] == [untouched, settled_later]

        now = _journal(ledger)
        now.settle(settled_later, "landed", note="re-read: 13")
        alerts = now.alerts()

    assert [(a.entry, a.run_id, a.state, a.open) for a in alerts] == [
        (untouched, earlier.run_id, "sending", True),
        (settled_later, earlier.run_id, "landed", False),
    ]
    assert str(alerts[0]).startswith(
        f"unit adjustment #{untouched} (run {earlier.run_id}): +3 on agreement 7, product 40,"
        " from 2026-11-01 is sending"
    )
    assert str(alerts[1]).endswith("was found landed by a read of the PSA (re-read: 13)")


def _open_entry(state: Path) -> int:
    with Ledger.open(ledger_path(state)) as ledger:
        journal = _journal(ledger)
        entry = journal.sending(_delta(change=-2))
        journal.settle(entry, "unknown", note="HTTP 502")
        ledger.finish_run(journal.run_id, outcome="partial", finished_at=T0)
    return entry


def test_resolve_settles_an_open_entry_noting_who_and_when(state: Path) -> None:
    entry = _open_entry(state)
    record = resolve(state, entry, "lost", by="ana@msp.example", now=T0 + timedelta(hours=2))

    assert (record.id, record.state) == (entry, "lost")
    assert record.note == "HTTP 502; marked lost by ana@msp.example at 2026-11-01 08:00Z"
    with Ledger.open(ledger_path(state)) as ledger:
        assert ledger.adjustments(open_only=True) == []


def test_resolve_refuses_what_it_must_not_settle(state: Path) -> None:
    with pytest.raises(UsageError, match="there is no ledger yet"):
        resolve(state, 1, "landed", by="ana", now=T0)
    entry = _open_entry(state)
    with pytest.raises(UsageError, match="no unit adjustment 99 in the ledger"):
        resolve(state, 99, "landed", by="ana", now=T0)
    resolve(state, entry, "landed", by="ana", now=T0)
    with pytest.raises(UsageError, match=f"unit adjustment {entry} is landed, not open"):
        resolve(state, entry, "lost", by="ana", now=T0)


def test_resolve_waits_for_no_run(state: Path) -> None:
    entry = _open_entry(state)
    with RunLock(lock_path(state)), pytest.raises(LockedError):
        resolve(state, entry, "landed", by="ana", now=T0)
    with Ledger.open(ledger_path(state)) as ledger:
        record = ledger.adjustment(entry)
    assert record is not None
    assert record.state == "unknown"
