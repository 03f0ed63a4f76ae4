"""The pacing line of `sync -v` and the `pacing` object of `--json`."""

from __future__ import annotations

import json

import pytest

from psabill.cli.pacing import pacing_json, pacing_line
from psabill.core.report import PacingStats
from psabill.sandbox.faults import rate_limited
from tests.e2e.conftest import World


@pytest.mark.parametrize(
    ("stats", "line"),
    [
        (
            PacingStats(requests=705, ceiling=900, final_rate=900),
            "pacing: 705 requests, no 429 (too many requests), never held back; rate 900/min",
        ),
        (
            PacingStats(requests=1, throttled=1, waited=30.04, ceiling=900, final_rate=450),
            "pacing: 1 request, 1 answer 429 (too many requests), held back 30.0 s; "
            "rate 900/min at start, 450/min at the end",
        ),
        (
            PacingStats(requests=12_000, throttled=3, waited=61.0),
            "pacing: 12,000 requests, 3 answers 429 (too many requests), held back 61.0 s; "
            "no rate limit",
        ),
    ],
)
def test_pacing_line(stats: PacingStats, line: str) -> None:
    assert pacing_line(stats) == line


def test_pacing_json() -> None:
    assert pacing_json(None) is None
    stats = PacingStats(requests=9, throttled=1, waited=1.23456, ceiling=600, final_rate=300.04)
    assert pacing_json(stats) == {
        "requests": 9,
        "throttled": 1,
        "waited_seconds": 1.235,
        "ceiling_per_minute": 600,
        "final_per_minute": 300.0,
    }


def test_sync_v_prints_the_pacing_and_json_carries_it(world: World) -> None:
    world.sandbox.faults.add(rate_limited(retry_after=0, method="GET", times=1))
    verbose = world.psabill("-v", "sync", "--now")
    assert verbose.exit_code == 0, verbose.output
    served = len(world.sandbox.requests())
    assert world.sandbox.faults.injected()["status:429"] == 1
    assert f"pacing: {served} requests, 1 answer 429 (too many requests)" in verbose.output
    assert "no rate limit" in verbose.output  # the demo config says rate_limit = "none"
    assert "pacing:" not in world.psabill("sync", "--now").output  # only with -v
    before = len(world.sandbox.requests())
    as_json = world.psabill("sync", "--now", "--json")
    pacing = json.loads(as_json.stdout)["pacing"]
    assert pacing["requests"] == len(world.sandbox.requests()) - before
    assert pacing["throttled"] == 0
    assert pacing["ceiling_per_minute"] is None
