"""Nominal times: the naive local wall-clock times a rule names, before any DST policy.

Calendar modes are plain date arithmetic, one nominal per billing period (month, ISO week,
day); cron mode delegates to croniter on naive datetimes. Both directions are lazy generators
so callers take only what they need.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from psabill.core.schedule.cron import cron_after, cron_until

if TYPE_CHECKING:
    from psabill.core.schedule.engine import Rule


def nominals_after(rule: Rule, wall: datetime) -> Iterator[datetime]:
    """Nominal times strictly after the naive ``wall``, ascending, until cron or datetime ends."""
    if rule.mode == "cron":
        assert rule.cron is not None
        yield from cron_after(rule.cron, wall)
        return
    day = wall.date()
    while True:
        nominal = _nominal_in_period(rule, day)
        if nominal > wall:
            yield nominal
        try:
            day = _step_period(rule, day, forward=True)
        except OverflowError:  # the end of datetime's range: no later slot to name
            return


def nominals_until(rule: Rule, wall: datetime) -> Iterator[datetime]:
    """Nominal times at or before the naive ``wall``, descending, until cron or datetime ends."""
    if rule.mode == "cron":
        assert rule.cron is not None
        yield from cron_until(rule.cron, wall)
        return
    day = wall.date()
    while True:
        nominal = _nominal_in_period(rule, day)
        if nominal <= wall:
            yield nominal
        try:
            day = _step_period(rule, day, forward=False)
        except OverflowError:  # the start of datetime's range: no earlier slot to name
            return


def _nominal_in_period(rule: Rule, day: date) -> datetime:
    """The one nominal time in the billing period (month, ISO week or day) containing ``day``.

    Monthly days past the month's end are clamped to its last day, so day 31 runs on Feb 28
    (or 29), Apr 30, ...: never skipped, never doubled.
    """
    if rule.mode == "monthly":
        assert rule.day is not None
        last_day = calendar.monthrange(day.year, day.month)[1]
        day = day.replace(day=min(rule.day, last_day))
    elif rule.mode == "weekly":
        assert rule.weekday is not None
        day += timedelta(days=rule.weekday - day.weekday())
    return datetime.combine(day, time(rule.hour))


def _step_period(rule: Rule, day: date, *, forward: bool) -> date:
    """A date inside the period after (``forward``) or before the one containing ``day``."""
    if rule.mode == "monthly":
        first = day.replace(day=1)
        return (first + timedelta(days=32)).replace(day=1) if forward else first - timedelta(days=1)
    step = timedelta(days=7 if rule.mode == "weekly" else 1)
    return day + step if forward else day - step
