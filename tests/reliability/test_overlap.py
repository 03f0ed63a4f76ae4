"""Two `psabill sync` at once: one runs, the other exits 75 at once, naming the holder."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from psabill.sandbox.faults import latency
from tests.reliability.support import KEYS, world


@pytest.mark.slow
def test_two_syncs_started_together(tmp_path: Path) -> None:
    with world(tmp_path, extra_psa="timeout = 10\n") as w:
        w.set_usage(dict.fromkeys(KEYS, 7))
        w.sandbox.faults.add(latency(0.25))  # the first run takes seconds, not milliseconds
        first = w.sync_process()
        time.sleep(1.5)  # let it take the lock (Python start-up included)
        second = w.sync_process()
        out2, err2 = second.communicate(timeout=60)
        out1, err1 = first.communicate(timeout=120)
        assert second.returncode == 75, (out2, err2)
        assert f"PID {first.pid}" in err2
        assert first.returncode == 0, (out1, err1)
        w.sandbox.faults.clear()
        w.assert_converged()
