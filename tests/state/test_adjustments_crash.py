"""A journal entry is on disk when ``sending`` returns: a process SIGKILLed right then, before
the request it was about to send, leaves the entry ``sending`` for the next run to find."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from psabill.app.journal import LedgerJournal
from psabill.state import Ledger

from .support import T0, Child

# Records one delta through the run's journal, says so, then waits for a line on stdin. Were it
# let go, it would settle the entry ``posted``: a ``sending`` entry after the kill proves the
# kill landed between ``sending`` returning and anything that came after it.
POSTER = """
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from psabill.app.journal import LedgerJournal
from psabill.psa.base import Delta
from psabill.state import Ledger

now = datetime(2026, 11, 1, 6, tzinfo=UTC)
ledger = Ledger.open(Path(sys.argv[1]))
run_id = ledger.start_run(trigger="manual", started_at=now)
journal = LedgerJournal(ledger, run_id, lambda: now)
entry = journal.sending(Delta(7, 30, 900, date(2026, 11, 1), Decimal(10), Decimal(3)))
print("recorded", flush=True)
sys.stdin.readline()
journal.settle(entry, "posted", note="item 1")
print("settled", flush=True)
"""


def test_an_entry_survives_a_kill_right_after_sending_returns(
    ledger_file: Path, spawn: Callable[..., Child]
) -> None:
    Ledger.open(ledger_file).close()
    poster = spawn(POSTER, str(ledger_file))
    poster.wait_for("recorded")

    poster.kill()  # asserts the child died of SIGKILL, not of its own accord

    with Ledger.open(ledger_file) as ledger:
        assert ledger.check_integrity() == []
        interrupted = ledger.recover_interrupted(at=T0)
        assert len(interrupted) == 1  # the killed run: it never finished
        (record,) = ledger.adjustments()
        assert (record.run_id, record.state, record.note) == (interrupted[0], "sending", None)
        assert (record.day, record.before, record.change) == (
            date(2026, 11, 1), Decimal(10), Decimal(3),
        )  # fmt: skip
        run_id = ledger.start_run(trigger="manual", started_at=T0)
        (found,) = LedgerJournal(ledger, run_id, lambda: T0).open_entries(7, 30)
    assert (found.id, found.state, found.run_id) == (record.id, "sending", interrupted[0])
    assert found.delta.after == Decimal(13)


def test_the_same_child_let_go_settles_its_entry(
    ledger_file: Path, spawn: Callable[..., Child]
) -> None:
    """The control: without the kill the entry would not be ``sending`` any more."""
    Ledger.open(ledger_file).close()
    poster = spawn(POSTER, str(ledger_file))
    poster.wait_for("recorded")

    assert poster.finish() == 0

    with Ledger.open(ledger_file) as ledger:
        (record,) = ledger.adjustments()
        assert (record.state, record.note) == ("posted", "item 1")
