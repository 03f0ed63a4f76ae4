"""Crash safety: a writer killed with SIGKILL mid-run leaves a sound, truthful ledger."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from psabill.state import Ledger

from .support import Child, at

BATCH = 20

# Runs forever, the way a run writes: start, plan lines, send/confirm each line,
# complete the period, finish. It says "ready" halfway through its fourth run.
WRITER = f"""
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from psabill.state import Ledger, NewLine

at = datetime(2026, 11, 1, 6, tzinfo=UTC)
ledger = Ledger.open(Path(sys.argv[1]))
n = 0
while True:
    period = f"p{{n}}"
    run_id = ledger.start_run(trigger="scheduled", started_at=at, period=period)
    lines = [
        NewLine(customer="acme", product=f"sku{{i}}", action="update", new_quantity=Decimal(n))
        for i in range({BATCH})
    ]
    for i, line_id in enumerate(ledger.add_lines(run_id, lines, at=at)):
        if n == 3 and i == {BATCH} // 2:
            print("ready", flush=True)
        ledger.update_line(line_id, status="sent", at=at)
        ledger.update_line(line_id, status="confirmed", at=at, addition_id=line_id)
    slot_at = at + timedelta(days=n)
    ledger.complete_slots(
        run_id, customers=["acme"], period=period, slot_key="m", slot_at=slot_at, completed_at=at
    )
    ledger.finish_run(run_id, outcome="success", finished_at=at, summary={{"n": n}})
    n += 1
"""


@pytest.mark.slow
def test_sigkill_mid_run_leaves_no_false_success(
    ledger_file: Path, spawn: Callable[..., Child]
) -> None:
    Ledger.open(ledger_file).close()
    writer = spawn(WRITER, str(ledger_file))
    writer.wait_for("ready")

    writer.kill()

    with Ledger.open(ledger_file) as ledger:
        assert ledger.check_integrity() == []
        runs = ledger.runs(limit=1000)
        successes = [run for run in runs if run.outcome == "success"]
        cut_off = [run for run in runs if run.outcome == "running"]
        assert len(successes) >= 3
        assert len(successes) + len(cut_off) == len(runs)
        assert len(cut_off) <= 1
        for run in runs:
            assert len(ledger.lines(run.id)) in (0, BATCH), "add_lines must be all or nothing"
            assert (run.outcome == "running") == (run.finished_at is None)
        for run in successes:
            assert run.line_counts.confirmed == BATCH
            assert run.summary is not None
        # The period is completed only after every line was confirmed.
        slot = ledger.last_completed("acme")
        assert slot is not None
        assert slot.run_id in {run.id for run in [successes[0], *cut_off]}
        completer = ledger.run(slot.run_id)
        assert completer is not None
        assert slot.period == completer.period
        assert completer.line_counts.confirmed == BATCH
        # The run that was cut off is not finished, so the next run recovers it.
        assert ledger.recover_interrupted(at=at(60)) == [run.id for run in cut_off]
        assert {run.outcome for run in ledger.runs(limit=1000)} <= {"success", "interrupted"}
