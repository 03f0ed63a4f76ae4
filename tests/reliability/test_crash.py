"""kill -9 a real run inside each of its stages; the next run converges, nothing doubles.

The kill lands where the run's stage hook holds it (see :mod:`.killing`), so
each one is known to have interrupted a run: before the plan, between a write
and its confirmation, after confirmation but before the period is completed,
and with the summary queued but not delivered; on ConnectWise, Autotask and HaloPSA. On
Autotask also inside a delta: its journal entry committed but not POSTed, and POSTed (landed)
but not settled; the next run settles it by a read and posts nothing twice.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import get_args

import pytest

from psabill.core.report import Stage, SyncRequest
from tests.reliability.kill_checks import rows
from tests.reliability.killing import STAGES, kill_world, land, stages_for
from tests.reliability.psa_deltas import journal
from tests.reliability.psa_kinds import PSA_KINDS
from tests.reliability.support import FIGURES

SLOW_SEEDS = {"connectwise": range(1, 4), "autotask": range(1, 2), "halopsa": range(1, 2)}
"""Fewer slow seeds on the newer PSAs: the suite's time is shared."""
CASES = [(psa, 0) for psa in PSA_KINDS] + [
    pytest.param(psa, seed, marks=pytest.mark.slow)
    for psa, seeds in SLOW_SEEDS.items()
    for seed in seeds
]


@pytest.mark.parametrize(("psa", "seed"), CASES)
def test_kill_9_at_every_stage_then_converge(tmp_path: Path, seed: int, psa: str) -> None:
    stages = list(stages_for(psa))
    random.Random(seed).shuffle(stages)
    before = FIGURES.crashes
    with kill_world(tmp_path, seed, psa) as kw:
        kills = [land(kw, stage) for stage in stages]
    assert Counter(kill.stage for kill in kills) == Counter(stages_for(psa))
    assert FIGURES.crashes - before == len(stages)


def test_a_delta_killed_before_its_post_is_lost_and_one_after_it_landed(tmp_path: Path) -> None:
    """The next run settles each held entry by a read: never posted again, never lost twice."""
    with kill_world(tmp_path, seed=7, kind="autotask") as kw:
        sending = land(kw, "sending")
        posted = land(kw, "posted")
        kw.next_usage()  # a later day's run touches every pair, settling what is still open
        kw.run(SyncRequest(trigger="scheduled", allow_drop=True), kw.now)
        entries = journal(kw.world.state_dir / "ledger.sqlite3")
    held = [e for e in entries if e.run_id == sending.run_id][-1]  # the hook held the newest
    assert held.state == "lost", entries
    assert "landed" in {e.state for e in entries if e.run_id == posted.run_id}, entries
    assert not [e for e in entries if e.state in ("sending", "unknown")], entries


def test_a_run_that_never_reaches_its_stage_is_not_a_kill(tmp_path: Path) -> None:
    before = FIGURES.crashes
    with kill_world(tmp_path, seed=0) as kw:
        kw.next_usage()
        assert kw.kill_at("sent", occurrence=10_000) is None  # far more than its writes
        (run,) = rows(kw.world, "SELECT outcome FROM runs")
    assert run["outcome"] == "success"
    assert FIGURES.crashes == before


def test_every_stage_the_runner_reports_is_a_kill_point() -> None:
    assert set(STAGES) == set(get_args(Stage))
