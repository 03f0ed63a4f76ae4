"""The billing schedule engine: is a run due now, for which slot and billing period?

Pure: time is a parameter (``now``), the ledger is a parameter (``last``), nothing reads the
clock. The caller calls ``evaluate`` once per account or customer and records a ``Completed``
only when a run succeeds, so a failed run leaves its slot due.

A rule names local wall-clock times (*nominal* times) in the account's IANA zone; each becomes a
``Slot`` firing at an instant under the DST policy in :mod:`.wallclock`. Runs are keyed
by slot and billing period, never by timestamp. Only the latest past slot can ever be due:
older unrun slots are reported as missed, never replayed, so a machine that was off for a month
produces at most one run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, islice, takewhile
from typing import Literal
from zoneinfo import ZoneInfo

from psabill.core.schedule.cron import validate_cron
from psabill.core.schedule.durations import describe_lateness, format_duration, parse_duration
from psabill.core.schedule.nominal import nominals_after, nominals_until
from psabill.core.schedule.wallclock import DstCase, require_aware, to_instant, wall_time

__all__ = [
    "MAX_LISTED",
    "WEEKDAYS",
    "Completed",
    "Due",
    "Mode",
    "NotDue",
    "Rule",
    "Slot",
    "evaluate",
    "format_duration",
    "next_slots",
    "parse_duration",
    "previous_slot",
    "slots_between",
    "validate_cron",
]

Mode = Literal["monthly", "weekly", "daily", "cron"]
MODES: tuple[Mode, ...] = ("monthly", "weekly", "daily", "cron")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_LISTED = 24
"""Most missed slots ever listed; older ones are not enumerated, so a 10-year gap stays cheap."""


@dataclass(frozen=True)
class Rule:
    """When an account bills: one of four modes, hours being whole local hours 0-23.

    Raises ValueError on construction if the fields do not fit the mode.
    """

    mode: Mode
    hour: int = 0
    day: int | None = None
    weekday: int | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        problem = _rule_problem(self)
        if problem is not None:
            raise ValueError(problem)

    def describe(self) -> str:
        """One line for humans, e.g. "weekly on Monday at 06:00"."""
        at = f"at {self.hour:02d}:00"
        if self.mode == "monthly":
            note = " (29-31 run on the month's last day in shorter months)"
            return f"monthly on day {self.day} {at}" + (note if (self.day or 0) > 28 else "")
        if self.mode == "weekly":
            return f"weekly on {WEEKDAYS[self.weekday or 0].capitalize()} {at}"
        if self.mode == "daily":
            return f"daily {at}"
        return f"cron '{self.cron}'"


def _rule_problem(rule: Rule) -> str | None:
    """The first inconsistency in ``rule`` as a sentence, or None if it is usable."""
    if rule.mode not in MODES:
        return f"unknown schedule mode {rule.mode!r}; expected one of {', '.join(MODES)}"
    owners = {"day": "monthly", "weekday": "weekly", "cron": "cron"}
    for name, owner in owners.items():
        if getattr(rule, name) is not None and rule.mode != owner:
            return f"{name} is only used in {owner} mode, not {rule.mode}"
    if rule.mode == "cron":
        if rule.cron is None:
            return "cron mode needs a cron expression, e.g. '0 6 * * 1-5'"
        reason = validate_cron(rule.cron)
        return None if reason is None else f"cron expression {rule.cron!r}: {reason}"
    if not _int_in(rule.hour, 0, 23):
        return f"hour must be a whole hour from 0 to 23, got {rule.hour!r}"
    if rule.mode == "monthly" and not _int_in(rule.day, 1, 31):
        return f"monthly mode needs a day of the month from 1 to 31, got {rule.day!r}"
    if rule.mode == "weekly" and not _int_in(rule.weekday, 0, 6):
        return f"weekly mode needs a weekday from 0 (Monday) to 6 (Sunday), got {rule.weekday!r}"
    return None


def _int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


@dataclass(frozen=True)
class Slot:
    """One firing of a rule: the wall time it names, the instant it fires, and its keys."""

    nominal: datetime
    at: datetime
    period: str
    key: str
    clamped: bool
    dst: DstCase

    def local(self, zone: ZoneInfo) -> datetime:
        """``at`` as an aware datetime in ``zone`` (differs from ``nominal`` in a DST gap)."""
        return self.at.astimezone(zone)


@dataclass(frozen=True)
class Completed:
    """The ledger's last successful run: its period, and an aware instant at or after its slot.

    ``at`` may be the completion time or the slot's own ``at``; either way a slot firing at or
    before it counts as covered, which is what keeps a late completion from running twice.
    """

    period: str
    at: datetime


@dataclass(frozen=True)
class Due:
    """Run now for ``slot``; ``missed``: older unrun slots (at most MAX_LISTED, oldest first)."""

    slot: Slot
    missed: tuple[Slot, ...]
    late_by: timedelta


@dataclass(frozen=True)
class NotDue:
    """Nothing to run now; ``reason`` says why, ``missed`` lists unrun slots past catch-up."""

    next_slot: Slot | None
    missed: tuple[Slot, ...]
    reason: str


def next_slots(rule: Rule, zone: ZoneInfo, after: datetime, n: int) -> list[Slot]:
    """The first ``n`` slots firing strictly after the aware instant ``after``, ascending.

    Fewer than ``n`` only if a cron rule stops firing. Raises ValueError if ``after`` is naive
    or ``n`` is negative.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    return list(islice(_forward(rule, zone, after), n))


def slots_between(rule: Rule, zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[Slot]:
    """Slots with ``start < at <= end``, ascending, generated lazily. Both bounds are aware."""
    require_aware("start", start)
    require_aware("end", end)
    return takewhile(lambda slot: slot.at <= end, _forward(rule, zone, start))


def previous_slot(rule: Rule, zone: ZoneInfo, now: datetime) -> Slot | None:
    """The latest slot with ``at <= now``, or None if the rule has never fired before ``now``."""
    return next(_backward(rule, zone, now), None)


def evaluate(
    rule: Rule, zone: ZoneInfo, last: Completed | None, now: datetime, catch_up: timedelta
) -> Due | NotDue:
    """Decide whether a run is due at ``now``, given the last completed run (None: never ran).

    Only the latest slot S with ``S.at <= now`` can be due. It is due unless the ledger already
    covers it (same period, or completed at or after ``S.at``) or it is more than ``catch_up``
    late. Work is bounded by MAX_LISTED whatever the gap since ``last``.
    """
    require_aware("now", now)
    if last is not None:
        require_aware("last completed time", last.at)
    if catch_up < timedelta(0):
        raise ValueError(f"catch-up window must not be negative, got {catch_up}")
    current = previous_slot(rule, zone, now)
    if current is None:
        return NotDue(_first(_forward(rule, zone, now)), (), "no slot has come yet")
    if last is not None and (last.period == current.period or last.at >= current.at):
        return NotDue(_first(_forward(rule, zone, now)), (), _already_ran(last, current))
    missed = _missed_before(rule, zone, current, last)
    late_by = now - current.at
    if late_by <= catch_up:
        return Due(current, missed, late_by)
    reason = (
        f"last slot {current.key} is {describe_lateness(late_by)} late, "
        f"past the {format_duration(catch_up)} catch-up window"
    )
    listed = (*missed, current)[-MAX_LISTED:]
    return NotDue(_first(_forward(rule, zone, now)), listed, reason)


def _already_ran(last: Completed, current: Slot) -> str:
    if last.period == current.period:
        return f"already ran for period {current.period} (slot {current.key})"
    return (
        f"already ran for period {last.period} at {last.at.isoformat(timespec='minutes')}, "
        f"not before slot {current.key}"
    )


def _missed_before(
    rule: Rule, zone: ZoneInfo, current: Slot, last: Completed | None
) -> tuple[Slot, ...]:
    """Slots after ``last`` and before ``current`` whose period was not completed, oldest first.

    Searches backwards from ``current`` so a long gap costs at most MAX_LISTED steps. Nothing is
    listed without a ledger entry: a brand-new account has no history to have missed.
    """
    if last is None:
        return ()
    earlier = islice(_backward(rule, zone, current.at), 1, None)
    unrun = (
        slot
        for slot in takewhile(lambda slot: slot.at > last.at, earlier)
        if slot.period != last.period
    )
    return tuple(reversed(list(islice(unrun, MAX_LISTED))))


def _first(slots: Iterator[Slot]) -> Slot | None:
    return next(slots, None)


def _make_slot(rule: Rule, zone: ZoneInfo, nominal: datetime) -> Slot:
    at, dst = to_instant(nominal, zone)
    key = nominal.isoformat(timespec="minutes")
    clamped = rule.mode == "monthly" and nominal.day != rule.day
    return Slot(nominal, at, _period(rule, nominal, key), key, clamped, dst)


def _period(rule: Rule, nominal: datetime, key: str) -> str:
    if rule.mode == "monthly":
        return f"{nominal.year:04d}-{nominal.month:02d}"
    if rule.mode == "weekly":
        iso = nominal.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if rule.mode == "daily":
        return nominal.date().isoformat()
    return key


def _forward(rule: Rule, zone: ZoneInfo, after: datetime) -> Iterator[Slot]:
    """Slots with ``at > after``, ascending, each instant once (its earliest nominal wins).

    Every nominal whose instant is after ``after`` is later than the wall reading at ``after``
    (the DST mapping is monotonic), so the search starts there; the few nominals that still map
    to ``after`` or earlier (the second pass through an overlap) are skipped.
    """
    require_aware("after", after)
    previous_at: datetime | None = None
    for nominal in nominals_after(rule, wall_time(after, zone)):
        slot = _make_slot(rule, zone, nominal)
        if slot.at <= after or slot.at == previous_at:
            continue
        previous_at = slot.at
        yield slot


def _backward(rule: Rule, zone: ZoneInfo, now: datetime) -> Iterator[Slot]:
    """Slots with ``at <= now``, descending, each instant once under its earliest nominal.

    Nominals up to the wall reading at ``now`` all qualify; during the second pass through an
    overlap a few later nominals (mapped to the first pass) qualify too, so those come first.
    """
    require_aware("now", now)
    wall = wall_time(now, zone)
    ahead = (_make_slot(rule, zone, nominal) for nominal in nominals_after(rule, wall))
    past = list(takewhile(lambda slot: slot.at <= now, ahead))
    behind = (_make_slot(rule, zone, nominal) for nominal in nominals_until(rule, wall))
    return _earliest_per_instant(chain(reversed(past), behind))


def _earliest_per_instant(descending: Iterable[Slot]) -> Iterator[Slot]:
    """Collapse runs of equal ``at`` (several nominals in one DST gap) to their earliest nominal."""
    pending: Slot | None = None
    for slot in descending:
        if pending is not None and slot.at != pending.at:
            yield pending
        pending = slot
    if pending is not None:
        yield pending
