"""kill -9 a real run inside each of its stages; the next run converges, nothing doubles.

The kill lands where the run's stage hook holds it (see :mod:`.killing`), so
each one is known to have interrupted a run: before the plan, between a write
and its confirmation, after confirmation but before the period is completed,
and with the summary queued but not delivered.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import get_args

import pytest

from psabill.core.report import Stage
from tests.reliability.kill_checks import rows
from tests.reliability.killing import STAGES, kill_world, land
from tests.reliability.support import FIGURES

SEEDS = [0, *(pytest.param(seed, marks=pytest.mark.slow) for seed in range(1, 4))]


@pytest.mark.parametrize("seed", SEEDS)
def test_kill_9_at_every_stage_then_converge(tmp_path: Path, seed: int) -> None:
    stages = list(STAGES)
    random.Random(seed).shuffle(stages)
    before = FIGURES.crashes
    with kill_world(tmp_path, seed) as kw:
        kills = [land(kw, stage) for stage in stages]
    assert Counter(kill.stage for kill in kills) == Counter(STAGES)
    assert FIGURES.crashes - before == len(STAGES)


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
