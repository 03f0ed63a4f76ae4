"""The indexed planner plans exactly what the straightforward one did, on random worlds.

``tests.core.reference_plan`` is the planner before it was indexed (a scan of every mapping per
record, of the resolution per customer, of every name per customer). Random worlds, small and
larger, must give equal resolutions (order included), plans, guarded plans and due decisions.
"""

from __future__ import annotations

import random

import pytest

from psabill.core import due, mapping
from psabill.core.guards import RiseLimit, apply_guards
from psabill.core.plan import Plan
from psabill.core.plan_build import build_plan
from psabill.errors import UsageError
from tests.core import reference_plan as reference
from tests.core.random_world import NOW, World, random_world

SMALL = range(300)
LARGER = range(1000, 1008)


def both(world: World) -> tuple[Plan, Plan]:
    """The new and the reference plan of ``world``, after checking their resolutions match."""
    new = mapping.resolve(world.config, world.usage, world.scope)
    old = reference.resolve(world.config, world.usage, world.scope)
    assert new == old
    assert list(new.desired.items()) == list(old.desired.items())
    assert list(new.unmapped_customers.items()) == list(old.unmapped_customers.items())
    assert list(new.unmapped_products.items()) == list(old.unmapped_products.items())
    return build_plan(world.context(new)), reference.build_plan(world.context(old))


@pytest.mark.parametrize("seed", [*SMALL, *LARGER])
def test_a_random_world_plans_as_the_straightforward_planner_does(seed: int) -> None:
    world = random_world(random.Random(seed), ids=5 if seed in SMALL else 60)
    new, old = both(world)
    assert new == old  # lines in order, repairs in order, fingerprints
    rise = RiseLimit(world.config.sync.max_rise, world.config.sync.rise_floor, world.quantities)
    guarded = [
        apply_guards(plan, world.snapshot, world.config.sync.max_drop, allow_drop=False, rise=rise)
        for plan in (new, old)
    ]
    assert guarded[0] == guarded[1]


def test_the_random_worlds_reach_every_action_and_repair() -> None:
    """Evidence that the equivalence above covers the decision table, not just empty plans."""
    actions: set[str] = set()
    repairs = 0
    for seed in SMALL:
        new, _ = both(random_world(random.Random(seed)))
        actions |= {line.action for line in new.lines}
        repairs += len(new.repairs)
    expected = {"create", "update", "zero", "cancel", "unchanged", "keep", "ambiguous", "error"}
    assert expected | {"paused", "stopped"} <= actions
    assert repairs > 0


@pytest.mark.parametrize("seed", range(200))
def test_targets_and_due_decisions_match_the_straightforward_ones(seed: int) -> None:
    world = random_world(random.Random(seed), ids=8)
    config = world.config
    assert due.targets(config) == reference.targets(config)
    for customer in config.customers[:3]:
        for only in (customer.id, mapping.customer_key(customer)):
            try:
                expected = reference.targets(config, only)
            except UsageError:
                with pytest.raises(UsageError):
                    due.targets(config, only)
            else:
                assert due.targets(config, only) == expected
    last = world.completed.get
    assert due.evaluate_targets(config, last, NOW) == reference.evaluate_targets(config, last, NOW)
