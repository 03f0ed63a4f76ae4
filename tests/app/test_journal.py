"""The runner hands each writing run a ledger journal, and its report says what the journal holds.

:class:`DeltaClient` is a real ConnectWise client (over loopback, to the sandbox) whose quantity
writes go the way a delta-posting PSA's must: read, settle any open entry by that read, record
the delta, then send. It checks, through a connection of its own, that each entry is on disk
before its write, and can lose a write's answer (the write never made) to leave an entry open.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from psabill.app.connect import open_with, takes_journal
from psabill.app.runner import Runner
from psabill.cli.render import echo_alarms, report_json
from psabill.config.loader import load_config
from psabill.config.models import Psa
from psabill.core.entities import Addition
from psabill.core.report import SyncReport, SyncRequest
from psabill.errors import PsaError, UnknownOutcome
from psabill.notify.summary import failures_of, notes_of
from psabill.psa.base import Delta, DeltaJournal, JournalEntry, NoJournal
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.psa.pacing import RetryPolicy
from psabill.sandbox import Sandbox, Store, seed_large
from psabill.sandbox.world import customer_id, product_sku, write_usage, write_world_config
from psabill.state import Ledger, ledger_path

CUSTOMERS, PRODUCTS = 2, 2
USAGE = {
    (customer_id(c), product_sku(p)): 700 + 10 * c + p
    for c in range(1, CUSTOMERS + 1)
    for p in range(1, PRODUCTS + 1)
}


@dataclass
class Script:
    """What the fake client is told to do, and what it saw."""

    ledger: Path
    lose: int = 0
    """Lose the answer of this many writes (the write is not made)."""
    on_disk: list[str] = field(default_factory=list)
    """The entry's state in the ledger file as each write was about to be sent."""
    seen_open: list[JournalEntry] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)
    """Entries whose answer was lost."""

    def state_on_disk(self, entry: int) -> str:
        with sqlite3.connect(f"file:{self.ledger}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT state FROM adjustments WHERE id = ?", (entry,)).fetchone()
        conn.close()
        return "missing" if row is None else str(row[0])


class DeltaClient:
    def __init__(self, inner: ConnectWiseClient, journal: DeltaJournal, script: Script) -> None:
        self.inner, self.journal, self.script = inner, journal, script

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def __aenter__(self) -> DeltaClient:
        await self.inner.__aenter__()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.inner.__aexit__(kind, exc, tb)

    async def update_addition_quantity(
        self, agreement_id: int, addition_id: int, quantity: Decimal, on: date | None = None
    ) -> Addition:
        assert on is not None, "a delta needs the billing date"
        current = await self._read(agreement_id, addition_id, on)
        for entry in self.journal.open_entries(agreement_id, current.product_id):
            self.script.seen_open.append(entry)
            if current.quantity == entry.delta.after:
                self.journal.settle(entry.id, "landed", note=f"re-read: {current.quantity}")
            elif current.quantity == entry.delta.before:
                self.journal.settle(entry.id, "lost", note=f"re-read: {current.quantity}")
            else:
                raise PsaError(f"journal entry {entry.id} cannot be settled by a read")
        change = quantity - current.quantity
        delta = Delta(agreement_id, current.product_id, addition_id, on, current.quantity, change)
        entry_id = self.journal.sending(delta)
        self.script.on_disk.append(self.script.state_on_disk(entry_id))
        if self.script.lose > 0:
            self.script.lose -= 1
            self.script.lost.append(entry_id)
            self.journal.settle(entry_id, "unknown", note="connection dropped")
            raise UnknownOutcome("POST", f"adjustment (journal entry {entry_id})", "dropped")
        written = await self.inner.update_addition_quantity(agreement_id, addition_id, quantity)
        self.journal.settle(entry_id, "posted", note=f"item {entry_id}")
        return written

    async def _read(self, agreement_id: int, addition_id: int, on: date) -> Addition:
        additions = await self.inner.additions(agreement_id, on=on)
        return next(a for a in additions if a.id == addition_id)


@pytest.fixture
def world(tmp_path: Path) -> Any:
    store = Store()
    seed_large(store, CUSTOMERS, PRODUCTS, seed=1)
    with Sandbox(store) as sandbox:
        write_world_config(tmp_path, sandbox.site_url, customers=CUSTOMERS, products=PRODUCTS)
        write_usage(tmp_path, USAGE)
        yield tmp_path


def _run(directory: Path, script: Script) -> SyncReport:
    def factory(psa: Psa, *, journal: DeltaJournal | None = None) -> DeltaClient:
        inner = ConnectWiseClient(psa, policy=RetryPolicy(max_retries=0))
        return DeltaClient(inner, journal or NoJournal(), script)

    loaded = load_config(directory / "psabill.toml", {})
    runner = Runner(loaded, directory / "state", {}, psa=factory)
    return runner.sync(SyncRequest(trigger="manual", allow_drop=True, allow_rise=True))


def test_a_lost_answer_leaves_an_open_entry_the_report_and_the_next_run_see(
    world: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = Script(ledger_path(world / "state"), lose=1)

    first = _run(world, script)

    writes = CUSTOMERS * PRODUCTS
    assert script.on_disk == ["sending"] * writes  # each entry on disk before its write
    assert len(script.lost) == 1  # the injected loss fired, once
    (entry,) = script.lost
    assert first.outcome == "partial"
    assert [r.status for r in first.results].count("failed") == 1
    (alert,) = first.adjustments
    assert (alert.entry, alert.run_id, alert.state, alert.open) == (
        entry, first.run_id, "unknown", True,
    )  # fmt: skip
    said = str(alert)
    assert f"psabill adjustments resolve {entry} landed|lost" in said
    # The run summary, the --json report, the stored summary and stderr (-q too) say so.
    assert any(f"journal entry {entry}" in f.message for f in failures_of(first))
    notes = dict(notes_of(first))
    assert [said] == list(next(v for k, v in notes.items() if "may or may not" in k))
    assert report_json(first)["adjustments"][0]["message"] == said
    with Ledger.open(ledger_path(world / "state")) as ledger:
        run = ledger.run(first.run_id or 0)
        assert run is not None
        assert run.summary is not None
        assert run.summary["adjustments"] == [said]
        states = sorted(r.state for r in ledger.adjustments())
        assert states == ["posted"] * (writes - 1) + ["unknown"]
    echo_alarms(first)
    assert f"warning: {said}" in capsys.readouterr().err

    second = _run(world, script)

    assert [(e.id, e.run_id, e.state) for e in script.seen_open] == [
        (entry, first.run_id, "unknown")
    ]  # run 2 saw run 1's open entry before writing that product
    assert second.outcome == "success"
    (found,) = second.adjustments
    assert (found.entry, found.state, found.open) == (entry, "lost", False)
    assert "was found lost by a read" in str(found)
    assert script.on_disk == ["sending"] * (writes + 1)  # only the lost write was sent again
    with Ledger.open(ledger_path(world / "state")) as ledger:
        assert ledger.adjustments(open_only=True) == []

    third = _run(world, script)  # nothing open, nothing settled: nothing to say
    assert (third.outcome, third.adjustments) == ("success", [])


def test_a_run_that_loses_nothing_reports_no_adjustments(world: Path) -> None:
    script = Script(ledger_path(world / "state"))
    report = _run(world, script)
    assert report.outcome == "success"
    assert report.adjustments == []
    assert len(script.on_disk) == CUSTOMERS * PRODUCTS
    assert json.loads(json.dumps(report_json(report)["adjustments"])) == []


def test_only_a_factory_that_takes_a_journal_gets_one() -> None:
    got: list[object] = []

    def one_argument(psa: Psa) -> Any:
        got.append(("one", psa))
        return "client"

    def journaled(psa: Psa, *, journal: DeltaJournal | None = None) -> Any:
        got.append(("journaled", journal))
        return "client"

    journal = NoJournal()
    psa: Any = object()
    assert takes_journal(journaled)
    assert not takes_journal(one_argument)
    assert open_with(one_argument, psa, journal) == "client"
    assert open_with(journaled, psa, journal) == "client"
    assert open_with(journaled, psa, None) == "client"
    assert got == [("one", psa), ("journaled", journal), ("journaled", None)]
