"""The delta journal of a run, kept in the ledger, and what a person does with it.

A PSA that changes seats only by deltas (Autotask's unit adjustments) can never be asked
what it was sent, and a delta sent twice bills twice. So the adapter records each delta
through :class:`LedgerJournal` before the request goes out (on disk when ``sending``
returns), settles it after, and asks for open entries before it posts again. Entries are
kept across runs: an entry a killed run left ``sending`` blocks the next run's write for that
product until a read, or a person with ``psabill adjustments resolve``, settles it.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from psabill.core.report import AdjustmentAlert
from psabill.errors import UsageError
from psabill.psa.base import Delta, DeltaState, JournalEntry
from psabill.state import (
    AdjustmentRecord,
    Ledger,
    RunLock,
    ensure_private_dir,
    existing_ledger,
    ledger_path,
    lock_path,
)

Resolution = Literal["landed", "lost"]


class LedgerJournal:
    """:class:`~psabill.psa.base.DeltaJournal` over the ledger, for run ``run_id``.

    ``sending`` commits its row in its own synced transaction before it returns. Entries this
    run settled ``landed`` or ``lost`` are remembered for the run report (:meth:`alerts`).
    """

    keeps = True

    def __init__(self, ledger: Ledger, run_id: int, now: Callable[[], datetime]) -> None:
        self.ledger = ledger
        self.run_id = run_id
        self.now = now
        self._found: list[int] = []
        """Entries this run settled landed or lost, in order."""

    def sending(self, delta: Delta) -> int:
        return self.ledger.add_adjustment(
            self.run_id,
            agreement_id=delta.agreement_id,
            product_id=delta.product_id,
            reference=delta.reference,
            day=delta.day,
            before=delta.before,
            change=delta.change,
            at=self.now(),
        )

    def settle(self, entry: int, state: DeltaState, *, note: str | None = None) -> None:
        self.ledger.settle_adjustment(entry, state, note=note, at=self.now())
        if state in ("landed", "lost") and entry not in self._found:
            self._found.append(entry)

    def open_entries(self, agreement_id: int, product_id: int) -> list[JournalEntry]:
        return [entry_of(r) for r in self.ledger.open_adjustments(agreement_id, product_id)]

    def alerts(self) -> list[AdjustmentAlert]:
        """Every open entry in the ledger (any run's, oldest first), then the entries this run
        found landed or lost: what the run report must say."""
        still_open = sorted(self.ledger.adjustments(open_only=True), key=lambda r: r.id)
        found = [self.ledger.adjustment(entry) for entry in self._found]
        return [alert_of(record) for record in [*still_open, *found] if record is not None]


def entry_of(record: AdjustmentRecord) -> JournalEntry:
    delta = Delta(
        agreement_id=record.agreement_id,
        product_id=record.product_id,
        reference=record.reference,
        day=record.day,
        before=record.before,
        change=record.change,
    )
    return JournalEntry(record.id, delta, record.state, record.run_id)


def alert_of(record: AdjustmentRecord) -> AdjustmentAlert:
    return AdjustmentAlert(
        entry=record.id,
        run_id=record.run_id,
        agreement_id=record.agreement_id,
        product_id=record.product_id,
        day=record.day,
        change=record.change,
        state=record.state,
        note=record.note,
    )


def list_adjustments(state_dir: Path, *, open_only: bool = False) -> list[AdjustmentRecord]:
    """The journal, newest first; empty where no ledger exists (nothing is created)."""
    with existing_ledger(state_dir) as ledger:
        return ledger.adjustments(open_only=open_only) if ledger is not None else []


def resolve(
    state_dir: Path, entry: int, state: Resolution, *, by: str | None, now: datetime
) -> AdjustmentRecord:
    """Settle open entry ``entry`` as ``state``, as checked in the PSA by ``by`` (default: the
    login name), noting who and when. Holds the run lock, so no run settles it meanwhile.

    UsageError (exit 2) for an entry that is not in the journal or not open: a settled entry
    was decided by a read of the PSA, and a person does not overrule that here.
    LockedError (exit 75) while a run holds the lock.
    """
    who = by or _login()
    if not ledger_path(state_dir).exists():
        raise UsageError(f"no unit adjustment {entry}: there is no ledger yet")
    with (
        RunLock(lock_path(ensure_private_dir(state_dir))),
        Ledger.open(ledger_path(state_dir)) as ledger,
    ):
        record = ledger.adjustment(entry)
        if record is None:
            raise UsageError(
                f"no unit adjustment {entry} in the ledger", hint="see `psabill adjustments`"
            )
        if not record.open:
            raise UsageError(
                f"unit adjustment {entry} is {record.state}, not open; only a sending or "
                "unknown one can be resolved",
                hint="see `psabill adjustments --open`",
            )
        stamp = f"{now.astimezone(UTC):%Y-%m-%d %H:%M}Z"
        note = f"marked {state} by {who} at {stamp}"
        if record.note:
            note = f"{record.note}; {note}"
        return ledger.settle_adjustment(entry, state, note=note, at=now)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown user"
