"""How ``benchmarks/perf.py`` prints its figures and judges its targets (PASS/MISS, never fail)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from perf_measure import BaselineMeasured, Measured, Mode, Results
from perf_psabill import Startup

STARTUP_TARGET_MS = 150.0
TARGET_LATENCY = 0.050
"""The latency the unthrottled wall-time targets are set at."""


@dataclass(frozen=True)
class Target:
    name: str
    met: bool
    detail: str

    def line(self) -> str:
        return f"  [{'PASS' if self.met else 'MISS'}] {self.name}: {self.detail}"


def _methods(by_method: dict[str, int]) -> str:
    return " ".join(f"{method} {count}" for method, count in by_method.items()) or "-"


def mode_lines(mode: Mode, runs: Sequence[Measured], latency: float) -> list[str]:
    enforced = f"429 beyond {mode.enforce}/min" if mode.enforce else "no rate limit"
    pacing = "no limit" if mode.ceiling is None else f"adaptive up to {mode.ceiling}/min"
    setting = "unset" if mode.rate is None else repr(mode.rate)
    lines = [
        f"{mode.name}: psabill rate_limit {setting} ({pacing}), concurrency {mode.concurrency} "
        f"({mode.settings}); "
        f"sandbox: {latency * 1000:.0f} ms a request, {enforced}",
        f"  {'scenario':10} {'requests by method':28} {'429':>4} {'row':>3} {'floor':>6} {'x':>5} "
        f"{'wall s':>7} {'lat.floor s':>11} {'(bound)':13} {'x':>5} {'CPU s':>6} "
        f"{'ms/req':>6} {'us/line':>7} {'RSS MiB':>7} {'srv CPU':>7} ok",
    ]
    for run in runs:
        lines.append(
            f"  {run.scenario:10} {_methods(run.by_method):28} {run.too_many:4d} "
            f"{run.most_429_in_a_row:3d} {run.floor.requests:6d} "
            f"{run.total / run.floor.requests:5.2f} {run.wall:7.2f} "
            f"{run.latency_floor:11.2f} {'(' + run.latency_bound + ')':13} "
            f"{run.wall / run.latency_floor:5.2f} {run.cpu:6.2f} "
            f"{1000 * run.cpu / max(1, run.total):6.2f} {1e6 * run.cpu / run.floor.lines:7.0f} "
            f"{run.peak_rss_mib:7.0f} {run.sandbox_cpu:7.2f} "
            f"{'yes' if run.result_ok and run.exit_code == 0 else f'NO (exit {run.exit_code})'}"
        )
    return lines


def baseline_lines(
    baseline: Sequence[BaselineMeasured], psabill: dict[str, dict[str, Measured]]
) -> list[str]:
    lines = [
        "baseline: sequential httpx script, a lookup per product, page size 25 "
        "(its own sandbox process, alongside the default-rate runs)",
        f"  {'scenario':10} {'requests by method':34} {'wall s':>8} "
        + "".join(f"{'vs ' + mode:>18}" for mode in psabill)
        + "  result ok",
    ]
    for run in baseline:
        estimate = run.wall_estimate
        note = "" if run.scale == 1 else f" (est. from {run.customers} customers)"
        speedups = "".join(
            f"{estimate / runs[run.scenario].wall:17.1f}x" if run.scenario in runs else f"{'-':>18}"
            for runs in psabill.values()
        )
        lines.append(
            f"  {run.scenario:10} {_methods(_scaled(run)):34} {estimate:8.1f}{speedups}  "
            f"{'yes' if run.result_ok else 'NO'}{note}"
        )
    return lines


def _scaled(run: BaselineMeasured) -> dict[str, int]:
    return {method: round(count * run.scale) for method, count in run.by_method.items()}


def startup_lines(results: Sequence[Startup], customers: int) -> list[str]:
    lines = [f"startup (subprocess wall time, median; the config maps {customers} customers)"]
    for item in results:
        codes = ", ".join(map(str, item.exit_codes))
        expected = (
            "" if item.exit_codes == [item.expected_exit] else f" (expected {item.expected_exit})"
        )
        lines.append(
            f"  {item.name:24} {item.median_ms:7.0f} ms   CPU {item.cpu_median_ms:5.0f} ms   "
            f"{item.runs} runs, exit {codes}{expected}"
        )
    return lines


def report_lines(results: Results, found: Sequence[Target]) -> list[str]:
    by_mode = results.by_mode()
    lines = [
        f"psabill perf: {results.companies} companies x {results.products} products = "
        f"{results.companies * results.products} lines, latency {results.latency * 1000:.0f} ms",
        f"psabill: {results.provenance}",
        f"machine: {os.cpu_count()} CPUs, load average {results.load_before:.2f} before, "
        f"{results.load_after:.2f} after (other processes were running); "
        f"TCP listen overflows meanwhile (any server here): {results.listen_overflows}",
        "",
    ]
    for mode in results.modes:
        lines += [*mode_lines(mode, results.psabill[mode.name], results.latency), ""]
    lines += [*baseline_lines(results.baseline, by_mode), ""]
    lines += startup_lines(results.startup, results.companies)
    requests = sum(results.startup_requests.values())
    lines += [f"  PSA requests during the timed startup runs: {requests}", ""]
    return [*lines, *LEGEND, "", "TARGETS (reported, never enforced)", *(t.line() for t in found)]


LEGEND = (
    "columns: 429 = requests the sandbox refused for the rate; row = the most 429s it answered",
    "  one after another. floor = the fewest requests the scenario needs (a codebase lookup;",
    "  companies, agreements and catalog in pages of 1,000; one additions read per billable",
    "  agreement; one write per changed line; one read-back per agreement written to);",
    "  x = measured / floor.",
    "  lat.floor = the least time the floor's requests take: floor x L / concurrency, the whole",
    "  minutes the allowance makes them wait (R may start in any minute: ceil(floor / R) - 1),",
    "  or the dependent round trips x L, whichever is longest (the bound is named).",
    "  wall includes psabill's start-up. CPU s, ms/req, us/line and RSS are psabill's own process",
    "  (os.wait4); srv CPU is the sandbox process's CPU seconds in the same run.",
)


def targets(results: Results) -> list[Target]:
    psabill = results.by_mode()
    found = [_no_change(runs["no-change"]) for runs in psabill.values() if "no-change" in runs]
    unthrottled = psabill.get("unthrottled", {})
    found += [_latency(run, results.latency) for run in unthrottled.values()]
    found += [
        _speedup(run, unthrottled[run.scenario])
        for run in results.baseline
        if run.scenario in unthrottled
    ]
    defaults = psabill.get("default rate", {})
    found += [
        _speedup(run, defaults[run.scenario], at_least=5, mode="default settings")
        for run in results.baseline
        if run.scenario in defaults
    ]
    for run in psabill.get("default rate", {}).values():
        found += _throttled(run)
    found += [_startup(item) for item in results.startup if "version" not in item.name]
    return found


def _no_change(run: Measured) -> Target:
    limit = 1.02 * run.floor.requests
    return Target(
        f"no change ({run.mode}): 0 writes, requests <= 1.02 x floor",
        run.writes == 0 and run.total <= limit,
        f"{run.writes} writes, {run.total} requests vs floor {run.floor.requests} "
        f"(x{run.total / run.floor.requests:.2f}, limit {limit:.0f})",
    )


def _at(latency: float) -> str:
    ms = latency * 1000
    return (
        ""
        if abs(latency - TARGET_LATENCY) < 1e-9
        else f" [measured at L={ms:.0f} ms; target set at 50 ms]"
    )


def _latency(run: Measured, latency: float) -> Target:
    ratio = run.wall / run.latency_floor
    return Target(
        f"unthrottled {run.scenario}: wall <= 1.5 x latency floor",
        ratio <= 1.5,
        f"{run.wall:.2f} s vs {run.latency_floor:.2f} s ({run.latency_bound}) = x{ratio:.2f}"
        + _at(latency)
        + _machine(run),
    )


def _machine(run: Measured) -> str:
    """What the machine allows: the sandbox answers on the same cores as psabill, so the CPU
    both use, spread over every core, is a floor the latency floor does not count."""
    cores = os.cpu_count() or 1
    busy = (run.cpu + run.sandbox_cpu) / cores
    return (
        f"; CPU floor here: (psabill {run.cpu:.1f} s + sandbox {run.sandbox_cpu:.1f} s)"
        f" / {cores} cores = {busy:.2f} s, wall x{run.wall / busy:.2f}"
    )


def _speedup(
    baseline: BaselineMeasured, run: Measured, *, at_least: float = 10, mode: str = "unthrottled"
) -> Target:
    speedup = baseline.wall_estimate / run.wall
    note = (
        "" if baseline.scale == 1 else f", baseline estimated from {baseline.customers} customers"
    )
    return Target(
        f"{mode} {run.scenario}: >= {at_least:.0f}x the baseline",
        speedup >= at_least,
        f"{baseline.wall_estimate:.1f} s / {run.wall:.2f} s = {speedup:.1f}x{note}",
    )


def _throttled(run: Measured) -> list[Target]:
    bound = run.pacing_bound or float("nan")
    return [
        Target(
            f"default rate {run.scenario}: wall <= 1.05 x requests / R",
            run.wall <= 1.05 * bound,
            f"{run.wall:.1f} s vs {run.total} requests / {run.enforced} a minute = {bound:.1f} s"
            f" (x{run.wall / bound:.2f})",
        ),
        Target(
            f"default rate {run.scenario}: no 429 from a sandbox enforcing R",
            run.too_many == 0,
            f"{run.too_many} answered 429",
        ),
        Target(
            f"default rate {run.scenario}: never more than one 429 in a row",
            run.most_429_in_a_row <= 1,
            f"at most {run.most_429_in_a_row} in a row",
        ),
    ]


def _startup(item: Startup) -> Target:
    return Target(
        f"startup {item.name}: median < {STARTUP_TARGET_MS:.0f} ms",
        item.median_ms < STARTUP_TARGET_MS,
        f"{item.median_ms:.0f} ms",
    )
