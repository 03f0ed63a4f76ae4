"""Short duration strings ("72h", "3d", "1d12h") for the catch-up window, and lateness wording.

Pure: no clock, no I/O. ``parse_duration`` is what the config accepts; ``format_duration`` is
what reports print, and its output always parses back to the same value when the duration is a
whole number of minutes.
"""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION_RE = re.compile(
    r"(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?",
    re.ASCII | re.IGNORECASE,
)
_SHAPE = "catch-up window must look like 72h, 3d or 30m"
_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def parse_duration(text: str) -> timedelta:
    """Parse weeks/days/hours/minutes written largest unit first, e.g. "1w", "1d12h", "90m".

    Each unit appears at most once, in the order w, d, h, m, with no spaces inside; surrounding
    whitespace and letter case are ignored. Zero ("0h") is allowed and means "no catch-up".

    Raises:
        ValueError: the text has another shape (empty, seconds, decimals, signs, "3 days"),
            or is too large to represent.
    """
    match = _DURATION_RE.fullmatch(text.strip())
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"{_SHAPE} (got {text!r})")
    parts = {unit: int(value or 0) for unit, value in match.groupdict().items()}
    try:
        return timedelta(weeks=parts["w"], days=parts["d"], hours=parts["h"], minutes=parts["m"])
    except OverflowError:
        raise ValueError(f"duration {text!r} is too large") from None


def format_duration(td: timedelta) -> str:
    """Render a non-negative duration in days, hours and minutes: "3d", "1d12h", "90m" → "1h30m".

    Weeks are shown as days ("1w" → "7d"). A sub-minute remainder is shown in seconds ("45s"),
    which ``parse_duration`` does not accept; whole-minute durations round-trip exactly.

    Raises:
        ValueError: the duration is negative.
    """
    if td < timedelta(0):
        raise ValueError(f"duration must not be negative, got {td}")
    remaining = int(td.total_seconds())
    pieces: list[str] = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            pieces.append(f"{count}{unit}")
    return "".join(pieces) or "0m"


def describe_lateness(td: timedelta) -> str:
    """Round a lateness down to its largest sensible unit: "4 days", "5 hours", "1 minute".

    Two days and more are counted in days and two hours and more in hours, so a reader sees
    "26 hours" rather than a misleading "1 day". Under a minute reads "under a minute".
    """
    seconds = max(0, int(td.total_seconds()))
    for name, size, threshold in (("day", 86_400, 2), ("hour", 3_600, 2), ("minute", 60, 1)):
        count = seconds // size
        if count >= threshold:
            return f"{count} {name}" + ("" if count == 1 else "s")
    return "under a minute"
