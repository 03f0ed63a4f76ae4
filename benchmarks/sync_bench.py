"""Benchmark: a full sync of N customers x P products against the sandbox over loopback HTTP.

Prints figures and ratios; asserts nothing (machines here are shared and noisy).

    .venv/bin/python benchmarks/sync_bench.py --customers 500 --products 20

Phases: a dry-run plan (reads only), a sync where every quantity changes, and a
re-run where nothing changes. Figures: wall time, HTTP requests, requests per
customer, lines per second, and the peak resident memory of this process.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from pathlib import Path

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.core.report import SyncRequest
from psabill.sandbox import Sandbox, Store
from psabill.sandbox.seed import seed_large
from psabill.sandbox.world import customer_id, product_sku, write_usage, write_world_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--products", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    store = Store()
    seed_large(store, args.customers, args.products, seed=1)
    rng = random.Random(2)
    usage = {
        (customer_id(c), product_sku(p)): rng.randrange(500, 900)  # differs from every seed qty
        for c in range(1, args.customers + 1)
        for p in range(1, args.products + 1)
    }
    with Sandbox(store) as sandbox, tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        config = write_world_config(
            directory,
            sandbox.site_url,
            customers=args.customers,
            products=args.products,
            extra_psa=f"concurrency = {args.concurrency}\n",
        )
        write_usage(directory, usage)
        runner = Runner(load_config(config, os.environ), directory / "state", os.environ)
        lines = args.customers * args.products
        print(f"{args.customers} customers x {args.products} products = {lines} lines")
        for name, request in (
            ("plan (dry run)", SyncRequest(trigger="manual", dry_run=True, allow_drop=True)),
            ("sync, all change", SyncRequest(trigger="manual", allow_drop=True)),
            ("re-run, no change", SyncRequest(trigger="manual", allow_drop=True)),
        ):
            before = len(sandbox.requests())
            start = time.perf_counter()
            report = runner.sync(request)
            elapsed = time.perf_counter() - start
            requests = len(sandbox.requests()) - before
            print(
                f"{name:18} {elapsed:7.2f} s  {requests:6d} requests  "
                f"{requests / args.customers:5.2f} req/customer  "
                f"{lines / elapsed:8.0f} lines/s  outcome={report.outcome}"
            )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    per_line = peak_mib * 1024 / lines
    print(f"peak RSS {peak_mib:.0f} MiB ({per_line:.1f} KiB per line, sandbox included)")


if __name__ == "__main__":
    main()
