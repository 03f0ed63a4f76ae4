"""The ledger's record of customer summaries: which company was told what, for which period.

A customer summary goes out once per PSA company and billing period, then only as a
correction when what the company is billed differs from what it was last told. Both
decisions read these rows, and each row is written in the transaction that ends its run
and queues its message (:meth:`~psabill.state.ledger.Ledger.finish_run`), so a crash can
neither lose a summary nor send one twice.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from psabill.state._base import LedgerBase
from psabill.state.db import decode_time, encode_decimal, encode_time
from psabill.state.outbox import insert_mail
from psabill.state.records import NewMail


@dataclass(frozen=True, order=True)
class BilledLine:
    """One licence line as a customer summary states it: billed ``quantity`` (never 0)."""

    account: str
    """The vendor account key the line comes from (not shown to the customer)."""
    sku: str
    agreement: str
    product: str
    quantity: Decimal

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account, self.sku, self.agreement)


@dataclass(frozen=True)
class CustomerMailRecord:
    """A customer summary queued earlier: for whom, which period, and what it said."""

    company: str
    period: str
    correction: bool
    run_id: int
    outbox_id: int
    queued_at: datetime
    lines: tuple[BilledLine, ...]
    """What the company is billed, as the summary said."""
    previous: tuple[BilledLine, ...]
    """What the summary compared it with (its "Previous" column)."""


@dataclass(frozen=True)
class NewCustomerMail:
    """A customer summary to queue with its run's end: the message and what it states."""

    company: str
    period: str
    correction: bool
    lines: tuple[BilledLine, ...]
    previous: tuple[BilledLine, ...]
    mail: NewMail


@dataclass(frozen=True)
class CustomerMailHistory:
    """What one company was told: the latest summary of ``period`` and the latest before it."""

    in_period: CustomerMailRecord | None = None
    before: CustomerMailRecord | None = None


class LedgerCustomerMail(LedgerBase):
    """Customer summary records of :class:`~psabill.state.ledger.Ledger`."""

    def customer_mail_history(
        self, wanted: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], CustomerMailHistory]:
        """For each (company, period): its latest summary of that period, and its latest
        summary of any other period (what "previous" quantities are measured against)."""
        found = {}
        with self._read("read customer summaries") as conn:
            for company, period in dict.fromkeys(wanted):
                latest = _latest(conn, "company = ? AND period = ?", (company, period))
                before = _latest(conn, "company = ? AND period != ?", (company, period))
                found[company, period] = CustomerMailHistory(latest, before)
        return found


def queue_customer_mail(
    conn: sqlite3.Connection, run_id: int, items: Sequence[NewCustomerMail], at: datetime
) -> list[int]:
    """Queue each item's message and record it, within the caller's transaction; return the
    outbox ids.

    A second first summary for one company and period violates a unique index: two runs
    can never both send "the" summary of a period.
    """
    ids = []
    for item in items:
        ids.append(insert_mail(conn, run_id, item.mail, at))
        _record(conn, run_id, ids[-1], item, at)
    return ids


def _record(
    conn: sqlite3.Connection, run_id: int, outbox_id: int, item: NewCustomerMail, at: datetime
) -> None:
    stated = {"lines": _encode(item.lines), "previous": _encode(item.previous)}
    conn.execute(
        "INSERT INTO customer_mail (company, period, correction, run_id, outbox_id, queued_at,"
        " lines_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            item.company,
            item.period,
            int(item.correction),
            run_id,
            outbox_id,
            encode_time(at),
            json.dumps(stated, ensure_ascii=False),
        ),
    )


def _latest(
    conn: sqlite3.Connection, where: str, values: tuple[str, ...]
) -> CustomerMailRecord | None:
    query = f"SELECT * FROM customer_mail WHERE {where} ORDER BY id DESC LIMIT 1"  # noqa: S608
    row = conn.execute(query, values).fetchone()
    if row is None:
        return None
    stated = json.loads(row["lines_json"])
    return CustomerMailRecord(
        company=row["company"],
        period=row["period"],
        correction=bool(row["correction"]),
        run_id=int(row["run_id"]),
        outbox_id=int(row["outbox_id"]),
        queued_at=decode_time(row["queued_at"]),
        lines=_decode(stated["lines"]),
        previous=_decode(stated["previous"]),
    )


def _encode(lines: Iterable[BilledLine]) -> list[list[str | None]]:
    return [[b.account, b.sku, b.agreement, b.product, encode_decimal(b.quantity)] for b in lines]


def _decode(rows: Iterable[list[str]]) -> tuple[BilledLine, ...]:
    return tuple(
        BilledLine(account, sku, agreement, product, Decimal(quantity))
        for account, sku, agreement, product, quantity in rows
    )
