"""Runs and their lines: lifecycle, status moves, exact quantities, recovery."""

from __future__ import annotations

import os
import socket
from decimal import Decimal

import pytest

from psabill.state import Ledger, LineCounts, LineStatus, NewLine

from .support import T0, at, line


def test_run_lifecycle(ledger: Ledger) -> None:
    run_id = ledger.start_run(
        trigger="approval",
        started_at=at(0),
        slot_key="monthly",
        period="2026-11",
        acting_admin="ann@example.com",
        version="1.2.3",
    )
    started = ledger.run(run_id)
    assert started is not None
    assert (started.outcome, started.finished_at, started.summary) == ("running", None, None)
    assert (started.pid, started.hostname) == (os.getpid(), socket.gethostname())
    assert (started.trigger, started.slot_key, started.period) == ("approval", "monthly", "2026-11")
    assert (started.acting_admin, started.version, started.dry_run) == (
        "ann@example.com",
        "1.2.3",
        False,
    )

    ledger.finish_run(
        run_id, outcome="partial", finished_at=at(5), summary={"sent": 3, "qty": Decimal("2.50")}
    )

    finished = ledger.run(run_id)
    assert finished is not None
    assert (finished.outcome, finished.finished_at) == ("partial", at(5))
    assert finished.summary == {"sent": 3, "qty": "2.50"}
    assert ledger.run(run_id + 1) is None


def test_lines_move_planned_sent_confirmed(ledger: Ledger) -> None:
    run_id = ledger.start_run(trigger="scheduled", started_at=T0)
    first, second = ledger.add_lines(
        run_id,
        [
            line(product="A", agreement_id=7, old_quantity=Decimal("3"), new_quantity=Decimal("5")),
            line(product="B", why="new seats", company="Acme Ltd"),
        ],
        at=at(0),
    )

    ledger.update_line(first, status="sent", at=at(1))
    ledger.update_line(first, status="confirmed", at=at(2), addition_id=901)
    ledger.update_line(
        second, status="failed", at=at(3), error="HTTP 400", old_quantity=Decimal("1")
    )

    a, b = ledger.lines(run_id)
    assert (a.id, a.status, a.addition_id, a.updated_at) == (first, "confirmed", 901, at(2))
    assert (a.old_quantity, a.new_quantity, a.agreement_id) == (Decimal("3"), Decimal("5"), 7)
    assert (b.id, b.status, b.error, b.old_quantity) == (second, "failed", "HTTP 400", Decimal("1"))
    assert (b.why, b.company) == ("new seats", "Acme Ltd")
    record = ledger.run(run_id)
    assert record is not None
    assert record.line_counts == LineCounts(confirmed=1, failed=1)
    assert record.line_counts.total == 2


def test_update_line_keeps_fields_it_is_not_given(ledger: Ledger) -> None:
    run_id = ledger.start_run(trigger="scheduled", started_at=T0)
    (line_id,) = ledger.add_lines(run_id, [line(old_quantity=Decimal("4"))], at=T0)
    ledger.update_line(line_id, status="sent", at=at(1), addition_id=55)
    ledger.update_line(line_id, status="confirmed", at=at(2))

    (stored,) = ledger.lines(run_id)
    assert (stored.addition_id, stored.old_quantity) == (55, Decimal("4"))


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ((), "planned"),
        (("sent", "confirmed"), "sent"),
        (("confirmed",), "failed"),
        (("failed",), "confirmed"),
        (("skipped",), "sent"),
        (("sent",), "skipped"),
    ],
)
def test_illegal_line_moves_are_refused(
    ledger: Ledger, path: tuple[LineStatus, ...], illegal: LineStatus
) -> None:
    run_id = ledger.start_run(trigger="scheduled", started_at=T0)
    (line_id,) = ledger.add_lines(run_id, [line()], at=T0)
    for status in path:
        ledger.update_line(line_id, status=status, at=T0)
    before = ledger.lines(run_id)

    with pytest.raises(ValueError, match="cannot become"):
        ledger.update_line(line_id, status=illegal, at=at(9), error="x")

    assert ledger.lines(run_id) == before


@pytest.mark.parametrize(
    "text", ["12.50", "0", "0.000", "-3", "1E+3", "0.1", "123456789012345678901234567890.000000001"]
)
def test_quantities_round_trip_exactly(ledger: Ledger, text: str) -> None:
    run_id = ledger.start_run(trigger="manual", started_at=T0)
    ledger.add_lines(run_id, [line(old_quantity=Decimal(text), new_quantity=Decimal(text))], at=T0)

    (stored,) = ledger.lines(run_id)
    assert stored.new_quantity is not None
    assert str(stored.new_quantity) == text
    assert stored.old_quantity == stored.new_quantity == Decimal(text)


@pytest.mark.parametrize(
    ("quantity", "error"),
    [(12.5, TypeError), (Decimal("NaN"), ValueError), (Decimal("Inf"), ValueError)],
)
def test_floats_and_non_finite_quantities_are_refused(
    ledger: Ledger, quantity: object, error: type[Exception]
) -> None:
    run_id = ledger.start_run(trigger="manual", started_at=T0)
    with pytest.raises(error):
        ledger.add_lines(run_id, [line(), line(new_quantity=quantity)], at=T0)
    assert ledger.lines(run_id) == []


def test_lines_only_go_to_a_running_run(ledger: Ledger) -> None:
    run_id = ledger.start_run(trigger="manual", started_at=T0)
    ledger.finish_run(run_id, outcome="success", finished_at=at(1))

    with pytest.raises(ValueError, match="already finished"):
        ledger.add_lines(run_id, [line()], at=T0)
    with pytest.raises(ValueError, match="no run"):
        ledger.add_lines(run_id + 1, [line()], at=T0)
    with pytest.raises(ValueError, match="no run line"):
        ledger.update_line(12345, status="sent", at=T0)


def test_a_run_finishes_once_and_never_as_running(ledger: Ledger) -> None:
    run_id = ledger.start_run(trigger="manual", started_at=T0)
    with pytest.raises(ValueError, match="outcome"):
        ledger.finish_run(run_id, outcome="running", finished_at=at(1))
    ledger.finish_run(run_id, outcome="failure", finished_at=at(1))

    with pytest.raises(ValueError, match="already finished"):
        ledger.finish_run(run_id, outcome="success", finished_at=at(2))
    record = ledger.run(run_id)
    assert record is not None
    assert (record.outcome, record.finished_at) == ("failure", at(1))


def test_runs_are_listed_newest_first_with_a_limit(ledger: Ledger) -> None:
    ids = [ledger.start_run(trigger="scheduled", started_at=at(i)) for i in range(5)]
    assert [run.id for run in ledger.runs(limit=3)] == ids[::-1][:3]
    assert [run.id for run in ledger.runs()] == ids[::-1]


def test_recover_interrupted_marks_only_running_runs(ledger: Ledger) -> None:
    dead_1 = ledger.start_run(trigger="scheduled", started_at=at(0))
    done = ledger.start_run(trigger="manual", started_at=at(1))
    dead_2 = ledger.start_run(trigger="approval", started_at=at(2))
    ledger.finish_run(done, outcome="success", finished_at=at(3))
    (sent,) = ledger.add_lines(dead_2, [line()], at=at(2))
    ledger.update_line(sent, status="sent", at=at(2))

    assert ledger.recover_interrupted(at=at(10)) == [dead_1, dead_2]

    outcomes = {run.id: (run.outcome, run.finished_at) for run in ledger.runs()}
    assert outcomes == {
        dead_1: ("interrupted", at(10)),
        done: ("success", at(3)),
        dead_2: ("interrupted", at(10)),
    }
    assert [item.status for item in ledger.lines(dead_2)] == ["sent"]
    assert ledger.recover_interrupted(at=at(11)) == []


def test_last_confirmed_quantities_takes_the_latest_confirmed_line(ledger: Ledger) -> None:
    def run_with(status: LineStatus, *lines: NewLine, dry_run: bool = False) -> None:
        run_id = ledger.start_run(trigger="scheduled", started_at=T0, dry_run=dry_run)
        for line_id in ledger.add_lines(run_id, lines, at=T0):
            ledger.update_line(line_id, status=status, at=T0)

    run_with("confirmed", line(product="A", agreement_id=1, new_quantity=Decimal("10")))
    run_with("confirmed", line(product="A", agreement_id=1, new_quantity=Decimal("12.50")))
    run_with("failed", line(product="A", agreement_id=1, new_quantity=Decimal("99")))
    run_with(
        "confirmed", line(product="A", agreement_id=1, new_quantity=Decimal("77")), dry_run=True
    )
    run_with("confirmed", line(product="A", agreement_id=2, new_quantity=Decimal("3")))
    run_with("confirmed", line(product="B", new_quantity=Decimal("0")))
    run_with("confirmed", line(product="C", new_quantity=Decimal("5")))
    run_with("confirmed", line(product="C", new_quantity=None))
    run_with(
        "confirmed", line(customer="other", product="A", agreement_id=1, new_quantity=Decimal("1"))
    )

    assert ledger.last_confirmed_quantities("acme") == {
        ("A", 1): Decimal("12.50"),
        ("A", 2): Decimal("3"),
        ("B", None): Decimal("0"),
    }
    assert ledger.last_confirmed_quantities("nobody") == {}


def test_known_additions_are_the_latest_confirmed_ids(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from psabill.state import Ledger, NewLine

    at = datetime(2026, 12, 1, tzinfo=UTC)
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        for addition_id in (5, 9):
            run_id = ledger.start_run(trigger="manual", started_at=at)
            (line,) = ledger.add_lines(
                run_id, [NewLine(customer="c", product="A", action="update")], at=at
            )
            ledger.update_line(line, status="confirmed", at=at, addition_id=addition_id)
            ledger.finish_run(run_id, outcome="success", finished_at=at)
        run_id = ledger.start_run(trigger="manual", started_at=at)
        (line,) = ledger.add_lines(
            run_id, [NewLine(customer="c", product="A", action="update")], at=at
        )
        ledger.update_line(line, status="failed", at=at, addition_id=11, error="x")
        assert ledger.known_additions() == {("c", "A"): 9}
