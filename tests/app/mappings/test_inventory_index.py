"""`products list` and `customers list` find what a scan of every usage record found.

The listings index the (id or SKU, source) pairs the sources report and the mappings once;
on random worlds written to files they must show the rows the straightforward scans gave.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from psabill.app.mappings import inventory
from psabill.config.loader import load_config
from psabill.config.models import Config
from psabill.core.mapping import find_customer, find_product
from psabill.sources import SourceResult, read_all
from tests.conftest import ENV, MINIMAL
from tests.core.random_world import SOURCES, config_data, random_world


def write_world(directory: Path, seed: int) -> Path:
    rng = random.Random(seed)
    data = config_data(rng, [f"c{n}" for n in range(1, 7)])
    for customer in data["customers"]:
        customer.pop("contracts", None)  # may name a SKU no entry maps: the loader refuses it
    tables = {
        section: toml_ready(data[section]) for section in ("sources", "products", "customers")
    }
    path = directory / "psabill.toml"
    path.write_text(tomli_w.dumps(tables) + "\n" + MINIMAL, encoding="utf-8")
    path.chmod(0o600)
    for source in SOURCES:
        rows = [u for u in random_world(rng, ids=7).usage if u.source == source]
        lines = [f"{u.customer},{u.sku},{u.quantity}" for u in rows]
        text = "\n".join(["customer_id,sku,quantity", *lines]) + "\n"
        (directory / f"{source}.csv").write_text(text, encoding="utf-8")
    return path


def toml_ready(value: Any) -> Any:
    """``value`` without its None members: TOML has no null."""
    if isinstance(value, dict):
        return {k: toml_ready(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [toml_ready(v) for v in value]
    return value


def customers_seen(config: Config, sources: list[SourceResult]) -> list[Any]:
    """What the listing showed before it was indexed: a scan of the records per customer."""
    seen = [
        tuple(
            r.source
            for r in sources
            if find_customer(config, r.source, c.id) == c
            and any(u.customer == c.id for u in r.records)
        )
        for c in config.customers
    ]
    pairs = {(u.customer, r.source) for r in sources for u in r.records}
    unmapped = [p for p in sorted(pairs) if find_customer(config, p[1], p[0]) is None]
    return [*seen, *unmapped]


def products_seen(config: Config, sources: list[SourceResult]) -> list[Any]:
    seen = [
        tuple(
            r.source
            for r in sources
            if any(u.sku == p.sku for u in r.records) and find_product(config, r.source, p.sku) == p
        )
        for p in config.products
    ]
    pairs = {(u.sku, r.source) for r in sources for u in r.records}
    unmapped = [p for p in sorted(pairs) if find_product(config, p[1], p[0]) is None]
    return [*seen, *unmapped]


@pytest.mark.parametrize("seed", range(25))
def test_listings_match_a_scan_of_every_record(tmp_path: Path, seed: int) -> None:
    loaded = load_config(write_world(tmp_path, seed), ENV)
    config = loaded.config
    sources = read_all(config.sources, base_dir=loaded.base_dir, env=ENV, decimal_skus=frozenset())
    assert all(r.ok for r in sources)
    assert sum(len(r.records) for r in sources) > 0
    listing = inventory.customers(loaded, ENV, check_psa=False)
    mapped = len(config.customers)
    shown = [row.seen_in for row in listing.rows[:mapped]]
    shown += [(row.id, row.source) for row in listing.rows[mapped:]]
    assert shown == customers_seen(config, sources)
    products = inventory.products(loaded, ENV, tmp_path / "state", check_psa=False)
    mapped = len(config.products)
    shown = [row.seen_in for row in products.rows[:mapped]]
    shown += [(row.sku, row.source) for row in products.rows[mapped:]]
    assert shown == products_seen(config, sources)
