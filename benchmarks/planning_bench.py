"""Benchmark: the planning stages (read, scope, resolve, snapshot, plan, guards) at growing sizes.

Prints figures and ratios; asserts nothing (machines here are shared and noisy).

    .venv/bin/python benchmarks/planning_bench.py [--rows 10000 30000 100000] [--json FILE]

The world: R usage rows over R/5 mapped customers (5 SKUs each, from P products), split over
a JSON and a CSV source; half the customers are scoped to their source, one product has a
source-scoped mapping, 1% of the rows name unmapped customers, one customer in 50 shares its
name with another, a few customers trip the guards. The PSA is an in-memory client (no
network): one company and agreement per customer, additions for most of its SKUs.

Per size, four processes (so each peak RSS is its own): the stages one by one (``= planning``
adds up read, scope, resolve, plan and guards), ``Planner.make_plan`` whole, and each offline
listing. A row shows wall and CPU seconds, wall microseconds per usage row (flat across sizes:
linear growth), the peak RSS so far, and how the wall time grew from the first size to the last.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

from psabill.app.mappings import inventory
from psabill.app.planning import History, Planner, scope_of
from psabill.app.snapshot import read_snapshot
from psabill.config.loader import LoadedConfig, load_config
from psabill.core.due import evaluate_targets
from psabill.core.entities import Addition, Agreement, CatalogItem, Company
from psabill.core.guards import RiseLimit, apply_guards
from psabill.core.mapping import customer_key, resolve
from psabill.core.plan import Plan, PlanContext
from psabill.core.plan_build import build_plan
from psabill.core.report import SyncReport, SyncRequest
from psabill.psa.base import PsaClient
from psabill.sources import read_all

try:
    from psabill.app.planning import collector_held
except ImportError:  # psabill before the planner held the collector: run it as it was
    collector_held = nullcontext  # type: ignore[assignment]

T = TypeVar("T")
SKUS_PER_CUSTOMER = 5
NOW = datetime(2026, 12, 1, 7, tzinfo=UTC)
ENV = {"PW": "x"}
REQUEST = SyncRequest(trigger="manual", dry_run=True)
PLANNING = ("read", "scope", "resolve", "plan", "guards")


def sku(number: int) -> str:
    return f"SKU-{number:03d}"


def cid(number: int) -> str:
    return f"C{number:06d}"


def source_of(number: int) -> str:
    return "json" if number % 2 else "csv"


def customer_skus(number: int, products: int) -> list[int]:
    return [(number * 7 + k) % products + 1 for k in range(SKUS_PER_CUSTOMER + 1)]


def usage_qty(number: int, k: int) -> int:
    """Seats; one customer in 97 drops to 1 seat and one in 89 rises ten-fold (guard trips)."""
    if number % 97 == 0:
        return 1
    if number % 89 == 0 and k == 1:
        return 5000
    return 10 + (number * 13 + k) % 40


def write_world(directory: Path, rows: int, products: int) -> Path:
    """Config and usage files for ``rows`` rows; returns the config path."""
    write_usage(directory, rows, products)
    config = directory / "psabill.toml"
    config.write_text(config_text(rows // SKUS_PER_CUSTOMER, products), encoding="utf-8")
    config.chmod(0o600)
    return config


def config_text(customers: int, products: int) -> str:
    text = [
        '[account]\nname = "Bench MSP"\n[sync]\nagreement_type = "Managed"\n',
        '[psa]\nsite = "http://127.0.0.1:1"\ncompany = "c"\npublic_key = "${PW}"\n'
        'private_key = "${PW}"\nclient_id = "i"\n',
        '[[sources]]\nname = "json"\nkind = "json"\npath = "usage.json"\n',
        '[[sources]]\nname = "csv"\nkind = "csv"\npath = "usage.csv"\n',
    ]
    for number in range(1, products + 1):
        policy = "cancel" if number % 4 == 0 else "keep"
        text.append(f'[[products]]\nsku = "{sku(number)}"\npsa_product = "CAT-{number}"\n')
        text.append(f'on_usage_gone = "{policy}"\nunit_price = "{number}.50"\n')
    text.append(f'[[products]]\nsku = "{sku(1)}"\nsource = "csv"\npsa_product = "CAT-1"\n')
    for number in range(1, customers + 1):
        name = f"Customer {number - 1 if number % 50 == 0 else number}"
        scoped = f'source = "{source_of(number)}"\n' if number % 2 == 0 else ""
        text.append(
            f'[[customers]]\nid = "{cid(number)}"\n{scoped}name = "{name}"\n'
            f'psa_company = "CO{number}"\n'
        )
    return "\n".join(text)


def write_usage(directory: Path, rows: int, products: int) -> None:
    records: dict[str, list[dict[str, Any]]] = {"json": [], "csv": []}
    for row in range(rows):
        number, k = divmod(row, SKUS_PER_CUSTOMER)
        number += 1
        ident = f"X{number}" if row % 100 == 99 else cid(number)  # 1% unmapped
        product = customer_skus(number, products)[k]
        record = {"customer_id": ident, "sku": sku(product), "quantity": usage_qty(number, k)}
        records[source_of(number)].append(record)
    (directory / "usage.json").write_text(json.dumps(records["json"]), encoding="utf-8")
    with (directory / "usage.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, ["customer_id", "sku", "quantity"])
        writer.writeheader()
        writer.writerows(records["csv"])


@dataclass
class FakePsa:
    """The four reads planning makes, from memory: company N has agreement N with additions."""

    products: int

    async def companies(self, identifiers: Sequence[str]) -> list[Company]:
        return [Company(int(i[2:]), i, f"Company {i}") for i in identifiers]

    async def agreements(self, company_ids: Sequence[int]) -> list[Agreement]:
        return [
            Agreement(c, f"MSA {c}", "Managed", c, f"CO{c}", cancelled=False) for c in company_ids
        ]

    async def additions(self, agreement_id: int) -> list[Addition]:
        out = []
        *used, gone = customer_skus(agreement_id, self.products)
        for k, number in enumerate(used):
            if k == 0:
                continue  # one SKU per customer has no addition yet: a create
            qty = Decimal(10 + (agreement_id * 13 + k) % 40 + (k == 1))  # k == 1: an update
            out.append(Addition(agreement_id * 10 + k, agreement_id, number, f"CAT-{number}", qty))
        # Billed, but no usage reported any more: kept or cancelled, per product.
        out.append(Addition(agreement_id * 10 + 9, agreement_id, gone, f"CAT-{gone}", Decimal(3)))
        return out

    async def catalog_items(self, identifiers: Sequence[str]) -> list[CatalogItem]:
        return [CatalogItem(int(i[4:]), i, f"Item {i}", price=Decimal(5)) for i in identifiers]


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Clock:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def run(self, name: str, job: Callable[[], T], *, held: bool = False) -> T:
        """Time ``job``; ``held``: with the garbage collector held, as the planner runs it."""
        start, cpu = time.perf_counter(), time.process_time()
        with collector_held() if held else nullcontext():
            result = job()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        self.rows.append(
            {"stage": name, "seconds": seconds, "cpu_seconds": cpu, "peak_rss_mib": rss_mib()}
        )
        return result

    def total(self, name: str, parts: Sequence[str]) -> None:
        """A row adding up the rows of ``parts``."""
        rows = [row for row in self.rows if row["stage"] in parts]
        total = {key: sum(row[key] for row in rows) for key in ("seconds", "cpu_seconds")}
        self.rows.append({"stage": name, **total, "peak_rss_mib": rss_mib()})


def stages(path: Path, products: int) -> dict[str, Any]:
    """The planner's stages one by one, each result kept as :meth:`Planner.make_plan` keeps it."""
    clock = Clock()
    loaded: LoadedConfig = clock.run("load config", lambda: load_config(path, ENV))
    config = loaded.config
    skus = frozenset(p.sku for p in config.products if p.decimal_quantities)
    sources = clock.run(
        "read",
        lambda: read_all(config.sources, base_dir=path.parent, env=ENV, decimal_skus=skus),
        held=True,
    )
    clock.run("due", lambda: evaluate_targets(config, lambda key: None, NOW))
    scope = clock.run("scope", lambda: scope_of(loaded, REQUEST, []))
    usage: Any = [record for result in sources for record in result.records]
    resolution = clock.run("resolve", lambda: resolve(config, usage, frozenset(scope)), held=True)
    client = cast(PsaClient, FakePsa(products))
    customers = [c for c in config.customers if customer_key(c) in frozenset(scope)]
    snapshot = clock.run(
        "snapshot (in memory)", lambda: asyncio.run(read_snapshot(client, config, customers))
    )
    ctx = PlanContext(config, resolution, scope, snapshot, NOW.date())
    plan = clock.run("plan", lambda: build_plan(ctx), held=True)
    rise = RiseLimit(config.sync.max_rise, config.sync.rise_floor)
    guarded = clock.run(
        "guards",
        lambda: apply_guards(plan, snapshot, config.sync.max_drop, allow_drop=False, rise=rise),
        held=True,
    )
    clock.total("= planning", PLANNING)
    return {"stages": clock.rows, "customers": len(config.customers), **summary(guarded)}


def make_plan(path: Path, products: int) -> dict[str, Any]:
    """:meth:`Planner.make_plan` whole, alone in its process, as ``psabill plan`` runs it."""
    clock = Clock()
    loaded = load_config(path, ENV)
    client = cast(PsaClient, FakePsa(products))
    report = SyncReport(outcome="dry_run", now=NOW, trigger="manual")
    planner = Planner(loaded, ENV)
    plans: list[Plan] = []

    async def run() -> None:  # returns nothing: asyncio.run would repr a result it holds
        plans.append(await planner.make_plan(client, REQUEST, report, History()))

    clock.run("make_plan (all)", lambda: asyncio.run(run()))
    return {"stages": clock.rows, **summary(plans[0])}


def listing(path: Path, which: str) -> dict[str, Any]:
    """``psabill customers list --offline`` or ``products list --offline``, alone."""
    clock = Clock()
    loaded = load_config(path, ENV)
    if which == "customers":
        clock.run("customers list", lambda: inventory.customers(loaded, ENV, check_psa=False))
    else:
        state = path.parent / "state"
        clock.run("products list", lambda: inventory.products(loaded, ENV, state, check_psa=False))
    return {"stages": clock.rows}


MODES: dict[str, Callable[[Path, int], dict[str, Any]]] = {
    "stages": stages,
    "make_plan": make_plan,
    "customers": lambda path, products: listing(path, "customers"),
    "products": lambda path, products: listing(path, "products"),
}


def summary(plan: Plan) -> dict[str, Any]:
    actions = dict(sorted(Counter(line.action for line in plan.lines).items()))
    return {"lines": len(plan.lines), "actions": actions, "guard_trips": len(plan.guard_trips)}


def measure(rows: int, products: int) -> dict[str, Any]:
    """Every mode in its own process, over one world of ``rows`` rows."""
    result: dict[str, Any] = {"rows": rows, "products": products, "stages": [], "peak_rss_mib": {}}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_world(Path(tmp), rows, products)
        for mode in MODES:
            command = [sys.executable, __file__, "--child", str(path), mode, str(products)]
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            child = json.loads(done.stdout.splitlines()[-1])
            result["stages"] += child.pop("stages")
            result["peak_rss_mib"][mode] = child.pop("peak_rss_mib")
            if "lines" in child and child["lines"] != result.get("lines", child["lines"]):
                raise SystemExit(f"{mode} planned {child} but the stages {result}")
            result.update(child)
    result["load"] = os.getloadavg()[0]  # a shared machine: how busy it was
    return result


def show(results: list[dict[str, Any]]) -> None:
    """A row per stage: wall s, CPU s, wall us per usage row, peak RSS so far; then growth."""
    first, last = results[0], results[-1]
    sizes = "".join(f"{r['rows']:>9,} rows: wall   cpu us/row  RSS" for r in results)
    print(f"{'stage':20}{sizes}   x{last['rows'] // first['rows']} rows:")
    for index, stage in enumerate(first["stages"]):
        cells = ""
        for result in results:
            row = result["stages"][index]
            rate = row["seconds"] / result["rows"] * 1e6
            cells += f"{row['seconds']:13.3f} {row['cpu_seconds']:6.2f} {rate:6.1f} "
            cells += f"{row['peak_rss_mib']:4.0f}M"
        growth = last["stages"][index]["seconds"] / max(stage["seconds"], 1e-6)
        print(f"{stage['stage']:20}{cells}   x{growth:.1f}")
    for result in results:
        peaks = ", ".join(f"{mode} {mib:.0f}" for mode, mib in result["peak_rss_mib"].items())
        print(
            f"{result['rows']:,} rows, {result['customers']:,} customers, {result['products']} "
            f"products: {result['lines']:,} lines {result['actions']}, "
            f"{result['guard_trips']} guard trips; peak RSS MiB per process: {peaks}; "
            f"load average {result['load']:.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # PATH MODE PRODUCTS
    args = parser.parse_args()
    if args.child is not None:
        path, mode, products = args.child
        figures = MODES[mode](Path(path), int(products))
        print(json.dumps({**figures, "peak_rss_mib": rss_mib()}))
        return
    results = []
    for rows in args.rows:
        results.append(measure(rows, args.products))
        print(f"measured {rows:,} rows", file=sys.stderr, flush=True)
    show(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
