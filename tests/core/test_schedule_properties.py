"""Hypothesis properties of the schedule engine, checked against an independent brute-force oracle.

The oracle shares no code with the engine: it names the rule's wall times by walking days one at
a time, and finds each firing instant by stepping UTC minute by minute until the zone's wall
clock reads the named time or later (so a gap moves forward and an overlap is hit on its first
pass). Starting instants are drawn across 2020-2035, often within days of a DST transition with
the rule aimed at the transition's day and hour.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from psabill.core.schedule.engine import (
    Completed,
    Due,
    Mode,
    Rule,
    Slot,
    evaluate,
    next_slots,
    previous_slot,
    slots_between,
)

ZONE_NAMES = (
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Australia/Adelaide",
    "Asia/Kolkata",
)
FIRST, LAST = datetime(2020, 1, 1, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
# How far around a starting instant the oracle must look to contain the slots a test compares.
DAYS_BACK = {"monthly": 33, "weekly": 9, "daily": 3}
DAYS_AHEAD = {"monthly": 100, "weekly": 24, "daily": 5}
CALENDAR_MODES: tuple[Mode, ...] = ("monthly", "weekly", "daily")
EXAMPLES = settings(max_examples=60, deadline=None)

Scenario = tuple[Rule, ZoneInfo, datetime]
Fired = tuple[datetime, datetime, str]  # nominal, instant, dst case


# --- the oracle ---------------------------------------------------------------------------------


def wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def named_times(rule: Rule, first: date, last: date) -> list[datetime]:
    """The wall times ``rule`` names on days first..last, found by looking at each day."""
    found = []
    day = first
    while day <= last:
        tomorrow = day + timedelta(days=1)
        month_ends = tomorrow.month != day.month
        if (
            rule.mode == "daily"
            or (rule.mode == "weekly" and day.weekday() == rule.weekday)
            or (rule.mode == "monthly" and rule.day is not None and day.day == rule.day)
            or (rule.mode == "monthly" and month_ends and day.day < (rule.day or 0))
        ):
            found.append(datetime(day.year, day.month, day.day, rule.hour))
        day = tomorrow
    return found


def fire(nominal: datetime, zone: ZoneInfo) -> Fired:
    """First UTC minute whose wall reading is at or past ``nominal``, and which DST case it was."""
    instant = nominal.replace(tzinfo=UTC) - timedelta(hours=15)  # every offset is within ±14h
    while wall(instant, zone) < nominal:
        instant += MINUTE
    if wall(instant, zone) != nominal:
        return nominal, instant, "gap"
    repeats = any(wall(instant + k * MINUTE, zone) == nominal for k in range(1, 181))
    return nominal, instant, "overlap" if repeats else "none"


def oracle(rule: Rule, zone: ZoneInfo, around: datetime) -> list[Fired]:
    local_day = wall(around, zone).date()
    first = local_day - timedelta(days=DAYS_BACK[rule.mode])
    last = local_day + timedelta(days=DAYS_AHEAD[rule.mode])
    return [fire(nominal, zone) for nominal in named_times(rule, first, last)]


def as_fired(slots: list[Slot]) -> list[Fired]:
    return [(slot.nominal, slot.at, slot.dst) for slot in slots]


# --- strategies ---------------------------------------------------------------------------------


@functools.cache
def transitions(name: str) -> tuple[datetime, ...]:
    """UTC instants (to the minute) where the zone's offset changes, 2020-2035."""
    zone, found, probe = ZoneInfo(name), [], FIRST
    while probe < LAST:
        step = probe + timedelta(days=14)
        if probe.astimezone(zone).utcoffset() != step.astimezone(zone).utcoffset():
            low, high = probe, step
            while high - low > MINUTE:
                middle = low + MINUTE * ((high - low) // MINUTE // 2)
                same = middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset()
                low, high = (middle, high) if same else (low, middle)
            found.append(high)
        probe = step
    return tuple(found)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    name = draw(st.sampled_from(ZONE_NAMES))
    zone = ZoneInfo(name)
    mode = draw(st.sampled_from(CALENDAR_MODES))
    hour = draw(st.integers(0, 23))
    day = draw(st.integers(1, 31))
    weekday = draw(st.integers(0, 6))
    start = draw(
        st.datetimes(FIRST.replace(tzinfo=None), datetime(2035, 12, 31), timezones=st.just(UTC))
    )
    near_transition = draw(st.booleans())
    if near_transition and transitions(name):
        moment = draw(st.sampled_from(transitions(name)))
        before, after = wall(moment - MINUTE, zone), wall(moment, zone)
        hour = draw(st.sampled_from((before.hour, (before.hour + 1) % 24, after.hour)))
        day, weekday = before.day, before.weekday()
        lead_minutes = DAYS_BACK[mode] * 1440
        start = moment - MINUTE * draw(st.integers(-1440, lead_minutes))
    rule = Rule(
        mode,
        hour=hour,
        day=day if mode == "monthly" else None,
        weekday=weekday if mode == "weekly" else None,
    )
    return rule, zone, start


# --- properties ---------------------------------------------------------------------------------


@EXAMPLES
@given(scenarios())
def test_next_slots_match_the_oracle(scenario: Scenario) -> None:
    rule, zone, start = scenario
    expected = [fired for fired in oracle(rule, zone, start) if fired[1] > start][:3]
    assert as_fired(next_slots(rule, zone, start, 3)) == expected


@EXAMPLES
@given(scenarios())
def test_previous_slot_matches_the_oracle(scenario: Scenario) -> None:
    rule, zone, start = scenario
    expected = [fired for fired in oracle(rule, zone, start) if fired[1] <= start][-1]
    slot = previous_slot(rule, zone, start)
    assert slot is not None
    assert (slot.nominal, slot.at, slot.dst) == expected
    assert next_slots(rule, zone, slot.at, 1) == next_slots(rule, zone, start, 1)


@EXAMPLES
@given(scenarios(), st.integers(0, 40 * 1440))
def test_slots_between_match_the_oracle(scenario: Scenario, span_minutes: int) -> None:
    rule, zone, start = scenario
    end = start + MINUTE * min(span_minutes, (DAYS_AHEAD[rule.mode] - 2) * 1440)
    expected = [fired for fired in oracle(rule, zone, start) if start < fired[1] <= end]
    assert as_fired(list(slots_between(rule, zone, start, end))) == expected


def following_period(mode: str, period: str) -> str:
    """The period after ``period``, by calendar arithmetic independent of any slot."""
    if mode == "monthly":
        year, month = map(int, period.split("-"))
        return f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    if mode == "weekly":
        iso_year, week = period.split("-W")
        monday = date.fromisocalendar(int(iso_year), int(week), 1) + timedelta(days=7)
        return f"{monday.isocalendar().year:04d}-W{monday.isocalendar().week:02d}"
    return (date.fromisoformat(period) + timedelta(days=1)).isoformat()


@EXAMPLES
@given(scenarios())
def test_every_period_gets_exactly_one_slot_in_increasing_order(scenario: Scenario) -> None:
    rule, zone, start = scenario
    span = {"monthly": 430, "weekly": 420, "daily": 120}[rule.mode]
    slots = list(slots_between(rule, zone, start, start + timedelta(days=span)))
    assert len(slots) >= {"monthly": 14, "weekly": 60, "daily": 120}[rule.mode] - 1
    assert all(a.at < b.at for a, b in pairwise(slots))
    assert all(following_period(rule.mode, a.period) == b.period for a, b in pairwise(slots))


@EXAMPLES
@given(scenarios())
def test_cron_agrees_with_the_equivalent_calendar_rule(scenario: Scenario) -> None:
    rule, zone, start = scenario
    if rule.mode == "monthly" and (rule.day or 0) > 28:
        rule = Rule("monthly", hour=rule.hour, day=28)  # plain cron cannot clamp
    fields = {
        "monthly": f"0 {rule.hour} {rule.day} * *",
        "weekly": f"0 {rule.hour} * * {((rule.weekday or 0) + 1) % 7}",  # cron: 0 = Sunday
        "daily": f"0 {rule.hour} * * *",
    }[rule.mode]
    cron = Rule("cron", cron=fields)
    expected = [(s.key, s.at, s.dst) for s in next_slots(rule, zone, start, 3)]
    assert [(s.key, s.at, s.dst) for s in next_slots(cron, zone, start, 3)] == expected


@EXAMPLES
@given(
    scenarios(),
    st.lists(st.integers(0, 30 * 1440), min_size=1, max_size=40),
    st.sampled_from((0, 60, 36 * 60, 72 * 60)),
)
def test_simulated_invocations_run_each_slot_at_most_once_and_never_drop_a_reachable_one(
    scenario: Scenario, offsets: list[int], catch_up_minutes: int
) -> None:
    rule, zone, start = scenario
    catch_up = MINUTE * catch_up_minutes
    times = sorted(start + MINUTE * offset for offset in offsets)
    last: Completed | None = None
    ran: set[str] = set()
    for now in times:
        decision = evaluate(rule, zone, last, now, catch_up)
        if isinstance(decision, Due):
            assert decision.slot == previous_slot(rule, zone, now)
            assert decision.slot.period not in ran
            assert timedelta(0) <= decision.late_by <= catch_up
            ran.add(decision.slot.period)
            last = Completed(decision.slot.period, now)
    for slot in slots_between(rule, zone, start - timedelta(days=40), times[-1]):
        [following] = next_slots(rule, zone, slot.at, 1)
        if any(slot.at <= t < following.at and t - slot.at <= catch_up for t in times):
            assert slot.period in ran
