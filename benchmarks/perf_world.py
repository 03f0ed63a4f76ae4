"""The data of ``benchmarks/perf.py``: usage per scenario, configs, and the request floor.

The PSA is ``seed_large(N, P)``: one billable agreement per company (plus, for some companies,
an expired previous term or a renewal not started yet) and a catalog item per product. The
first sync starts from it with every addition removed, so every line is new.

The request floor of a scenario is computed from the PSA state it starts from and its usage:
the fewest requests that can do the job (:func:`request_floor`).
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psabill.config.connection_models import ADAPTIVE_CEILING, ConnectWisePsa
from psabill.sandbox.world import customer_id, product_sku, write_world_config

Usage = dict[tuple[str, str], int]
PAGE = 1000
"""The largest page ConnectWise serves."""
CHANGED_SHARE = 0.10
SCHEDULE = '[schedule]\nmode = "daily"\nhour = 0\n'
"""Due at 00:00 UTC every day: after one scheduled run today, `psabill sync` is not due."""


@dataclass(frozen=True)
class Usages:
    first: Usage
    """Every (customer, SKU) line, on a PSA without additions."""
    monthly: Usage
    """``first`` with 10% of the lines changed."""
    planned: Usage
    """``monthly`` with another 10% changed: what the plan-only run plans."""


def usages(companies: int, products: int, seed: int = 2) -> Usages:
    rng = random.Random(seed)
    first = {
        (customer_id(c), product_sku(p)): rng.randrange(1, 500)
        for c in range(1, companies + 1)
        for p in range(1, products + 1)
    }
    monthly = _changed(first, rng)
    return Usages(first, monthly, _changed(monthly, rng))


def _changed(usage: Usage, rng: random.Random) -> Usage:
    """``usage`` with a tenth of its lines moved by up to 20% (never past the sync guards)."""
    changed = dict(usage)
    for key in rng.sample(sorted(usage), max(1, round(len(usage) * CHANGED_SHARE))):
        quantity = usage[key]
        step = rng.randint(1, max(1, quantity // 5))
        changed[key] = (
            quantity + step if rng.random() < 0.5 or quantity <= step else quantity - step
        )
    return changed


def psa_limits() -> dict[str, int]:
    """``[psa] concurrency`` default and maximum, and the rate psabill adapts from when
    ``rate_limit`` is unset, as psabill's config says."""
    field = ConnectWisePsa.model_fields["concurrency"]
    return {
        "rate_ceiling_default": ADAPTIVE_CEILING,
        "concurrency_default": int(field.default),
        "concurrency_max": next(int(m.le) for m in field.metadata if hasattr(m, "le")),
    }


def write_config(
    directory: Path,
    site: str,
    companies: int,
    products: int,
    *,
    rate: int | str | None,
    concurrency: int,
) -> Path:
    """The world's config (``write_world_config``) with this concurrency and ``rate_limit``:
    a number, ``"none"``, or ``None`` (unset: adaptive from the default ceiling)."""
    config = write_world_config(directory, site, customers=companies, products=products)
    text = config.read_text(encoding="utf-8")
    fixed = 'rate_limit = "none"\n'
    if fixed not in text:
        raise RuntimeError(f"write_world_config no longer writes {fixed!r}; update perf_world")
    line = "" if rate is None else f"rate_limit = {json.dumps(rate)}\n"
    text = text.replace(fixed, f"{line}concurrency = {concurrency}\n")
    config.write_text(SCHEDULE + "\n" + text, encoding="utf-8")
    return config


def without_additions(state: bytes) -> bytes:
    dump = json.loads(state)
    dump["additions"] = []
    return json.dumps(dump).encode()


def additions_digest(state: bytes, companies: set[str] | None = None) -> Counter[tuple[Any, ...]]:
    """The active additions as (company, product, quantity), optionally of some companies only."""
    dump = json.loads(state)
    owner = {a["id"]: a["company"]["identifier"] for a in dump["agreements"]}
    return Counter(
        (owner[a["agreementId"]], a["product"]["identifier"], float(a["quantity"]))
        for a in dump["additions"]
        if a["cancelledDate"] is None
        and (companies is None or owner[a["agreementId"]] in companies)
    )


@dataclass(frozen=True)
class Floor:
    """The fewest requests a scenario needs, by kind, and its longest chain of round trips."""

    reads: int
    writes: int
    read_backs: int
    depth: int
    """Dependent round trips: companyinfo, then companies/agreements/catalog side by side,
    then the additions, then (when anything is written) the writes, then the read-backs."""
    lines: int
    changed: int

    @property
    def requests(self) -> int:
        return self.reads + self.writes + self.read_backs


def request_floor(state: bytes, usage: Mapping[tuple[str, str], int], *, dry_run: bool) -> Floor:
    """One codebase lookup; companies, agreements and catalog items read in pages of 1,000;
    one additions read per billable agreement (a page per 1,000 additions); one write per
    changed line; one read-back per agreement written to. A dry run writes nothing."""
    dump = json.loads(state)
    billable = {
        a["company"]["identifier"]: a["id"]
        for a in dump["agreements"]
        if a["agreementStatus"] == "Active" and a["type"]["name"] == "Managed Services"
    }
    current = {
        (a["agreementId"], a["product"]["identifier"]): float(a["quantity"])
        for a in dump["additions"]
        if a["cancelledDate"] is None
    }
    per_agreement = Counter(agreement for agreement, _ in current)
    touched = {
        billable[customer]
        for (customer, sku), quantity in usage.items()
        if current.get((billable[customer], sku)) != float(quantity)
    }
    changed = sum(current.get((billable[c], sku)) != float(q) for (c, sku), q in usage.items())
    pages = sum(_pages(len(dump[table])) for table in ("companies", "agreements", "catalog"))
    additions = sum(_pages(per_agreement[a]) for a in {billable[c] for c, _ in usage})
    writes = 0 if dry_run else changed
    read_backs = 0 if dry_run else len(touched)
    depth = 3 + (2 if writes else 0)
    return Floor(1 + pages + additions, writes, read_backs, depth, len(usage), changed)


def _pages(rows: int) -> int:
    return max(1, math.ceil(rows / PAGE))
