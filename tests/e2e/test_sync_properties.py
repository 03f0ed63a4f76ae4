"""Sync invariants under random usage histories, over real HTTP against each PSA's sandbox.

After every successful run: quantities in the PSA equal the usage, usage that
disappeared follows the product's policy, no (agreement, product) ever has two
live lines, and planning again yields nothing to write. The same world runs on
ConnectWise, Autotask and HaloPSA (translated from one seed, judged per (customer,
SKU) from what the PSA bills). Autotask never takes a service to 0 units, so there
every product keeps its units when usage is gone and usage is at least 1.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.core.report import SyncRequest
from psabill.sandbox import Sandbox, Store
from psabill.sandbox.kinds import psa_section
from psabill.sandbox.seed import seed_large
from psabill.sandbox.world import customer_id, product_sku, write_usage, write_world_config
from tests.reliability.psa_kinds import PSA_KINDS, Terms, live_quantities, psa_world_sandbox

CUSTOMERS, PRODUCTS = 3, 3
POLICIES = {product_sku(1): "keep", product_sku(2): "zero", product_sku(3): "cancel"}
KEYS = [(customer_id(c), product_sku(p)) for c in range(1, 4) for p in range(1, 4)]

KEEP_ALL = dict.fromkeys(POLICIES, "keep")
usage_step = st.dictionaries(st.sampled_from(KEYS), st.integers(0, 400), max_size=len(KEYS))
some_usage = st.dictionaries(st.sampled_from(KEYS), st.integers(1, 400), max_size=len(KEYS))


@dataclass
class PsaWorld:
    sandbox: Sandbox
    terms: Terms

    @property
    def kind(self) -> str:
        return self.terms.kind

    def live(self) -> dict[tuple[str, str], Decimal]:
        """(customer, SKU) -> quantity of each live line; fails on two live lines for a key."""
        found: dict[tuple[str, str], Decimal] = {}
        for key, lines in self.terms.billed(self.sandbox).items():
            quantities = [q for q in live_quantities(lines) if q or self.kind != "autotask"]
            assert len(quantities) <= 1, f"two live lines for {key}: {quantities}"
            if quantities:
                found[key] = quantities[0]
        return found


@pytest.fixture(scope="module", params=PSA_KINDS)
def world(request: pytest.FixtureRequest) -> Iterator[PsaWorld]:
    store = Store()
    seed_large(store, CUSTOMERS, PRODUCTS, seed=3)
    terms = Terms.of(request.param, store)
    with psa_world_sandbox(request.param, store) as running:
        yield PsaWorld(running, terms)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_runs_converge_and_never_duplicate(world: PsaWorld, data: st.DataObject) -> None:
    autotask = world.kind == "autotask"
    steps = data.draw(st.lists(some_usage if autotask else usage_step, min_size=1, max_size=4))
    policies = KEEP_ALL if autotask else POLICIES
    sandbox = world.sandbox
    sandbox.reset()
    directory = Path(tempfile.mkdtemp(prefix="psabill-prop-"))
    other = world.kind != "connectwise"
    config = write_world_config(
        directory,
        sandbox.site_url,
        customers=CUSTOMERS,
        products=PRODUCTS,
        on_usage_gone=policies,
        psa=psa_section(sandbox) if other else None,
        names=world.terms.names if other else None,
    )
    runner = Runner(load_config(config, os.environ), directory / "state", os.environ)
    for usage in steps:
        before = world.live()
        write_usage(directory, usage)
        report = runner.sync(SyncRequest(trigger="manual", allow_drop=True))
        assert report.outcome == "success", report.fatal or [r.error for r in report.results]
        after = world.live()
        for key in KEYS:
            policy = policies[key[1]]
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
