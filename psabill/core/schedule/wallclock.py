"""Wall-clock ↔ instant conversion with psabill's DST policy.

Rules name local wall-clock times; runs happen at instants. Twice a year some wall times do not
exist (spring-forward gap) and some exist twice (fall-back overlap). The policy, applied
identically to every mode:

* gap: fire at the first valid instant after the named time, i.e. the transition itself
  (America/New_York 2026-03-08 02:00 → 03:00 EDT; Australia/Lord_Howe 02:00 → 02:30);
* overlap: fire once, at the first occurrence (``fold=0``).

The mapping is monotonic (a later wall time never maps to an earlier instant), which is what
lets the schedule engine search wall times and instants interchangeably.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

DstCase = Literal["none", "gap", "overlap"]


def require_aware(name: str, value: datetime) -> None:
    """Refuse naive datetimes, which would silently mean "the machine's zone".

    Raises:
        ValueError: ``value`` has no UTC offset.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def wall_time(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall-clock reading in ``zone`` at an aware ``instant``."""
    return instant.astimezone(zone).replace(tzinfo=None)


def to_instant(nominal: datetime, zone: ZoneInfo) -> tuple[datetime, DstCase]:
    """Resolve a naive wall time in ``zone`` to a UTC instant under the DST policy.

    Returns the instant (tzinfo=UTC) and which case applied: "none" (the wall time exists
    once), "gap" (it does not exist; moved to the transition) or "overlap" (it exists twice;
    the first occurrence is taken).
    """
    first = nominal.replace(tzinfo=zone, fold=0)
    second = nominal.replace(tzinfo=zone, fold=1)
    at = first.astimezone(UTC)
    if first.utcoffset() == second.utcoffset():
        return at, "none"
    if wall_time(at, zone) == nominal:
        return at, "overlap"
    return _gap_end(nominal, zone, second.astimezone(UTC), at), "gap"


def _gap_end(nominal: datetime, zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """First whole second whose wall time is at or past ``nominal`` (the transition instant).

    Inside a gap PEP 495 gives two candidate instants: ``fold=1`` (post-transition offset)
    lands before the transition with a wall reading earlier than ``nominal``, and ``fold=0``
    lands after it. Bisecting between them finds the transition without reading zoneinfo's
    private tables, and works for any gap size (30-minute Lord Howe, 24-hour Samoa 2011).
    """
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if wall_time(datetime.fromtimestamp(middle, UTC), zone) >= nominal:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)
