"""Benchmark: psabill syncs against a sandbox with real latency, next to a typical script.

    python benchmarks/perf.py [--companies 2000] [--products 5] [--latency 0.05] [--json FILE]
    python benchmarks/perf.py --companies 50 --products 3 --latency 0.02    # about a minute
    python benchmarks/perf.py --psa autotask|halopsa [...]     # see benchmarks/perf_psa.py

Run it from the repository root with the project's interpreter (.venv/bin/python). It prints
figures, ratios and PASS/MISS next to each target, and always exits 0: it reports, it never
fails CI (machines here are shared and noisy; the load average is printed).

The sandbox (``benchmarks/perf_sandbox.py``) runs in a process of its own, seeded with
N companies x P products, and delays every request by L seconds. psabill runs as the
``psabill`` command (``psabill sync --now``, ``psabill plan``); its CPU seconds and peak RSS are
its own process's (``os.wait4``), its wall time includes its start-up.

Scenarios, in order, each from the PSA state the previous one left:

* first     every line new: the seeded PSA with its additions removed;
* monthly   10% of the lines change;
* no-change the same usage again;
* plan      ``psabill plan`` of another 10% change (reads only).

Each runs in two modes. *unthrottled*: ``rate_limit = "none"`` and ``concurrency`` at its
maximum, no limit in the sandbox. *default rate*: psabill's defaults (``rate_limit`` unset, so
it adapts from its default ceiling; ``concurrency`` 8), and the sandbox answers 429 beyond R
requests in any 60 seconds (R = ``--enforce``, default 1,000: ConnectWise's documented
allowance). The 429 column counts what the sandbox refused, "in a row" the longest run of
429s it answered one after another.
The default-rate mode starts each scenario from the state (PSA and ledger) the unthrottled
one started from, so ``--throttled`` can pick scenarios (the default rate is slow at size).

The request floor is the fewest requests a scenario needs (``perf_world.request_floor``); the
latency floor the least time those need: floor x L / concurrency, floor / rate limit, or the
chain of dependent round trips, whichever is longest. The baseline (``perf_baseline.py``) syncs
the same data from the same states sequentially, a lookup per product; ``--baseline-customers K``
runs it for the first K customers only and scales its time by N / K. It runs while the
default-rate runs do, against a sandbox process of its own: the one mostly waits on latency,
the other on the rate limit, and one after the other they would double the benchmark's time.

Startup: the median wall time of 15 runs each of `psabill due`, `psabill --version` and a
`psabill sync` that is not due (the config's schedule is daily; one scheduled sync first uses
up today's slot), with the benchmark's config of N customers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import perf_psabill
import perf_report
from perf_measure import (
    BaselineMeasured,
    Measured,
    Mode,
    Results,
    Scenario,
    measure_baseline,
    measure_psabill,
)
from perf_psabill import note, provenance
from perf_sandbox import SandboxProcess, listen_overflows
from perf_world import psa_limits, usages, without_additions, write_config

from psabill.sandbox.world import customer_id, write_usage

SCENARIOS = ("first", "monthly", "no-change", "plan")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    psas = ("connectwise", "autotask", "halopsa")
    parser.add_argument("--psa", choices=psas, default="connectwise", help="see perf_psa.py")
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--products", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per request")
    parser.add_argument(
        "--enforce",
        type=int,
        default=1000,
        help="R: the sandbox's 429 limit a minute in the default-rate mode "
        "(default 1000, ConnectWise's documented allowance)",
    )
    parser.add_argument(
        "--throttled",
        default=",".join(SCENARIOS),
        help="scenarios to run at the default rate (comma-separated; '' none)",
    )
    parser.add_argument(
        "--baseline-customers",
        type=int,
        default=0,
        help="run the baseline for this many customers and scale (0: all)",
    )
    parser.add_argument("--startup-runs", type=int, default=15)
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    unknown = set(filter(None, args.throttled.split(","))) - set(SCENARIOS)
    if unknown:
        parser.error(f"--throttled: unknown scenarios {sorted(unknown)}; use {SCENARIOS}")
    return args


def scenarios(companies: int, products: int) -> list[Scenario]:
    usage = usages(companies, products)
    return [
        Scenario("first", "first sync (every line new)", usage.first, ("sync", "--now")),
        Scenario("monthly", "monthly change (10% of lines)", usage.monthly, ("sync", "--now")),
        Scenario("no-change", "no change", usage.monthly, ("sync", "--now")),
        Scenario("plan", "planning only (psabill plan)", usage.planned, ("plan",)),
    ]


def modes(args: argparse.Namespace) -> list[Mode]:
    limits = psa_limits()
    unthrottled = 'rate_limit = "none", concurrency at its maximum'
    return [
        Mode("unthrottled", "none", None, limits["concurrency_max"], None, unthrottled),
        Mode(
            "default rate",
            None,
            limits["rate_ceiling_default"],
            limits["concurrency_default"],
            args.enforce,
            "both at their defaults",
        ),
    ]


class Bench:
    """One benchmark: the sandbox, a scratch directory, and the states each scenario starts from."""

    def __init__(self, args: argparse.Namespace, sandbox: SandboxProcess, scratch: Path) -> None:
        self.args, self.sandbox, self.scratch = args, sandbox, scratch
        self.scenarios = scenarios(args.companies, args.products)
        self.before: dict[str, bytes] = {}
        self.ledgers: dict[str, Path] = {}
        self.after_monthly = b""

    def config(self, mode: Mode) -> tuple[Path, Path]:
        """The mode's config (written on first use) and its state directory."""
        directory = self.scratch / mode.name.replace(" ", "-")
        if (directory / "psabill.toml").exists():
            return directory / "psabill.toml", directory / "state"
        config = write_config(
            directory,
            self.sandbox.site,
            self.args.companies,
            self.args.products,
            rate=mode.rate,
            concurrency=mode.concurrency,
        )
        return config, directory / "state"

    def reference(self, mode: Mode) -> list[Measured]:
        """Every scenario in turn; each one's starting PSA state and ledger are kept."""
        config, state_dir = self.config(mode)
        state = without_additions(self.sandbox.state())
        results = []
        for scenario in self.scenarios:
            self.before[scenario.key] = state
            if scenario.key == "no-change":
                self.after_monthly = state
            self.ledgers[scenario.key] = self.scratch / "ledgers" / scenario.key
            if state_dir.exists():
                shutil.copytree(state_dir, self.ledgers[scenario.key])
            note(f"{mode.name}: {scenario.title}")
            measured, state = measure_psabill(
                self.sandbox,
                scenario,
                mode,
                config,
                state_dir,
                self.before[scenario.key],
                self.args.latency,
            )
            results.append(measured)
        return results

    def replay(self, mode: Mode, keys: list[str]) -> list[Measured]:
        """The chosen scenarios, each from the state the reference run started it from."""
        config, state_dir = self.config(mode)
        results = []
        for scenario in (s for s in self.scenarios if s.key in keys):
            shutil.rmtree(state_dir, ignore_errors=True)
            if self.ledgers[scenario.key].exists():
                shutil.copytree(self.ledgers[scenario.key], state_dir)
            note(f"{mode.name}: {scenario.title}")
            results.append(
                measure_psabill(
                    self.sandbox,
                    scenario,
                    mode,
                    config,
                    state_dir,
                    self.before[scenario.key],
                    self.args.latency,
                )[0]
            )
        return results

    def baseline(self, sandbox: SandboxProcess) -> list[BaselineMeasured]:
        """The baseline of every scenario, on ``sandbox`` (a process of its own)."""
        every = [customer_id(c) for c in range(1, self.args.companies + 1)]
        sample = every[: self.args.baseline_customers or None]
        results = []
        for scenario in self.scenarios:
            note(f"baseline: {scenario.title} ({len(sample)} customers)")
            results.append(
                measure_baseline(
                    sandbox,
                    scenario,
                    self.before[scenario.key],
                    sample,
                    len(every) / len(sample),
                    self.args.latency,
                )
            )
        return results

    def startup(self, mode: Mode) -> tuple[list[perf_psabill.Startup], dict[str, int]]:
        config, state_dir = self.config(mode)
        self.sandbox.load(self.after_monthly)
        write_usage(config.parent, self.scenarios[1].usage)
        self.sandbox.faults(latency=self.args.latency, per_minute=None)
        slot = perf_psabill.use_up_slot(config, state_dir)
        if slot.exit_code != 0:
            note(f"the scheduled sync before the startup runs exited {slot.exit_code}")
        self.sandbox.counts(reset=True)
        note(f"startup: {self.args.startup_runs} runs each")
        results = perf_psabill.startup(config, state_dir, self.args.startup_runs)
        return results, self.sandbox.counts(reset=True)["requests"]


def run(args: argparse.Namespace, scratch: Path, results: Results) -> None:
    reference, throttled = results.modes = modes(args)
    keys = [k for k in args.throttled.split(",") if k]
    note(f"sandbox: {args.companies} companies x {args.products} products")
    perf_psabill.warm_up()
    with (
        SandboxProcess(args.companies, args.products) as sandbox,
        SandboxProcess(args.companies, args.products) as spare,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        bench = Bench(args, sandbox, scratch)
        results.psabill[reference.name] = bench.reference(reference)
        baseline = pool.submit(bench.baseline, spare)
        results.psabill[throttled.name] = bench.replay(throttled, keys)
        results.baseline = baseline.result()
        results.startup, results.startup_requests = bench.startup(reference)


def main() -> None:
    psa = argparse.ArgumentParser(add_help=False)
    psa.add_argument("--psa", default="connectwise")
    if psa.parse_known_args()[0].psa != "connectwise":
        import perf_psa  # Autotask, HaloPSA: their own benchmark and options

        perf_psa.main()
        return
    args = arguments()
    results = Results(args.companies, args.products, args.latency, provenance(), os.getloadavg()[0])
    overflows = listen_overflows()
    with tempfile.TemporaryDirectory(prefix="psabill-perf-") as scratch:
        run(args, Path(scratch), results)
    results.load_after = os.getloadavg()[0]
    if overflows is not None:
        results.listen_overflows = (listen_overflows() or 0) - overflows
    found = perf_report.targets(results)
    if args.json:
        figures = {**results.as_json(), "targets": [asdict(t) for t in found]}
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print("\n".join(perf_report.report_lines(results, found)))
    if args.json:
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
