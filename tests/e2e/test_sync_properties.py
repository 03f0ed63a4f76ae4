"""Sync invariants under random usage histories, over real HTTP against the sandbox.

After every successful run: quantities in the PSA equal the usage, usage that
disappeared follows the product's policy, no (agreement, product) ever has two
live additions, and planning again yields nothing to write.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.core.report import SyncRequest
from psabill.sandbox import Sandbox, Store
from psabill.sandbox.seed import seed_large
from psabill.sandbox.world import customer_id, product_sku, write_usage, write_world_config

CUSTOMERS, PRODUCTS = 3, 3
POLICIES = {product_sku(1): "keep", product_sku(2): "zero", product_sku(3): "cancel"}
KEYS = [(customer_id(c), product_sku(p)) for c in range(1, 4) for p in range(1, 4)]

usage_step = st.dictionaries(st.sampled_from(KEYS), st.integers(0, 400), max_size=len(KEYS))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    store = Store()
    seed_large(store, CUSTOMERS, PRODUCTS, seed=3)
    with Sandbox(store) as running:
        yield running


def live(sandbox: Sandbox) -> dict[tuple[str, str], float]:
    """(company identifier, product) -> quantity of each live addition; fails on duplicates."""
    dump = sandbox.store.dump()
    company_of = {a["id"]: a["company"]["identifier"] for a in dump["agreements"]}
    found: dict[tuple[str, str], float] = {}
    for row in dump["additions"]:
        if row["cancelledDate"] is not None:
            continue
        key = (company_of[row["agreementId"]], row["product"]["identifier"])
        assert key not in found, f"two live additions for {key}"
        found[key] = row["quantity"]
    return found


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(usage_step, min_size=1, max_size=4))
def test_runs_converge_and_never_duplicate(
    sandbox: Sandbox, steps: list[dict[tuple[str, str], int]]
) -> None:
    sandbox.reset()
    directory = Path(tempfile.mkdtemp(prefix="psabill-prop-"))
    config = write_world_config(
        directory,
        sandbox.site_url,
        customers=CUSTOMERS,
        products=PRODUCTS,
        on_usage_gone=POLICIES,
    )
    runner = Runner(load_config(config, os.environ), directory / "state", os.environ)
    for usage in steps:
        before = live(sandbox)
        write_usage(directory, usage)
        report = runner.sync(SyncRequest(trigger="manual", allow_drop=True))
        assert report.outcome == "success", report.fatal or [r.error for r in report.results]
        after = live(sandbox)
        for key in KEYS:
            policy = POLICIES[key[1]]
            if key in usage:
                if usage[key] == 0 and key not in before:
                    assert key not in after  # nothing to create for zero seats
                else:
                    assert after[key] == usage[key], key
            elif policy == "keep":
                assert after.get(key) == before.get(key), key
            elif policy == "zero":
                assert after.get(key) == (0 if key in before else None), key
            else:
                assert key not in after, key
        again = runner.sync(SyncRequest(trigger="manual", dry_run=True))
        assert again.plan is not None
        assert again.plan.writes == (), [line.action for line in again.plan.writes]
