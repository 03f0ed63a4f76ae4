"""kill -9 a real `psabill sync` at random moments; the next run converges, the ledger is sound."""

from __future__ import annotations

import random
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from psabill.sandbox.faults import latency
from tests.reliability.support import FIGURES, random_usage, world


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_kill_9_at_a_random_moment_then_converge(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    with world(tmp_path, extra_psa="retries = 2\ntimeout = 5\n") as w:
        w.set_usage(random_usage(rng))
        # Slow every request a little so a kill lands during reads, writes or ledger updates.
        w.sandbox.faults.add(latency(0.3))
        process = w.sync_process()
        time.sleep(rng.uniform(0.4, 2.4))  # start-up takes a few tenths; a run about 3 s
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        FIGURES.crashes += process.returncode == -signal.SIGKILL
        w.live()  # no duplicate even mid-run
        w.sandbox.faults.clear()
        report = w.run()
        assert report.outcome == "success", report.fatal
        w.assert_converged()
        ledger = w.state_dir / "ledger.sqlite3"
        if ledger.exists():
            with sqlite3.connect(ledger) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                rows = conn.execute("SELECT id, outcome, finished_at FROM runs ORDER BY id")
                runs = rows.fetchall()
                unconfirmed = conn.execute(
                    "SELECT run_id FROM run_lines WHERE status != 'confirmed'"
                ).fetchall()
            *earlier, last = runs
            assert last[1] == "success"
            for run_id, outcome, finished in earlier:
                # A killed run never claims success: the next run marks it interrupted.
                # (It may have finished just before the kill: then all its lines are confirmed.)
                assert finished is not None
                assert outcome == "interrupted" or (
                    outcome == "success" and (run_id,) not in unconfirmed
                ), runs
