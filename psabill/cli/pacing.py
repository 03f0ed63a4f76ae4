"""How a run paced its PSA requests, for people (one ``-v`` line) and for ``--json``."""

from __future__ import annotations

from typing import Any

from psabill.cli.words import plural
from psabill.core.report import PacingStats


def pacing_line(stats: PacingStats) -> str:
    """``pacing: 705 requests, no 429 (too many requests), never held back; rate 900/min``."""
    refused = (
        "no 429 (too many requests)"
        if stats.throttled == 0
        else f"{plural(stats.throttled, 'answer')} 429 (too many requests)"
    )
    held = "never held back" if stats.waited < 0.05 else f"held back {stats.waited:,.1f} s"
    if stats.ceiling is None or stats.final_rate is None:
        rate = "no rate limit"
    elif round(stats.final_rate) == round(stats.ceiling):
        rate = f"rate {stats.ceiling:,.0f}/min"
    else:
        rate = f"rate {stats.ceiling:,.0f}/min at start, {stats.final_rate:,.0f}/min at the end"
    return f"pacing: {plural(stats.requests, 'request')}, {refused}, {held}; {rate}"


def pacing_json(stats: PacingStats | None) -> dict[str, Any] | None:
    """The ``pacing`` object of ``--json``; rates are requests a minute, ``null`` = no limit."""
    if stats is None:
        return None
    return {
        "requests": stats.requests,
        "throttled": stats.throttled,
        "waited_seconds": round(stats.waited, 3),
        "ceiling_per_minute": stats.ceiling,
        "final_per_minute": None if stats.final_rate is None else round(stats.final_rate, 1),
    }
