"""Print (and keep) what the reliability tests did: runs, faults by kind, in-run kills by stage.

Each process (an xdist worker, or the only one) adds its figures to
``.reliability-figures.json`` when its session ends; the controller prints the
merged line once every worker is done.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.reliability.support import FIGURES, STATS_FILE

_STARTED = pytest.StashKey[float]()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STARTED] = time.time()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if FIGURES.runs or FIGURES.crashes:
        FIGURES.save()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    path = STATS_FILE.resolve()
    started = config.stash.get(_STARTED, time.time())
    if not path.exists() or path.stat().st_mtime < started:
        return  # no reliability test ran in this session
    data = json.loads(path.read_text(encoding="utf-8"))
    kills = ", ".join(f"{stage} {n}" for stage, n in sorted(data.get("kills", {}).items()))
    faults = ", ".join(f"{kind} {n}" for kind, n in sorted(data.get("counts", {}).items()))
    terminalreporter.write_line(
        f"reliability: {data['runs']} sync runs, {data['faults']} faults injected"
        f" ({faults or 'none'}), {data['crashes']} in-run SIGKILLs ({kills or 'none'}),"
        f" {data['duplicates']} duplicates found"
    )
