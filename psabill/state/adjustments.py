"""The delta journal's storage: every unit adjustment psabill posted to a PSA, and its fate.

Autotask changes seats only by signed adjustments that can never be read back, updated or
deleted, so what psabill sent exists nowhere but here. Each entry is written (and synced to
disk) *before* its request goes out, then settled with what became of it. An entry still
``sending`` (a crash cut the run) or ``unknown`` (no usable answer) is *open*: the PSA may or
may not hold it, and the adapter posts nothing more for that agreement and product until a
read, or a person (``psabill adjustments resolve``), settles it.

The states (the same words as :data:`psabill.psa.base.DeltaState`; the state layer keeps its
own copy so it needs no PSA import): ``sending`` → ``posted`` | ``refused`` | ``unknown``;
``unknown`` → ``unknown`` (a newer note) | ``landed`` | ``lost``; ``sending`` and ``posted``
may also become ``landed`` or ``lost`` when a read shows which. ``refused``, ``landed`` and
``lost`` are final.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final, Literal

from psabill.state._base import LedgerBase, check_choice, row_id
from psabill.state.db import decode_time, encode_decimal, encode_time

AdjustmentState = Literal["sending", "posted", "refused", "unknown", "landed", "lost"]
OPEN_STATES: Final[tuple[AdjustmentState, ...]] = ("sending", "unknown")
"""Entries whose landing is not known: the PSA may or may not hold them."""
ADJUSTMENT_TRANSITIONS: Final[Mapping[AdjustmentState, frozenset[AdjustmentState]]] = {
    "sending": frozenset(),
    "posted": frozenset({"sending"}),
    "refused": frozenset({"sending"}),
    "unknown": frozenset({"sending", "unknown"}),
    "landed": frozenset({"sending", "unknown", "posted"}),
    "lost": frozenset({"sending", "unknown", "posted"}),
}
"""For each state, the states an entry may be in to move to it (``sending`` only by insert)."""


@dataclass(frozen=True)
class AdjustmentRecord:
    """One journal entry: ``change`` posted (or about to be) on ``day`` over ``before``."""

    id: int
    run_id: int
    agreement_id: int
    product_id: int
    reference: int | None
    day: date
    before: Decimal
    change: Decimal
    state: AdjustmentState
    note: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES


_SELECT_ALL = "SELECT * FROM adjustments ORDER BY id DESC LIMIT ?"
_SELECT_OPEN = (
    "SELECT * FROM adjustments WHERE state IN ('sending', 'unknown') ORDER BY id DESC LIMIT ?"
)
_SELECT_OF_RUN = "SELECT * FROM adjustments WHERE run_id = ? ORDER BY id"
_SELECT_OPEN_OF = (
    "SELECT * FROM adjustments WHERE agreement_id = ? AND product_id = ?"
    " AND state IN ('sending', 'unknown') ORDER BY id"
)


class LedgerAdjustments(LedgerBase):
    """The journal methods of :class:`~psabill.state.ledger.Ledger`."""

    def add_adjustment(
        self,
        run_id: int,
        *,
        agreement_id: int,
        product_id: int,
        reference: int | None,
        day: date,
        before: Decimal,
        change: Decimal,
        at: datetime,
    ) -> int:
        """Record an adjustment about to be sent, as ``sending``, in its own transaction;
        its id. On disk when this returns (``synchronous=FULL``): the request may follow.

        ValueError unless ``run_id`` is running: only a run sends.
        """
        stamp = encode_time(at)
        values = (encode_decimal(before), encode_decimal(change), stamp, stamp)
        with self._write("record a unit adjustment") as conn:
            self._require_run(conn, run_id, running=True)
            cursor = conn.execute(
                "INSERT INTO adjustments (run_id, agreement_id, product_id, reference, day,"
                " before, change, state, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'sending', ?, ?)",
                (run_id, agreement_id, product_id, reference, day.isoformat(), *values),
            )
            return row_id(cursor)

    def settle_adjustment(
        self, entry: int, state: AdjustmentState, *, note: str | None, at: datetime
    ) -> AdjustmentRecord:
        """Move entry ``entry`` to ``state`` (``note`` replaces the stored one when given);
        the entry as stored. ValueError for an unknown entry or a move
        :data:`ADJUSTMENT_TRANSITIONS` does not allow, checked in the same transaction."""
        check_choice("adjustment state", state, ADJUSTMENT_TRANSITIONS)
        with self._write("settle a unit adjustment") as conn:
            current = _select(conn, entry)
            if current is None:
                raise ValueError(f"no unit adjustment {entry} in the ledger")
            if current["state"] not in ADJUSTMENT_TRANSITIONS[state]:
                raise ValueError(
                    f"unit adjustment {entry} is {current['state']}; it cannot become {state}"
                )
            conn.execute(
                "UPDATE adjustments SET state = ?, note = COALESCE(?, note), updated_at = ?"
                " WHERE id = ?",
                (state, note, encode_time(at), entry),
            )
            row = _select(conn, entry)
            assert row is not None
            return adjustment_record(row)

    def adjustment(self, entry: int) -> AdjustmentRecord | None:
        with self._read("read a unit adjustment") as conn:
            row = _select(conn, entry)
            return None if row is None else adjustment_record(row)

    def adjustments(self, *, open_only: bool = False, limit: int = -1) -> list[AdjustmentRecord]:
        """Journal entries, newest first; ``open_only``: only ``sending``/``unknown`` ones;
        at most ``limit`` (negative: all)."""
        query = _SELECT_OPEN if open_only else _SELECT_ALL
        with self._read("list unit adjustments") as conn:
            return [adjustment_record(row) for row in conn.execute(query, (limit,))]

    def run_adjustments(self, run_id: int) -> list[AdjustmentRecord]:
        """The entries run ``run_id`` recorded, oldest first."""
        with self._read("read a run's unit adjustments") as conn:
            return [adjustment_record(row) for row in conn.execute(_SELECT_OF_RUN, (run_id,))]

    def open_adjustments(self, agreement_id: int, product_id: int) -> list[AdjustmentRecord]:
        """This agreement and product's open entries, across every run, oldest first."""
        with self._read("read open unit adjustments") as conn:
            rows = conn.execute(_SELECT_OPEN_OF, (agreement_id, product_id))
            return [adjustment_record(row) for row in rows]


def _select(conn: sqlite3.Connection, entry: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM adjustments WHERE id = ?", (entry,)
    ).fetchone()
    return row


def adjustment_record(row: sqlite3.Row) -> AdjustmentRecord:
    return AdjustmentRecord(
        id=row["id"],
        run_id=row["run_id"],
        agreement_id=row["agreement_id"],
        product_id=row["product_id"],
        reference=row["reference"],
        day=date.fromisoformat(row["day"]),
        before=Decimal(row["before"]),
        change=Decimal(row["change"]),
        state=row["state"],
        note=row["note"],
        created_at=decode_time(row["created_at"]),
        updated_at=decode_time(row["updated_at"]),
    )
