"""The ledger's record of customer summaries: per company and period, stored with the run's end."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from psabill.errors import StateError
from psabill.state import (
    SCHEMA_VERSION,
    BilledLine,
    CustomerMailHistory,
    Ledger,
    NewCustomerMail,
    NewMail,
)
from psabill.state.db import connect
from psabill.state.migrations import MIGRATIONS, migrate

from .support import T0

LINE = BilledLine("sophos:4be1", "CIXA", "Müller - Managed", "Intercept X", Decimal("12.50"))
OLD = BilledLine("sophos:4be1", "CIXA", "Müller - Managed", "Intercept X", Decimal(10))


def summary(period: str, *, correction: bool = False, qty: str = "12.50") -> NewCustomerMail:
    line = BilledLine(LINE.account, LINE.sku, LINE.agreement, LINE.product, Decimal(qty))
    mail = NewMail("psabill@example.com", ("it@mueller.example",), f"summary {period}", b"x")
    return NewCustomerMail("muellersoehne", period, correction, (line,), (OLD,), mail)


def finish(ledger: Ledger, *items: NewCustomerMail, minutes: int = 0) -> tuple[int, list[int]]:
    run_id = ledger.start_run(trigger="manual", started_at=T0 + timedelta(minutes=minutes))
    ids = ledger.finish_run(
        run_id,
        outcome="success",
        finished_at=T0 + timedelta(minutes=minutes + 1),
        mail=[NewMail("psabill@example.com", ("billing@example.com",), "run", b"run")],
        customer_mail=items,
    )
    return run_id, ids


def test_a_summary_is_queued_and_recorded_with_the_run_end(ledger: Ledger) -> None:
    run_id, ids = finish(ledger, summary("2026-12"))
    assert len(ids) == 2  # the run summary's id, then the customer summary's
    assert [m.subject for m in ledger.outbox_pending()] == ["run", "summary 2026-12"]
    history = ledger.customer_mail_history([("muellersoehne", "2026-12")])
    record = history["muellersoehne", "2026-12"].in_period
    assert record is not None
    assert (record.run_id, record.outbox_id, record.correction) == (run_id, ids[1], False)
    assert record.queued_at == T0 + timedelta(minutes=1)
    assert record.lines == (LINE,)  # the quantity exactly, 12.50 not 12.5
    assert str(record.lines[0].quantity) == "12.50"
    assert record.previous == (OLD,)


def test_history_finds_the_latest_of_the_period_and_the_latest_of_another(
    ledger: Ledger,
) -> None:
    finish(ledger, summary("2026-11", qty="7"))
    finish(ledger, summary("2026-12"), minutes=10)
    finish(ledger, summary("2026-12", correction=True, qty="14"), minutes=20)
    history = ledger.customer_mail_history(
        [("muellersoehne", "2026-12"), ("muellersoehne", "2027-01"), ("other", "2026-12")]
    )
    december = history["muellersoehne", "2026-12"]
    assert december.in_period is not None
    assert december.in_period.correction
    assert december.in_period.lines[0].quantity == Decimal(14)
    assert december.before is not None
    assert december.before.period == "2026-11"
    january = history["muellersoehne", "2027-01"]
    assert january.in_period is None
    assert january.before is not None
    assert january.before.lines[0].quantity == Decimal(14)
    assert history["other", "2026-12"] == CustomerMailHistory()


def test_a_second_first_summary_of_a_period_rolls_the_whole_run_end_back(ledger: Ledger) -> None:
    """One transaction: the run stays unfinished and nothing is queued, not even its summary."""
    finish(ledger, summary("2026-12"))
    before = len(ledger.outbox_pending())
    run_id = ledger.start_run(trigger="manual", started_at=T0 + timedelta(hours=1))
    with pytest.raises(StateError) as refused:
        ledger.finish_run(
            run_id,
            outcome="success",
            finished_at=T0 + timedelta(hours=2),
            mail=[NewMail("psabill@example.com", ("billing@example.com",), "run 2", b"r")],
            customer_mail=[summary("2026-12")],
        )
    assert "UNIQUE" in str(refused.value.__cause__)  # the fault injected is the one that fired
    run = ledger.run(run_id)
    assert run is not None
    assert run.outcome == "running"
    assert len(ledger.outbox_pending()) == before


def test_a_ledger_of_schema_2_gains_the_customer_mail_table(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    old = connect(path)
    try:
        assert migrate(old, path, MIGRATIONS[:2]) == 2
        old.execute(
            "INSERT INTO missed_periods (customer, slot_key, period, slot_at, reported_at)"
            " VALUES ('acme', '2026-11-01T06:00', '2026-11', '2026-11-01T11:00:00Z',"
            " '2026-11-05T11:00:00Z')"
        )
        old.commit()
    finally:
        old.close()
    with Ledger.open(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION >= 3
        assert ledger.note_missed([], at=T0) == []
        history = ledger.customer_mail_history([("muellersoehne", "2026-12")])
        assert history["muellersoehne", "2026-12"] == CustomerMailHistory()
        finish(ledger, summary("2026-12"))
    raw = connect(path)
    try:
        kept = raw.execute("SELECT customer, period FROM missed_periods").fetchall()
        assert [tuple(row) for row in kept] == [("acme", "2026-11")]
        assert raw.execute("SELECT COUNT(*) FROM customer_mail").fetchone()[0] == 1
    finally:
        raw.close()
