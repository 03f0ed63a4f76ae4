"""A hypothesis state machine over a fault world: usage appears, changes, vanishes and returns
under each ``on_usage_gone`` policy; faults come and go; runs with and without ``--allow-drop``;
on ConnectWise, Autotask or HaloPSA (drawn; on Autotask usage never reports 0 seats and every
policy keeps, see :mod:`~tests.reliability.fault_world`).
(Kills are tested where they land at a known stage: test_crash.py.) Every run is checked like
the fault tests' (:func:`~tests.reliability.fault_checks.check_run`); whenever the faults are
off, a run must converge and the plan after it must be empty."""

from __future__ import annotations

import random
import tempfile
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from tests.reliability.fault_checks import Tally, check_run, converge, count_lines
from tests.reliability.fault_world import (
    FAULT_KINDS,
    KEYS,
    FaultWorld,
    Key,
    fault_world,
    first_usage,
    live_of,
    random_faults,
)
from tests.reliability.psa_kinds import PSA_KINDS, fault_kinds
from tests.reliability.test_faults import add_to_figures


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        self.tally = Tally()
        self.steps = 0
        self._world: FaultWorld | None = None

    @property
    def world(self) -> FaultWorld:
        assert self._world is not None
        return self._world

    @initialize(seed=st.integers(0, 10_000), kind=st.sampled_from(PSA_KINDS))
    def start(self, seed: int, kind: str) -> None:
        directory = Path(self.stack.enter_context(tempfile.TemporaryDirectory()))
        rng = random.Random(seed)
        self._world = self.stack.enter_context(fault_world(directory, rng, kind))
        self._world.set_usage(first_usage(rng))

    def teardown(self) -> None:
        if self._world is not None:
            injected, by_kind, deltas = self._world.fault_counts()
            self.tally.injected.update(injected)
            self.tally.fired.update(by_kind)
            self.tally.deltas.update(deltas)
        add_to_figures(self.tally)
        self.stack.close()

    def where(self) -> str:
        self.steps += 1
        return f"state machine step {self.steps}"

    @rule(
        changes=st.dictionaries(
            st.sampled_from(KEYS), st.none() | st.integers(0, 300), min_size=1, max_size=8
        )
    )
    def change_usage(self, changes: dict[Key, int | None]) -> None:
        """Keys appear or change (a number) or vanish (``None``); never 0 on Autotask."""
        if self.world.kind == "autotask":
            changes = {key: None if q is None else max(q, 1) for key, q in changes.items()}
        usage = {**self.world.usage, **changes}
        self.world.set_usage({key: q for key, q in usage.items() if q is not None})

    @rule(
        seed=st.integers(0, 1 << 30),
        kinds=st.lists(st.integers(0, len(FAULT_KINDS) - 1), min_size=1, max_size=3, unique=True),
        allow_drop=st.booleans(),
    )
    def run_under_faults(self, seed: int, kinds: list[int], allow_drop: bool) -> None:
        """``kinds`` index the PSA's own :func:`~tests.reliability.psa_kinds.fault_kinds`."""
        names = tuple(fault_kinds(self.world.kind)[i] for i in kinds)
        plan = random_faults(random.Random(seed), names, psa=self.world.kind)
        self.world.sandbox.faults.replace(plan)
        before = self.world.additions()
        report = self.world.run(allow_drop=allow_drop)
        count_lines(report, before, self.tally)
        check_run(self.world, before, report, self.tally, self.where())
        assert self.tally.problems == []

    @rule()
    def converges(self) -> None:
        """Faults off: a run converges and the plan after it is empty."""
        converge(self.world, self.tally, self.where())
        assert self.tally.problems == []

    @invariant()
    def at_most_one_live_addition_per_key(self) -> None:
        if self._world is not None:
            live = live_of(self.world.additions())
            assert all(len(rows) == 1 for rows in live.values()), live


TestSyncMachine = pytest.mark.slow(SyncMachine.TestCase)
TestSyncMachine.settings = settings(max_examples=6, stateful_step_count=12, deadline=None)
