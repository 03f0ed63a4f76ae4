"""Benchmark: psabill's own CPU per HTTP request and per plan line in a real sync.

The sandbox runs in a child process (``psabill sandbox serve``), so the CPU time measured here
(``time.process_time`` around each ``Runner.sync``) is psabill's alone: usage reading, HTTP,
JSON, mapping, planning, the ledger. Request counts come from the sandbox's request log.
Prints figures; asserts nothing (machines here are shared and noisy: ``--repeat`` keeps the
lowest CPU of each phase).

    .venv/bin/python benchmarks/request_cost.py --customers 500 --products 5 --repeat 3
    .venv/bin/python benchmarks/request_cost.py --profile sync       # cProfile of one phase

Before/after: ``--baseline DIR`` runs the same benchmark first on the psabill package in DIR
(a checkout of the older code, e.g. ``git worktree add /tmp/old HEAD~1``) in a child process,
with ``--baseline-python`` as its interpreter if given (say a venv without ``sniffio``):

    .venv/bin/python benchmarks/request_cost.py --baseline /tmp/old --repeat 3

Phases: a dry-run plan (reads only), a sync where every quantity changes (a PATCH per line,
then a read-back per agreement), and a re-run where nothing changes. ``--latency`` makes the
sandbox wait before each answer, like a PSA that far away.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.core.report import SyncRequest
from psabill.sandbox.world import customer_id, product_sku, write_usage, write_world_config

PHASES = {
    "plan": SyncRequest(trigger="manual", dry_run=True, allow_drop=True),
    "sync": SyncRequest(trigger="manual", allow_drop=True),
    "rerun": SyncRequest(trigger="manual", allow_drop=True),
}
LOG_SIZE = 10_000
"""The sandbox keeps the last 10 000 requests; a phase with more cannot be counted."""


@dataclass
class Phase:
    name: str
    requests: int
    cpu: float
    wall: float
    lines: int
    outcome: str

    @property
    def per_request_ms(self) -> float:
        return 1000 * self.cpu / max(self.requests, 1)

    @property
    def per_line_ms(self) -> float:
        return 1000 * self.cpu / max(self.lines, 1)


class SandboxProcess:
    """``psabill sandbox serve`` in a child process; its ``[psa]`` section and admin API."""

    def __init__(self, customers: int, products: int) -> None:
        command = [sys.executable, "-m", "psabill", "sandbox", "serve"]
        command += ["--seed", f"large:{customers}:{products}", "--print-config"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.process.stdout is not None
        text = ""
        while "client_id" not in text:
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit("the sandbox did not start")
            text += line
        self.psa: dict[str, Any] = tomllib.loads(text)["psa"]

    def request_count(self) -> int:
        return len(self._admin("GET", "requests"))

    def add_latency(self, seconds: float) -> None:
        self._admin("POST", "faults", {"rules": [{"kind": "latency", "delay": seconds}]})

    def _admin(self, method: str, name: str, body: Any = None) -> Any:
        psa = self.psa
        token = f"{psa['company']}+{psa['public_key']}:{psa['private_key']}"
        headers = {"Authorization": f"Basic {base64.b64encode(token.encode()).decode()}"}
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        url = f"{psa['site']}/__sandbox__/{name}"  # always http://127.0.0.1:port
        asked = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        with urllib.request.urlopen(asked) as answer:  # noqa: S310
            return json.loads(answer.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def measure(args: argparse.Namespace) -> list[Phase]:
    """One benchmark on a fresh sandbox and state directory."""
    sandbox = SandboxProcess(args.customers, args.products)
    try:
        if args.latency:
            sandbox.add_latency(args.latency)
        with tempfile.TemporaryDirectory() as tmp:
            return _phases(sandbox, Path(tmp), args)
    finally:
        sandbox.stop()


def _phases(sandbox: SandboxProcess, directory: Path, args: argparse.Namespace) -> list[Phase]:
    config = write_world_config(
        directory,
        sandbox.psa["site"],
        customers=args.customers,
        products=args.products,
        extra_psa=f"concurrency = {args.concurrency}\n",
    )
    rng = random.Random(2)
    usage = {
        (customer_id(c), product_sku(p)): rng.randrange(500, 900)  # differs from every seed qty
        for c in range(1, args.customers + 1)
        for p in range(1, args.products + 1)
    }
    write_usage(directory, usage)
    runner = Runner(load_config(config, os.environ), directory / "state", os.environ)
    found = []
    for name, request in PHASES.items():
        before = sandbox.request_count()
        profile = cProfile.Profile(time.process_time) if args.profile == name else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        report = runner.sync(request)
        if profile is not None:
            profile.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        requests = sandbox.request_count() - before
        if requests + before >= LOG_SIZE:
            print(f"warning: {name}: over {LOG_SIZE} requests logged; the count is low")
        found.append(Phase(name, requests, cpu, wall, len(usage), report.outcome))
        if profile is not None:
            stats = pstats.Stats(profile).strip_dirs()
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
    return found


def best_of(runs: list[list[Phase]]) -> list[Phase]:
    """Each phase's run with the least CPU: noise on a shared machine only ever adds."""
    return [min(same, key=lambda phase: phase.cpu) for same in zip(*runs, strict=True)]


def baseline(args: argparse.Namespace) -> list[Phase]:
    """The same benchmark on the psabill in ``args.baseline``, in a child process."""
    python = args.baseline_python or sys.executable
    command = [python, __file__, "--json", "--repeat", str(args.repeat)]
    command += ["--customers", str(args.customers), "--products", str(args.products)]
    command += ["--concurrency", str(args.concurrency), "--latency", str(args.latency)]
    env = {**os.environ, "PYTHONPATH": str(Path(args.baseline).resolve())}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return [Phase(**phase) for phase in json.loads(done.stdout.splitlines()[-1])]


def show(title: str, phases: list[Phase]) -> None:
    print(title)
    print(f"  {'phase':6} {'requests':>8} {'CPU s':>7} {'ms/req':>7} {'ms/line':>8} {'wall s':>7}")
    for p in phases:
        print(
            f"  {p.name:6} {p.requests:8d} {p.cpu:7.2f} {p.per_request_ms:7.2f} "
            f"{p.per_line_ms:8.2f} {p.wall:7.2f}  {p.outcome}"
        )
    requests, cpu = sum(p.requests for p in phases), sum(p.cpu for p in phases)
    print(f"  {'all':6} {requests:8d} {cpu:7.2f} {1000 * cpu / max(requests, 1):7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--products", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.0, help="sandbox delay per request")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the least CPU counts")
    parser.add_argument("--profile", choices=sorted(PHASES), help="cProfile this phase")
    parser.add_argument("--top", type=int, default=40, help="profile rows to print")
    parser.add_argument("--baseline", metavar="DIR", help="also measure the psabill in DIR")
    parser.add_argument("--baseline-python", metavar="PYTHON", help="interpreter for DIR")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    before = baseline(args) if args.baseline else None
    after = best_of([measure(args) for _ in range(max(1, args.repeat))])
    if args.json:
        print(json.dumps([asdict(phase) for phase in after]))
        return
    lines = args.customers * args.products
    print(f"{args.customers} customers x {args.products} products = {lines} lines")
    if before is not None:
        show(f"before ({args.baseline})", before)
    show("after" if before is not None else "this psabill", after)
    if before is not None:
        for old, new in zip(before, after, strict=True):
            change = 100 * (new.cpu / old.cpu - 1) if old.cpu else 0.0
            print(f"  {new.name:6} CPU {change:+.0f}%")


if __name__ == "__main__":
    main()
