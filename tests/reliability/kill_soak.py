"""The soak's kill phase: many in-run SIGKILLs, spread over the stages, each one checked.

    python benchmarks/soak.py --runs 0 --kills 100                  # this phase alone
    python -m tests.reliability.kill_soak --kills 100 --psa autotask  # one PSA, without the soak

Each world (a fresh sandbox of one PSA and state directory, :func:`.killing.kill_world`)
takes up to two laps over its stages (four; six on Autotask, with the two inside a delta),
each lap in its own shuffled order;
worlds run in ``jobs`` processes. A failed check is reported with its world's
seed, day and stage, and that world is abandoned (its state is no longer
trustworthy). Any failure (a duplicate addition, a confirmed line the PSA does
not hold, a run that did not converge, a summary lost or sent twice) makes the
phase fail.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.reliability.killing import Kill, kill_world, land, stages_for

LAPS_PER_WORLD = 2


@dataclass
class KillTally:
    """What the kill phase did: kills by stage, what they left behind, what failed."""

    kills: list[Kill] = field(default_factory=list)
    worlds: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    jobs: int = 1
    wanted: int = 0
    kind: str = "connectwise"

    def merge(self, other: KillTally) -> None:
        self.kills += other.kills
        self.worlds += other.worlds
        self.failures += other.failures

    def by_stage(self) -> dict[str, int]:
        landed = Counter(kill.stage for kill in self.kills)
        return {stage: landed[stage] for stage in stages_for(self.kind)}

    @property
    def short(self) -> bool:
        """Fewer kills than wanted, or a stage never hit."""
        return len(self.kills) < self.wanted or 0 in self.by_stage().values()

    def failed(self) -> int:
        """Failed checks; falling short counts as one more."""
        return len(self.failures) + self.short

    def lines(self) -> list[str]:
        """The report, one line each."""
        doubt = sum((kill.in_doubt for kill in self.kills), Counter[str]())
        mail = [kill for kill in self.kills if kill.queued]
        via = Counter(kill.delivered_by for kill in mail)
        notes = {
            "started": "run recorded, nothing read",
            "sent": "writes left in doubt: "
            + (", ".join(f"{n} {action}" for action, n in sorted(doubt.items())) or "none"),
            "confirmed": "lines confirmed, period not completed",
            "summary": f"{sum(kill.queued for kill in mail)} queued summaries, each delivered "
            f"once afterwards (by notify flush: {via['notify flush']} kills, by the next run: "
            f"{via['the next run']})",
            "sending": "delta journalled, not yet POSTed: never posted twice afterwards",
            "posted": "delta landed, its entry unsettled: never posted again afterwards",
        }
        out = [
            f"kill phase ({self.kind}): {len(self.kills)} SIGKILLs inside runs, {self.worlds} "
            f"worlds, {self.jobs} processes, {self.seconds:.0f} s",
        ]
        out += [
            f"  {count:>5}  at {stage:<10} {notes[stage]}"
            for stage, count in self.by_stage().items()
        ]
        out.append(
            "  after each: at most one live line per (agreement, product), confirmed lines "
            "= PSA, integrity_check ok"
            + (
                "; every delta journalled once, none posted twice"
                if self.kind == "autotask"
                else ""
            )
            + "; then interrupted, converged, an empty plan"
        )
        out.append(f"  failed checks: {len(self.failures)}")
        out += [f"    {failure}" for failure in self.failures]
        if self.short:
            out.append(f"  FELL SHORT: {self.wanted} kills asked for, at every stage")
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "psa": self.kind,
            "kills": len(self.kills),
            "by_stage": self.by_stage(),
            "in_doubt": dict(sum((kill.in_doubt for kill in self.kills), Counter[str]())),
            "summaries_delivered_after_kill": sum(kill.queued for kill in self.kills),
            "worlds": self.worlds,
            "failures": self.failures,
            "seconds": round(self.seconds, 1),
            "jobs": self.jobs,
        }


def one_world(task: tuple[int, int, str]) -> KillTally:
    """``wanted`` kills (at most two laps) in the world of ``seed`` on PSA ``kind``."""
    seed, wanted, kind = task
    tally = KillTally(worlds=1, kind=kind)
    rng = random.Random(seed)
    each = stages_for(kind)
    stages = [stage for _ in range(LAPS_PER_WORLD) for stage in rng.sample(each, len(each))]
    with (
        tempfile.TemporaryDirectory(prefix=f"psabill-kills-{kind}-{seed}-") as scratch,
        kill_world(Path(scratch), seed, kind) as kw,
    ):
        for stage in stages[:wanted]:
            try:
                tally.kills.append(land(kw, stage))
            except Exception as exc:  # a check failed, or psabill broke: report, move on
                tally.failures.append(f"{kind} seed {seed}, day {kw.day}, stage {stage}: {exc!r}")
                break
    return tally


def kill_phase(
    kills: int,
    *,
    seed: int = 0,
    jobs: int = 1,
    say: Callable[[str], None] | None = None,
    kind: str = "connectwise",
) -> KillTally:
    """Land at least ``kills`` in-run kills on PSA ``kind``, two laps of its stages a world."""
    per_world = LAPS_PER_WORLD * len(stages_for(kind))
    worlds = math.ceil(kills / per_world)
    tasks = [(seed + n, min(per_world, kills - n * per_world), kind) for n in range(worlds)]
    tally, started = KillTally(jobs=jobs, wanted=kills, kind=kind), time.monotonic()
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        for done, result in enumerate(pool.map(one_world, tasks), start=1):
            tally.merge(result)
            if say is not None and (done % 5 == 0 or done == worlds):
                say(f"  ... {kind}: {done}/{worlds} worlds, {len(tally.kills)} kills")
    tally.seconds = time.monotonic() - started
    return tally


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kills",
        type=int,
        default=0,
        metavar="N",
        help="SIGKILL N runs inside a stage (started, sent, confirmed, summary), checking "
        "the PSA, the ledger and the mail after each",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--seed", type=int, default=0, help="the first world's seed")
    parser.add_argument("--jobs", type=int, default=1, help="processes")
    parser.add_argument("--psa", default="connectwise", help="connectwise, autotask or halopsa")
    args = parser.parse_args(argv)
    tally = kill_phase(args.kills, seed=args.seed, jobs=args.jobs, say=print, kind=args.psa)
    print("\n".join(tally.lines()))
    return 1 if tally.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
