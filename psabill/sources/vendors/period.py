"""Which month of usage a vendor source reads for a run: pure date arithmetic.

Vendors publish usage per calendar month. A monthly billing period reads its own month (or,
with ``usage_month = "previous"``, the month before: a run early in December bills November,
which Sophos publishes once it has ended). Weekly and daily periods read the month they fall
in so far, and say so, since that month is not over yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Literal


@dataclass(frozen=True)
class RunMoment:
    """What a source needs to know about the run reading it."""

    now: datetime
    """The run's instant (aware)."""
    zone: tzinfo = UTC
    """The account's time zone: months begin at midnight there."""
    mode: str = "monthly"
    """The ``[schedule] mode``: monthly (and cron) bill whole months, weekly and daily do not."""


@dataclass(frozen=True)
class UsageMonth:
    year: int
    month: int
    partial: bool
    """The month is not over at the run's instant: its usage so far."""

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)


def usage_month(moment: RunMoment, option: Literal["current", "previous"]) -> UsageMonth:
    """The month to read: see the module docstring."""
    today = moment.now.astimezone(moment.zone).date()
    if option == "previous":
        return UsageMonth(*previous_month(today), partial=False)
    return UsageMonth(today.year, today.month, partial=moment.mode in ("weekly", "daily"))


def previous_month(day: date) -> tuple[int, int]:
    """(year, month) of the month before ``day``'s."""
    return (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
