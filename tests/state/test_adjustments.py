"""The delta journal's table: entries recorded exactly, settled only along allowed moves,
open ones found across runs, and the migration that adds the table keeps older data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from psabill.state import ADJUSTMENT_TRANSITIONS, SCHEMA_VERSION, AdjustmentState, Ledger
from psabill.state.db import connect
from psabill.state.migrations import MIGRATIONS, migrate

from .support import T0, at

DAY = date(2026, 11, 1)
FINAL: tuple[AdjustmentState, ...] = ("refused", "landed", "lost")


def _add(
    ledger: Ledger, run_id: int, agreement: int = 7, product: int = 30, **fields: object
) -> int:
    values: dict[str, object] = {
        "reference": 900,
        "day": DAY,
        "before": Decimal("10"),
        "change": Decimal("3"),
        "at": T0,
    }
    values.update(fields)
    return ledger.add_adjustment(run_id, agreement_id=agreement, product_id=product, **values)  # type: ignore[arg-type]


@pytest.fixture
def run_id(ledger: Ledger) -> int:
    return ledger.start_run(trigger="manual", started_at=T0)


def test_an_entry_is_stored_exactly_as_sending(ledger: Ledger, run_id: int) -> None:
    entry = _add(ledger, run_id, before=Decimal("12.50"), change=Decimal("-2.50"))

    record = ledger.adjustment(entry)
    assert record is not None
    assert (record.run_id, record.agreement_id, record.product_id, record.reference) == (
        run_id, 7, 30, 900,
    )  # fmt: skip
    assert (record.day, record.before, record.change) == (DAY, Decimal("12.50"), Decimal("-2.50"))
    assert str(record.before) == "12.50"  # exact text, not a float's
    assert (record.state, record.note, record.open) == ("sending", None, True)
    assert record.created_at == record.updated_at == T0


def test_only_a_running_run_may_record_an_entry(ledger: Ledger, run_id: int) -> None:
    ledger.finish_run(run_id, outcome="success", finished_at=at(1))
    with pytest.raises(ValueError, match="already finished"):
        _add(ledger, run_id)
    with pytest.raises(ValueError, match="no run 999"):
        _add(ledger, 999)
    with pytest.raises(TypeError, match="must be a Decimal"):
        _add(ledger, ledger.start_run(trigger="manual", started_at=T0), change=3.0)
    assert ledger.adjustments() == []


def test_settling_records_state_note_and_time(ledger: Ledger, run_id: int) -> None:
    entry = _add(ledger, run_id)
    ledger.settle_adjustment(entry, "unknown", note="timed out", at=at(1))
    settled = ledger.settle_adjustment(entry, "landed", note=None, at=at(2))

    assert (settled.state, settled.note, settled.updated_at) == ("landed", "timed out", at(2))
    assert settled.created_at == T0
    assert ledger.adjustment(entry) == settled


@pytest.mark.parametrize("final", FINAL)
@pytest.mark.parametrize("target", sorted(ADJUSTMENT_TRANSITIONS))
def test_a_final_entry_never_moves(
    ledger: Ledger, run_id: int, final: AdjustmentState, target: AdjustmentState
) -> None:
    entry = _add(ledger, run_id)
    ledger.settle_adjustment(entry, final, note="why", at=at(1))
    with pytest.raises(ValueError, match=f"is {final}; it cannot become {target}"):
        ledger.settle_adjustment(entry, target, note="again", at=at(2))
    record = ledger.adjustment(entry)
    assert record is not None
    assert (record.state, record.note) == (final, "why")


def test_bad_settles_are_refused(ledger: Ledger, run_id: int) -> None:
    entry = _add(ledger, run_id)
    with pytest.raises(ValueError, match="cannot become sending"):
        ledger.settle_adjustment(entry, "sending", note=None, at=at(1))
    ledger.settle_adjustment(entry, "posted", note="item 5", at=at(1))
    with pytest.raises(ValueError, match="is posted; it cannot become unknown"):
        ledger.settle_adjustment(entry, "unknown", note=None, at=at(2))
    with pytest.raises(ValueError, match="unknown adjustment state"):
        ledger.settle_adjustment(entry, "gone", note=None, at=at(2))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no unit adjustment 404"):
        ledger.settle_adjustment(404, "lost", note=None, at=at(2))
    assert ledger.settle_adjustment(entry, "landed", note=None, at=at(3)).note == "item 5"


def test_open_entries_span_runs_oldest_first(ledger: Ledger, run_id: int) -> None:
    first = _add(ledger, run_id)
    ledger.settle_adjustment(first, "unknown", note="dropped", at=at(1))
    _add(ledger, run_id, product=31)  # another product
    _add(ledger, run_id, agreement=8)  # another agreement
    settled = _add(ledger, run_id)
    ledger.settle_adjustment(settled, "posted", note="item 6", at=at(1))
    ledger.finish_run(run_id, outcome="partial", finished_at=at(2))
    later_run = ledger.start_run(trigger="manual", started_at=at(3))
    second = _add(ledger, later_run)

    found = ledger.open_adjustments(7, 30)

    assert [(r.id, r.run_id, r.state) for r in found] == [
        (first, run_id, "unknown"),
        (second, later_run, "sending"),
    ]


def test_the_journal_lists_newest_first_and_open_only(ledger: Ledger, run_id: int) -> None:
    ids = [_add(ledger, run_id, product=p) for p in (1, 2, 3)]
    ledger.settle_adjustment(ids[1], "refused", note="HTTP 400", at=at(1))

    assert [r.id for r in ledger.adjustments()] == ids[::-1]
    assert [r.id for r in ledger.adjustments(open_only=True)] == [ids[2], ids[0]]
    assert [r.id for r in ledger.adjustments(limit=1)] == [ids[2]]


def test_a_ledger_of_schema_3_gains_the_journal_and_keeps_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "v3.sqlite3"
    old = connect(path)
    try:
        assert migrate(old, path, MIGRATIONS[:3]) == 3
        old.execute(
            "INSERT INTO runs (trigger, started_at, finished_at, outcome, dry_run, pid, hostname,"
            " version) VALUES ('manual', '2026-11-01T06:00:00Z', '2026-11-01T06:01:00Z',"
            " 'success', 0, 1, 'host', '0.9')"
        )
        old.execute(
            "INSERT INTO run_lines (run_id, customer, product, new_quantity, action, status,"
            " updated_at) VALUES (1, 'acme', 'M365', '12.50', 'update', 'confirmed',"
            " '2026-11-01T06:01:00Z')"
        )
    finally:
        old.close()

    with Ledger.open(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION == 4
        (run,) = ledger.runs()
        assert (run.id, run.outcome, run.line_counts.confirmed) == (1, "success", 1)
        assert ledger.lines(1)[0].new_quantity == Decimal("12.50")
        assert ledger.adjustments() == []
        new_run = ledger.start_run(trigger="manual", started_at=T0)
        entry = _add(ledger, new_run)
        assert [r.id for r in ledger.open_adjustments(7, 30)] == [entry]
