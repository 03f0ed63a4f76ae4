"""Reading additions only of agreements a line can bill changes no plan.

:func:`psabill.app.snapshot.read_snapshot` skips the additions of agreements that are
cancelled, not active on the billing date, or of a type no contract of the company's customers
names. On random worlds dense in such agreements, the plan (lines, repairs, fingerprints) and
the guarded plan made from the filtered snapshot equal the ones made from every addition.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import pytest

from psabill.app.snapshot import AnyType, billable_types, may_bill, read_snapshot
from psabill.config.models import Config, Customer
from psabill.core.entities import Addition, Agreement, CatalogItem, Company
from psabill.core.guards import RiseLimit, apply_guards
from psabill.core.mapping import customer_key, resolve
from psabill.core.plan import Plan, Snapshot
from psabill.core.plan_build import build_plan
from tests.core.random_world import TODAY, World, random_world


def in_scope(world: World) -> list[Customer]:
    keys = frozenset(world.scope)
    return [c for c in world.config.customers if customer_key(c) in keys]


def filtered(world: World, on: date | None) -> Snapshot:
    """``world``'s snapshot holding the additions read_snapshot would read, and no others."""
    by_identifier = billable_types(world.config, in_scope(world))
    companies = world.snapshot.companies.values()
    types = {c.id: by_identifier.get(c.identifier.casefold(), AnyType) for c in companies}
    read = {
        a.id
        for agreements in world.snapshot.agreements.values()
        for a in agreements
        if may_bill(a, on, types)
    }
    additions = {aid: adds for aid, adds in world.snapshot.additions.items() if aid in read}
    return replace(world.snapshot, additions=additions)


def plans(world: World, snapshot: Snapshot) -> tuple[Plan, Plan]:
    resolution = resolve(world.config, world.usage, world.scope)
    context = replace(world.context(resolution), snapshot=snapshot)
    plan = build_plan(context)
    sync = world.config.sync
    rise = RiseLimit(sync.max_rise, sync.rise_floor, world.quantities)
    return plan, apply_guards(plan, snapshot, sync.max_drop, allow_drop=False, rise=rise)


@pytest.mark.parametrize("seed", range(400))
def test_the_filtered_snapshot_plans_as_the_whole_one_does(seed: int) -> None:
    world = random_world(random.Random(seed), ids=5 if seed < 300 else 30)
    assert plans(world, filtered(world, TODAY)) == plans(world, world.snapshot)


def test_the_random_worlds_filter_something() -> None:
    """Evidence that the equivalence above is not vacuous: agreements are skipped for each
    reason (not active on the billing date, a type no contract names) and lines still plan."""
    skipped = lines = 0
    reasons: set[str] = set()
    for seed in range(300):
        world = random_world(random.Random(seed))
        kept = filtered(world, TODAY).additions
        for agreement_id in set(world.snapshot.additions) - set(kept):
            agreement = next(
                a
                for adds in world.snapshot.agreements.values()
                for a in adds
                if a.id == agreement_id
            )
            reasons.add("date" if agreement.status_on(TODAY) != "Active" else "type")
            skipped += 1
        lines += len(plans(world, filtered(world, TODAY))[0].lines)
    assert reasons == {"date", "type"}
    assert skipped > 100
    assert lines > 100


class CountingClient:
    """The reads of a PSA client over fixed data, counting additions reads by agreement."""

    def __init__(self, agreements: Sequence[Agreement]) -> None:
        self._agreements = list(agreements)
        self.additions_read: list[int] = []

    async def companies(self, identifiers: Sequence[str]) -> list[Company]:
        return [Company(1, "ACME", "Acme")]

    async def catalog_items(self, identifiers: Sequence[str]) -> list[CatalogItem]:
        return []

    async def agreements(self, company_ids: Sequence[int]) -> list[Agreement]:
        return list(self._agreements)

    async def additions(self, agreement_id: int, on: date | None = None) -> list[Addition]:
        self.additions_read.append(agreement_id)
        return []


def _config(**customer: object) -> Config:
    return Config.model_validate(
        {
            "account": {"name": "MSP"},
            "psa": {"site": "http://127.0.0.1:1", "company": "c", "public_key": "p"}
            | {"private_key": "k", "client_id": "i"},
            "sync": {"agreement_type": "Managed"},
            "customers": [{"id": "c1", "psa_company": "acme", **customer}],
        }
    )


AGREEMENTS = [
    Agreement(10, "Now", "Managed", 1, "ACME", False, "Active", date(2026, 1, 1), None),
    Agreement(11, "Old", "Managed", 1, "ACME", False, "Active", None, date(2026, 11, 30)),
    Agreement(12, "Next", "Managed", 1, "ACME", False, "Inactive", date(2026, 12, 2), None),
    Agreement(13, "Gone", "Managed", 1, "ACME", True, "Cancelled", None, None),
    Agreement(14, "Block", "Block Time", 1, "ACME", False, "Active", None, None),
    Agreement(15, "Other", "other", 1, "ACME", False, "Active", None, None),
]


@pytest.mark.parametrize(
    ("customer", "on", "read"),
    [
        ({}, TODAY, [10]),
        # The billing date decides, not the status the PSA reported for its own today.
        ({}, date(2026, 11, 30), [10, 11]),
        ({}, date(2026, 12, 2), [10, 12]),
        # Types are matched as choose_agreement matches them: casefolded.
        ({"settings": "custom", "contract": {"agreement_type": "OTHER"}}, TODAY, [15]),
        (
            {
                "settings": "custom",
                "contracts": [{"product": "X", "agreement_type": "block time"}],
            },
            TODAY,
            [10, 14],
        ),
        # No billing date (a saved plan's check): every agreement that is not cancelled.
        ({}, None, [10, 11, 12, 14, 15]),
    ],
)
def test_read_snapshot_reads_the_additions_of_agreements_a_line_can_bill(
    customer: dict[str, object], on: date | None, read: list[int]
) -> None:
    config = _config(**customer)
    client = CountingClient(AGREEMENTS)
    snapshot = asyncio.run(read_snapshot(client, config, config.customers, on=on))  # type: ignore[arg-type]
    assert sorted(client.additions_read) == read
    assert sorted(snapshot.additions) == read
    assert [a.id for a in snapshot.agreements[1]] == [a.id for a in AGREEMENTS]


def test_a_customer_without_any_contract_type_reads_every_active_agreement() -> None:
    config = _config().model_copy(
        update={"sync": _config().sync.model_copy(update={"agreement_type": None})}
    )
    client = CountingClient(AGREEMENTS)
    asyncio.run(read_snapshot(client, config, config.customers, on=TODAY))  # type: ignore[arg-type]
    assert sorted(client.additions_read) == [10, 14, 15]
