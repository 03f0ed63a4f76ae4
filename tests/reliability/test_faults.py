"""Faults at random points of a run: nothing doubles, confirmed means true, reruns converge."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from psabill.sandbox.faults import (
    FaultPlan,
    FaultRule,
    drop,
    http_error,
    latency,
    lose_response,
    rate_limited,
)
from tests.reliability.support import World, random_usage, world

METHODS = [None, "GET", "POST", "PATCH"]


def random_rules(rng: random.Random) -> list[FaultRule]:
    makers = [
        lambda **t: rate_limited(retry_after=0, **t),
        lambda **t: http_error(500, **t),
        lambda **t: http_error(503, **t),
        lambda **t: drop(**t),
        lambda **t: lose_response(**{**t, "method": "POST"}),
        lambda **t: latency(1.5, **{**t, "times": 1}),  # past the 1 s client timeout
    ]
    rules = []
    for make in rng.sample(makers, k=rng.randrange(2, 5)):
        rules.append(make(method=rng.choice(METHODS), probability=rng.uniform(0.05, 0.3)))
    return rules


def check_run(w: World, seed: int) -> None:
    report = w.run()
    w.count_faults()
    live = w.live()  # raises on a second live addition for one product
    for result in report.results:
        line = result.line
        if result.status == "confirmed" and line.writes:
            assert live[(line.company or "", line.psa_product or "")] == line.desired, line
    failed = [r for r in report.results if r.status == "failed"]
    if report.run_id is not None:
        (stored,) = w.ledger_rows(
            "SELECT COUNT(*) FROM run_lines WHERE run_id = ? AND status = 'failed'", report.run_id
        )
        assert stored[0] == len(failed)
    if failed or report.fatal:
        assert report.outcome in ("partial", "failure"), (seed, report.outcome)
        assert int(report.exit_code) in (1, 3)
    else:
        assert report.outcome == "success", (seed, report.fatal)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(16))
def test_random_faults_then_a_clean_rerun_converges(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    with world(tmp_path) as w:
        for _ in range(2):  # two usage changes, each synced under faults
            w.set_usage(random_usage(rng))
            w.sandbox.faults.replace(FaultPlan(random_rules(rng), seed=seed))
            check_run(w, seed)
        w.sandbox.faults.clear()
        clean = w.run()
        assert clean.outcome == "success", clean.fatal
        w.assert_converged()
        again = w.run(dry_run=True)
        assert again.plan is not None
        assert again.plan.writes == ()
