"""Benchmark: the sandbox's own CPU per request while psabill syncs against it.

The sandbox (``seed_large(N, P)``, as ``benchmarks/perf.py`` seeds it) runs in this process;
psabill runs as the ``psabill`` command in a process of its own, so ``time.process_time()``
here is the sandbox's CPU alone (HTTP parsing, routing, auth, conditions, expansion, JSON).
It runs perf.py's scenarios in order (first sync on a PSA without additions, monthly change,
no change, plan) and prints CPU seconds, requests and CPU milliseconds per request for each.
Asserts nothing: machines here are shared and noisy.

    .venv/bin/python benchmarks/sandbox_cost.py --companies 2000 --products 5
    .venv/bin/python benchmarks/sandbox_cost.py --companies 500 --profile no-change

``--profile SCENARIO`` profiles every request handler thread during that scenario (cProfile on
thread CPU time, merged) and prints the top functions by cumulative and by own time.

Before/after: put a copy of the older ``psabill`` package first on ``PYTHONPATH`` (the script's
own directory comes first, then ``PYTHONPATH``, then the editable install):

    PYTHONPATH=/tmp/old .venv/bin/python benchmarks/sandbox_cost.py
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import perf_psabill
from perf_world import psa_limits, usages, without_additions, write_config

from psabill.sandbox import Sandbox, Store, seed_large, transport
from psabill.sandbox.faults import latency
from psabill.sandbox.transport import RequestRecord
from psabill.sandbox.world import write_usage


class CountingSandbox(Sandbox):
    """Counts every API request by ``"METHOD STATUS"`` (the request log keeps only 10,000)."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()

    def log_request(self, record: RequestRecord) -> None:
        super().log_request(record)
        with self._counts_lock:
            self.counts[f"{record.method} {record.status}"] += 1


@contextmanager
def profiled_handlers() -> Iterator[pstats.Stats | None]:
    """Profile each request in its handler thread; yields nothing useful until the block ends."""
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    original = transport.RequestHandler.handle_one_request

    def handle_one_request(self: transport.RequestHandler) -> None:
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        try:
            original(self)
        finally:
            profile.disable()
            with lock:
                profiles.append(profile)

    transport.RequestHandler.handle_one_request = handle_one_request  # type: ignore[method-assign]
    try:
        yield None
    finally:
        transport.RequestHandler.handle_one_request = original  # type: ignore[method-assign]
    stats = pstats.Stats(profiles[0])
    for profile in profiles[1:]:
        stats.add(profile)
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(35)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--products", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per request")
    parser.add_argument("--profile", help="profile this scenario's handlers (first, ..., plan)")
    parser.add_argument("--only", help="comma-separated scenarios to report (all still run)")
    args = parser.parse_args()
    store = Store()
    seed_large(store, args.companies, args.products, seed=1)
    usage = usages(args.companies, args.products)
    scenarios = [
        ("first", usage.first, ("sync", "--now")),
        ("monthly", usage.monthly, ("sync", "--now")),
        ("no-change", usage.monthly, ("sync", "--now")),
        ("plan", usage.planned, ("plan",)),
    ]
    perf_psabill.warm_up()
    with tempfile.TemporaryDirectory() as scratch, CountingSandbox(store) as sandbox:
        store.load(json.loads(without_additions(json.dumps(store.dump()).encode())))
        concurrency = psa_limits()["concurrency_max"]
        config = write_config(
            Path(scratch),
            sandbox.site_url,
            args.companies,
            args.products,
            rate="none",
            concurrency=concurrency,
        )
        if args.latency > 0:
            sandbox.faults.add(latency(args.latency))
        print(f"{args.companies} companies x {args.products} products, concurrency {concurrency}")
        for name, lines, arguments in scenarios:
            write_usage(config.parent, lines)
            sandbox.counts.clear()
            with profiled_handlers() if args.profile == name else _nothing():
                cpu = time.process_time()
                run = perf_psabill.run([*perf_psabill.options(config, Path(scratch)), *arguments])
                cpu = time.process_time() - cpu
            requests = sum(sandbox.counts.values())
            if run.exit_code != 0:
                print(f"psabill exited {run.exit_code}:\n{run.output_tail}")
            print(
                f"{name:10} sandbox CPU {cpu:6.2f} s  {requests:6d} requests  "
                f"{1000 * cpu / max(1, requests):5.2f} ms/request  "
                f"(psabill wall {run.wall:5.1f} s)  {dict(sorted(sandbox.counts.items()))}",
                flush=True,
            )


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    main()
