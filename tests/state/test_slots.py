"""Completed billing periods: the once-per-period record, per customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from psabill.state import Ledger

from .support import T0, at


def test_complete_slots_and_last_completed_per_customer(ledger: Ledger) -> None:
    nov = ledger.start_run(trigger="scheduled", started_at=at(0))
    nov_at = datetime(2026, 11, 1, 6, tzinfo=UTC)
    dec_at = datetime(2026, 12, 1, 6, tzinfo=UTC)
    ledger.complete_slots(
        nov,
        customers=["acme", "globex", "acme"],
        period="2026-11",
        slot_key="m",
        slot_at=nov_at,
        completed_at=at(1),
    )
    dec = ledger.start_run(trigger="scheduled", started_at=at(2))
    ledger.complete_slots(
        dec, customers=["acme"], period="2026-12", slot_key="m", slot_at=dec_at, completed_at=at(3)
    )
    # An older period completed later (a catch-up) does not hide the newer one.
    oct_at = nov_at - timedelta(days=31)
    ledger.complete_slots(
        dec, customers=["acme"], period="2026-10", slot_key="m", slot_at=oct_at, completed_at=at(4)
    )

    acme = ledger.last_completed("acme")
    globex = ledger.last_completed("globex")
    assert acme is not None
    assert (acme.period, acme.slot_at, acme.run_id, acme.completed_at) == (
        "2026-12",
        dec_at,
        dec,
        at(3),
    )
    assert globex is not None
    assert (globex.period, globex.slot_at, globex.run_id) == ("2026-11", nov_at, nov)
    assert ledger.last_completed("initech") is None


def test_completing_a_period_again_replaces_the_record(ledger: Ledger) -> None:
    first = ledger.start_run(trigger="scheduled", started_at=at(0))
    second = ledger.start_run(trigger="manual", started_at=at(1))
    for run_id in (first, second):
        ledger.complete_slots(
            run_id,
            customers=["acme"],
            period="2026-11",
            slot_key="m",
            slot_at=T0,
            completed_at=at(run_id),
        )
    record = ledger.last_completed("acme")
    assert record is not None
    assert (record.run_id, record.completed_at) == (second, at(second))


def test_a_dry_run_cannot_complete_a_period(ledger: Ledger) -> None:
    dry = ledger.start_run(trigger="manual", started_at=T0, dry_run=True)
    with pytest.raises(ValueError, match="dry run"):
        ledger.complete_slots(
            dry, customers=["acme"], period="2026-11", slot_key="m", slot_at=T0, completed_at=T0
        )
    assert ledger.last_completed("acme") is None
