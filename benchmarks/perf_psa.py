"""Benchmark: psabill syncs against the Autotask or HaloPSA sandbox, at that PSA's own limit.

    python benchmarks/perf.py --psa autotask      # about 13 minutes
    python benchmarks/perf.py --psa halopsa       # about 9 minutes
    python benchmarks/perf_psa.py --psa halopsa --companies 10 --big-companies 50   # quick

``perf.py --psa connectwise`` (the default) is the ConnectWise benchmark, unchanged. This one
runs the same scenarios (first sync, monthly 10% change, no change, ``psabill plan`` of another
10%) on the same generated MSP (``seed_large(N, P)``, translated by the PSA's sandbox: company
ids and product names in that PSA's terms), in a sandbox process of its own, two ways:

* **default rate**: N x P lines (``--companies``/``--products``), the sandbox enforcing the PSA's
  own limit (Autotask 10,000 requests a rolling hour and 3 threads; HaloPSA 300 per rolling 5
  minutes), psabill at its defaults (``[psa] rate_limit`` and ``concurrency`` unset: adaptive
  from 80 a minute on Autotask, 55 on HaloPSA);
* **unthrottled**: a bigger world (``--big-companies``/``--big-products``), no limit in the
  sandbox, ``rate_limit = "none"`` and ``concurrency`` at its maximum: psabill's own cost.

Every request is delayed ``--latency`` seconds. Each scenario starts from the state the one
before left. It prints, per scenario, the requests by route, the request floor
(``perf_psa_world``), the rate floor (requests / the PSA's allowance), psabill's own pacing floor,
429s, CPU and peak RSS of the psabill process, and PASS/MISS of wall <= 1.5 x the rate floor.
It always exits 0: it reports, it never fails CI (the load average is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import perf_psa_report
import perf_psabill
from perf import scenarios
from perf_measure import Scenario
from perf_psa_sandbox import PsaSandboxProcess
from perf_psa_world import (
    Names,
    PsaFloor,
    billed,
    billing_day,
    pace_floor,
    rate_floor,
    request_floor,
    without_additions,
    write_config,
)
from perf_psabill import note, provenance

from psabill.config.psa_models import AutotaskPsa, HaloPsa
from psabill.sandbox.world import write_usage

MODELS: dict[str, type[AutotaskPsa] | type[HaloPsa]] = {
    "autotask": AutotaskPsa,
    "halopsa": HaloPsa,
}
SIZES = {"autotask": (20, 3), "halopsa": (50, 3)}
"""Default-rate sizes that take a few minutes each at the PSA's real limit."""


@dataclass(frozen=True)
class PsaMode:
    name: str
    companies: int
    products: int
    rate: str | None
    """``[psa] rate_limit``: ``"none"`` or None (unset: adaptive)."""
    concurrency: int | None
    """``[psa] concurrency``: None is unset (the PSA's default)."""
    own_limit: bool
    """The sandbox enforces the PSA's own rate limit (else none)."""

    def ceiling(self, kind: str) -> int | None:
        return None if self.rate == "none" else int(MODELS[kind].default_ceiling)

    def in_flight(self, kind: str) -> int:
        field_ = MODELS[kind].model_fields["concurrency"]
        return self.concurrency or int(field_.default)


@dataclass(frozen=True)
class PsaMeasured:
    scenario: str
    statuses: dict[str, int]
    routes: dict[str, int]
    floor: PsaFloor
    wall: float
    cpu: float
    peak_rss_mib: float
    exit_code: int
    sandbox_cpu: float
    result_ok: bool
    most_429_in_a_row: int
    rate_floor: float
    pace_floor: float

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def too_many(self) -> int:
        return sum(n for key, n in self.statuses.items() if key.endswith(" 429"))

    @property
    def writes(self) -> int:
        return sum(n for route, n in self.routes.items() if perf_psa_report.is_write(route))

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "floor": {**asdict(self.floor), "requests": self.floor.requests},
            "requests": self.total,
            "status_429": self.too_many,
            "writes": self.writes,
        }


@dataclass
class PsaResults:
    kind: str
    latency: float
    provenance: str
    load_before: float
    load_after: float = 0.0
    modes: list[PsaMode] = field(default_factory=list)
    runs: dict[str, list[PsaMeasured]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "psa": self.kind,
            "latency": self.latency,
            "provenance": self.provenance,
            "machine": {"cpus": os.cpu_count(), "load": [self.load_before, self.load_after]},
            "modes": [asdict(m) for m in self.modes],
            "runs": {name: [r.as_json() for r in runs] for name, runs in self.runs.items()},
        }


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--psa", choices=("autotask", "halopsa"), required=True)
    parser.add_argument("--companies", type=int, help="default rate: N (autotask 20, halopsa 50)")
    parser.add_argument("--products", type=int, help="default rate: P (3)")
    parser.add_argument("--big-companies", type=int, default=500, help="unthrottled: N")
    parser.add_argument("--big-products", type=int, default=5, help="unthrottled: P")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added per request")
    parser.add_argument(
        "--modes", default="unthrottled,default rate", help="which modes (comma-separated)"
    )
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    small = SIZES[args.psa]
    args.companies = args.companies or small[0]
    args.products = args.products or small[1]
    return args


def modes(args: argparse.Namespace) -> list[PsaMode]:
    maximum = next(
        int(m.le) for m in MODELS[args.psa].model_fields["concurrency"].metadata if hasattr(m, "le")
    )
    every = [
        PsaMode("unthrottled", args.big_companies, args.big_products, "none", maximum, False),
        PsaMode("default rate", args.companies, args.products, None, None, True),
    ]
    wanted = {m.strip() for m in args.modes.split(",")}
    return [m for m in every if m.name in wanted]


def run_mode(kind: str, mode: PsaMode, latency: float, scratch: Path) -> list[PsaMeasured]:
    note(f"{kind} {mode.name}: sandbox with {mode.companies} x {mode.products}")
    with PsaSandboxProcess(kind, mode.companies, mode.products) as sandbox:
        names = Names(sandbox.companies, sandbox.products)
        directory = scratch / mode.name.replace(" ", "-")
        config = write_config(
            directory, sandbox.section, names, rate=mode.rate, concurrency=mode.concurrency
        )
        state = without_additions(kind, sandbox.state())
        results = []
        for scenario in scenarios(mode.companies, mode.products):
            note(f"{kind} {mode.name}: {scenario.title}")
            measured, state = measure(sandbox, kind, mode, scenario, config, state, names, latency)
            results.append(measured)
    return results


def measure(
    sandbox: PsaSandboxProcess,
    kind: str,
    mode: PsaMode,
    scenario: Scenario,
    config: Path,
    before: bytes,
    names: Names,
    latency: float,
) -> tuple[PsaMeasured, bytes]:
    """Run ``scenario`` once from ``before``; its figures and the PSA state after it."""
    sandbox.load(before)
    write_usage(config.parent, scenario.usage)
    sandbox.faults(latency=latency, per_minute=None, own_limit=mode.own_limit)
    start_cpu = sandbox.counts(reset=True)["cpu_seconds"]
    state_dir = config.parent / "state"
    run = perf_psabill.run([*perf_psabill.options(config, state_dir), *scenario.arguments])
    counts = sandbox.counts()
    after = sandbox.state()
    day = billing_day()
    floor = request_floor(kind, before, scenario.usage, names, day, dry_run=scenario.dry_run)
    expected = (
        billed(kind, before, names, day)
        if scenario.dry_run
        else Counter((c, s, float(q)) for (c, s), q in scenario.usage.items())
    )
    if run.exit_code != 0:
        print(f"psabill exited {run.exit_code}:\n{run.output_tail}", file=sys.stderr)
    requests = sum(counts["requests"].values())
    measured = PsaMeasured(
        scenario=scenario.key,
        statuses=dict(sorted(counts["requests"].items())),
        routes=dict(sorted(counts["routes"].items(), key=lambda item: -item[1])),
        floor=floor,
        wall=run.wall,
        cpu=run.cpu,
        peak_rss_mib=run.peak_rss_mib,
        exit_code=run.exit_code,
        sandbox_cpu=counts["cpu_seconds"] - start_cpu,
        result_ok=billed(kind, after, names, day) == expected,
        most_429_in_a_row=counts.get("most_429_in_a_row", 0),
        rate_floor=rate_floor(kind, requests) if mode.own_limit else 0.0,
        pace_floor=pace_floor(requests, mode.ceiling(kind)),
    )
    return measured, after


def main() -> None:
    args = arguments()
    results = PsaResults(args.psa, args.latency, provenance(), os.getloadavg()[0])
    results.modes = modes(args)
    perf_psabill.warm_up()
    with tempfile.TemporaryDirectory(prefix="psabill-perf-psa-") as scratch:
        for mode in results.modes:
            results.runs[mode.name] = run_mode(args.psa, mode, args.latency, Path(scratch))
    results.load_after = os.getloadavg()[0]
    found = perf_psa_report.targets(results)
    if args.json:
        figures = {**results.as_json(), "targets": [asdict(t) for t in found]}
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print("\n".join(perf_psa_report.report_lines(results, found)))
    if args.json:
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
