"""core.schedule.engine: calendar and DST tables, due decisions, cron slots, rule validation.

Expected values are written out literally (month lengths, UTC instants worked out by hand from
the zones' published offsets) rather than recomputed the way the engine computes them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from psabill.core.schedule.engine import (
    Rule,
    Slot,
    next_slots,
    previous_slot,
    slots_between,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
ADELAIDE = ZoneInfo("Australia/Adelaide")
KOLKATA = ZoneInfo("Asia/Kolkata")
DAYS_2027 = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
DAYS_2028 = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def keys(slots: list[Slot] | tuple[Slot, ...]) -> list[str]:
    return [slot.key for slot in slots]


# --- calendar tables --------------------------------------------------------------------------


@pytest.mark.parametrize(("year", "lengths"), [(2027, DAYS_2027), (2028, DAYS_2028)])
@pytest.mark.parametrize("day", [29, 30, 31])
def test_monthly_29_to_31_run_on_the_last_day_of_shorter_months(
    year: int, lengths: tuple[int, ...], day: int
) -> None:
    slots = next_slots(Rule("monthly", hour=6, day=day), BERLIN, utc(year - 1, 12, 31, 12), 12)
    assert [s.nominal.date() for s in slots] == [
        date(year, month, min(day, length)) for month, length in enumerate(lengths, start=1)
    ]
    assert [s.clamped for s in slots] == [length < day for length in lengths]
    assert [s.period for s in slots] == [f"{year}-{month:02d}" for month in range(1, 13)]


@pytest.mark.parametrize(
    ("day", "after", "key", "clamped"),
    [
        (31, utc(2027, 2, 1), "2027-02-28T06:00", True),
        (31, utc(2028, 2, 1), "2028-02-29T06:00", True),
        (29, utc(2027, 2, 1), "2027-02-28T06:00", True),
        (29, utc(2028, 2, 1), "2028-02-29T06:00", False),
        (30, utc(2027, 4, 1), "2027-04-30T06:00", False),
        (31, utc(2027, 4, 1), "2027-04-30T06:00", True),
        (31, utc(2027, 2, 28, 6), "2027-03-31T06:00", False),  # the clamped Feb slot has passed
    ],
)
def test_monthly_clamping_spot_checks(day: int, after: datetime, key: str, clamped: bool) -> None:
    [slot] = next_slots(Rule("monthly", hour=6, day=day), ZoneInfo("UTC"), after, 1)
    assert (slot.key, slot.clamped) == (key, clamped)


@pytest.mark.parametrize("day", range(1, 29))
def test_monthly_days_1_to_28_are_never_moved(day: int) -> None:
    slots = next_slots(Rule("monthly", hour=0, day=day), SYDNEY, utc(2026, 12, 31), 24)
    assert {s.nominal.day for s in slots} == {day}
    assert not any(s.clamped for s in slots)
    assert slots[0].period == "2027-01"
    assert slots[-1].period == "2028-12"


@pytest.mark.parametrize("weekday", range(7))
def test_weekly_runs_on_its_weekday_once_per_iso_week(weekday: int) -> None:
    # 2026-11-16 is the Monday of ISO week 47; `after` is Sunday evening the 15th in New York.
    slots = next_slots(Rule("weekly", hour=6, weekday=weekday), NEW_YORK, utc(2026, 11, 16), 3)
    monday = datetime(2026, 11, 16, 6)
    assert [s.nominal for s in slots] == [monday + timedelta(days=weekday + w) for w in (0, 7, 14)]
    assert [s.period for s in slots] == ["2026-W47", "2026-W48", "2026-W49"]


def test_weekly_period_uses_the_iso_year() -> None:
    sunday = next_slots(Rule("weekly", hour=6, weekday=6), KOLKATA, utc(2026, 12, 29), 1)[0]
    monday = next_slots(Rule("weekly", hour=6, weekday=0), KOLKATA, utc(2026, 12, 29), 1)[0]
    assert (sunday.key, sunday.period) == ("2027-01-03T06:00", "2026-W53")
    assert (monday.key, monday.period) == ("2027-01-04T06:00", "2027-W01")


def test_daily_crosses_the_year_end() -> None:
    slots = next_slots(Rule("daily", hour=23), SYDNEY, utc(2026, 12, 29, 11, 59), 4)
    assert keys(slots) == [
        "2026-12-29T23:00",
        "2026-12-30T23:00",
        "2026-12-31T23:00",
        "2027-01-01T23:00",
    ]
    assert [s.period for s in slots] == ["2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01"]
    assert slots[0].at == utc(2026, 12, 29, 12, 0)  # Sydney summer time is UTC+11
    # Strictly after: asking from a slot's own instant starts at the following slot.
    assert next_slots(Rule("daily", hour=23), SYDNEY, slots[0].at, 3) == slots[1:]


def test_slots_between_is_half_open_and_ascending() -> None:
    rule = Rule("daily", hour=6)
    start, end = utc(2026, 11, 1, 11), utc(2026, 11, 4, 11)  # both exactly on slots (EST)
    got = list(slots_between(rule, NEW_YORK, start, end))
    assert keys(got) == ["2026-11-02T06:00", "2026-11-03T06:00", "2026-11-04T06:00"]
    assert list(slots_between(rule, NEW_YORK, end, start)) == []


def test_previous_slot_includes_now_itself() -> None:
    rule = Rule("daily", hour=6)
    on_slot = previous_slot(rule, NEW_YORK, utc(2026, 11, 4, 11))
    before = previous_slot(rule, NEW_YORK, utc(2026, 11, 4, 10, 59, 59))
    assert on_slot is not None
    assert on_slot.key == "2026-11-04T06:00"
    assert before is not None
    assert before.key == "2026-11-03T06:00"


def test_slot_local_reports_the_firing_time_in_the_zone() -> None:
    [slot] = next_slots(Rule("daily", hour=2), NEW_YORK, utc(2026, 3, 8), 1)
    assert slot.local(NEW_YORK).isoformat() == "2026-03-08T03:00:00-04:00"
    assert slot.nominal == datetime(2026, 3, 8, 2, 0)


# --- DST ----------------------------------------------------------------------------------------

DAILY_1, DAILY_2, DAILY_3 = (Rule("daily", hour=hour) for hour in (1, 2, 3))
SUNDAY_1 = Rule("weekly", hour=1, weekday=6)
CRON_0145 = Rule("cron", cron="45 1 * * *")
DST_TABLE = [
    # zone, rule, nominal key, firing time in the zone, DST case
    (NEW_YORK, DAILY_2, "2026-03-08T02:00", "2026-03-08T03:00-04:00", "gap"),
    (NEW_YORK, DAILY_1, "2026-11-01T01:00", "2026-11-01T01:00-04:00", "overlap"),
    (NEW_YORK, DAILY_3, "2026-03-08T03:00", "2026-03-08T03:00-04:00", "none"),
    (NEW_YORK, Rule("monthly", hour=2, day=8), "2026-03-08T02:00", "2026-03-08T03:00-04:00", "gap"),
    (NEW_YORK, SUNDAY_1, "2026-11-01T01:00", "2026-11-01T01:00-04:00", "overlap"),
    (BERLIN, DAILY_2, "2026-03-29T02:00", "2026-03-29T03:00+02:00", "gap"),
    (BERLIN, DAILY_2, "2026-10-25T02:00", "2026-10-25T02:00+02:00", "overlap"),
    (SYDNEY, DAILY_2, "2026-10-04T02:00", "2026-10-04T03:00+11:00", "gap"),
    (SYDNEY, DAILY_2, "2026-04-05T02:00", "2026-04-05T02:00+11:00", "overlap"),
    (LORD_HOWE, DAILY_2, "2026-10-04T02:00", "2026-10-04T02:30+11:00", "gap"),
    (LORD_HOWE, CRON_0145, "2026-04-05T01:45", "2026-04-05T01:45+11:00", "overlap"),
    (ADELAIDE, DAILY_2, "2026-10-04T02:00", "2026-10-04T03:00+10:30", "gap"),
    (ADELAIDE, DAILY_2, "2026-04-05T02:00", "2026-04-05T02:00+10:30", "overlap"),
    (KOLKATA, DAILY_2, "2026-04-05T02:00", "2026-04-05T02:00+05:30", "none"),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "rule", "key", "fires", "dst"), DST_TABLE)
def test_dst_gap_moves_forward_and_overlap_takes_the_first_occurrence(
    zone: ZoneInfo, rule: Rule, key: str, fires: str, dst: str
) -> None:
    at = datetime.fromisoformat(fires)
    [slot] = next_slots(rule, zone, at - timedelta(minutes=1), 1)
    assert (slot.key, slot.local(zone).isoformat(timespec="minutes"), slot.dst) == (key, fires, dst)
    assert slot.at == at
    assert slot.at.tzinfo is UTC
    assert previous_slot(rule, zone, at) == slot
    assert previous_slot(rule, zone, at - timedelta(seconds=1)) != slot


@pytest.mark.parametrize(
    ("zone", "around"),
    [
        (NEW_YORK, utc(2026, 3, 8, 7)),
        (NEW_YORK, utc(2026, 11, 1, 6)),
        (BERLIN, utc(2026, 3, 29, 1)),
        (BERLIN, utc(2026, 10, 25, 1)),
        (SYDNEY, utc(2026, 10, 3, 16)),
        (SYDNEY, utc(2026, 4, 4, 16)),
        (LORD_HOWE, utc(2026, 10, 3, 15, 30)),
        (LORD_HOWE, utc(2026, 4, 4, 15)),
        (ADELAIDE, utc(2026, 10, 3, 16, 30)),
        (ADELAIDE, utc(2026, 4, 4, 16, 30)),
    ],
)
@pytest.mark.parametrize("hour", range(24))
def test_daily_slots_across_a_transition_are_never_doubled_or_skipped(
    zone: ZoneInfo, around: datetime, hour: int
) -> None:
    slots = next_slots(Rule("daily", hour=hour), zone, around - timedelta(days=2), 4)
    first = slots[0].nominal.date()
    assert [s.period for s in slots] == [str(first + timedelta(days=i)) for i in range(4)]
    assert all(a.at < b.at for a, b in pairwise(slots))


# --- cron ---------------------------------------------------------------------------------------


def test_cron_nominals_inside_a_gap_collapse_to_one_slot_keyed_by_the_first() -> None:
    rule = Rule("cron", cron="*/15 * * * *")
    slots = next_slots(rule, NEW_YORK, utc(2026, 3, 8, 6, 20), 5)  # 01:20 EST
    assert keys(slots) == [
        "2026-03-08T01:30",
        "2026-03-08T01:45",
        "2026-03-08T02:00",  # 02:00-02:45 and 03:00 all fire at 03:00 EDT: once
        "2026-03-08T03:15",
        "2026-03-08T03:30",
    ]
    assert slots[2].at == utc(2026, 3, 8, 7)
    assert slots[2].dst == "gap"
    assert [s.period for s in slots] == keys(slots)


def test_cron_every_minute_across_a_gap() -> None:
    slots = next_slots(Rule("cron", cron="* * * * *"), NEW_YORK, utc(2026, 3, 8, 6, 58), 3)
    assert [(s.key, s.at) for s in slots] == [
        ("2026-03-08T01:59", utc(2026, 3, 8, 6, 59)),
        ("2026-03-08T02:00", utc(2026, 3, 8, 7, 0)),
        ("2026-03-08T03:01", utc(2026, 3, 8, 7, 1)),
    ]


def test_cron_in_an_overlap_fires_only_in_the_first_pass() -> None:
    rule = Rule("cron", cron="*/30 * * * *")
    slots = list(slots_between(rule, NEW_YORK, utc(2026, 11, 1, 4), utc(2026, 11, 1, 8)))
    assert [(s.key, s.at.strftime("%H:%MZ")) for s in slots] == [
        ("2026-11-01T00:30", "04:30Z"),
        ("2026-11-01T01:00", "05:00Z"),
        ("2026-11-01T01:30", "05:30Z"),
        ("2026-11-01T02:00", "07:00Z"),
        ("2026-11-01T02:30", "07:30Z"),
        ("2026-11-01T03:00", "08:00Z"),
    ]
    during_second_pass = previous_slot(rule, NEW_YORK, utc(2026, 11, 1, 6, 10))  # 01:10 EST
    assert during_second_pass is not None
    assert during_second_pass.key == "2026-11-01T01:30"


def test_cron_previous_slot_in_a_gap_names_the_first_nominal() -> None:
    slot = previous_slot(Rule("cron", cron="*/15 * * * *"), NEW_YORK, utc(2026, 3, 8, 7, 10))
    assert slot is not None
    assert (slot.key, slot.at) == ("2026-03-08T02:00", utc(2026, 3, 8, 7))


def test_cron_lord_howe_half_hour_shifts() -> None:
    rule = Rule("cron", cron="15,45 1-2 * * *")
    spring = list(slots_between(rule, LORD_HOWE, utc(2026, 10, 3, 14), utc(2026, 10, 3, 17)))
    assert [(s.key, s.local(LORD_HOWE).strftime("%H:%M%z"), s.dst) for s in spring] == [
        ("2026-10-04T01:15", "01:15+1030", "none"),
        ("2026-10-04T01:45", "01:45+1030", "none"),
        ("2026-10-04T02:15", "02:30+1100", "gap"),
        ("2026-10-04T02:45", "02:45+1100", "none"),
    ]
    autumn = list(slots_between(rule, LORD_HOWE, utc(2026, 4, 4, 13), utc(2026, 4, 4, 17)))
    assert [(s.key, s.local(LORD_HOWE).strftime("%H:%M%z"), s.dst) for s in autumn] == [
        ("2026-04-05T01:15", "01:15+1100", "none"),
        ("2026-04-05T01:45", "01:45+1100", "overlap"),
        ("2026-04-05T02:15", "02:15+1030", "none"),
        ("2026-04-05T02:45", "02:45+1030", "none"),
    ]


def test_cron_weekdays_follow_the_account_zone_not_utc() -> None:
    # 06:00 Monday in Sydney is still Sunday in UTC.
    [slot] = next_slots(Rule("cron", cron="0 6 * * 1-5"), SYDNEY, utc(2026, 11, 15), 1)
    assert (slot.key, slot.at) == ("2026-11-16T06:00", utc(2026, 11, 15, 19))


# --- rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (
            Rule("monthly", hour=6, day=31),
            "monthly on day 31 at 06:00 (29-31 run on the month's last day in shorter months)",
        ),
        (Rule("monthly", hour=6, day=5), "monthly on day 5 at 06:00"),
        (Rule("weekly", hour=6, weekday=0), "weekly on Monday at 06:00"),
        (Rule("weekly", hour=23, weekday=6), "weekly on Sunday at 23:00"),
        (Rule("daily", hour=6), "daily at 06:00"),
        (Rule("cron", cron="0 6 * * 1-5"), "cron '0 6 * * 1-5'"),
    ],
)
def test_describe(rule: Rule, text: str) -> None:
    assert rule.describe() == text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "monthly"}, "monthly mode needs a day of the month from 1 to 31, got None"),
        ({"mode": "monthly", "day": 0}, "from 1 to 31, got 0"),
        ({"mode": "monthly", "day": 32}, "from 1 to 31, got 32"),
        ({"mode": "weekly"}, "weekly mode needs a weekday from 0 (Monday) to 6 (Sunday), got None"),
        ({"mode": "weekly", "weekday": 7}, "got 7"),
        ({"mode": "daily", "hour": 24}, "hour must be a whole hour from 0 to 23, got 24"),
        ({"mode": "daily", "hour": -1}, "got -1"),
        ({"mode": "daily", "hour": True}, "got True"),
        ({"mode": "daily", "day": 5}, "day is only used in monthly mode, not daily"),
        ({"mode": "monthly", "day": 5, "weekday": 1}, "weekday is only used in weekly mode"),
        ({"mode": "weekly", "weekday": 1, "cron": "* * * * *"}, "cron is only used in cron mode"),
        ({"mode": "cron"}, "cron mode needs a cron expression"),
        ({"mode": "cron", "cron": "0 9 30 2 *"}, "'0 9 30 2 *': never fires (no 30 February)"),
        ({"mode": "cron", "cron": "0 6 * * * *"}, "got 6"),
        ({"mode": "hourly"}, "unknown schedule mode 'hourly'"),
    ],
)
def test_rule_rejects_inconsistent_fields(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Rule(**kwargs)


def test_cron_mode_ignores_hour() -> None:
    assert Rule("cron", hour=99, cron="0 6 * * *").describe() == "cron '0 6 * * *'"


def test_naive_datetimes_are_refused() -> None:
    rule = Rule("daily", hour=6)
    with pytest.raises(ValueError, match="after must be timezone-aware"):
        next_slots(rule, NEW_YORK, datetime(2026, 1, 1), 1)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        previous_slot(rule, NEW_YORK, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        slots_between(rule, NEW_YORK, utc(2026, 1, 1), datetime(2026, 1, 2))
