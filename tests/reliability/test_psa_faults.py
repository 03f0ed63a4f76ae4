"""One fault aimed at one write on Autotask and HaloPSA, and Autotask's refusal to reach 0 units.

Autotask's only write is a delta: a lost answer to it must be settled by a re-read (``landed``),
never by posting again. Halo's writes are POSTs: a lost create is re-read before any second
POST, a lost line update is confirmed by reading it back. Autotask's client never takes a
service to 0 units (zero and cancel policies): those lines fail loudly and post nothing.
"""

from __future__ import annotations

import random
from pathlib import Path

from psabill.sandbox.autotask import AutotaskSandbox
from psabill.sandbox.faults import FaultPlan, lose_response
from psabill.sandbox.kinds import psa_section
from psabill.sandbox.world import product_sku, write_world_config
from tests.reliability.fault_checks import Tally, check_run, converge, count_lines
from tests.reliability.fault_world import (
    CUSTOMERS,
    KEYS,
    PRODUCTS,
    FaultWorld,
    Key,
    fault_world,
)
from tests.reliability.psa_deltas import journal
from tests.reliability.psa_kinds import live_quantities
from tests.reliability.test_faults import add_to_figures


def _steady(world: FaultWorld) -> dict[Key, int]:
    live = {key: live_quantities(rows) for key, rows in world.additions().items()}
    return {key: int(q[0]) for key, q in live.items() if q}


def _one_run(world: FaultWorld, plan: FaultPlan) -> Tally:
    tally = Tally()
    world.sandbox.faults.replace(plan)
    before = world.additions()
    report = world.run(allow_drop=True)
    count_lines(report, before, tally)
    check_run(world, before, report, tally, "targeted")
    tally.fired.update(world.fault_counts()[1])
    converge(world, tally, "targeted, then faults off")
    add_to_figures(tally)
    return tally


def _posts(world: FaultWorld, path_end: str) -> int:
    return sum(1 for r in world.sandbox.requests() if r.path.endswith(path_end))


def test_autotask_lost_adjustment_answer_is_reread_and_journalled_landed(tmp_path: Path) -> None:
    with fault_world(tmp_path, random.Random(5), "autotask") as world:
        steady = _steady(world)
        key = next(iter(steady))
        world.set_usage({**steady, key: steady[key] + 5})
        lost = lose_response(method="POST", path="/ContractServiceAdjustments$", times=1)
        tally = _one_run(world, FaultPlan([lost], rate_limit=None))
        assert tally.fired["lost adjustment"] == 1
        assert tally.problems == [], tally.problems
        assert tally.writes == {"update": 1}
        assert _posts(world, "/ContractServiceAdjustments") == 1  # never posted again
        assert [e.state for e in journal(world.ledger)] == ["landed"]
        assert live_quantities(world.additions()[key]) == [steady[key] + 5]


def test_autotask_refuses_to_take_a_service_to_zero_and_posts_nothing(tmp_path: Path) -> None:
    with fault_world(tmp_path, random.Random(6), "autotask") as world:
        policies = {product_sku(1): "zero", product_sku(2): "cancel", product_sku(3): "keep"}
        write_world_config(
            world.directory,
            world.sandbox.site_url,
            customers=CUSTOMERS,
            products=PRODUCTS,
            on_usage_gone=policies,
            psa=psa_section(world.sandbox),
            names=world.terms.names,
        )
        steady = _steady(world)
        gone = [key for key in steady if key[1] != product_sku(3)]
        assert gone
        world.set_usage({key: q for key, q in steady.items() if key not in gone})
        report = world.run(allow_drop=True)
        failed = [r for r in report.results if r.status == "failed"]
        refused = {(r.line.customer, r.line.sku) for r in failed}
        assert set(gone) <= refused, (gone, refused)  # services at 0 units are refused too
        assert all(key[1] != product_sku(3) for key in refused), refused
        assert all("does not take" in (r.error or "") for r in failed), failed
        assert report.outcome in ("partial", "failure")
        assert isinstance(world.sandbox, AutotaskSandbox)
        assert world.sandbox.adjustments() == []
        assert _steady(world) == steady


def test_halo_lost_create_is_reread_not_posted_again(tmp_path: Path) -> None:
    with fault_world(tmp_path, random.Random(5), "halopsa") as world:
        steady = _steady(world)
        new = next(key for key in KEYS if key not in steady)
        world.set_usage({**steady, new: 7})
        lost = lose_response(method="POST", path="/RecurringInvoice/Lines$", times=1)
        tally = _one_run(world, FaultPlan([lost], rate_limit=None))
        assert tally.fired["lost create"] == 1
        assert _posts(world, "/RecurringInvoice/Lines") == 1
        assert tally.problems == [], tally.problems
        assert live_quantities(world.additions()[new]) == [7]


def test_halo_lost_update_answers_are_confirmed_by_reading_back(tmp_path: Path) -> None:
    with fault_world(tmp_path, random.Random(6), "halopsa") as world:
        steady = _steady(world)
        first, second = list(steady)[:2]
        world.set_usage({**steady, first: steady[first] + 1, second: steady[second] + 2})
        lost = lose_response(method="POST", path="/RecurringInvoice/updatelines$", times=2)
        tally = _one_run(world, FaultPlan([lost], rate_limit=None))
        assert tally.fired["lost update"] == 2
        assert tally.writes == {"update": 2}
        assert tally.problems == [], tally.problems
        assert live_quantities(world.additions()[first]) == [steady[first] + 1]
