"""The fault plan's rate limit: which limit applies, its sliding window and its JSON form.

A plan either leaves the limit to the PSA (:data:`PSA_DEFAULT`: the flavor's own, e.g. HaloPSA's
300 requests per 5 minutes), switches it off (``None``), or sets ``(count, window_seconds)``.
Three states, not two, because "no limit" and "whatever this PSA does" are different test
intentions, and a plan loaded from a file written for ConnectWise must not silently lift
Autotask's hourly threshold.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from psabill.sandbox.flavor import RateLimit


class PsaDefault(enum.Enum):
    """The type of :data:`PSA_DEFAULT`."""

    PSA_DEFAULT = "psa"


PSA_DEFAULT = PsaDefault.PSA_DEFAULT
"""A plan's ``rate_limit`` when it sets none: the PSA's own limit applies."""
RateLimitSetting = RateLimit | None | PsaDefault


def checked(setting: RateLimitSetting) -> RateLimitSetting:
    """``setting`` normalised to ``(int, float)``; ``ValueError`` for a nonsensical limit."""
    if isinstance(setting, tuple):
        count, window = setting
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError("rate_limit: the count must be an integer >= 0")
        if isinstance(window, bool) or not isinstance(window, int | float) or window <= 0:
            raise ValueError("rate_limit: the window must be a number of seconds > 0")
        return (count, float(window))
    return setting


class SlidingWindow:
    """The times of the requests admitted in the last window (not thread-safe: the plan
    holds its lock around it)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._times: deque[float] = deque()
        self._limit: RateLimit | None = None

    def clear(self) -> None:
        self._times.clear()

    def admit(self, limit: RateLimit | None) -> int | None:
        """``None`` if a request may pass under ``limit`` (and count it), else the
        ``Retry-After``: whole seconds until the oldest request leaves the window."""
        if limit != self._limit:
            self._limit = limit
            self._times.clear()
        if limit is None:
            return None
        count, window = limit
        now = self._clock()
        while self._times and now - self._times[0] >= window:
            self._times.popleft()
        if len(self._times) >= count:
            oldest = self._times[0] if self._times else now
            return max(1, math.ceil(window - (now - oldest)))
        self._times.append(now)
        return None


def rate_limit_to_json(setting: RateLimitSetting) -> dict[str, Any]:
    """``rate_limit`` as ``"psa"``, ``null`` or ``{"requests", "window_seconds"}``, and the
    older ``rate_limit_per_minute`` (set only for a 60-second window)."""
    if isinstance(setting, tuple):
        count, window = setting
        per_minute = count if window == 60.0 else None
        limit: Any = {"requests": count, "window_seconds": window}
        return {"rate_limit": limit, "rate_limit_per_minute": per_minute}
    shown = None if setting is None else setting.value
    return {"rate_limit": shown, "rate_limit_per_minute": None}


def rate_limit_from_json(data: Mapping[str, Any]) -> RateLimitSetting:
    """The setting in a plan's JSON; without ``rate_limit``, ``rate_limit_per_minute`` (absent
    or ``null``: the PSA's limit). ``ValueError`` names what is wrong."""
    per_minute = data.get("rate_limit_per_minute")
    if per_minute is not None and (isinstance(per_minute, bool) or not isinstance(per_minute, int)):
        raise ValueError("rate_limit_per_minute must be an integer")
    if "rate_limit" not in data:
        return PSA_DEFAULT if per_minute is None else checked((per_minute, 60.0))
    setting = _parse(data["rate_limit"])
    if per_minute is not None and setting != (per_minute, 60.0):
        raise ValueError("rate_limit and rate_limit_per_minute disagree; give one of them")
    return setting


def _parse(value: Any) -> RateLimitSetting:
    if value is None:
        return None
    if value == PSA_DEFAULT.value:
        return PSA_DEFAULT
    if isinstance(value, Mapping) and set(value) == {"requests", "window_seconds"}:
        return checked((value["requests"], value["window_seconds"]))
    if isinstance(value, list) and len(value) == 2:
        return checked((value[0], value[1]))
    raise ValueError(
        'rate_limit must be "psa", null, {"requests": N, "window_seconds": S} or [N, S]'
    )
