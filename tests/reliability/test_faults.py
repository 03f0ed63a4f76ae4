"""Faults while billing changes: creates, updates, zeros, cancels and re-creates under 429s,
5xx answers, dropped connections, slow answers and lost write answers, on each PSA: ConnectWise
(lost POST and PATCH), Autotask (lost adjustment POSTs, and lost answers to its query POSTs)
and HaloPSA (lost line creates and line updates, both POSTs).

After every run (:func:`~tests.reliability.fault_checks.check_run`): at most one live addition
per (agreement, product), every confirmed line is what the PSA holds, skipped lines touched
nothing, the ledger is sound and agrees, the exit code follows. Then, faults off, a run
converges and a plan after it writes nothing. On Autotask every posted delta must also be
journalled once and never posted twice (:mod:`~tests.reliability.psa_deltas`). Each fault kind
is counted by the sandbox as it is injected, and each count must clear a floor: a fault that
never fired proves nothing. The refusals and lost answers aimed at one write are in
``test_psa_faults.py``.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from psabill.sandbox import FaultPlan
from psabill.sandbox.faults import lose_response
from tests.reliability.fault_checks import (
    Tally,
    check_run,
    converge,
    count_lines,
    run_episode,
)
from tests.reliability.fault_world import KEYS, FaultWorld, Key, fault_world, live_of
from tests.reliability.psa_kinds import PSA_KINDS, fault_kinds, live_quantities
from tests.reliability.support import FIGURES

INJECTED_FLOOR = 3
"""Each kind below fires at least this often in the default test (typically 8-60 times)."""
WRITE_FLOORS = {
    "connectwise": {"create": 5, "recreate": 3, "update": 10, "zero": 3, "cancel": 3},
    "halopsa": {"create": 5, "recreate": 3, "update": 10, "zero": 3, "cancel": 3},
    "autotask": {"create": 2, "update": 10},  # no zero or cancel: see fault_world's docstring
}
"""Lines confirmed under faults, by action (typically 2-5 times these)."""
LINE_FLOORS = {"held": 2, "keep": 2, "failed": 1}


def add_to_figures(tally: Tally) -> None:
    """Report into the suite's "reliability:" line (tests/reliability/conftest.py)."""
    FIGURES.runs += tally.runs + tally.clean_runs
    FIGURES.faults += sum(tally.injected.values())
    FIGURES.duplicates += tally.count("duplicate")
    for kind, count in tally.injected.items():
        FIGURES.counts[kind] = FIGURES.counts.get(kind, 0) + count


@pytest.mark.parametrize("psa", PSA_KINDS)
def test_every_fault_kind_fires_while_additions_change(tmp_path: Path, psa: str) -> None:
    tally = Tally()
    for seed in range(3):
        run_episode(tmp_path / f"episode-{seed}", seed, steps=7, tally=tally, kind=psa)
    add_to_figures(tally)
    print(psa, "fault counts:", dict(sorted(tally.fired.items())))  # pytest -s shows them
    assert tally.problems == [], tally.problems
    assert tally.runs == 21
    short = {kind: tally.fired[kind] for kind in fault_kinds(psa)}
    short = {kind: count for kind, count in short.items() if count < INJECTED_FLOOR}
    assert not short, f"fault kinds that fired too rarely: {short}; all: {tally.fired}"
    floors = WRITE_FLOORS[psa]
    few = {a: tally.writes[a] for a, floor in floors.items() if tally.writes[a] < floor}
    assert not few, f"too few confirmed writes under faults: {few}; all: {tally.writes}"
    rare = {k: tally.lines[k] for k, floor in LINE_FLOORS.items() if tally.lines[k] < floor}
    assert not rare, f"too few lines held, kept or failed: {rare}; all: {tally.lines}"
    assert tally.outcomes["guard"] >= 1, tally.outcomes
    if psa == "autotask":  # the deltas were checked after every run: were there any?
        assert tally.deltas["adjustments"] >= 20, tally.deltas


def _steady(world: FaultWorld) -> dict[Key, int]:
    """Usage that matches every live addition: a run from it writes nothing."""
    return {key: int(rows[0].quantity) for key, rows in live_of(world.additions()).items()}


def _key(world: FaultWorld, *, live: bool, policy: str) -> Key:
    """The first key of ``policy``'s product that has (or has no) live addition."""
    now = live_of(world.additions())
    return next(k for k in KEYS if (k in now) == live and world.policies[k[1]] == policy)


def _one_run(world: FaultWorld, fault: FaultPlan) -> Tally:
    tally = Tally()
    world.sandbox.faults.replace(fault)
    before = world.additions()
    report = world.run(allow_drop=True)
    count_lines(report, before, tally)
    check_run(world, before, report, tally, "targeted")
    tally.injected.update(world.sandbox.faults.injected())
    tally.fired.update(world.fault_counts()[1])
    converge(world, tally, "targeted, then faults off")
    add_to_figures(tally)
    return tally


def test_a_create_whose_answer_is_lost_is_reread_not_sent_again(tmp_path: Path) -> None:
    with fault_world(tmp_path, random.Random(5)) as world:
        new = _key(world, live=False, policy="cancel")
        world.set_usage({**_steady(world), new: 7})
        tally = _one_run(world, FaultPlan([lose_response(method="POST", times=1)]))
        posts = [r for r in world.sandbox.requests() if r.method == "POST"]
        assert tally.injected == {"lose_response:POST": 1}
        assert len(posts) == 1, posts  # the re-read found it: never POSTed twice
        assert tally.writes == {"create": 1}
        assert tally.problems == []
        assert live_quantities(live_of(world.additions())[new]) == [7]


def test_a_cancel_and_an_update_whose_answers_are_lost_are_confirmed(tmp_path: Path) -> None:
    with fault_world(tmp_path, random.Random(6)) as world:
        gone = _key(world, live=True, policy="cancel")
        changed = _key(world, live=True, policy="zero")
        usage = {key: q for key, q in _steady(world).items() if key != gone}
        world.set_usage({**usage, changed: usage[changed] + 1})
        tally = _one_run(world, FaultPlan([lose_response(method="PATCH", times=2)]))
        assert tally.injected == {"lose_response:PATCH": 2}
        assert tally.writes == {"cancel": 1, "update": 1}
        assert tally.problems == []
        live = live_of(world.additions())
        assert gone not in live
        assert live_quantities(live[changed]) == [usage[changed] + 1]


LONGER = [("connectwise", seed) for seed in range(100, 104)]
LONGER += [("autotask", 100), ("autotask", 101), ("halopsa", 100), ("halopsa", 101)]
"""Fewer seeds on the newer PSAs: the suite's time is shared (their defaults run above)."""


@pytest.mark.slow
@pytest.mark.parametrize(("psa", "seed"), LONGER)
def test_longer_fault_histories_converge(tmp_path: Path, seed: int, psa: str) -> None:
    tally = Tally()
    run_episode(tmp_path, seed, steps=12, tally=tally, guard=0.4, kind=psa)
    add_to_figures(tally)
    assert tally.problems == [], tally.problems
    assert sum(tally.injected.values()) >= 20, tally.injected
    assert sum(tally.writes.values()) >= 20, tally.writes
