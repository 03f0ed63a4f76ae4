"""A small random MSP for equivalence tests: config, usage, PSA snapshot and ledger history.

Dense in the awkward cases on purpose: scoped and generic mappings of one SKU or vendor id in
random order, switched-off and unmapped entries, shared names and PSA products, missing and
deleted companies, several agreements, cancelled, duplicated and renamed additions, broken
catalog items repaired or paused, failed sources, conflicts between sources.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from psabill.config.models import Config
from psabill.core.entities import Addition, Agreement, CatalogItem, Company
from psabill.core.mapping import Usage, customer_key
from psabill.core.plan import PlanContext, Snapshot, default_identifier
from psabill.core.schedule.engine import Completed

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 7, tzinfo=UTC)
SOURCES = ("s", "t")
SKUS = ("A", "B", "C", "D")
COMPANIES = ("ACME", "BETA", "GAMMA", "GONE", "DEL")  # GONE is not in the PSA, DEL is deleted
PSA_NAMES = (
    *(f"CAT-{sku}" for sku in SKUS),
    *("cat-a", "CAT-SHARED", "CAT-A-OLD"),
    *(default_identifier(sku) for sku in SKUS),
)


@dataclass(frozen=True)
class World:
    config: Config
    usage: list[Usage]
    scope: tuple[str, ...]
    snapshot: Snapshot
    failed: frozenset[str]
    known: dict[tuple[str, str], int]
    quantities: dict[tuple[str, str], Decimal]
    completed: dict[str, Completed]

    def context(self, resolution: Any) -> PlanContext:
        return PlanContext(
            self.config, resolution, self.scope, self.snapshot, TODAY, self.failed, self.known
        )


def random_world(rng: random.Random, ids: int = 5) -> World:
    config = Config.model_validate(config_data(rng, [f"c{n}" for n in range(1, ids + 1)]))
    keys = [customer_key(c) for c in config.customers]
    scope = tuple(rng.sample(keys, rng.randrange(len(keys) + 1)))
    snapshot = _snapshot(rng, ids)
    additions = [a.id for adds in snapshot.additions.values() for a in adds]
    known = {
        (key, sku): rng.choice([*additions, 9999])
        for key in keys
        for sku in SKUS
        if additions and rng.random() < 0.3
    }
    quantities = {(key, sku): Decimal(rng.randrange(0, 30)) for key in keys for sku in SKUS}
    completed = {
        key: Completed(rng.choice(["2026-11", "2026-12"]), NOW - timedelta(days=rng.randrange(40)))
        for key in keys
        if rng.random() < 0.6
    }
    failed = frozenset(s for s in SOURCES if rng.random() < 0.1)
    usage = _usage(rng, ids)
    return World(config, usage, scope, snapshot, failed, known, quantities, completed)


def config_data(rng: random.Random, ids: list[str]) -> dict[str, Any]:
    products = [
        _product(rng, sku, source)
        for sku in SKUS
        for source in (None, *SOURCES)
        if rng.random() < 0.45
    ]
    customers = [
        _customer(rng, ident, source)
        for ident in ids
        for source in (None, *SOURCES)
        if rng.random() < 0.4
    ]
    rng.shuffle(products)
    rng.shuffle(customers)
    return {
        "account": {"name": "MSP"},
        "psa": {
            "site": "http://127.0.0.1:1",
            "company": "c",
            "public_key": "p",
            "private_key": "k",
            "client_id": "i",
        },
        "sync": {"agreement_type": rng.choice([None, "Managed"])},
        "sources": [{"name": name, "kind": "csv", "path": f"{name}.csv"} for name in SOURCES],
        "products": products,
        "customers": customers,
    }


def _product(rng: random.Random, sku: str, source: str | None) -> dict[str, Any]:
    return {
        "sku": sku,
        "source": source,
        "psa_product": rng.choice([f"CAT-{sku}", f"CAT-{sku}", "cat-a", "CAT-SHARED", None]),
        "sync": rng.random() < 0.85,
        "unit_price": rng.choice([None, "4.50", "0"]),
        "unit_cost": rng.choice([None, "2"]),
        "description": rng.choice([None, f"{sku} seats"]),
        "on_usage_gone": rng.choice(["keep", "zero", "cancel"]),
        "on_psa_product_missing": rng.choice(["pause", "create_default"]),
    }


def _customer(rng: random.Random, ident: str, source: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": ident,
        "source": source,
        "name": rng.choice([None, "Acme", "Beta", ident]),
        "psa_company": rng.choice(COMPANIES),
        "sync": rng.random() < 0.9,
    }
    if rng.random() < 0.3:
        entry["settings"] = "custom"
        if rng.random() < 0.5:
            entry["contract"] = {"agreement_type": rng.choice(["Managed", "Other"])}
        if rng.random() < 0.5:
            name = rng.choice([None, "Other 1"])
            entry["contracts"] = [
                {"product": rng.choice(SKUS), "agreement_type": "Other", "agreement_name": name}
            ]
        if rng.random() < 0.5:
            hour, enabled = rng.randrange(24), rng.random() < 0.8
            entry["schedule"] = {"mode": "daily", "hour": hour, "enabled": enabled}
    return entry


def _snapshot(rng: random.Random, ids: int) -> Snapshot:
    companies = [
        Company(n, name, name.title(), deleted=name == "DEL") for n, name in enumerate(COMPANIES, 1)
    ]
    agreements: dict[int, tuple[Agreement, ...]] = {}
    additions: dict[int, tuple[Addition, ...]] = {}
    next_id = iter(range(1, 10_000))
    for company in companies[:3]:
        found = []
        for _ in range(rng.randrange(4)):
            found.append(_agreement(rng, next(next_id), company))
        agreements[company.id] = tuple(found)
        for agreement in found:
            if agreement.billable:
                additions[agreement.id] = tuple(
                    _addition(rng, next(next_id), agreement.id) for _ in range(rng.randrange(ids))
                )
    catalog = {}
    for index, name in enumerate(PSA_NAMES, 100):
        if rng.random() < 0.8:
            price = rng.choice([None, Decimal("3.25")])
            item = CatalogItem(index, name, f"{name} item", rng.random() < 0.15, price, price)
            catalog[name.casefold()] = item
    return Snapshot(
        {c.identifier.casefold(): c for c in companies if c.identifier != "GONE"},
        agreements,
        additions,
        catalog,
    )


def _agreement(rng: random.Random, ident: int, company: Company) -> Agreement:
    kind = rng.choice(["Managed", "Managed", "Other"])
    name = rng.choice([f"{kind} 1", f"{kind} 2"])
    cancelled = rng.random() < 0.1
    end = rng.choice([None, None, TODAY - timedelta(days=3), TODAY + timedelta(days=30)])
    start = rng.choice([None, TODAY - timedelta(days=90), TODAY + timedelta(days=5)])
    return Agreement(
        ident, name, kind, company.id, company.identifier, cancelled, "Active", start, end
    )


def _addition(rng: random.Random, ident: int, agreement_id: int) -> Addition:
    cancelled = rng.choice([None, None, None, TODAY - timedelta(days=1), TODAY + timedelta(days=9)])
    status = "Cancelled" if rng.random() < 0.1 else "Active"
    name = rng.choice(PSA_NAMES)
    quantity = Decimal(rng.randrange(0, 40))
    return Addition(ident, agreement_id, 1, name, quantity, cancelled_date=cancelled, status=status)


def _usage(rng: random.Random, ids: int) -> list[Usage]:
    records = []
    for source in SOURCES:
        for ident in [*(f"c{n}" for n in range(1, ids + 1)), "stranger"]:
            for sku in (*SKUS, "UNKNOWN"):
                if rng.random() < 0.35:
                    quantity = Decimal(rng.randrange(0, 60))
                    records.append(
                        Usage(source, ident, sku, quantity, f"{source}.csv:{len(records)}")
                    )
    rng.shuffle(records)
    return records
