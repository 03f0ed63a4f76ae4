"""SIGKILL a real run at a stage it reports, then check what it left and that the next run heals it.

A kill used to be a sleep after starting the process; it landed in Python's
start-up, before any ledger existed. Here the run goes on in a child process
(:mod:`tests.reliability.stage_child`) whose stage hook announces the stage and
blocks, so the kill lands exactly there: ``started`` (run recorded, nothing
read), ``sent`` (a write reached the PSA, its line not yet confirmed),
``confirmed`` (every line confirmed, no period completed) or ``summary``
(summaries queued, not delivered). Only such kills are counted.

Each round is one billing day (a daily schedule, scheduled runs at a fixed
clock) with new usage: quantities change, and the last product cancels when its
usage is gone and comes back as a new addition (a POST), so kills at ``sent``
interrupt creates, updates and cancels.

The world runs on any PSA (``kind``). On Autotask, whose client never takes a service to 0
units, every key is reported every day, and two more kills land inside a delta
(:mod:`.stage_child`): ``sending`` (journal entry committed, adjustment not POSTed) and
``posted`` (adjustment landed, entry not settled). The next run must settle the entry by a
read (``lost`` / ``landed``) and never post the delta twice (:mod:`.psa_deltas`).
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from psabill.app.runner import Runner, RunResult
from psabill.config.loader import load_config
from psabill.core.report import Stage, SyncRequest
from psabill.notify import flush_outbox
from psabill.sandbox import Store
from psabill.sandbox.world import product_sku
from tests.reliability.kill_checks import (
    assert_ledger_sound,
    assert_mail_once,
    check_killed,
    latest_certain_lines,
    rows,
    sent_writes,
)
from tests.reliability.mail_log import LoggedFolder
from tests.reliability.support import CUSTOMERS, FIGURES, KEYS, PRODUCTS, World, world

STAGES: Final[tuple[Stage, ...]] = ("started", "sent", "confirmed", "summary")
"""Where a kill lands; :func:`.kill_checks.check_killed` knows what each one leaves."""
DELTA_STAGES: Final = ("sending", "posted")
"""Autotask's kills inside a delta (:mod:`.stage_child`)."""
REPEATED: Final = ("sent", *DELTA_STAGES)
"""Stages a run passes once per write: a kill lands at the 1st to 3rd pass."""


def stages_for(kind: str) -> tuple[str, ...]:
    return STAGES + DELTA_STAGES if kind == "autotask" else STAGES


FIRST_DAY: Final = datetime(2026, 3, 2, 6, 5, tzinfo=UTC)
"""Five minutes after the first daily 06:00 slot; each round is a day later."""
CANCELLING: Final = product_sku(PRODUCTS)
"""Usage gone cancels this product's addition; usage back creates a new one."""
ROOT: Final = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT: Final = 60.0
PSA_SETTINGS: Final = "retries = 2\ntimeout = 5\n"
SETTINGS: Final = """
[schedule]
mode = "daily"
hour = 6

[notify]
emails = "billing@world.example"
transport = "folder"
folder = "mail"
"""


@dataclass(frozen=True)
class Kill:
    """A SIGKILL that landed inside run ``run_id``, held at ``stage``, and what it left."""

    stage: str
    run_id: int
    occurrence: int
    now: datetime
    in_doubt: Counter[str] = field(default_factory=Counter)
    """Writes the run left ``sent`` (maybe applied, maybe not), by action."""
    queued: int = 0
    """Summaries it left queued, undelivered."""
    delivered_by: str = ""
    """What delivered them afterwards: ``notify flush`` or ``the next run``."""


@dataclass
class KillWorld:
    """A :class:`World` set up for kills: scheduled daily runs, summaries into a folder."""

    world: World
    rng: random.Random
    day: int = 0

    @property
    def now(self) -> datetime:
        return FIRST_DAY + timedelta(days=self.day)

    @property
    def mail_log(self) -> Path:
        return self.world.directory / "deliveries.log"

    @property
    def mail_folder(self) -> Path:
        return self.world.directory / "mail"

    def mail(self) -> LoggedFolder:
        return LoggedFolder(self.mail_folder, self.mail_log)

    def runner(self, now: datetime) -> Runner:
        loaded = load_config(self.world.config, os.environ)
        return Runner(loaded, self.world.state_dir, os.environ, clock=lambda: now, mail=self.mail)

    def run(self, request: SyncRequest, now: datetime) -> RunResult:
        """One whole invocation in this process: sync, then its mail."""
        FIGURES.runs += 1
        return self.runner(now).run(request)

    def next_usage(self) -> None:
        """A new day with new quantities; each key of CANCELLING is reported half the time
        (every time on Autotask)."""
        self.day += 1
        self.world.billing_day = self.now.date()
        usage = {}
        for key in KEYS:
            if key[1] != CANCELLING or self.rng.random() < 0.5 or self.world.kind == "autotask":
                usage[key] = self.rng.randrange(1, 300)
        self.world.set_usage(usage)

    def child(self, stage: str, occurrence: int, *, mode: str = "kill") -> subprocess.Popen[str]:
        """A scheduled run at ``now`` in its own process; see :mod:`.stage_child`."""
        argv = [sys.executable, "-m", "tests.reliability.stage_child"]
        argv += [str(self.world.config), str(self.world.state_dir), str(self.mail_log)]
        argv += [self.now.isoformat(), stage, str(occurrence), mode]
        FIGURES.runs += 1
        return subprocess.Popen(
            argv,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )

    def kill_at(self, stage: str, occurrence: int = 1) -> Kill | None:
        """Run until the ``occurrence``-th pass of ``stage``, then SIGKILL the run there.

        None when the run ended without reaching it (say fewer writes than
        ``occurrence``); that run is not counted as killed.
        """
        process = self.child(stage, occurrence)
        try:
            line = read_line(process, CHILD_TIMEOUT)
            if line == f"reached {stage}":
                process.send_signal(signal.SIGKILL)
            out, err = process.communicate(timeout=CHILD_TIMEOUT)
        finally:
            if process.poll() is None:  # a check failed first: leave no child behind
                process.kill()
                process.wait()
        if line != f"reached {stage}":
            assert line.startswith("finished "), (line, out, err)
            assert process.returncode == 0, (line, out, err)
            return None
        assert process.returncode == -signal.SIGKILL, (process.returncode, err)
        (newest,) = self.world.ledger_rows("SELECT MAX(id) FROM runs")
        FIGURES.killed(stage)
        return Kill(stage, int(newest[0]), occurrence, self.now)


def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The child's first line of output ("" at end of file); fails after ``timeout`` seconds."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, f"the child said nothing within {timeout} s"
    return process.stdout.readline().strip()


@contextmanager
def kill_world(tmp_path: Path, seed: int, kind: str = "connectwise") -> Iterator[KillWorld]:
    """A world on PSA ``kind`` where some seeded additions are missing, so first runs create
    them too."""
    rng = random.Random(seed)

    def prepare(store: Store) -> None:
        for row in rng.sample(store.dump()["additions"], k=rng.randrange(2, 6)):
            store.delete("additions", row["id"])

    gone = {CANCELLING: "keep" if kind == "autotask" else "cancel"}
    with world(
        tmp_path, extra_psa=PSA_SETTINGS, kind=kind, prepare=prepare, on_usage_gone=gone
    ) as w:
        with w.config.open("a", encoding="utf-8") as file:
            file.write(SETTINGS)
        yield KillWorld(w, rng)


def kill_round(kw: KillWorld, stage: str) -> Kill | None:
    """New usage, a run killed at ``stage``, every check, the next run and its checks."""
    kw.next_usage()
    occurrence = kw.rng.randint(1, 3) if stage in REPEATED else 1
    kill = kw.kill_at(stage, occurrence)
    if kill is None:
        return None
    check_killed(kw.world, kill.stage, kill.run_id, occurrence)
    query = "SELECT id FROM outbox WHERE run_id = ?"
    kill = replace(
        kill,
        in_doubt=sent_writes(kw.world, kill.run_id),
        queued=len(rows(kw.world, query, kill.run_id)),
    )
    return replace(kill, delivered_by=recover(kw, kill))


def recover(kw: KillWorld, kill: Kill) -> str:
    """The next scheduled run (after a `notify flush`, half the time at ``summary``) heals all.

    Killed before its period was completed, the run is still due: the next one
    marks it ``interrupted`` and bills the period. Killed at ``summary``, it had
    finished and completed its period: the next run is not due and only
    delivers the queued summary.
    """
    w, later = kw.world, kill.now + timedelta(minutes=10)
    delivered_by = "the next run" if kill.queued else ""
    if kill.queued and kw.rng.random() < 0.5:
        flushed = flush_outbox(kw.runner(later).loaded, w.state_dir, later, kw.mail)
        assert len(flushed.sent) == kill.queued, flushed
        assert not flushed.failed, flushed
        delivered_by = "notify flush"
    report = kw.run(SyncRequest(trigger="scheduled", allow_drop=True), later).report
    finished = kill.stage == "summary"
    assert report.outcome == ("not_due" if finished else "success"), (kill, report.fatal)
    (run,) = rows(w, "SELECT outcome, finished_at FROM runs WHERE id = ?", kill.run_id)
    assert run["outcome"] == ("success" if finished else "interrupted"), (kill, tuple(run))
    assert run["finished_at"] is not None, kill
    live = w.live()
    assert {key: live.get(key) for key in KEYS} == {key: w.usage.get(key) for key in KEYS}
    assert_ledger_sound(w)
    unchecked = set(w.usage) - set(latest_certain_lines(w))
    assert not unchecked, f"no confirmed line to check against the PSA for {unchecked}"
    slot = kill.now.replace(minute=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    done = rows(w, "SELECT customer, run_id FROM completed_slots WHERE slot_at = ?", slot)
    by = kill.run_id if finished else report.run_id
    assert len(done) == CUSTOMERS, (kill, done)
    assert {row["run_id"] for row in done} == {by}, (kill, done)
    plan = kw.run(SyncRequest(trigger="manual", dry_run=True), later).report.plan
    assert plan is not None
    assert plan.writes == (), (kill, plan.writes)
    assert_mail_once(w, kw.mail_log, kw.mail_folder)
    return delivered_by


def land(kw: KillWorld, stage: str, attempts: int = 5) -> Kill:
    """A kill at ``stage``, trying new rounds until one lands there."""
    for _ in range(attempts):
        kill = kill_round(kw, stage)
        if kill is not None:
            return kill
    raise AssertionError(f"no run reached {stage!r} in {attempts} rounds")
