"""AutotaskClient's writes: a fresh read, one journalled delta, a read back; and the refusals."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from decimal import Decimal
from functools import partial
from typing import TypeVar

import pytest

from psabill.core.entities import NewAddition, NewCatalogItem
from psabill.errors import PsaError
from psabill.psa.autotask.client import AutotaskClient
from psabill.psa.base import Delta, NoJournal
from psabill.sandbox.autotask import AutotaskSandbox
from tests.psa.autotask.support import (
    ACME,
    ACME_SOPHOS,
    DAY,
    SOPHOS,
    MemoryJournal,
    make_client,
    units,
)

T = TypeVar("T")


@pytest.fixture
def autotask() -> Iterator[AutotaskSandbox]:
    with AutotaskSandbox() as running:
        yield running


def run(
    sandbox: AutotaskSandbox,
    journal: MemoryJournal | NoJournal,
    call: Callable[[AutotaskClient], Awaitable[T]],
) -> T:
    async def main() -> T:
        async with make_client(sandbox, journal) as client:
            return await call(client)

    return asyncio.run(main())


def posted(sandbox: AutotaskSandbox) -> list[tuple[int, int, date, int]]:
    return [
        (a.contract_id, a.service_id, a.effective, a.unit_change) for a in sandbox.adjustments()
    ]


def test_a_quantity_becomes_one_delta_dated_the_billing_day(autotask: AutotaskSandbox) -> None:
    seen_at_sending: list[int] = []
    journal = MemoryJournal(lambda delta: seen_at_sending.append(len(autotask.adjustments())))
    update = lambda c: c.update_addition_quantity(ACME, ACME_SOPHOS, Decimal(45), DAY)  # noqa: E731
    addition = run(autotask, journal, update)
    assert (addition.id, addition.quantity, addition.product_identifier) == (
        ACME_SOPHOS,
        Decimal(45),
        "Sophos Intercept X Advanced",
    )
    assert posted(autotask) == [(ACME, SOPHOS, DAY, 3)]
    assert seen_at_sending == [0]  # journalled before the POST went out
    assert journal.log == [(1, "sending"), (1, "posted")]
    assert journal.notes[1] == str(autotask.adjustments()[0].id)
    assert journal.entries[1].delta == Delta(
        ACME, SOPHOS, ACME_SOPHOS, DAY, Decimal(42), Decimal(3)
    )
    assert units(autotask, ACME_SOPHOS, date(2026, 6, 14)) == 42  # the day before is untouched


def test_setting_the_units_they_have_posts_nothing(autotask: AutotaskSandbox) -> None:
    journal = MemoryJournal()
    run(autotask, journal, lambda c: c.update_addition_quantity(ACME, ACME_SOPHOS, Decimal(42)))
    assert posted(autotask) == []
    assert journal.log == []


def test_successive_targets_post_deltas_that_sum_to_the_change(autotask: AutotaskSandbox) -> None:
    journal = MemoryJournal()

    async def steps(client: AutotaskClient) -> list[Decimal]:
        days = [DAY, DAY, date(2026, 7, 1), date(2026, 7, 1)]
        return [
            (await client.update_addition_quantity(ACME, ACME_SOPHOS, Decimal(n), day)).quantity
            for n, day in zip((50, 40, 40, 44), days, strict=True)
        ]

    assert run(autotask, journal, steps) == [50, 40, 40, 44]
    changes = [change for *_, change in posted(autotask)]
    assert changes == [8, -10, 4]  # same-day deltas add up; nothing posted when already right
    assert units(autotask, ACME_SOPHOS) == 40
    assert units(autotask, ACME_SOPHOS, date(2026, 7, 1)) == 42 + sum(changes) == 44
    assert journal.states() == ["posted"] * 3


def test_two_changes_of_one_service_are_never_in_flight_together(
    autotask: AutotaskSandbox,
) -> None:
    journal = MemoryJournal()

    async def both(client: AutotaskClient) -> list[Decimal]:
        jobs = [
            client.update_addition_quantity(ACME, ACME_SOPHOS, Decimal(n), DAY) for n in (50, 45)
        ]
        return [a.quantity for a in await asyncio.gather(*jobs)]

    assert run(autotask, journal, both) == [50, 45]
    assert journal.log == [(1, "sending"), (1, "posted"), (2, "sending"), (2, "posted")]
    # Which change takes the pair's lock first is up to the event loop; either way the second
    # is read afresh, after the first landed, and the units end at the last one's target.
    first, second = (e.delta for e in journal.entries.values())
    assert (first.before, second.before) == (42, first.after)  # each read afresh
    assert {first.after, second.after} == {50, 45}
    assert [change for *_, change in posted(autotask)] == [first.change, second.change]
    assert units(autotask, ACME_SOPHOS) == second.after


def test_create_addition_is_the_first_delta_and_makes_the_contract_service(
    autotask: AutotaskSandbox,
) -> None:
    journal = MemoryJournal()
    new = NewAddition(1505, SOPHOS, "Sophos Intercept X Advanced", Decimal(10), DAY)
    addition = run(autotask, journal, lambda c: c.create_addition(new))
    assert (addition.agreement_id, addition.product_id, addition.quantity) == (
        1505,
        SOPHOS,
        Decimal(10),
    )
    assert posted(autotask) == [(1505, SOPHOS, DAY, 10)]
    assert journal.entries[1].delta.reference is None
    assert [a.id for a in run(autotask, journal, lambda c: c.additions(1505, DAY))] == [addition.id]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.update_addition_quantity(ACME, ACME_SOPHOS, Decimal(0)), "to 0 units"),
        (lambda c: c.cancel_addition(ACME, ACME_SOPHOS, DAY), "to 0 units"),
        (lambda c: c.update_addition_quantity(ACME, ACME_SOPHOS, Decimal("4.5")), "whole units"),
        (lambda c: c.update_addition_quantity(ACME, 424242, Decimal(5)), "no contract service"),
        (lambda c: c.update_addition_quantity(1504, 9000, Decimal(5)), "no contract service"),
        (lambda c: c.update_addition_quantity(1507, 1, Decimal(5)), "no contract service"),
    ],
)
def test_refusals_come_before_anything_is_sent(
    autotask: AutotaskSandbox, call: Callable[[AutotaskClient], Awaitable[object]], message: str
) -> None:
    journal = MemoryJournal()
    with pytest.raises(PsaError, match=message) as caught:
        run(autotask, journal, call)
    if "0 units" in message:
        assert 'on_usage_gone = "keep"' in (caught.value.hint or "")
    assert journal.log == []
    assert not [r for r in autotask.requests() if r.method == "POST" and "Adjust" in r.path]


def test_without_a_journal_the_client_is_read_only(autotask: AutotaskSandbox) -> None:
    with pytest.raises(PsaError, match="read-only"):
        run(autotask, NoJournal(), lambda c: c.update_addition_quantity(ACME, 9000, Decimal(45)))
    assert posted(autotask) == []


def test_contracts_that_cannot_take_the_change_are_refused_before_posting(
    autotask: AutotaskSandbox,
) -> None:
    autotask.world.posted_until[ACME] = date(2026, 6, 30)
    journal = MemoryJournal()
    with pytest.raises(PsaError, match="approved and posted"):
        run(autotask, journal, lambda c: c.update_addition_quantity(ACME, 9000, Decimal(45), DAY))
    later = date(2026, 7, 1)
    run(autotask, journal, lambda c: c.update_addition_quantity(ACME, 9000, Decimal(45), later))
    new = NewAddition(1504, SOPHOS, "Sophos Intercept X Advanced", Decimal(3), DAY)
    with pytest.raises(PsaError, match="inactive"):  # Blue Harbor's cancelled 2022 contract
        run(autotask, journal, lambda c: c.create_addition(new))
    old = NewAddition(1507, SOPHOS, "Sophos Intercept X Advanced", Decimal(3), DAY)
    with pytest.raises(PsaError, match="does not cover 2026-06-15"):
        run(autotask, journal, lambda c: c.create_addition(old))
    assert posted(autotask) == [(ACME, SOPHOS, later, 3)]


def test_a_changed_read_back_is_an_error_never_a_correction(autotask: AutotaskSandbox) -> None:
    def someone_else(delta: Delta) -> None:  # another integration changes the units meanwhile
        autotask.world.adjust(ACME, SOPHOS, ACME_SOPHOS, DAY, 1, seeded=True)

    journal = MemoryJournal(someone_else)
    with pytest.raises(PsaError, match="shows 46 units instead of 45"):
        run(autotask, journal, lambda c: c.update_addition_quantity(ACME, 9000, Decimal(45), DAY))
    assert posted(autotask) == [(ACME, SOPHOS, DAY, 3)]
    assert journal.states() == ["posted"]


def test_catalog_items_are_found_never_created(autotask: AutotaskSandbox) -> None:
    journal = MemoryJournal()
    known = NewCatalogItem("Sophos Intercept X Advanced", "x", "x")
    assert run(autotask, journal, lambda c: c.create_catalog_item(known)).id == SOPHOS
    for name in ("Sophos Central Endpoint (legacy)", "Brand new service"):
        item = NewCatalogItem(name, name, name)
        with pytest.raises(PsaError, match="does not create services") as caught:
            run(autotask, journal, partial(AutotaskClient.create_catalog_item, new=item))
        assert "allocation code" in (caught.value.hint or "")
    assert not [r for r in autotask.requests() if r.path.endswith("/Services")]
