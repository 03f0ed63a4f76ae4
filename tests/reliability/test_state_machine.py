"""A hypothesis state machine: usage changes, faults, crashes and re-runs, invariants after each."""

from __future__ import annotations

import random
import signal
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from psabill.sandbox.faults import FaultPlan, latency
from tests.reliability.support import FIGURES, KEYS, World, world
from tests.reliability.test_faults import random_rules


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        directory = Path(self.stack.enter_context(tempfile.TemporaryDirectory()))
        self.world: World = self.stack.enter_context(world(directory))
        self.clean = False  # True right after a run without faults that succeeded

    def teardown(self) -> None:
        self.stack.close()

    @rule(usage=st.dictionaries(st.sampled_from(KEYS), st.integers(1, 300), min_size=len(KEYS)))
    def change_usage(self, usage: dict[tuple[str, str], int]) -> None:
        self.world.set_usage(usage)
        self.clean = False

    @rule(seed=st.integers(0, 10_000))
    def inject_faults(self, seed: int) -> None:
        self.world.sandbox.faults.replace(FaultPlan(random_rules(random.Random(seed)), seed=seed))
        self.clean = False

    @rule()
    def run(self) -> None:
        faulty = bool(self.world.sandbox.faults.rules)
        report = self.world.run()
        self.world.count_faults()
        for result in report.results:
            line = result.line
            if result.status == "confirmed" and line.writes:
                live = self.world.live()
                assert live[(line.company or "", line.psa_product or "")] == line.desired
        self.clean = not faulty and report.outcome == "success"

    @rule(delay=st.floats(0.4, 2.0))
    def crash(self, delay: float) -> None:
        self.world.sandbox.faults.add(latency(0.3))
        process = self.world.sync_process()
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        FIGURES.crashes += process.returncode == -signal.SIGKILL
        self.world.sandbox.faults.clear()
        self.clean = False

    @precondition(lambda self: bool(self.world.sandbox.faults.rules))
    @rule()
    def clear_faults(self) -> None:
        self.world.sandbox.faults.clear()

    @invariant()
    def never_two_live_additions(self) -> None:
        self.world.live()

    @invariant()
    def a_clean_run_reaches_the_usage(self) -> None:
        if self.clean and self.world.usage:
            self.world.assert_converged()


TestSyncMachine = pytest.mark.slow(SyncMachine.TestCase)
TestSyncMachine.settings = settings(max_examples=6, stateful_step_count=8, deadline=None)
