"""Fault injection: latency, error statuses, dropped connections and lost responses.

A :class:`FaultPlan` is an ordered list of :class:`FaultRule` plus an optional server-side rate
limit. For every request (except the ``/__sandbox__/`` admin endpoints) the server asks
:meth:`FaultPlan.decide` what to do. Rules are checked in order:

* a rule *matches* when its ``method`` (any if ``None``) and ``path`` (a regular expression
  searched in the request path, any if ``None``) fit;
* the first ``after`` matches pass untouched, then the rule *fires* with ``probability``
  (drawn from the plan's seeded RNG, so runs are repeatable), at most ``times`` times
  (unlimited if ``None``);
* every firing ``latency`` rule adds its ``delay``; the first firing rule of another kind ends
  the request (rules after it are not consulted, so their counters do not move) and an
  exhausted rule is skipped without counting. ``status`` answers that status; ``drop`` closes
  the connection before the request is processed; ``lose_response`` processes it (a POST *is
  committed*) and then closes the connection without answering.

Every fault the server really injects is counted by kind (:meth:`FaultPlan.injected`), so a
test can assert that what it meant to inject happened; the counts outlive :meth:`FaultPlan.replace`
and :meth:`FaultPlan.clear`. The kinds: ``latency`` (a request delayed), ``rate_limit`` (refused
by the rate limit), ``status:<code>`` (e.g. ``status:429``), ``drop``, and
``lose_response:<METHOD>`` (processed and accepted, e.g. a POST or PATCH *committed*, then the
answer lost) or ``lose_response:<METHOD>:refused`` (processed, the API refused it, answer lost).

Each PSA answers a fault in its own words: the sandbox's flavor
(:meth:`~psabill.sandbox.flavor.Flavor.fault_response`) builds the 429 (with ``Retry-After``), the
500, the 403 and the proxy's 502/503/504 page.

**Rate limit** (:mod:`psabill.sandbox.fault_rate`): beyond it the answer is the flavor's 429 with
``Retry-After`` = seconds until the oldest request leaves the sliding window. The plan's
``rate_limit`` unset (:data:`PSA_DEFAULT`) means the PSA's own (Autotask 10 000 an hour, HaloPSA
300 per 5 minutes, ConnectWise none); ``None`` means none at all; ``(count, window_seconds)``
replaces the PSA's; ``rate_limit_per_minute=n`` is ``rate_limit=(n, 60)``.

Examples::

    FaultPlan([http_error(503, method="POST", path="/additions$", times=2)])  # next 2 POSTs fail
    FaultPlan([http_error(429, probability=0.3)], seed=7)                     # 30 % rate-limited
    FaultPlan([lose_response(method="POST", times=1)])                       # lose the 1st POST
    FaultPlan(rate_limit=(5, 10.0))                                          # 5 per 10 seconds
    FaultPlan(rate_limit=None)                                               # not even the PSA's
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from psabill.sandbox.fault_rate import (
    PSA_DEFAULT,
    PsaDefault,
    RateLimitSetting,
    SlidingWindow,
    checked,
    rate_limit_from_json,
    rate_limit_to_json,
)
from psabill.sandbox.flavor import RateLimit

FaultKind = Literal["latency", "status", "drop", "lose_response"]
FAULT_KINDS: tuple[FaultKind, ...] = ("latency", "status", "drop", "lose_response")

LATENCY, RATE_LIMIT, DROP = "latency", "rate_limit", "drop"
"""Injected kinds (:meth:`FaultPlan.injected`) that need no detail."""


def status_kind(status: int) -> str:
    """The injected kind of an error answer: ``status:503``."""
    return f"status:{status}"


def lost_kind(method: str, answered: int) -> str:
    """The injected kind of a lost answer: ``lose_response:POST`` when the API accepted the
    request (a write is committed), ``lose_response:POST:refused`` when it answered an error."""
    kind = f"lose_response:{method.upper()}"
    return kind if answered < 400 else f"{kind}:refused"


@dataclass
class FaultRule:
    """One targeted fault; counters ``matched`` and ``fired`` show what it has done so far."""

    kind: FaultKind
    method: str | None = None
    path: str | None = None
    status: int = 503
    retry_after: int = 30
    delay: float = 0.0
    times: int | None = None
    after: int = 0
    probability: float = 1.0
    matched: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {FAULT_KINDS}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if self.kind == "status" and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.delay < 0 or self.after < 0 or (self.times is not None and self.times < 0):
            raise ValueError("delay, after and times cannot be negative")
        if self.path is not None:
            re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or re.search(self.path, path) is not None

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times


def latency(delay: float, **target: Any) -> FaultRule:
    return FaultRule("latency", delay=delay, **target)


def http_error(status: int, **target: Any) -> FaultRule:
    return FaultRule("status", status=status, **target)


def rate_limited(retry_after: int = 30, **target: Any) -> FaultRule:
    return FaultRule("status", status=429, retry_after=retry_after, **target)


def drop(**target: Any) -> FaultRule:
    return FaultRule("drop", **target)


def lose_response(**target: Any) -> FaultRule:
    return FaultRule("lose_response", **target)


@dataclass(frozen=True)
class FaultDecision:
    delay: float = 0.0
    rule: FaultRule | None = None
    """The terminal fault to apply (a copy of the rule as it fired), if any."""
    retry_after: int | None = None
    """Set when the server-side rate limit refused the request."""


class FaultPlan:
    """A thread-safe, mutable set of fault rules; change it while the server runs."""

    def __init__(
        self,
        rules: Iterable[FaultRule] = (),
        *,
        seed: int = 0,
        rate_limit: RateLimitSetting = PSA_DEFAULT,
        rate_limit_per_minute: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_limit_per_minute is not None:
            if rate_limit is not PSA_DEFAULT:
                raise ValueError("give rate_limit or rate_limit_per_minute, not both")
            rate_limit = (rate_limit_per_minute, 60.0)
        self._lock = threading.Lock()
        self._rules = list(rules)
        self._seed = seed
        self._random = random.Random(seed)  # noqa: S311 - repeatable test faults, not security
        self._rate_limit = checked(rate_limit)
        self._clock = clock
        self._window = SlidingWindow(clock)
        self._psa_limit: RateLimit | None = None
        self._injected: Counter[str] = Counter()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    @property
    def rate_limit(self) -> RateLimitSetting:
        """The plan's limit: :data:`PSA_DEFAULT`, ``None`` (none at all) or ``(count, window)``."""
        with self._lock:
            return self._rate_limit

    def set_rate_limit(self, limit: int | RateLimit | PsaDefault | None) -> None:
        """Change the limit while the server runs; an ``int`` is a limit per minute."""
        setting: RateLimitSetting = (limit, 60.0) if isinstance(limit, int) else limit
        with self._lock:
            self._rate_limit = checked(setting)
            self._window.clear()

    def use_psa_limit(self, limit: RateLimit | None) -> None:
        """The PSA's own limit, applied while the plan sets none (the sandbox passes its
        flavor's; it outlives :meth:`replace` and :meth:`clear`)."""
        with self._lock:
            self._psa_limit = limit

    def clear(self) -> None:
        """Remove every rule and the plan's own rate limit (the PSA's applies again); reseed
        the RNG."""
        self.replace(FaultPlan(seed=self._seed))

    def replace(self, other: FaultPlan) -> None:
        """Take over ``other``'s rules, seed and rate limit (used by the admin endpoint).

        The injected counts stay: they tell what this server has done, whatever the plan.
        """
        with self._lock:
            self._rules = other.rules
            self._seed = other._seed
            self._random = random.Random(other._seed)  # noqa: S311
            self._rate_limit = other._rate_limit
            self._window.clear()

    def count(self, kind: str) -> None:
        """Note one fault the server really injected (called by the transport)."""
        with self._lock:
            self._injected[kind] += 1

    def injected(self) -> dict[str, int]:
        """Faults injected so far by kind (see the module docstring), since the last reset."""
        with self._lock:
            return dict(self._injected)

    def reset_injected(self) -> None:
        with self._lock:
            self._injected.clear()

    def decide(self, method: str, path: str) -> FaultDecision:
        with self._lock:
            limit = self._psa_limit if self._rate_limit is PSA_DEFAULT else self._rate_limit
            retry_after = self._window.admit(limit)
            if retry_after is not None:
                return FaultDecision(retry_after=retry_after)
            delay = 0.0
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, path):
                    continue
                rule.matched += 1
                if rule.matched <= rule.after or self._random.random() >= rule.probability:
                    continue
                rule.fired += 1
                if rule.kind == "latency":
                    delay += rule.delay
                    continue
                return FaultDecision(delay=delay, rule=FaultRule(**asdict(rule)))
            return FaultDecision(delay=delay)

    # -- JSON form: {"seed": 0, "rate_limit": "psa", "rules": [{"kind": ...}, ...]} ---------

    def to_json(self) -> dict[str, Any]:
        """The plan, and (read-only, ignored by :meth:`from_json`) the ``injected`` counts."""
        with self._lock:
            return {
                "seed": self._seed,
                **rate_limit_to_json(self._rate_limit),
                "rules": [asdict(rule) for rule in self._rules],
                "injected": dict(sorted(self._injected.items())),
            }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultPlan:
        """Build a plan from its JSON form; raise ``ValueError`` naming the first problem."""
        if not isinstance(data, Mapping):
            raise ValueError("a fault plan is a JSON object with 'rules'")
        known = {f.name for f in fields(FaultRule)} - {"matched", "fired"}
        rules = []
        for index, item in enumerate(data.get("rules") or []):
            if not isinstance(item, Mapping):
                raise ValueError(f"rules[{index}] must be an object")
            unknown = set(item) - known - {"matched", "fired"}
            if unknown:
                raise ValueError(f"rules[{index}]: unknown keys {sorted(unknown)}")
            try:
                rules.append(FaultRule(**{k: v for k, v in item.items() if k in known}))
            except (TypeError, ValueError, re.error) as error:
                raise ValueError(f"rules[{index}]: {error}") from None
        seed = data.get("seed", 0)
        if not isinstance(seed, int):
            raise ValueError("seed must be an integer")
        return cls(rules, seed=seed, rate_limit=rate_limit_from_json(data))

    @classmethod
    def from_file(cls, path: Path) -> FaultPlan:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
