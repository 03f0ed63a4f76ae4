"""The ledger's outbox: queued mail survives until it is marked sent."""

from __future__ import annotations

import pytest

from psabill.state import Ledger

from .support import T0, at

# Not UTF-8, CRLF line ends, a NUL: the stored message must come back byte for byte.
RAW = b"From: psabill@example.com\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\nbody \xff\x00\r\n"


def queue(ledger: Ledger, subject: str, minutes: int, run_id: int | None = None) -> int:
    return ledger.outbox_add(
        run_id=run_id,
        sender="psabill@example.com",
        recipients=["ops@example.com", "billing@example.com"],
        subject=subject,
        message=RAW + subject.encode(),
        created_at=at(minutes),
    )


def test_added_messages_come_back_exactly_oldest_first(ledger: Ledger) -> None:
    run_id = ledger.start_run(trigger="scheduled", started_at=T0)
    late = queue(ledger, "late", 5, run_id)
    early = queue(ledger, "early", 1)
    tie = queue(ledger, "tie", 5)

    pending = ledger.outbox_pending()

    assert [message.id for message in pending] == [early, late, tie]
    first = pending[0]
    assert first.message == RAW + b"early"
    assert first.recipients == ("ops@example.com", "billing@example.com")
    assert (first.sender, first.subject, first.created_at) == (
        "psabill@example.com",
        "early",
        at(1),
    )
    assert (first.attempts, first.last_error, first.last_attempt_at, first.sent_at) == (
        0,
        None,
        None,
        None,
    )
    assert (pending[0].run_id, pending[1].run_id) == (None, run_id)


def test_failed_messages_stay_pending_and_count_attempts(ledger: Ledger) -> None:
    message_id = queue(ledger, "report", 0)
    ledger.outbox_mark_failed(message_id, error="421 try later", at=at(1))
    ledger.outbox_mark_failed(message_id, error="connection refused", at=at(2))

    (pending,) = ledger.outbox_pending()
    assert (pending.attempts, pending.last_error, pending.last_attempt_at) == (
        2,
        "connection refused",
        at(2),
    )
    assert pending.sent_at is None


def test_sent_messages_leave_the_pending_list(ledger: Ledger) -> None:
    first = queue(ledger, "one", 0)
    second = queue(ledger, "two", 1)
    ledger.outbox_mark_failed(first, error="timeout", at=at(2))

    ledger.outbox_mark_sent(first, at=at(3))
    ledger.outbox_mark_sent(first, at=at(9))  # Already sent: nothing changes.

    assert [message.id for message in ledger.outbox_pending()] == [second]
    with pytest.raises(ValueError, match="already sent"):
        ledger.outbox_mark_failed(first, error="late failure", at=at(4))
    assert [message.id for message in ledger.outbox_pending()] == [second]


def test_unknown_ids_and_empty_recipients_are_refused(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="no outbox message"):
        ledger.outbox_mark_sent(404, at=T0)
    with pytest.raises(ValueError, match="no outbox message"):
        ledger.outbox_mark_failed(404, error="x", at=T0)
    with pytest.raises(ValueError, match="no run"):
        queue(ledger, "orphan", 0, run_id=404)
    no_recipients: tuple[list[str], str] = ([], "ops@example.com")
    for recipients in no_recipients:
        with pytest.raises(ValueError, match="recipients"):
            ledger.outbox_add(
                run_id=None,
                sender="a@example.com",
                recipients=recipients,
                subject="s",
                message=b"m",
                created_at=T0,
            )
    assert ledger.outbox_pending() == []
