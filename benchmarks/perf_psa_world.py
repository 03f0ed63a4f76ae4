"""The data of ``benchmarks/perf_psa.py`` in Autotask's and HaloPSA's terms.

The world is ``perf_world``'s (``seed_large(N, P)`` and its usages), translated by each PSA's
sandbox; this module reads that PSA's state dump: the state with every line removed (the first
sync's), the lines it bills (to check a run's result), and the request floor of a scenario.

The request floor is the fewest requests the PSA's API allows for the job done safely:

* **Autotask**: the zone lookup, the Contracts field list (category labels), and the companies,
  contracts, services, contract services and their units on the day, each read in bulk (500 ids
  to an ``in`` term, 500 records a page). Units change only by a final delta, so each changed
  line costs 3: a fresh read of its units, the adjustment, a read-back (ConnectWise: 1 write per
  line and 1 read-back per agreement).
* **HaloPSA**: ``authinfo`` and the token, then clients, contracts, items and the recurring
  invoices with their lines, 500 a page. A line's quantity is absolute and ``updatelines`` /
  ``RecurringInvoice/Lines`` take a list, so each invoice written costs one update (and one
  create when it gains lines) and one read-back.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import tomli_w
from perf_world import SCHEDULE, Usage

from psabill.sandbox.world import USAGE_FILE, write_usage

AT_PAGE = 500
HALO_PAGE = 500
ALLOWANCE = {"autotask": (10_000, 3600.0), "halopsa": (300, 300.0)}
"""Each PSA's own limit as its sandbox enforces it: (requests, window seconds)."""
PER_LINE = {
    "autotask": "3 requests per changed line (fresh units read, adjustment, read-back)",
    "halopsa": "per invoice written: 1 update or create (a list of lines) and 1 read-back",
}


@dataclass(frozen=True)
class PsaFloor:
    reads: int
    writes: int
    checks: int
    """Reads a safe write needs: Autotask's fresh read and read-back, Halo's read-back."""
    lines: int
    changed: int

    @property
    def requests(self) -> int:
        return self.reads + self.writes + self.checks


def _pages(rows: int, page: int) -> int:
    return max(1, math.ceil(rows / page))


def _day(value: object) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) and value else None


def without_additions(kind: str, state: bytes) -> bytes:
    """The state with no recurring line: no contract service nor adjustment, no invoice line."""
    dump = json.loads(state)
    if kind == "autotask":
        dump["tables"]["ContractServices"] = []
        dump["adjustments"] = []
    else:
        dump["lines"] = []
    return json.dumps(dump).encode()


@dataclass(frozen=True)
class Names:
    """The world's ConnectWise identifiers and this PSA's: company id and product name."""

    companies: Mapping[str, str]
    products: Mapping[str, str]

    def customer_of(self) -> dict[str, str]:
        return {psa: cw for cw, psa in self.companies.items()}

    def sku_of(self) -> dict[str, str]:
        return {psa: cw for cw, psa in self.products.items()}


def billed(kind: str, state: bytes, names: Names, on: date) -> Counter[tuple[str, str, float]]:
    """What the PSA bills on ``on``: (customer, SKU, quantity) in the world's identifiers."""
    dump, skus, customers = json.loads(state), names.sku_of(), names.customer_of()
    found: Counter[tuple[str, str, float]] = Counter()
    if kind == "autotask":
        tables = dump["tables"]
        contracts = {c["id"]: c for c in tables["Contracts"]}
        services = {s["id"]: s["name"] for s in tables["Services"]}
        units: Counter[int] = Counter()
        for adjustment in dump["adjustments"]:
            if date.fromisoformat(adjustment["effective"]) <= on:
                units[adjustment["contract_service_id"]] += adjustment["unit_change"]
        for link in tables["ContractServices"]:
            company = str(contracts[link["contractID"]]["companyID"])
            if units[link["id"]] > 0:
                key = (customers.get(company, company), services[link["serviceID"]])
                found[(key[0], skus.get(key[1], key[1]), float(units[link["id"]]))] += 1
        return found
    headers = {h["id"]: h for h in dump["recurring"]}
    items = {i["id"]: i["name"] for i in dump["items"]}
    for line in dump["lines"]:
        end = _day(line.get("enddate"))
        if end is not None and end < on:
            continue
        company = str(headers[line["ihid"]]["client_id"])
        name = items[line["_itemid"]]
        found[
            (customers.get(company, company), skus.get(name, name), float(line["qty_order"]))
        ] += 1
    return found


def request_floor(
    kind: str, state: bytes, usage: Usage, names: Names, on: date, *, dry_run: bool
) -> PsaFloor:
    """The fewest requests of a scenario from ``state`` (see the module docstring)."""
    dump = json.loads(state)
    current = {(c, s): q for c, s, q in billed(kind, state, names, on)}
    changed = {(c, s) for (c, s), q in usage.items() if current.get((c, s)) != float(q)}
    if kind == "autotask":
        tables = dump["tables"]
        reads = 2 + sum(
            _pages(len(tables[t]), AT_PAGE) for t in ("Companies", "Contracts", "Services")
        )
        links = len(tables["ContractServices"])
        reads += _pages(links, AT_PAGE) + (_pages(links, AT_PAGE) if links else 0)
        writes = 0 if dry_run else len(changed)
        return PsaFloor(reads, writes, 2 * writes, len(usage), len(changed))
    reads = 2 + sum(
        _pages(len(dump[t]), HALO_PAGE) for t in ("clients", "contracts", "items", "recurring")
    )
    if dry_run:
        return PsaFloor(reads, 0, 0, len(usage), len(changed))
    updated = {c for c, s in changed if (c, s) in current}
    created = {c for c, s in changed if (c, s) not in current}
    return PsaFloor(
        reads, len(updated) + len(created), len(updated | created), len(usage), len(changed)
    )


def rate_floor(kind: str, requests: int) -> float:
    """Seconds ``requests`` take at the PSA's allowance: requests / (count / window)."""
    count, window = ALLOWANCE[kind]
    return requests * window / count


def pace_floor(requests: int, ceiling: int | None) -> float:
    """Seconds psabill's own pacing needs: R may start in any 61 seconds (``psa.aimd``)."""
    if ceiling is None:
        return 0.0
    return (math.ceil(requests / ceiling) - 1) * 61.0


def write_config(
    directory: Path,
    section: Mapping[str, Any],
    names: Names,
    *,
    rate: int | str | None,
    concurrency: int | None,
) -> Path:
    """The world's config for this PSA: ``[psa]`` is ``section`` with ``rate_limit`` (a number,
    ``"none"``, or ``None``: unset) and ``concurrency`` (``None``: unset, the default)."""
    psa = dict(section)
    if rate is not None:
        psa["rate_limit"] = rate
    if concurrency is not None:
        psa["concurrency"] = concurrency
    lines = [
        SCHEDULE,
        '[account]\nname = "World MSP"\ntimezone = "UTC"\n',
        '[sync]\nagreement_type = "Managed Services"\n',
        "[psa]\n" + tomli_w.dumps(psa),
        f'[[sources]]\nname = "world"\nkind = "json"\npath = "{USAGE_FILE}"\n'
        'customer_field = "customer"\nsku_field = "sku"\nquantity_field = "quantity"\n',
    ]
    for sku, product in names.products.items():
        lines.append(
            "[[products]]\n"
            + tomli_w.dumps({"sku": sku, "psa_product": product, "on_usage_gone": "keep"})
        )
    for customer, company in names.companies.items():
        lines.append("[[customers]]\n" + tomli_w.dumps({"id": customer, "psa_company": company}))
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "psabill.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    config.chmod(0o600)
    write_usage(directory, {})
    return config


def billing_day() -> date:
    """The day ``psabill sync --now`` bills in the config's UTC account (a run near midnight
    could straddle it; the benchmark reads it once per scenario)."""
    return datetime.now(UTC).date()
