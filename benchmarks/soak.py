"""Soak: at least N fault-injected sync runs against the sandbox, every one of them checked.

    python benchmarks/soak.py --runs 1000 [--kills 100] [--psa all] [--steps 8] [--jobs 2]
                              [--seed 0] [--json FILE]

Run it from the repository root. Each episode is a fresh sandbox world
(``tests/reliability/fault_world.py``): some customers' products have an addition, some none,
some only a cancelled one, and each product has its own ``on_usage_gone`` (keep, zero,
cancel). It syncs ``--steps`` usage changes (keys appear, change, drop sharply, vanish and
come back), each through the in-process Runner under random faults: 429 with Retry-After,
500, 503, dropped connections, answers slower than the client's timeout, POST and PATCH
answers lost after the write was committed. About a third of the runs go without
``--allow-drop``, so the drop guard holds customers. Every run is checked
(``tests/reliability/fault_checks.py``); then the faults go off, and the next run must
converge and a plan after it must write nothing. Episodes run in ``--jobs`` processes; the
seed of an episode alone reproduces it.

``--psa connectwise|autotask|halopsa|all`` (default all) runs both phases on each PSA's
sandbox, the same world translated (see ``tests/reliability/psa_kinds.py`` for each PSA's
fault kinds: Halo writes only by POST, Autotask only by POSTing adjustments). On Autotask every
run is also checked for deltas posted twice or outside the journal.

Prints (and with ``--json FILE`` writes) the figures per PSA: runs, faults injected by kind (as
the sandbox counted them), duplicates found, confirmed-vs-PSA mismatches, Autotask delta-sum
mismatches, runs that did not converge, other problems, kills by stage. Exits 1 if any of
those is found, 0 otherwise.

The soak is a list of phases (:data:`PHASES`); ``main`` runs each one its arguments ask for
and merges their figures. Another phase (e.g. in-run SIGKILLs) is one more :class:`Phase`.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `tests.reliability` is shared with the test suite

from tests.reliability import kill_soak as kills  # noqa: E402
from tests.reliability.fault_checks import Tally, run_episode  # noqa: E402

KIND_NAMES = {
    "status:429": "429 Too Many Requests, with Retry-After",
    "status:500": "500 Internal Server Error",
    "status:503": "503 Service Unavailable (proxy page)",
    "drop": "connection dropped before the request was read",
    "latency": "answer slower than the client's timeout",
    "lose_response:POST": "POST committed, answer lost",
    "lose_response:PATCH": "PATCH committed, answer lost",
    "lose_response:GET": "GET answered, answer lost",
}
PSA_NAMES = {
    "429": "429 Too Many Requests, with Retry-After",
    "500": "500 Internal Server Error",
    "503": "503 Service Unavailable (proxy page)",
    "drop": "connection dropped before the request was read",
    "slow": "answer slower than the client's timeout",
    "lost POST": "POST processed, answer lost",
    "lost PATCH": "PATCH processed, answer lost",
    "lost adjustment": "adjustment POST processed, answer lost",
    "lost query": "query POST answered, answer lost",
    "lost create": "line create POST processed, answer lost",
    "lost update": "line update POST processed, answer lost",
}
PSAS = ("connectwise", "autotask", "halopsa")


@dataclass
class PhaseResult:
    """What one phase did: lines to print, figures for the JSON, and how many checks failed."""

    name: str
    lines: list[str]
    figures: dict[str, Any]
    failures: int


@dataclass(frozen=True)
class Phase:
    name: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], list[PhaseResult]]
    """One result per PSA; none when the arguments do not ask for this phase."""


# -- the fault phase ----------------------------------------------------------------------------


def _fault_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=1000, help="fault-injected runs, at least")
    parser.add_argument("--steps", type=int, default=8, help="usage changes per episode")
    parser.add_argument("--seed", type=int, default=0, help="the first episode's seed")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    parser.add_argument(
        "--psa",
        choices=(*PSAS, "all"),
        default="all",
        help="the PSA whose sandbox both phases run against (default: each in turn)",
    )


def _quiet() -> None:
    """Retry warnings are the point of the exercise, not news."""
    logging.getLogger("psabill").setLevel(logging.ERROR)


def _kinds(args: argparse.Namespace) -> tuple[str, ...]:
    return PSAS if args.psa == "all" else (args.psa,)


def _episode(task: tuple[int, int, str]) -> Tally:
    seed, steps, kind = task
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix=f"psabill-soak-{kind}-{seed}-") as scratch:
        try:
            run_episode(Path(scratch), seed, steps, tally, kind=kind)
        except Exception as exc:  # a bug in the soak or psabill: report it, keep soaking
            tally.problem("error", f"{kind} seed {seed}: {exc!r}")
    return tally


def fault_phase(args: argparse.Namespace) -> list[PhaseResult]:
    """``--runs N`` fault-injected runs on each PSA ``--psa`` names."""
    return [_fault_phase(args, kind) for kind in _kinds(args)] if args.runs > 0 else []


def _fault_phase(args: argparse.Namespace, kind: str) -> PhaseResult:
    episodes = math.ceil(args.runs / args.steps)
    tasks = [(seed, args.steps, kind) for seed in range(args.seed, args.seed + episodes)]
    tally, started = Tally(), time.monotonic()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs), initializer=_quiet) as pool:
        for done, result in enumerate(pool.map(_episode, tasks), start=1):
            tally.merge(result)
            if done % 25 == 0 or done == episodes:
                say = f"  ... {kind}: {done}/{episodes} episodes, {tally.runs} runs"
                print(say, file=sys.stderr)
    seconds = time.monotonic() - started
    figures = {**tally.as_json(), "seconds": round(seconds, 1), "jobs": args.jobs}
    failures = len(tally.problems)
    lines = _fault_lines(tally, seconds, args, kind)
    return PhaseResult(f"faults {kind}", lines, figures, failures)


def _fault_lines(tally: Tally, seconds: float, args: argparse.Namespace, kind: str) -> list[str]:
    figures = tally.as_json()
    lines = [
        f"fault phase ({kind}): {tally.runs} fault-injected runs (+{tally.clean_runs} without "
        f"faults) in {tally.episodes} episodes of {args.steps} steps, {args.jobs} processes, "
        f"{seconds:.0f} s",
        f"  faults injected: {sum(tally.injected.values())}; by kind:",
    ]
    for name, count in sorted(tally.fired.items(), key=lambda item: -item[1]):
        lines.append(f"    {count:>7}  {PSA_NAMES.get(name, name)}  [{name}]")
    lines.append("  as the sandbox counted them:")
    for name, count in sorted(tally.injected.items(), key=lambda item: -item[1]):
        lines.append(f"    {count:>7}  {KIND_NAMES.get(name, name)}  [{name}]")
    writes = ", ".join(f"{a} {n}" for a, n in sorted(tally.writes.items()))
    others = ", ".join(f"{a} {n}" for a, n in sorted(tally.lines.items()))
    outcomes = ", ".join(f"{a} {n}" for a, n in sorted(tally.outcomes.items()))
    lines += [
        f"  lines confirmed under faults: {writes}",
        f"  other lines under faults: {others}",
        f"  outcomes of fault-injected runs: {outcomes}",
        f"  duplicates found: {figures['duplicates']}",
        f"  confirmed-vs-PSA mismatches: {figures['mismatches']}",
        f"  runs that did not converge: {figures['not_converged']}",
    ]
    if kind == "autotask":
        deltas = ", ".join(f"{name} {n}" for name, n in sorted(tally.deltas.items()))
        lines += [
            f"  Autotask deltas checked: {deltas}",
            f"  Autotask delta mismatches (posted twice, unjournalled, sums): "
            f"{figures['delta_mismatches']}",
        ]
    lines += [
        f"  other problems (ledger, exit code, errors): {figures['other_problems']}",
    ]
    lines += [f"    {problem}" for problem in figures["problems"]]
    return lines


# -- the kill phase -----------------------------------------------------------------------------


def kill_phase(args: argparse.Namespace) -> list[PhaseResult]:
    """``--kills N``: SIGKILL N runs inside a stage on each PSA (tests/reliability/kill_soak.py)."""
    if args.kills <= 0:
        return []
    results = []
    for kind in _kinds(args):
        tally = kills.kill_phase(
            args.kills,
            seed=args.seed,
            jobs=args.jobs,
            say=lambda line: print(line, file=sys.stderr),
            kind=kind,
        )
        results.append(PhaseResult(f"kills {kind}", tally.lines(), tally.as_json(), tally.failed()))
    return results


PHASES: list[Phase] = [
    Phase("faults", _fault_arguments, fault_phase),
    Phase("kills", kills.add_arguments, kill_phase),
]


# -- the command --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    for phase in PHASES:
        phase.add_arguments(parser)
    args = parser.parse_args(argv)
    command = "python benchmarks/soak.py " + " ".join(sys.argv[1:] if argv is None else argv)
    report = Report(command.strip(), datetime.now(UTC).isoformat(timespec="seconds"))
    for phase in PHASES:
        for result in phase.run(args):
            report.add(result)
    report.print()
    if args.json is not None:
        args.json.write_text(json.dumps(report.as_json(), indent=2) + "\n", encoding="utf-8")
    return 1 if report.failures else 0


@dataclass
class Report:
    command: str
    date: str
    phases: list[PhaseResult] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return sum(phase.failures for phase in self.phases)

    def add(self, phase: PhaseResult) -> None:
        self.phases.append(phase)

    def print(self) -> None:
        print(f"$ {self.command}    ({self.date})")
        for phase in self.phases:
            print("\n".join(phase.lines))
        print(f"soak: {'FAILED' if self.failures else 'ok'} ({self.failures} failed checks)")

    def as_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "date": self.date,
            "failures": self.failures,
            "phases": {phase.name: phase.figures for phase in self.phases},
        }


if __name__ == "__main__":
    sys.exit(main())
