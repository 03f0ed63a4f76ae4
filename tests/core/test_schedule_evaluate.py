"""core.schedule.engine.evaluate: one decision per invocation, from rule, ledger and `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from psabill.core.schedule.engine import MAX_LISTED, Completed, Due, NotDue, Rule, Slot, evaluate

NEW_YORK = ZoneInfo("America/New_York")
MONTHLY_5 = Rule(
    "monthly", hour=6, day=5
)  # 2026-10-05 06:00 EDT = 10:00Z, 11-05 06:00 EST = 11:00Z
DAILY_6 = Rule("daily", hour=6)  # 06:00 EST = 11:00Z from 2026-11-02
OCTOBER_DONE = Completed("2026-10", datetime(2026, 10, 5, 10, 2, tzinfo=UTC))
THREE_DAYS = timedelta(hours=72)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def keys(slots: tuple[Slot, ...]) -> list[str]:
    return [slot.key for slot in slots]


def due(rule: Rule, last: Completed | None, now: datetime, catch_up: timedelta = THREE_DAYS) -> Due:
    decision = evaluate(rule, NEW_YORK, last, now, catch_up)
    assert isinstance(decision, Due), decision
    return decision


def not_due(
    rule: Rule, last: Completed | None, now: datetime, catch_up: timedelta = THREE_DAYS
) -> NotDue:
    decision = evaluate(rule, NEW_YORK, last, now, catch_up)
    assert isinstance(decision, NotDue), decision
    return decision


def test_due_exactly_at_the_slot_instant() -> None:
    decision = due(MONTHLY_5, OCTOBER_DONE, utc(2026, 11, 5, 11))
    assert (decision.slot.key, decision.slot.period) == ("2026-11-05T06:00", "2026-11")
    assert decision.late_by == timedelta(0)
    assert decision.missed == ()


def test_not_due_one_minute_before() -> None:
    decision = not_due(MONTHLY_5, OCTOBER_DONE, utc(2026, 11, 5, 10, 59))
    assert decision.next_slot is not None
    assert decision.next_slot.key == "2026-11-05T06:00"
    assert decision.reason == "already ran for period 2026-10 (slot 2026-10-05T06:00)"
    assert decision.missed == ()


@pytest.mark.parametrize(
    "now", [utc(2026, 11, 5, 11, 5), utc(2026, 11, 20), utc(2026, 12, 5, 10, 59)]
)
def test_a_completed_period_is_not_due_again(now: datetime) -> None:
    november_done = Completed("2026-11", utc(2026, 11, 5, 11, 4))
    decision = not_due(MONTHLY_5, november_done, now)
    assert decision.next_slot is not None
    assert decision.next_slot.key == "2026-12-05T06:00"
    assert decision.reason == "already ran for period 2026-11 (slot 2026-11-05T06:00)"
    assert due(MONTHLY_5, november_done, utc(2026, 12, 5, 11)).slot.period == "2026-12"


def test_a_failed_run_leaves_the_slot_due_until_catch_up_ends() -> None:
    # The caller records nothing after a failure, so `last` stays at October.
    first_try = due(MONTHLY_5, OCTOBER_DONE, utc(2026, 11, 5, 11))
    retry = due(MONTHLY_5, OCTOBER_DONE, utc(2026, 11, 5, 11, 30))
    last_chance = due(MONTHLY_5, OCTOBER_DONE, utc(2026, 11, 8, 11))
    assert first_try.slot == retry.slot == last_chance.slot
    assert (retry.late_by, last_chance.late_by) == (timedelta(minutes=30), THREE_DAYS)
    too_late = not_due(MONTHLY_5, OCTOBER_DONE, utc(2026, 11, 8, 11, 1))
    assert too_late.missed == (first_try.slot,)


def test_missed_slots_within_catch_up_give_one_run_that_lists_them() -> None:
    last = Completed("2026-11-01", utc(2026, 11, 1, 11, 1))
    decision = due(DAILY_6, last, utc(2026, 11, 4, 12))
    assert decision.slot.key == "2026-11-04T06:00"
    assert keys(decision.missed) == ["2026-11-02T06:00", "2026-11-03T06:00"]
    assert decision.late_by == timedelta(hours=1)


def test_a_slot_beyond_catch_up_is_reported_not_replayed() -> None:
    decision = not_due(MONTHLY_5, OCTOBER_DONE, utc(2026, 11, 9, 12))
    assert decision.reason == (
        "last slot 2026-11-05T06:00 is 4 days late, past the 3d catch-up window"
    )
    assert keys(decision.missed) == ["2026-11-05T06:00"]
    assert decision.next_slot is not None
    assert decision.next_slot.key == "2026-12-05T06:00"


def test_several_slots_beyond_catch_up_are_all_listed_oldest_first() -> None:
    last = Completed("2026-11-01", utc(2026, 11, 1, 11, 1))
    decision = not_due(DAILY_6, last, utc(2026, 11, 10, 13), timedelta(hours=1))
    assert keys(decision.missed) == [f"2026-11-{day:02d}T06:00" for day in range(2, 11)]
    assert decision.reason == (
        "last slot 2026-11-10T06:00 is 2 hours late, past the 1h catch-up window"
    )
    assert decision.next_slot is not None
    assert decision.next_slot.key == "2026-11-11T06:00"


def test_two_years_off_gives_one_decision_with_a_bounded_list() -> None:
    last = Completed("2024-11-01", utc(2024, 11, 1, 10, 1))
    decision = due(DAILY_6, last, utc(2026, 11, 10, 11, 30))
    assert decision.slot.key == "2026-11-10T06:00"
    assert len(decision.missed) == MAX_LISTED == 24
    assert (decision.missed[0].key, decision.missed[-1].key) == (
        "2026-10-17T06:00",
        "2026-11-09T06:00",
    )
    expired = not_due(DAILY_6, last, utc(2026, 11, 10, 11, 30), timedelta(0))
    assert len(expired.missed) == MAX_LISTED
    assert (expired.missed[0].key, expired.missed[-1].key) == (
        "2026-10-18T06:00",
        "2026-11-10T06:00",
    )


def test_every_minute_cron_after_ten_years_off_lists_only_the_latest_minutes() -> None:
    every_minute = Rule("cron", cron="* * * * *")
    last = Completed("2016-01-01T00:00", utc(2016, 1, 1, 5))
    decision = due(every_minute, last, utc(2026, 11, 10, 11, 30, 20), timedelta(minutes=10))
    assert decision.slot.key == "2026-11-10T06:30"
    assert decision.late_by == timedelta(seconds=20)
    assert keys(decision.missed) == [f"2026-11-10T06:{minute:02d}" for minute in range(6, 30)]


def test_an_account_that_never_ran_lists_no_history() -> None:
    fresh = due(MONTHLY_5, None, utc(2026, 11, 5, 12))
    assert (fresh.slot.key, fresh.missed) == ("2026-11-05T06:00", ())
    stale = not_due(MONTHLY_5, None, utc(2026, 11, 20))
    assert keys(stale.missed) == ["2026-11-05T06:00"]


def test_a_completion_after_the_slot_covers_it_whatever_its_period() -> None:
    late_october = Completed("2026-10", utc(2026, 11, 5, 11, 30))
    decision = not_due(MONTHLY_5, late_october, utc(2026, 11, 6))
    assert decision.reason == (
        "already ran for period 2026-10 at 2026-11-05T11:30+00:00, not before slot 2026-11-05T06:00"
    )


def test_missed_list_leaves_out_the_period_already_completed() -> None:
    early_october = Completed("2026-10", utc(2026, 10, 1))  # run by hand before the Oct 5 slot
    assert due(MONTHLY_5, early_october, utc(2026, 11, 5, 11)).missed == ()


def test_no_slot_yet_at_the_start_of_time() -> None:
    decision = evaluate(DAILY_6, ZoneInfo("UTC"), None, utc(1, 1, 1, 0, 30), THREE_DAYS)
    assert isinstance(decision, NotDue)
    assert decision.reason == "no slot has come yet"
    assert decision.next_slot is not None
    assert decision.next_slot.key == "0001-01-01T06:00"


def test_each_customer_is_decided_on_its_own_rule_and_ledger() -> None:
    now = utc(2026, 11, 5, 11, 30)
    weekly_done = Completed("2026-W45", utc(2026, 11, 2, 11, 1))
    assert isinstance(evaluate(MONTHLY_5, NEW_YORK, OCTOBER_DONE, now, THREE_DAYS), Due)
    weekly = Rule("weekly", hour=6, weekday=0)
    assert isinstance(evaluate(weekly, NEW_YORK, weekly_done, now, THREE_DAYS), NotDue)


@pytest.mark.parametrize(
    ("last", "now", "catch_up", "message"),
    [
        (None, datetime(2026, 11, 5), THREE_DAYS, "now must be timezone-aware"),
        (Completed("2026-10", datetime(2026, 10, 5)), utc(2026, 11, 5), THREE_DAYS, "last"),
        (None, utc(2026, 11, 5), timedelta(minutes=-1), "must not be negative"),
    ],
)
def test_evaluate_refuses_bad_inputs(
    last: Completed | None, now: datetime, catch_up: timedelta, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate(MONTHLY_5, NEW_YORK, last, now, catch_up)


# --- DST ----------------------------------------------------------------------------------------


def test_evaluate_in_the_repeated_hour_runs_once() -> None:
    rule = Rule("daily", hour=1)
    last = Completed("2026-10-31", utc(2026, 10, 31, 5, 1))
    second_pass = utc(2026, 11, 1, 6, 30)  # 01:30 EST, the second 01:30 of the night
    due = evaluate(rule, NEW_YORK, last, second_pass, timedelta(hours=3))
    assert isinstance(due, Due)
    assert (due.slot.key, due.slot.at, due.late_by) == (
        "2026-11-01T01:00",
        utc(2026, 11, 1, 5),
        timedelta(minutes=90),
    )
    ran = Completed("2026-11-01", utc(2026, 11, 1, 5, 2))
    again = evaluate(rule, NEW_YORK, ran, utc(2026, 11, 1, 6), timedelta(hours=3))  # 01:00 EST
    assert isinstance(again, NotDue)
    assert again.next_slot is not None
    assert again.next_slot.key == "2026-11-02T01:00"


def test_evaluate_in_a_gap_is_due_at_the_transition_not_before() -> None:
    rule = Rule("daily", hour=2)
    last = Completed("2026-03-07", utc(2026, 3, 7, 7, 1))
    before = evaluate(rule, NEW_YORK, last, utc(2026, 3, 8, 6, 59), timedelta(hours=1))
    at = evaluate(rule, NEW_YORK, last, utc(2026, 3, 8, 7), timedelta(hours=1))
    assert isinstance(before, NotDue)
    assert before.next_slot is not None
    assert before.next_slot.at == utc(2026, 3, 8, 7)
    assert isinstance(at, Due)
    assert (at.slot.key, at.slot.dst, at.late_by) == ("2026-03-08T02:00", "gap", timedelta(0))
