"""Autotask's own promise: no unit delta is ever posted twice, and the journal knows each one.

Autotask changes seats only by adjustments that can never be read back, changed or deleted,
so the neutral checks (what it bills equals what psabill confirmed) are not enough: a delta
posted twice and another missing would cancel out. :func:`delta_problems` compares, per
contract service, every adjustment the sandbox holds that came through the API with the
ledger's ``adjustments`` journal, read straight from the file:

* **one to one, in order**: each ``posted`` or ``landed`` entry is the next adjustment of its
  pair (same day, same change); a ``lost`` or ``refused`` one is none; an open one (``sending``,
  ``unknown``: the last of its pair) may be either. An adjustment no entry accounts for was
  posted without the journal, or twice.
* **from a fresh read**: each matched entry's ``before`` is the units the sandbox held on its
  day just before that adjustment (seeded history and earlier adjustments).
* **per billing run**: each confirmed create or update line's change (old -> new quantity) is
  the sum of the changes its run posted for that pair.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from psabill.sandbox.autotask import Adjustment, AutotaskSandbox

Pair = tuple[int, int]
MATCHED = ("posted", "landed")
OPEN = ("sending", "unknown")


@dataclass(frozen=True)
class Entry:
    id: int
    run_id: int
    pair: Pair
    day: date
    before: Decimal
    change: Decimal
    state: str


def journal(ledger: Path) -> list[Entry]:
    """The ledger's delta journal, oldest first (empty before the first run)."""
    if not ledger.exists():
        return []
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as conn:
        found = conn.execute(
            "SELECT id, run_id, agreement_id, product_id, day, before, change, state"
            " FROM adjustments ORDER BY id"
        ).fetchall()
    return [
        Entry(i, run, (a, p), date.fromisoformat(day), Decimal(b), Decimal(c), state)
        for i, run, a, p, day, b, c, state in found
    ]


def delta_problems(sandbox: AutotaskSandbox, ledger: Path) -> tuple[list[str], Counter[str]]:
    """Every broken promise of the module docstring, and what was checked (``adjustments``
    posted through the API, journal ``entry <state>`` counts)."""
    everything = sandbox.adjustments(seeded=True)
    posted: dict[Pair, list[Adjustment]] = {}
    for adjustment in everything:
        if not adjustment.seeded:
            pair = (adjustment.contract_id, adjustment.service_id)
            posted.setdefault(pair, []).append(adjustment)
    entries = journal(ledger)
    counts = Counter({"adjustments": sum(len(a) for a in posted.values())})
    counts.update(f"entry {entry.state}" for entry in entries)
    problems: list[str] = []
    by_pair: dict[Pair, list[Entry]] = {}
    for entry in entries:
        by_pair.setdefault(entry.pair, []).append(entry)
    matched: dict[int, Adjustment] = {}
    for pair in sorted(set(posted) | set(by_pair)):
        problems += _align(pair, by_pair.get(pair, []), posted.get(pair, []), matched)
    for entry in entries:
        if entry.id in matched:
            held = _units_before(everything, matched[entry.id])
            if held != entry.before:
                problems.append(
                    f"journal entry {entry.id} of {entry.pair} was computed over {entry.before} "
                    f"units; Autotask held {held} on {entry.day}"
                )
    problems += run_sums(sandbox, ledger, entries, matched)
    return problems, counts


def _align(
    pair: Pair, entries: list[Entry], adjustments: list[Adjustment], matched: dict[int, Adjustment]
) -> list[str]:
    problems, index = [], 0
    for entry in entries:
        here = adjustments[index] if index < len(adjustments) else None
        same = here is not None and (here.effective, here.unit_change) == (entry.day, entry.change)
        if entry.state in MATCHED and not same:
            problems.append(f"{pair}: journal entry {entry.id} ({entry.state}) is not in Autotask")
        if same and here is not None and entry.state in MATCHED + OPEN:
            matched[entry.id] = here
            index += 1
    for extra in adjustments[index:]:
        problems.append(
            f"{pair}: adjustment {extra.id} ({extra.unit_change:+d} from {extra.effective}) "
            "is accounted for by no journal entry: posted twice, or without the journal"
        )
    return problems


def _units_before(everything: list[Adjustment], adjustment: Adjustment) -> Decimal:
    link, day = adjustment.contract_service_id, adjustment.effective
    return Decimal(
        sum(
            a.unit_change
            for a in everything
            if a.contract_service_id == link and a.effective <= day and a.id < adjustment.id
        )
    )


def run_sums(
    sandbox: AutotaskSandbox, ledger: Path, entries: list[Entry], matched: dict[int, Adjustment]
) -> list[str]:
    """Per run, each confirmed create/update line's change equals the deltas it posted."""
    if not ledger.exists():
        return []
    services = {str(s["name"]): int(s["id"]) for s in sandbox.world.records("Services")}
    posted: Counter[tuple[int, Pair]] = Counter()
    for entry in entries:
        if entry.id in matched:
            posted[(entry.run_id, entry.pair)] += int(entry.change)
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as conn:
        lines = conn.execute(
            "SELECT run_id, agreement_id, psa_product, old_quantity, new_quantity FROM run_lines"
            " WHERE status = 'confirmed' AND action IN ('create', 'update')"
        ).fetchall()
    problems = []
    for run_id, agreement, product, old, new in lines:
        pair = (int(agreement), services.get(product, -1))
        change = Decimal(new) - Decimal(old or 0)
        if posted[(run_id, pair)] != change:
            problems.append(
                f"run {run_id} confirmed {pair} {old} -> {new}, yet posted "
                f"{posted[(run_id, pair)]:+d} units for it"
            )
    return problems
