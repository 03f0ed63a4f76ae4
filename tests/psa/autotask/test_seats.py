"""Seat counts through the Autotask adapter: a fresh read, one delta, a read back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date

import pytest

from psabill.errors import UnknownOutcome
from psabill.psa.autotask import AutotaskSeats
from psabill.sandbox.autotask import AutotaskSandbox
from psabill.sandbox.faults import FaultPlan, http_error, lose_response
from tests.psa.autotask.support import seats_for

TODAY = date(2026, 6, 15)


@pytest.fixture
def autotask() -> Iterator[AutotaskSandbox]:
    with AutotaskSandbox(today=TODAY) as running:
        yield running


async def first_pair(seats: AutotaskSeats) -> tuple[int, int]:
    company = (await seats.companies())[0]["id"]
    contract = (await seats.recurring_contracts(company))[0]["id"]
    links = await seats.contract_services(contract)
    services = await seats.services([link["serviceID"] for link in links])
    assert {s["id"] for s in services} == {link["serviceID"] for link in links}
    return int(contract), int(links[0]["serviceID"])


def posted_sum(autotask: AutotaskSandbox, contract: int, service: int, day: date) -> int:
    return sum(
        a.unit_change
        for a in autotask.world.adjustments
        if (a.contract_id, a.service_id) == (contract, service) and a.effective <= day
    )


def test_set_units_posts_deltas_that_sum_to_the_units(autotask: AutotaskSandbox) -> None:
    async def main() -> tuple[int, int, list[int]]:
        async with seats_for(autotask) as seats:
            contract, service = await first_pair(seats)
            changes = []
            for target in (15, 10, 10, 0, 7):
                read = await seats.read_units(contract, service, TODAY)
                posted, after = await seats.set_units(read, target)
                assert after.units == target
                changes.append(0 if posted is None else posted.unit_change)
            return contract, service, changes

    contract, service, changes = asyncio.run(main())
    assert changes == [3, -5, 0, -10, 7]
    assert posted_sum(autotask, contract, service, TODAY) == 7
    posts = [r for r in autotask.requests() if r.path.endswith("/ContractServiceAdjustments")]
    assert len(posts) == 4  # nothing is posted when the count is already right


def test_a_read_is_spent_by_its_first_adjustment(autotask: AutotaskSandbox) -> None:
    async def main() -> None:
        async with seats_for(autotask) as seats:
            contract, service = await first_pair(seats)
            read = await seats.read_units(contract, service, TODAY)
            await seats.adjust(read, 20)
            with pytest.raises(ValueError, match="fresh read_units"):
                await seats.adjust(read, 20)
            with pytest.raises(ValueError, match="negative"):
                await seats.adjust(await seats.read_units(contract, service, TODAY), -1)

    asyncio.run(main())
    assert len(autotask.world.adjustments) == 5  # the 4 seeded and one


def test_after_a_lost_answer_only_a_fresh_read_tells_whether_it_landed(
    autotask: AutotaskSandbox,
) -> None:
    rule = lose_response(method="POST", path="/ContractServiceAdjustments$", times=1)
    autotask.faults.replace(FaultPlan([rule]))

    async def main() -> tuple[int, int]:
        async with seats_for(autotask) as seats:
            contract, service = await first_pair(seats)
            read = await seats.read_units(contract, service, TODAY)
            with pytest.raises(UnknownOutcome):
                await seats.adjust(read, 40)
            with pytest.raises(ValueError, match="fresh read_units"):
                await seats.adjust(read, 40)  # the read was spent before the POST went out
            again = await seats.read_units(contract, service, TODAY)
            assert await seats.adjust(again, 40) is None  # it had landed: nothing more to post
            return contract, service

    contract, service = asyncio.run(main())
    assert autotask.faults.injected() == {"lose_response:POST": 1}
    assert posted_sum(autotask, contract, service, TODAY) == 40


def test_a_refused_adjustment_is_an_unknown_outcome_and_posts_nothing(
    autotask: AutotaskSandbox,
) -> None:
    autotask.faults.replace(FaultPlan([http_error(503, path="/ContractServiceAdjustments$")]))

    async def main() -> None:
        async with seats_for(autotask) as seats:
            contract, service = await first_pair(seats)
            with pytest.raises(UnknownOutcome):
                await seats.adjust(await seats.read_units(contract, service, TODAY), 25)

    asyncio.run(main())
    assert autotask.faults.injected() == {"status:503": 1}
    assert len(autotask.world.adjustments) == 4


def test_two_reads_of_one_state_never_base_two_adjustments(autotask: AutotaskSandbox) -> None:
    async def main() -> list[object]:
        async with seats_for(autotask) as seats:
            contract, service = await first_pair(seats)
            reads = [await seats.read_units(contract, service, TODAY) for _ in range(2)]
            other = await seats.read_units(contract, service, date(2026, 7, 1))
            together = asyncio.gather(
                seats.adjust(reads[0], 13), seats.adjust(reads[1], 14), return_exceptions=True
            )
            outcomes = list(await together)
            with pytest.raises(ValueError, match="fresh"):  # a read of another day is spent as well
                await seats.adjust(other, 20)
            return outcomes

    first, second = asyncio.run(main())
    assert getattr(first, "unit_change", None) == 1
    assert isinstance(second, ValueError)
    assert [a.unit_change for a in autotask.world.adjustments[4:]] == [1]


def test_a_read_of_another_adapter_is_refused(autotask: AutotaskSandbox) -> None:
    async def main() -> None:
        async with seats_for(autotask) as one, seats_for(autotask) as two:
            contract, service = await first_pair(one)
            with pytest.raises(ValueError, match="fresh"):
                await two.adjust(await one.read_units(contract, service, TODAY), 13)

    asyncio.run(main())
    assert len(autotask.world.adjustments) == 4
