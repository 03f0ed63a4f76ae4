"""How ``benchmarks/perf_psa.py`` prints its figures and judges its targets (never fails)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from perf_psa_world import ALLOWANCE, PER_LINE
from perf_report import Target

from psabill.sandbox.kinds import TITLES

if TYPE_CHECKING:
    from perf_psa import PsaMeasured, PsaMode, PsaResults

SANDBOX_NOTES = {
    "autotask": [
        "pacing: psabill's default ceiling, 80 a minute (4,800 an hour: under the slow-down",
        "  Autotask adds from 50% of its hourly threshold), is 48% of the allowance, so a run",
        "  longer than a minute takes at least x2.08 the rate floor by design; pace fl shows it.",
    ],
}
RATE_TARGET = 1.5
"""Default rate: wall time at most this many times requests / the PSA's allowance."""


def is_write(route: str) -> bool:
    """A route that changes the PSA: every non-GET but Autotask's queries and Halo's token."""
    method, _, path = route.partition(" ")
    return method != "GET" and not path.lower().endswith(("/query", "query/next", "token"))


def _allowance(kind: str) -> str:
    count, window = ALLOWANCE[kind]
    minutes = window / 60
    per = "an hour" if window == 3600 else f"per {minutes:.0f} minutes"
    threads = ", 3 threads" if kind == "autotask" else ""
    return f"{count:,} requests {per} ({count / minutes:.1f}/min){threads}"


def mode_lines(kind: str, mode: PsaMode, runs: Sequence[PsaMeasured], latency: float) -> list[str]:
    ceiling = mode.ceiling(kind)
    pacing = "no limit" if ceiling is None else f"adaptive up to {ceiling}/min"
    setting = "unset" if mode.rate is None else repr(mode.rate)
    limit = _allowance(kind) if mode.own_limit else "no rate limit"
    concurrency = "unset" if mode.concurrency is None else str(mode.concurrency)
    lines = [
        f"{mode.name}: {mode.companies} companies x {mode.products} products = "
        f"{mode.companies * mode.products} lines; psabill rate_limit {setting} ({pacing}), "
        f"concurrency {concurrency} ({mode.in_flight(kind)} in flight); "
        f"sandbox: {latency * 1000:.0f} ms a request, {limit}",
        f"  {'scenario':10} {'requests':>8} {'writes':>6} {'429':>4} {'row':>3} {'floor':>6} "
        f"{'x':>5} {'wall s':>7} {'rate fl s':>9} {'x':>5} {'pace fl s':>9} {'CPU s':>6} "
        f"{'ms/req':>6} {'RSS MiB':>7} {'srv CPU':>7} ok",
    ]
    for run in runs:
        ratio = f"{run.wall / run.rate_floor:5.2f}" if run.rate_floor else f"{'-':>5}"
        lines.append(
            f"  {run.scenario:10} {run.total:8d} {run.writes:6d} {run.too_many:4d} "
            f"{run.most_429_in_a_row:3d} {run.floor.requests:6d} "
            f"{run.total / run.floor.requests:5.2f} {run.wall:7.2f} {run.rate_floor:9.1f} "
            f"{ratio} {run.pace_floor:9.1f} {run.cpu:6.2f} "
            f"{1000 * run.cpu / max(1, run.total):6.2f} {run.peak_rss_mib:7.0f} "
            f"{run.sandbox_cpu:7.2f} "
            f"{'yes' if run.result_ok and run.exit_code == 0 else f'NO (exit {run.exit_code})'}"
        )
    lines.append("  requests by route (floor: reads + writes + write checks; changed lines):")
    for run in runs:
        routes = ", ".join(f"{route} {n}" for route, n in run.routes.items())
        floor = run.floor
        lines.append(
            f"    {run.scenario:10} floor {floor.reads} + {floor.writes} + {floor.checks}; "
            f"{floor.changed} of {floor.lines} lines changed; {_per_line(run)}"
        )
        lines.append(f"      {routes or '-'}")
    return lines


def _per_line(run: PsaMeasured) -> str:
    """Requests per line, and per changed line when the run wrote: to extrapolate from."""
    text = f"{run.total / run.floor.lines:.2f} requests per line"
    if run.writes and run.floor.changed:
        reads = (run.total - run.writes) / run.floor.changed
        text += f", {run.writes / run.floor.changed:.1f} writes + {reads:.1f} reads per changed"
    return text


def report_lines(results: PsaResults, found: Sequence[Target]) -> list[str]:
    kind = results.kind
    lines = [
        f"psabill perf against the {TITLES[kind]} sandbox ({kind}), "
        f"latency {results.latency * 1000:.0f} ms",
        f"psabill: {results.provenance}",
        f"machine: {os.cpu_count()} CPUs, load average {results.load_before:.2f} before, "
        f"{results.load_after:.2f} after (other processes were running)",
        f"{TITLES[kind]} needs more requests per line than ConnectWise: {PER_LINE[kind]}.",
        *SANDBOX_NOTES.get(kind, []),
        "",
    ]
    for mode in results.modes:
        lines += [*mode_lines(kind, mode, results.runs[mode.name], results.latency), ""]
    return [*lines, *legend(kind), "", "TARGETS (reported, never enforced)"] + [
        t.line() for t in found
    ]


def legend(kind: str) -> list[str]:
    return [
        "columns: requests = every API request the sandbox served (retries and 429s included);",
        "  writes = requests that change the PSA; 429 = refused for the rate, row = the most",
        "  in a row. floor = the fewest requests the job needs through this PSA's API: bulk",
        "  reads (500 a page) and, per write, what the PSA's write semantics require:",
        f"  {PER_LINE[kind]}; x = requests / floor.",
        "  rate fl = requests / the PSA's own allowance: the least time the requests psabill",
        f"  sent may take at {_allowance(kind)};",
        f"  x = wall / rate fl (target <= {RATE_TARGET}).",
        "  pace fl = what psabill's own pacing needs for those requests (R may start in any",
        "  61 s: (ceil(requests / R) - 1) x 61 s, R its default ceiling).",
        "  wall includes psabill's start-up; CPU s, ms/req and RSS are the psabill process's",
        "  own (os.wait4); srv CPU is the sandbox process's in the same run.",
    ]


def targets(results: PsaResults) -> list[Target]:
    found: list[Target] = []
    for name, runs in results.runs.items():
        for run in runs:
            if run.scenario == "no-change":
                found.append(
                    Target(
                        f"{name} no-change: 0 writes",
                        run.writes == 0,
                        f"{run.writes} writes in {run.total} requests",
                    )
                )
            if run.rate_floor:
                ratio = run.wall / run.rate_floor
                found.append(
                    Target(
                        f"{name} {run.scenario}: wall <= {RATE_TARGET} x rate floor",
                        ratio <= RATE_TARGET,
                        f"{run.wall:.1f} s vs {run.total} requests at "
                        f"{_allowance(results.kind)} = {run.rate_floor:.1f} s (x{ratio:.2f})",
                    )
                )
                found.append(
                    Target(
                        f"{name} {run.scenario}: no 429 from the PSA's own limit",
                        run.too_many == 0,
                        f"{run.too_many} answered 429",
                    )
                )
            found.append(
                Target(
                    f"{name} {run.scenario}: result as asked, exit 0",
                    run.result_ok and run.exit_code == 0,
                    f"exit {run.exit_code}, PSA {'matches' if run.result_ok else 'DIFFERS'}",
                )
            )
    return found
