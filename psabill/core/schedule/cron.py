"""Cron expressions: validation with sentences a user can act on, and naive wall-clock iteration.

Expressions are classic 5-field cron (minute hour day-of-month month weekday) with Vixie
semantics: when both day fields are restricted, either one matching is enough. They are
evaluated on NAIVE local wall-clock times; turning a wall time into an instant (and the DST
policy that goes with it) is the schedule engine's job, not croniter's. croniter (and the
dateutil it brings) is imported only by a cron rule: monthly, weekly and daily never need it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "weekday")
_PROBE = datetime(2000, 1, 1)
# Split exactly as croniter does: a no-break space is not a field separator to cron.
_FIELD = re.compile(r"\S+", re.ASCII)
# croniter extensions whose result depends on a hash id or on chance ("H", "R(0-29)"): a billing
# slot must be the same on every machine and every invocation.
_NON_DETERMINISTIC = re.compile(r"[hr](\(\d+-\d+\))?(/\d+)?", re.ASCII | re.IGNORECASE)
# Literal rather than calendar.month_name, which follows the process locale.
_MONTHS = (
    ("January", 31), ("February", 29), ("March", 31), ("April", 30), ("May", 31), ("June", 30),
    ("July", 31), ("August", 31), ("September", 30), ("October", 31), ("November", 30),
    ("December", 31),
)  # fmt: skip


def validate_cron(expr: str) -> str | None:
    """Return None if ``expr`` is a usable 5-field cron expression, else a one-line reason.

    Usable means: exactly 5 fields (no seconds, no years, no "@daily" nicknames), no random or
    hashed fields, parsed by croniter, and it fires at least once ("0 9 30 2 *" never does).
    """
    fields = _FIELD.findall(expr)
    if len(fields) != 5:
        extra = " (seconds and years are not supported)" if len(fields) in (6, 7) else ""
        return (
            f"cron expression needs exactly 5 fields ({' '.join(FIELD_NAMES)}), "
            f"got {len(fields)}{extra}"
        )
    for name, field in zip(FIELD_NAMES, fields, strict=True):
        if any(_NON_DETERMINISTIC.fullmatch(part) for part in field.split(",")):
            return f"random or hashed {name} field {field!r} is not supported; name the times"
    from croniter import CroniterBadDateError, CroniterError, croniter

    try:
        expanded = croniter.expand(expr)[0]
    except (CroniterError, ValueError, KeyError, IndexError) as exc:
        return f"not a valid cron expression: {exc}"
    try:
        croniter(expr, _PROBE).get_next(datetime)
    except CroniterBadDateError:
        return _never_fires(expanded)
    except (CroniterError, ValueError) as exc:
        return f"not a valid cron expression: {exc}"
    return None


def _never_fires(expanded: list[list[int | str]]) -> str:
    """Explain a never-firing expression, naming the impossible dates when that is the cause."""
    days, months, weekdays = expanded[2], expanded[3], expanded[4]
    numeric = all(isinstance(v, int) for v in [*days, *months])
    if not numeric or weekdays != ["*"]:
        return "never fires"
    impossible = sorted(int(d) for d in days)
    named = [_MONTHS[int(m) - 1][0] for m in months if _MONTHS[int(m) - 1][1] < impossible[0]]
    if not named:
        return "never fires"
    day_text = " or ".join(str(d) for d in impossible)
    month_text = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]
    return f"never fires (no {day_text} {month_text})"


def cron_after(expr: str, wall: datetime) -> Iterator[datetime]:
    """Naive wall times matching ``expr`` strictly after ``wall``, ascending; ends if none left."""
    from croniter import CroniterBadDateError, croniter

    it = croniter(expr, _floor_minute(wall))
    while True:
        try:
            nominal: datetime = it.get_next(datetime)
        except CroniterBadDateError:
            return
        yield nominal


def cron_until(expr: str, wall: datetime) -> Iterator[datetime]:
    """Naive wall times matching ``expr`` at or before ``wall``, descending; ends if none left."""
    from croniter import CroniterBadDateError, croniter

    it = croniter(expr, _floor_minute(wall) + timedelta(minutes=1))
    while True:
        try:
            nominal: datetime = it.get_prev(datetime)
        except CroniterBadDateError:
            return
        yield nominal


def _floor_minute(wall: datetime) -> datetime:
    """Cron names whole minutes, so "after 06:00:30" and "after 06:00" are the same question."""
    return wall.replace(second=0, microsecond=0)
