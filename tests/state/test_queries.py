"""Ledger queries for the mapping and approval commands, and a summary stored at start."""

from __future__ import annotations

from decimal import Decimal

import pytest

from psabill.state import Ledger, NewLine

from .support import at


def _run(
    ledger: Ledger, lines: list[NewLine], *, dry_run: bool = False, confirm: bool = True
) -> int:
    run_id = ledger.start_run(trigger="manual", started_at=at(0), dry_run=dry_run)
    ids = ledger.add_lines(run_id, lines, at=at(0))
    for line_id in ids:
        ledger.update_line(line_id, status="confirmed" if confirm else "failed", at=at(1))
    ledger.finish_run(run_id, outcome="success", finished_at=at(2))
    return run_id


def _line(customer: str, product: str, quantity: str, agreement: int = 1) -> NewLine:
    return NewLine(
        customer=customer,
        product=product,
        action="update",
        agreement_id=agreement,
        new_quantity=Decimal(quantity),
    )


def test_last_synced_totals_sum_each_customers_latest_confirmed_line(ledger: Ledger) -> None:
    assert ledger.last_synced_totals() == {}
    _run(ledger, [_line("a", "CIXA", "10"), _line("b", "CIXA", "5"), _line("a", "LP", "2.5")])
    _run(ledger, [_line("a", "CIXA", "12")])
    _run(ledger, [_line("b", "CIXA", "99")], confirm=False)  # failed: not what the PSA holds
    _run(ledger, [_line("b", "CIXA", "77")], dry_run=True)  # dry runs never count
    assert ledger.last_synced_totals() == {"CIXA": Decimal("17"), "LP": Decimal("2.5")}


def test_runs_where_filters_by_trigger_and_outcome(ledger: Ledger) -> None:
    first = ledger.start_run(trigger="scheduled", started_at=at(0))
    ledger.finish_run(first, outcome="planned", finished_at=at(1), summary={"plan": {}})
    second = ledger.start_run(trigger="approval", started_at=at(2), summary={"approves": first})
    third = ledger.start_run(trigger="scheduled", started_at=at(3))
    ledger.finish_run(third, outcome="planned", finished_at=at(4))
    assert [r.id for r in ledger.runs_where(outcome="planned")] == [third, first]
    assert [r.id for r in ledger.runs_where(trigger="approval")] == [second]
    assert [r.id for r in ledger.runs_where(trigger="scheduled", outcome="planned")] == [
        third,
        first,
    ]
    assert [r.id for r in ledger.runs_where()] == [third, second, first]
    with pytest.raises(ValueError, match="unknown outcome"):
        ledger.runs_where(outcome="done")  # type: ignore[arg-type]


def test_a_summary_given_at_start_survives_an_interrupted_run(ledger: Ledger) -> None:
    run_id = ledger.start_run(trigger="approval", started_at=at(0), summary={"approves": 7})
    assert ledger.recover_interrupted(at=at(1)) == [run_id]
    run = ledger.run(run_id)
    assert run is not None
    assert (run.outcome, run.summary) == ("interrupted", {"approves": 7})
    other = ledger.start_run(trigger="approval", started_at=at(2), summary={"approves": 8})
    ledger.finish_run(other, outcome="failure", finished_at=at(3), summary={"approves": 8, "x": 1})
    finished = ledger.run(other)
    assert finished is not None
    assert finished.summary == {"approves": 8, "x": 1}
