"""What must hold after a run was killed, and after the run that follows it.

Read straight from the ledger file (``sqlite3``) and what the sandbox bills, not
through psabill's own queries, so a bug in those cannot hide a bad state. On Autotask the
delta journal is held against the adjustments the sandbox holds (:mod:`.psa_deltas`).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from psabill.sandbox.autotask import AutotaskSandbox
from tests.reliability.mail_log import deliveries
from tests.reliability.psa_deltas import Entry, delta_problems, journal
from tests.reliability.support import CUSTOMERS, World

WRITES = ("create", "update", "zero", "cancel")
Key = tuple[str, str]


def ledger(w: World) -> sqlite3.Connection:
    conn = sqlite3.connect(w.state_dir / "ledger.sqlite3")
    conn.row_factory = sqlite3.Row
    return conn


def rows(w: World, query: str, *params: Any) -> list[sqlite3.Row]:
    conn = ledger(w)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def assert_ledger_sound(w: World) -> None:
    """The file passes SQLite's integrity check, every confirmed line holds in the PSA, and
    on Autotask no delta was posted twice or outside the journal."""
    problems = [row[0] for row in rows(w, "PRAGMA integrity_check")]
    assert problems == ["ok"], problems
    billed = w.terms.billed(w.sandbox, w.billing_day)
    for key, line in latest_certain_lines(w).items():
        where = f"line {line['id']} of run {line['run_id']} ({key}, {line['action']})"
        live = sorted(b.quantity for b in billed.get(key, []) if not b.cancelled)
        if line["action"] == "cancel" or line["addition_id"] is None:
            assert not live, f"{where} says none is billed; the PSA bills {live}"
            continue
        assert live == w.terms.expect(Decimal(line["new_quantity"])), (where, live)
    if isinstance(w.sandbox, AutotaskSandbox):
        found, _ = delta_problems(w.sandbox, w.state_dir / "ledger.sqlite3")
        assert not found, found


def latest_certain_lines(w: World) -> dict[Key, sqlite3.Row]:
    """Each key's latest confirmed line, unless a write after it may have reached the PSA.

    A ``sent`` line (or a failed write) after it leaves the PSA in doubt until the
    next run reads it; ``planned`` lines never left psabill.
    """
    query = (
        "SELECT l.* FROM run_lines AS l JOIN runs AS r ON r.id = l.run_id"
        " WHERE r.dry_run = 0 AND l.company IS NOT NULL ORDER BY l.run_id, l.id"
    )
    certain: dict[Key, sqlite3.Row] = {}
    doubtful: set[Key] = set()
    for line in rows(w, query):
        key = (line["customer"], line["product"])
        if line["status"] == "confirmed":
            certain[key] = line
            doubtful.discard(key)
        elif line["action"] in WRITES and line["status"] in ("sent", "failed"):
            doubtful.add(key)
    return {key: line for key, line in certain.items() if key not in doubtful}


def check_killed(w: World, stage: str, run_id: int, occurrence: int) -> None:
    """Right after the kill: no duplicate, a sound ledger, the run where ``stage`` left it."""
    assert w.sandbox.wait_idle(timeout=10)  # what the dead run had in flight has landed
    w.live()  # raises on a second live addition for one (agreement, product)
    assert_ledger_sound(w)
    (run,) = rows(w, "SELECT outcome, finished_at FROM runs WHERE id = ?", run_id)
    lines = rows(w, "SELECT action, status FROM run_lines WHERE run_id = ?", run_id)
    writes = Counter(line["status"] for line in lines if line["action"] in WRITES)
    slots = rows(w, "SELECT customer FROM completed_slots WHERE run_id = ?", run_id)
    pending = rows(w, "SELECT id FROM outbox WHERE run_id = ? AND sent_at IS NULL", run_id)
    if stage == "summary":
        # The run had finished: only its mail is left to do.
        assert run["outcome"] == "success", tuple(run)
        assert run["finished_at"] is not None, tuple(run)
        assert len(slots) == CUSTOMERS, slots
        assert pending, "killed while its summary was queued, yet nothing is queued"
        return
    assert run["outcome"] == "running", tuple(run)
    assert run["finished_at"] is None, tuple(run)
    assert not slots, "a killed run completed a period"
    assert not pending, "a killed run queued a summary"
    if stage == "started":
        assert not lines, "killed before the plan, yet the run has lines"
    elif stage == "sent":
        assert writes["sent"] >= occurrence, writes
        assert writes["confirmed"] == 0, writes
    elif stage in ("sending", "posted"):
        _check_held_delta(w, stage, run_id, occurrence)
    else:
        assert set(writes) <= {"confirmed"}, writes


def _check_held_delta(w: World, stage: str, run_id: int, occurrence: int) -> None:
    """Killed inside a delta: its entry is on disk and still ``sending``. At ``sending`` it is
    the run's newest entry (the hook held the whole run right after committing it) and Autotask
    lacks its adjustment; at ``posted`` some ``sending`` entry's adjustment has landed. Other
    deltas of the run may have been in flight (up to ``concurrency`` at once) either way."""
    assert isinstance(w.sandbox, AutotaskSandbox), w.kind
    entries = [entry for entry in journal(w.state_dir / "ledger.sqlite3") if entry.run_id == run_id]
    assert len(entries) >= occurrence, entries
    posted = w.sandbox.adjustments()

    def landed(entry: Entry) -> bool:
        return any(
            (a.contract_id, a.service_id, a.effective, a.unit_change)
            == (*entry.pair, entry.day, int(entry.change))
            for a in posted
        )

    if stage == "sending":
        held = entries[-1]
        assert held.state == "sending", held
        assert not landed(held), (held, posted)
    else:
        assert any(e.state == "sending" and landed(e) for e in entries), (entries, posted)


def sent_writes(w: World, run_id: int) -> Counter[str]:
    """The run's writes left ``sent`` (in doubt when it died), by action."""
    query = "SELECT action FROM run_lines WHERE run_id = ? AND status = 'sent'"
    return Counter(line["action"] for line in rows(w, query, run_id))


def assert_mail_once(w: World, log: Path, folder: Path) -> None:
    """Every finished run queued its summary; every message was delivered exactly once.

    (``[notify] on`` is the default: success, partial and failure, a guard counting as
    failure; an ``interrupted`` run has no summary of its own.)
    """
    query = (
        "SELECT r.id, COUNT(o.id) AS queued FROM runs AS r LEFT JOIN outbox AS o"
        " ON o.run_id = r.id WHERE r.outcome IN ('success', 'partial', 'failure', 'guard')"
        " GROUP BY r.id"
    )
    lost = [run["id"] for run in rows(w, query) if not run["queued"]]
    assert not lost, f"finished runs {lost} never queued their summary"
    outbox = rows(w, "SELECT id, sent_at FROM outbox")
    unsent = [row["id"] for row in outbox if row["sent_at"] is None]
    assert not unsent, f"outbox messages {unsent} were never delivered"
    delivered = deliveries(log)
    by_id = Counter[int]()
    for name, times in delivered.items():
        assert (folder / f"{name}.eml").is_file(), name
        by_id[int(name.rsplit("-", 1)[1])] += times
    assert by_id == Counter({row["id"]: 1 for row in outbox}), by_id
