"""psabill.core.schedule.cron: which expressions a config may hold, and why one may not."""

from __future__ import annotations

from datetime import datetime
from itertools import islice

import pytest

from psabill.core.schedule.cron import cron_after, cron_until, validate_cron


@pytest.mark.parametrize(
    "expr",
    [
        "0 6 * * 1-5",
        "*/15 * * * *",
        "30 23 L * *",
        "0 9 29 2 *",
        "0 0 * JAN-MAR THU",
        "0 6 30 2 1",  # day 30 never exists in February, but Vixie OR makes every Monday match
        "  0 6 1 * *  ",
    ],
)
def test_validate_cron_accepts(expr: str) -> None:
    assert validate_cron(expr) is None


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("61 * * * *", "not a valid cron expression: "),
        ("0 6 * * 8", "not a valid cron expression: "),
        ("0 6 * * fun", "not a valid cron expression: "),
        ("*/0 * * * *", "not a valid cron expression: "),
        (
            "0 6 * * * *",
            "needs exactly 5 fields (minute hour day-of-month month weekday), got 6 "
            "(seconds and years are not supported)",
        ),
        ("0 0 6 1 1 * 2030", "got 7 (seconds and years are not supported)"),
        ("@daily", "needs exactly 5 fields (minute hour day-of-month month weekday), got 1"),
        ("", "got 0"),
        ("0\u00a06 * * *", "got 4"),
        ("R 6 * * *", "random or hashed minute field 'R' is not supported"),
        ("0 H(0-5) * * *", "random or hashed hour field 'H(0-5)' is not supported"),
        ("0 9 30 2 *", "never fires (no 30 February)"),
        ("0 9 30,31 2 *", "never fires (no 30 or 31 February)"),
        ("0 0 31 4,6,9,11 *", "never fires (no 31 April, June, September or November)"),
    ],
)
def test_validate_cron_rejects_with_a_reason(expr: str, message: str) -> None:
    reason = validate_cron(expr)
    assert reason is not None
    assert message in reason
    assert "\n" not in reason


def test_cron_iterates_naive_wall_times_without_dst_knowledge() -> None:
    # 02:00-02:45 on 2026-03-08 do not exist in New York; that is the engine's business,
    # so croniter must still name them.
    got = list(islice(cron_after("*/15 * * * *", datetime(2026, 3, 8, 1, 50)), 5))
    assert [t.strftime("%H:%M") for t in got] == ["02:00", "02:15", "02:30", "02:45", "03:00"]


def test_cron_after_is_strict_and_until_is_inclusive_at_minute_precision() -> None:
    expr = "*/15 * * * *"
    assert next(cron_after(expr, datetime(2026, 1, 1, 6, 15))) == datetime(2026, 1, 1, 6, 30)
    assert next(cron_after(expr, datetime(2026, 1, 1, 6, 15, 30))) == datetime(2026, 1, 1, 6, 30)
    assert next(cron_until(expr, datetime(2026, 1, 1, 6, 15))) == datetime(2026, 1, 1, 6, 15)
    assert next(cron_until(expr, datetime(2026, 1, 1, 6, 14, 59))) == datetime(2026, 1, 1, 6, 0)


def test_cron_uses_vixie_or_when_both_day_fields_are_restricted() -> None:
    # "the 13th, or any Friday": November 2026 has Friday the 6th before the 13th.
    got = list(islice(cron_after("0 6 13 * 5", datetime(2026, 11, 1)), 3))
    assert [t.day for t in got] == [6, 13, 20]
