"""What must hold after every run of a :mod:`~tests.reliability.fault_world`, and the tally.

Judged on any PSA through what it bills today (:meth:`~psabill.sandbox.server.Sandbox.billed`),
in the world's (customer, SKU) keys. After every run, faulty or not:

* the PSA bills at most one live line per (agreement, product);
* every line ``confirmed`` (in the report and in the ledger) is what the PSA bills: the
  planned quantity, or, for a cancel, no live line for that key;
* every ``skipped`` line (kept, or held by a guard) left its key as it was;
* the ledger passes ``PRAGMA integrity_check``, agrees with the report line by line, leaves no
  line ``planned`` or ``sent``, and records the run's outcome;
* the outcome and exit code follow from the lines (held: guard, exit 4; failed: never 0);
* on Autotask, every posted delta is journalled once and none is posted twice
  (:mod:`~tests.reliability.psa_deltas`).

After the faults are switched off (:func:`converge`) the next run succeeds, leaves exactly
what usage and the ``on_usage_gone`` policies say, and a plan made after it writes nothing.
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from psabill.core.outcome import LineResult
from psabill.core.report import SyncReport
from tests.reliability.fault_world import (
    KEYS,
    FaultWorld,
    Key,
    Rows,
    fault_world,
    first_usage,
    kinds_for,
    live_of,
    random_faults,
)
from tests.reliability.psa_kinds import Terms, live_quantities

PROBLEM_KINDS = ("duplicate", "mismatch", "ledger", "outcome", "not converged", "delta", "error")
RUN_OUTCOMES = {"success", "partial", "guard"}  # the ledger records anything else as failure


@dataclass
class Tally:
    """What fault runs did and what the checks found; merged across episodes and processes."""

    runs: int = 0
    """Runs with faults injected."""
    clean_runs: int = 0
    """Runs after the faults were switched off (a sync and a dry run per episode)."""
    episodes: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    """Faults by the sandbox's own kinds (``status:429``, ``lose_response:POST``, ...)."""
    fired: Counter[str] = field(default_factory=Counter)  # by the PSA's own fault kinds
    deltas: Counter[str] = field(default_factory=Counter)  # Autotask: adjustments, entries
    writes: Counter[str] = field(default_factory=Counter)
    """Lines confirmed under faults by action; ``recreate`` counts creates next to a cancel."""
    lines: Counter[str] = field(default_factory=Counter)
    """Other lines under faults: ``failed``, and skipped ones by action (``keep``, ``held``)."""
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(kind, "where: what") for every broken promise; kinds are :data:`PROBLEM_KINDS`."""

    def problem(self, kind: str, text: str) -> None:
        assert kind in PROBLEM_KINDS, kind
        self.problems.append((kind, text))

    def count(self, kind: str) -> int:
        return sum(1 for found, _ in self.problems if found == kind)

    def merge(self, other: Tally) -> None:
        self.runs += other.runs
        self.clean_runs += other.clean_runs
        self.episodes += other.episodes
        self.injected.update(other.injected)
        self.fired.update(other.fired)
        self.deltas.update(other.deltas)
        self.writes.update(other.writes)
        self.lines.update(other.lines)
        self.outcomes.update(other.outcomes)
        self.problems += other.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "clean_runs": self.clean_runs,
            "episodes": self.episodes,
            "faults_injected": dict(sorted(self.injected.items())),
            "faults_by_kind": dict(sorted(self.fired.items())),
            "autotask_deltas": dict(sorted(self.deltas.items())),
            "confirmed_writes_under_faults": dict(sorted(self.writes.items())),
            "other_lines_under_faults": dict(sorted(self.lines.items())),
            "outcomes": dict(sorted(self.outcomes.items())),
            "duplicates": self.count("duplicate"),
            "mismatches": self.count("mismatch"),
            "not_converged": self.count("not converged"),
            "delta_mismatches": self.count("delta"),
            "other_problems": sum(self.count(kind) for kind in ("ledger", "outcome", "error")),
            "problems": [f"{kind}: {text}" for kind, text in self.problems],
        }


def confirmed_problem(
    terms: Terms, action: str, desired: Decimal | None, has_addition: bool, live: list[Decimal]
) -> str | None:
    """Why a line confirmed as (action, desired) is not what the PSA bills (``live``)."""
    if action == "cancel" or (action == "unchanged" and not has_addition):
        return f"live {live} after a confirmed {action}" if live else None
    if terms.expect(desired) != live:
        return f"confirmed {action} = {desired}, PSA bills {live}"
    return None


def count_lines(report: SyncReport, before: Rows, tally: Tally) -> None:
    """Add what a faulty run's lines did to the tally."""
    tally.runs += 1
    tally.outcomes[report.outcome] += 1
    for result in report.results:
        line = result.line
        if result.status == "confirmed" and line.writes:
            tally.writes[line.action] += 1
            key = (line.customer, line.sku)
            if line.action == "create" and before.get(key):
                tally.writes["recreate"] += 1
        elif result.status == "skipped":
            tally.lines[line.action] += 1
        elif result.status == "failed":
            tally.lines["failed"] += 1


def check_run(
    world: FaultWorld, before: Rows, report: SyncReport, tally: Tally, where: str
) -> None:
    """Every promise of the module docstring for one run; broken ones go to ``tally``."""
    live, earlier = live_of(world.additions()), live_of(before)
    for key, rows in sorted(live.items()):
        if len(rows) > 1:
            tally.problem("duplicate", f"{where}: {len(rows)} live lines for {key}")
    for result in report.results:
        _check_line(world.terms, result, earlier, live, tally, where)
    if report.run_id is not None:
        _check_ledger(world, report, live, tally, where)
    _check_outcome(report, tally, where)
    for problem in world.deltas()[0]:
        tally.problem("delta", f"{where}: {problem}")


def _check_line(
    terms: Terms, result: LineResult, earlier: Rows, live: Rows, tally: Tally, where: str
) -> None:
    line = result.line
    if line.company is None or line.psa_product is None:
        return  # never reached an agreement: nothing to compare
    key = (line.customer, line.sku)
    now = live_quantities(live.get(key, []))
    if result.status == "confirmed":
        has_addition = line.addition_id is not None
        problem = confirmed_problem(terms, line.action, line.desired, has_addition, now)
        if problem:
            tally.problem("mismatch", f"{where}: {key}: {problem}")
    elif result.status == "skipped" and now != live_quantities(earlier.get(key, [])):
        was = live_quantities(earlier.get(key, []))
        text = f"{where}: {key}: {line.action} line skipped, yet {was} became {now}"
        tally.problem("mismatch", text)


def _check_ledger(
    world: FaultWorld, report: SyncReport, live: Rows, tally: Tally, where: str
) -> None:
    with sqlite3.connect(f"file:{world.ledger}?mode=ro", uri=True) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()
        outcome = conn.execute("SELECT outcome FROM runs WHERE id = ?", (report.run_id,))
        (recorded,) = outcome.fetchone()
        rows = conn.execute(
            "SELECT customer, product, action, status, new_quantity, addition_id"
            " FROM run_lines WHERE run_id = ? ORDER BY id",
            (report.run_id,),
        ).fetchall()
    if integrity != ("ok",):
        tally.problem("ledger", f"{where}: integrity_check says {integrity}")
    expected = report.outcome if report.outcome in RUN_OUTCOMES else "failure"
    if recorded != expected:
        tally.problem("ledger", f"{where}: run recorded {recorded!r}, report says {expected!r}")
    statuses = [(r.line.action, r.status) for r in report.results]
    if [(action, status) for _, _, action, status, _, _ in rows] != statuses:
        tally.problem("ledger", f"{where}: ledger lines differ from the report's")
    for customer, product, action, status, quantity, addition_id in rows:
        if status != "confirmed":
            continue
        desired = None if quantity is None else Decimal(quantity)
        now = live_quantities(live.get((customer, product), []))
        problem = confirmed_problem(world.terms, action, desired, addition_id is not None, now)
        if problem:
            tally.problem("mismatch", f"{where}: ledger {(customer, product)}: {problem}")


def _check_outcome(report: SyncReport, tally: Tally, where: str) -> None:
    failed = any(r.status == "failed" for r in report.results)
    held = any(r.line.action == "held" for r in report.results)
    code = int(report.exit_code)
    if report.fatal is not None:
        fine = (report.outcome, code) == ("failure", 1)
    elif failed:
        fine = report.outcome in ("partial", "failure", "guard") and code in (1, 3, 4)
    elif held:
        fine = (report.outcome, code) == ("guard", 4)
    else:
        fine = (report.outcome, code) == ("success", 0)
    if not fine:
        state = f"failed={failed} held={held} fatal={report.fatal!r}"
        tally.problem("outcome", f"{where}: {report.outcome} (exit {code}) with {state}")


def expected_after_clean_run(world: FaultWorld, before: Rows) -> dict[Key, Decimal | None]:
    """Per key, the live quantity (None: no live line) a successful run must leave."""
    expected: dict[Key, Decimal | None] = {}
    earlier = live_of(before)
    for key in KEYS:
        was = live_quantities(earlier.get(key, []))
        current = was[0] if len(was) == 1 else None
        policy = world.policies[key[1]]
        if key in world.usage:
            wanted = Decimal(world.usage[key])
            expected[key] = wanted if wanted or current is not None else None
        elif policy == "keep":
            expected[key] = current
        elif policy == "zero":
            expected[key] = None if current is None else Decimal(0)
        else:
            expected[key] = None
    return expected


def converge(world: FaultWorld, tally: Tally, where: str) -> None:
    """Faults off: the next run succeeds and reaches the usage; a plan after it is empty.

    At most one ``not converged`` problem per call, naming every key that is off.
    """
    world.faults_off()
    before = world.additions()
    report = world.run(allow_drop=True)
    tally.clean_runs += 1
    check_run(world, before, report, tally, where)
    live = live_of(world.additions())
    off = []
    for key, wanted in expected_after_clean_run(world, before).items():
        held = live_quantities(live.get(key, []))
        if held != world.terms.expect(wanted):
            off.append(f"{key} holds {held}, expected {wanted}")
    again = world.run(dry_run=True)
    tally.clean_runs += 1
    if again.plan is None or again.plan.writes:
        off.append(f"a plan after it writes {[] if again.plan is None else again.plan.writes}")
    if report.outcome != "success" or off:
        text = f"{where}: clean run ended {report.outcome} ({report.fatal}); " + "; ".join(off)
        tally.problem("not converged", text)


def run_episode(
    directory: Path,
    seed: int,
    steps: int,
    tally: Tally,
    guard: float = 0.3,
    kind: str = "connectwise",
) -> None:
    """A fresh world on PSA ``kind``, ``steps`` usage changes each synced under random faults
    (``guard``: the share of runs without ``--allow-drop``), then :func:`converge`. Stops at
    the first broken promise: what follows it would only repeat it. ``seed`` and ``kind``
    alone reproduce the episode."""
    rng = random.Random(seed)
    tally.episodes += 1
    with fault_world(directory, rng, kind) as world:
        world.set_usage(first_usage(rng))
        try:
            for step in range(steps):
                plan = random_faults(rng, kinds_for(seed + step, kind), psa=kind)
                world.sandbox.faults.replace(plan)
                before = world.additions()
                report = world.run(allow_drop=rng.random() >= guard)
                count_lines(report, before, tally)
                found = len(tally.problems)
                check_run(world, before, report, tally, f"{kind} seed {seed} step {step}")
                if len(tally.problems) > found:
                    return
                world.set_usage(world.next_usage(rng))
            converge(world, tally, f"{kind} seed {seed} after {steps} steps")
        finally:
            injected, by_kind, deltas = world.fault_counts()
            tally.injected.update(injected)
            tally.fired.update(by_kind)
            tally.deltas.update(deltas)
