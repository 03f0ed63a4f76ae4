"""What ``benchmarks/perf.py`` measures: one scenario, one way of running it, its figures.

A :class:`Mode` is how psabill is configured and what the sandbox enforces; a :class:`Scenario`
is the usage and the command. :func:`measure_psabill` and :func:`measure_baseline` run one
scenario from a PSA state and return :class:`Measured` / :class:`BaselineMeasured`.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import perf_baseline
import perf_psabill
from perf_sandbox import SandboxProcess
from perf_world import Floor, Usage, additions_digest, request_floor

from psabill.sandbox.world import write_usage

WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


@dataclass(frozen=True)
class Mode:
    name: str
    rate: int | str | None
    """psabill's ``[psa] rate_limit``: a number, ``"none"``, or None (unset: adaptive)."""
    ceiling: int | None
    """Requests a minute psabill lets start in any minute at most (None: no limit)."""
    concurrency: int
    enforce: int | None
    """The sandbox answers 429 beyond this many requests in any 60 seconds (None: never)."""
    settings: str
    """Where ``rate`` and ``concurrency`` come from, in words."""


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    usage: Usage
    arguments: tuple[str, ...]

    @property
    def dry_run(self) -> bool:
        return self.arguments[0] == "plan"


@dataclass(frozen=True)
class Measured:
    scenario: str
    mode: str
    statuses: dict[str, int]
    """Requests the sandbox served, by ``"METHOD STATUS"``."""
    floor: Floor
    wall: float
    latency_floor: float
    latency_bound: str
    enforced: int | None
    """The sandbox's 429 limit a minute (None: none)."""
    cpu: float
    peak_rss_mib: float
    exit_code: int
    sandbox_cpu: float
    result_ok: bool
    most_429_in_a_row: int = 0
    """The longest run of 429 answers the sandbox sent one after another."""

    @property
    def by_method(self) -> dict[str, int]:
        return _by_method(self.statuses)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def writes(self) -> int:
        return sum(self.by_method.get(method, 0) for method in WRITE_METHODS)

    @property
    def pacing_bound(self) -> float | None:
        """Requests / the sandbox's enforced rate, in seconds (None when nothing is enforced)."""
        return None if self.enforced is None else self.total / (self.enforced / 60)

    @property
    def too_many(self) -> int:
        return sum(n for key, n in self.statuses.items() if key.endswith(" 429"))

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "floor": {**asdict(self.floor), "requests": self.floor.requests},
            "requests": self.total,
            "requests_by_method": self.by_method,
            "writes": self.writes,
            "status_429": self.too_many,
            "pacing_bound": self.pacing_bound,
            "floor_ratio": self.total / self.floor.requests,
            "latency_ratio": self.wall / self.latency_floor if self.latency_floor else None,
            "cpu_ms_per_request": 1000 * self.cpu / max(1, self.total),
            "cpu_us_per_line": 1e6 * self.cpu / max(1, self.floor.lines),
        }


@dataclass(frozen=True)
class BaselineMeasured:
    scenario: str
    statuses: dict[str, int]
    wall: float
    customers: int
    scale: float
    """All customers / customers run: the wall time is scaled by it when only a sample ran."""
    cpu: float
    result_ok: bool

    @property
    def by_method(self) -> dict[str, int]:
        return _by_method(self.statuses)

    @property
    def wall_estimate(self) -> float:
        return self.wall * self.scale

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "requests_by_method": self.by_method,
            "wall_estimate": self.wall_estimate,
        }


@dataclass
class Results:
    """Everything one benchmark measured."""

    companies: int
    products: int
    latency: float
    provenance: str
    load_before: float
    modes: list[Mode] = field(default_factory=list)
    psabill: dict[str, list[Measured]] = field(default_factory=dict)
    baseline: list[BaselineMeasured] = field(default_factory=list)
    startup: list[perf_psabill.Startup] = field(default_factory=list)
    startup_requests: dict[str, int] = field(default_factory=dict)
    load_after: float = 0.0
    listen_overflows: int | None = None
    """TCP connections the machine dropped for a full listen backlog during the benchmark."""

    def by_mode(self) -> dict[str, dict[str, Measured]]:
        return {name: {m.scenario: m for m in runs} for name, runs in self.psabill.items()}

    def as_json(self) -> dict[str, Any]:
        return {
            **{k: getattr(self, k) for k in ("companies", "products", "latency", "provenance")},
            "machine": {"cpus": os.cpu_count(), "load": [self.load_before, self.load_after]},
            "modes": [asdict(m) for m in self.modes],
            "psabill": {name: [m.as_json() for m in runs] for name, runs in self.psabill.items()},
            "baseline": [b.as_json() for b in self.baseline],
            "startup": [asdict(s) for s in self.startup],
            "startup_requests": self.startup_requests,
            "listen_overflows": self.listen_overflows,
        }


def _by_method(statuses: Mapping[str, int]) -> dict[str, int]:
    methods: Counter[str] = Counter()
    for key, count in statuses.items():
        methods[key.split()[0]] += count
    return dict(sorted(methods.items()))


def latency_floor(floor: Floor, latency: float, mode: Mode) -> tuple[float, str]:
    """The least wall time the floor's requests need, and which bound sets it: in-flight
    requests (concurrency), the allowance (psabill's ceiling or the sandbox's limit, whichever
    is lower: R may start in any minute, so n requests need ceil(n / R) - 1 whole minutes
    after the first), or the chain of dependent round trips."""
    allowance = min((r for r in (mode.ceiling, mode.enforce) if r), default=None)
    windows = 0 if allowance is None else math.ceil(floor.requests / allowance) - 1
    bounds = {
        "concurrency": floor.requests * latency / mode.concurrency,
        "rate limit": windows * 60.0,
        "round trips": floor.depth * latency,
    }
    bound = max(bounds, key=lambda name: bounds[name])
    return bounds[bound], bound


def expected_digest(before: bytes, scenario: Scenario, companies: set[str] | None) -> Counter[Any]:
    """What the additions must be afterwards: the usage, or (a dry run) what was there."""
    if scenario.dry_run:
        return additions_digest(before, companies)
    return Counter(
        (customer, sku, float(quantity))
        for (customer, sku), quantity in scenario.usage.items()
        if companies is None or customer in companies
    )


def measure_psabill(
    sandbox: SandboxProcess,
    scenario: Scenario,
    mode: Mode,
    config: Path,
    state_dir: Path,
    before: bytes,
    latency: float,
) -> tuple[Measured, bytes]:
    """Run ``scenario`` once from the PSA state ``before``; its figures and the state after."""
    sandbox.load(before)
    write_usage(config.parent, scenario.usage)
    sandbox.faults(latency=latency, per_minute=mode.enforce)
    start_cpu = sandbox.counts(reset=True)["cpu_seconds"]
    run = perf_psabill.run([*perf_psabill.options(config, state_dir), *scenario.arguments])
    counts = sandbox.counts()
    after = sandbox.state()
    floor = request_floor(before, scenario.usage, dry_run=scenario.dry_run)
    seconds, bound = latency_floor(floor, latency, mode)
    if run.exit_code != 0:
        print(f"psabill exited {run.exit_code}:\n{run.output_tail}", file=sys.stderr)
    measured = Measured(
        scenario=scenario.key,
        mode=mode.name,
        statuses=dict(sorted(counts["requests"].items())),
        floor=floor,
        wall=run.wall,
        latency_floor=seconds,
        latency_bound=bound,
        enforced=mode.enforce,
        cpu=run.cpu,
        peak_rss_mib=run.peak_rss_mib,
        exit_code=run.exit_code,
        sandbox_cpu=counts["cpu_seconds"] - start_cpu,
        result_ok=additions_digest(after) == expected_digest(before, scenario, None),
        most_429_in_a_row=counts.get("most_429_in_a_row", 0),
    )
    return measured, after


def measure_baseline(
    sandbox: SandboxProcess,
    scenario: Scenario,
    before: bytes,
    customers: list[str],
    scale: float,
    latency: float,
) -> BaselineMeasured:
    sandbox.load(before)
    sandbox.faults(latency=latency, per_minute=None)
    sandbox.counts(reset=True)
    started, cpu = time.perf_counter(), time.thread_time()  # it runs in a thread of its own
    perf_baseline.sync(sandbox.site, scenario.usage, customers, dry_run=scenario.dry_run)
    wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
    counts = sandbox.counts()
    sample = set(customers)
    ok = additions_digest(sandbox.state(), sample) == expected_digest(before, scenario, sample)
    return BaselineMeasured(
        scenario=scenario.key,
        statuses=dict(sorted(counts["requests"].items())),
        wall=wall,
        customers=len(customers),
        scale=scale,
        cpu=cpu,
        result_ok=ok,
    )
