"""The ledger's side of "which customers are due": last completed slots per target.

The decisions themselves are pure (:mod:`psabill.core.due`); this module only
reads what they need from the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psabill.core.due import LastCompleted
from psabill.core.schedule.engine import Completed
from psabill.state import Ledger, existing_ledger


def last_completed_in(ledger: Ledger) -> LastCompleted:
    """Each target's last completed period, as the schedule engine wants it: every
    customer's read at once (one query), so thousands of customers cost one."""
    found = {
        key: Completed(period=record.period, at=record.slot_at)
        for key, record in ledger.last_completed_all().items()
    }
    return found.get


@contextmanager
def completed_reader(state_dir: Path) -> Iterator[LastCompleted]:
    """Read last completed slots, without creating a ledger where none exists yet."""
    with existing_ledger(state_dir) as ledger:
        yield last_completed_in(ledger) if ledger else (lambda key: None)
