"""Two syncs at once: while one holds the lock the other exits 75 at once, naming the holder.

The first run is held at a stage by its stage hook (see :mod:`.stage_child`), so
the second starts while the first certainly holds the lock: no sleeping and hoping.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from psabill.core.report import Stage, SyncRequest
from psabill.state import RunLock, lock_path
from tests.reliability.kill_checks import assert_ledger_sound, assert_mail_once, rows
from tests.reliability.killing import CHILD_TIMEOUT, KillWorld, kill_world, read_line


def release(kw: KillWorld, first_pid: int, line: str, stdout: str, stderr: str) -> None:
    assert line.startswith("reached "), (line, stderr)
    assert stdout.strip() == "finished success", (first_pid, stdout, stderr)
    kw.world.live()
    assert_ledger_sound(kw.world)


@pytest.mark.parametrize("stage", ["started", "confirmed"])
def test_a_second_sync_exits_75_naming_the_holder(tmp_path: Path, stage: Stage) -> None:
    with kill_world(tmp_path, seed=1) as kw:
        kw.next_usage()
        first = kw.child(stage, 1, mode="hold")
        try:
            line = read_line(first, CHILD_TIMEOUT)
            holder = RunLock(lock_path(kw.world.state_dir)).holder()
            assert holder is not None
            assert holder.pid == first.pid, holder
            second = kw.world.sync_process()
            out2, err2 = second.communicate(timeout=CHILD_TIMEOUT)
        finally:
            out1, err1 = first.communicate("go\n", timeout=CHILD_TIMEOUT)
        assert second.returncode == 75, (out2, err2)
        assert f"PID {first.pid}" in err2
        release(kw, first.pid, line, out1, err1)
        kw.world.assert_converged()
        assert RunLock(lock_path(kw.world.state_dir)).holder() is None  # released, line cleared


def test_a_sync_while_another_delivers_its_summary(tmp_path: Path) -> None:
    """The summary is sent after the lock is released: a second run may go meanwhile,
    and delivers the first run's queued summary; the first then sends nothing twice."""
    with kill_world(tmp_path, seed=2) as kw:
        kw.next_usage()
        first = kw.child("summary", 1, mode="hold")
        try:
            line = read_line(first, CHILD_TIMEOUT)
            second = kw.run(SyncRequest(trigger="manual", allow_drop=True), kw.now)
            query = "SELECT o.sent_at FROM outbox AS o JOIN runs AS r ON r.id = o.run_id"
            queued = [
                row["sent_at"] for row in rows(kw.world, query + " WHERE r.pid = ?", first.pid)
            ]
        finally:
            out1, err1 = first.communicate("go\n", timeout=CHILD_TIMEOUT)
        assert second.report.outcome == "success", second.report.fatal
        assert queued, "the first run queued no summary"
        assert None not in queued, f"the second run left the first's summary unsent: {queued}"
        release(kw, first.pid, line, out1, err1)
        assert_mail_once(kw.world, kw.mail_log, kw.mail_folder)
