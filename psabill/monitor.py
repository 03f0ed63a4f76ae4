"""Healthchecks-style monitoring pings: start, success, failure. A failed ping is a warning."""

from __future__ import annotations

from psabill.config.ops import Monitoring


def ping(monitoring: Monitoring, state: str) -> str | None:
    """Ping for ``state`` ("start", "success" or "fail"); return a warning, or None if fine."""
    return None
