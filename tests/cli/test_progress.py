"""Progress through a run: the runner reports every PSA read and every write as it happens, and
off a terminal `-v` prints a line every few seconds. Time is a fake monotonic clock: no sleeps."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import click
import pytest
from click.testing import CliRunner

from psabill.app.runner import Runner
from psabill.cli import main
from psabill.cli.app import App
from psabill.cli.progress import EVERY, BarObserver, LineObserver, observer_for
from psabill.config.loader import load_config
from psabill.core.outcome import LineResult
from psabill.core.report import SyncRequest
from tests.e2e.conftest import World


@dataclass
class Recording:
    """Every hook call, in order."""

    calls: list[str] = field(default_factory=list)

    def reading(self, agreements: int) -> None:
        self.calls.append(f"reading {agreements}")

    def read_done(self) -> None:
        self.calls.append("read")

    def reads_finished(self) -> None:
        self.calls.append("reads finished")

    def started(self, writes: int) -> None:
        self.calls.append(f"started {writes}")

    def write_done(self) -> None:
        self.calls.append("write")

    def line_done(self, result: LineResult) -> None:
        self.calls.append(f"done {result.status}")

    def finished(self) -> None:
        self.calls.append("finished")


@dataclass
class FakeMonotonic:
    now: float = 1000.0
    step: float = 0.0
    """Seconds that pass at each reading."""

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def _runner(world: World, observer: Recording) -> Runner:
    loaded = load_config(world.setup.config, os.environ)
    return Runner(loaded, world.setup.state_dir, os.environ, observer=observer)


def _additions_reads(world: World) -> int:
    return sum(
        1 for r in world.sandbox.requests() if r.method == "GET" and r.path.endswith("/additions")
    )


def test_a_sync_reports_each_agreement_read_and_each_write_as_it_happens(world: World) -> None:
    observer = Recording()
    report = _runner(world, observer).sync(SyncRequest(trigger="manual"))

    writes = len(report.plan.writes) if report.plan else 0
    reads = observer.calls.index("reads finished")
    assert observer.calls[0] == f"reading {reads - 1}"
    assert observer.calls[1:reads] == ["read"] * (reads - 1)
    # every additions GET before the writes is one step (the read-back comes after them)
    assert reads - 1 == _additions_reads(world) - len(
        {line.agreement_id for line in report.plan.writes}  # type: ignore[union-attr]
    )
    assert writes > 0
    tail = observer.calls[reads + 1 :]
    assert tail[0] == f"started {writes}"
    assert tail.count("write") == writes
    # each write is told before any line is confirmed: the bar moves while writing
    assert tail.index("done confirmed") > max(i for i, c in enumerate(tail) if c == "write")
    assert tail[-1] == "finished"


def test_a_plan_reports_its_reads_too(world: World) -> None:
    observer = Recording()
    _runner(world, observer).sync(SyncRequest(trigger="manual", dry_run=True))

    assert observer.calls[0].startswith("reading ")
    total = int(observer.calls[0].split()[1])
    assert total > 0
    assert observer.calls[1:] == ["read"] * total + ["reads finished"]


def _echoed(observer: LineObserver, steps: int, clock: FakeMonotonic) -> list[str]:
    """Run ``steps`` reads then ``steps`` writes; what was printed, on stdout and stderr."""

    @click.command()
    def run() -> None:
        observer.reading(steps)
        for _ in range(steps):
            observer.read_done()
        observer.reads_finished()
        observer.started(steps)
        for _ in range(steps):
            observer.write_done()
        observer.finished()

    result = CliRunner().invoke(run, [])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_verbose_lines_come_every_few_seconds_not_every_step() -> None:
    clock = FakeMonotonic(step=1.0)  # one second per read or write
    lines = _echoed(LineObserver(verbose=True, monotonic=clock), 12, clock)

    assert lines == [
        "reading the PSA: additions of 12 agreements",
        "read 5 of 12 agreements",
        "read 10 of 12 agreements",
        "applying 12 changes",
        "wrote 5 of 12 lines",
        "wrote 10 of 12 lines",
    ]
    assert EVERY == 5.0


def test_fast_steps_print_no_progress_lines() -> None:
    clock = FakeMonotonic(step=0.001)
    lines = _echoed(LineObserver(verbose=True, monotonic=clock), 500, clock)

    assert lines == ["reading the PSA: additions of 500 agreements", "applying 500 changes"]


def test_without_verbose_only_the_changes_are_announced() -> None:
    clock = FakeMonotonic(step=10.0)
    lines = _echoed(LineObserver(verbose=False, monotonic=clock), 3, clock)

    assert lines == ["applying 3 changes"]


def test_one_change_is_singular() -> None:
    clock = FakeMonotonic()
    assert _echoed(LineObserver(monotonic=clock), 1, clock) == ["applying 1 change"]


@pytest.mark.parametrize("verbosity", [0, 1])
def test_off_a_terminal_progress_is_plain_lines(verbosity: int) -> None:
    @click.command()
    @click.pass_context
    def probe(ctx: click.Context) -> None:
        ctx.obj = App(None, None, verbosity)
        observer = observer_for(True)
        assert isinstance(observer, LineObserver)
        assert observer.verbose is (verbosity > 0)

    result = CliRunner().invoke(probe, [])
    assert result.exit_code == 0, result.output


def test_the_bar_draws_nothing_for_no_work() -> None:
    bar = BarObserver()
    bar.reading(0)
    bar.read_done()
    bar.reads_finished()
    bar.started(0)
    bar.finished()
    assert bar._progress is None


def test_verbose_sync_off_a_terminal_shows_the_reads(world: World) -> None:
    argv = ["--config", str(world.setup.config), "--state-dir", str(world.setup.state_dir)]
    result = CliRunner().invoke(main, [*argv, "-v", "sync", "--now"])

    assert result.exit_code == 0, result.output
    assert "reading the PSA: additions of " in result.output
    assert "applying 8 changes" in result.output
