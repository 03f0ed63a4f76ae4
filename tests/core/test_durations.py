"""psabill.core.schedule.durations: the catch-up window syntax and how durations read in reports."""

from __future__ import annotations

from datetime import timedelta

import pytest

from psabill.core.schedule.durations import describe_lateness, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("72h", timedelta(hours=72)),
        ("30m", timedelta(minutes=30)),
        ("90m", timedelta(minutes=90)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("2w3d4h5m", timedelta(weeks=2, days=3, hours=4, minutes=5)),
        ("0h", timedelta(0)),
        (" 72H ", timedelta(hours=72)),
    ],
)
def test_parse_duration_accepts(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "72", "h", "3 days", "1.5h", "-3h", "+3h", "12h1d", "1d 12h", "30s", "3dd", "1h1h"],
)
def test_parse_duration_rejects_with_the_expected_shape(text: str) -> None:
    with pytest.raises(ValueError, match=r"catch-up window must look like 72h, 3d or 30m"):
        parse_duration(text)


def test_parse_duration_rejects_absurdly_large_values() -> None:
    with pytest.raises(ValueError, match="too large"):
        parse_duration("99999999999999d")


@pytest.mark.parametrize(
    ("td", "expected"),
    [
        (timedelta(hours=72), "3d"),
        (timedelta(days=1, hours=12), "1d12h"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(minutes=30), "30m"),
        (timedelta(weeks=1), "7d"),
        (timedelta(0), "0m"),
        (timedelta(seconds=45), "45s"),
        (timedelta(days=2, minutes=5), "2d5m"),
    ],
)
def test_format_duration(td: timedelta, expected: str) -> None:
    assert format_duration(td) == expected


@pytest.mark.parametrize("minutes", [0, 1, 59, 60, 61, 1439, 1440, 2160, 10_080, 525_600])
def test_format_duration_round_trips_whole_minutes(minutes: int) -> None:
    td = timedelta(minutes=minutes)
    assert parse_duration(format_duration(td)) == td


def test_format_duration_rejects_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_duration(timedelta(minutes=-1))


@pytest.mark.parametrize(
    ("td", "expected"),
    [
        (timedelta(seconds=30), "under a minute"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=119), "119 minutes"),
        (timedelta(hours=2), "2 hours"),
        (timedelta(hours=47, minutes=59), "47 hours"),
        (timedelta(days=4, hours=1), "4 days"),
        (timedelta(seconds=-5), "under a minute"),
    ],
)
def test_describe_lateness_rounds_down_to_a_readable_unit(td: timedelta, expected: str) -> None:
    assert describe_lateness(td) == expected
