"""The per-invoice fresh view's rules, one at a time (the client tests drive it end to end)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from psabill.psa.halopsa.invoices import VIEW_SECONDS, InvoiceWrites
from tests.psa.conftest import FakeClock

LINE = {"id": 9000, "ihid": 1500, "_itemid": 700, "qty_order": 2}


def viewing(clock: FakeClock) -> InvoiceWrites:
    writes = InvoiceWrites(clock.monotonic)
    writes.read(1500, [LINE])
    return writes


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ({"id": 9100, "ihid": 1500, "_itemid": 703}, True),
        ({"id": 9100, "ihid": 1501, "_itemid": 703}, False),  # another invoice
        ({"id": 9100, "ihid": 1500, "_itemid": 704}, False),  # another item
        ({"id": 9000, "ihid": 1500, "_itemid": 703}, False),  # a line already known
        ({"ihid": 1500, "_itemid": 703}, False),  # no id
        ({"id": "9100", "ihid": 1500, "_itemid": 703}, False),  # an id that is not a number
        ([{"id": 9100, "ihid": 1500, "_itemid": 703}], False),  # not one line
        (None, False),
    ],
)
def test_only_a_plain_answer_joins_the_view(clock: FakeClock, answer: Any, kept: bool) -> None:
    writes = viewing(clock)
    writes.created(1500, 703, answer)
    view = writes.fresh(1500)
    if kept:
        assert view == [LINE, answer]
    else:
        assert view is None


def test_a_view_is_fresh_for_a_while_only(clock: FakeClock) -> None:
    writes = viewing(clock)
    clock.now += VIEW_SECONDS
    assert writes.fresh(1500) == [LINE]
    clock.now += 0.5
    assert writes.fresh(1500) is None


def test_the_view_is_a_copy(clock: FakeClock) -> None:
    writes = viewing(clock)
    view = writes.fresh(1500)
    assert view is not None
    view[0]["qty_order"] = 99
    view.append({"id": 1})
    assert writes.fresh(1500) == [LINE]


async def two_writes(writes: InvoiceWrites, *, first_fails: bool) -> list[object]:
    """Two writes queued on invoice 1500: what the second and then a later caller see."""
    seen: list[object] = []

    async def first() -> None:
        async with writes.writing(1500):
            writes.read(1500, [LINE])
            await asyncio.sleep(0)  # the second write queues meanwhile
            if first_fails:
                raise RuntimeError("boom")

    async def second() -> None:
        async with writes.writing(1500):
            seen.append(writes.fresh(1500))
            writes.read(1500, [LINE])

    results = await asyncio.gather(first(), second(), return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError if first_fails else type(None), type(None)]
    return [*seen, writes.fresh(1500)]


@pytest.mark.parametrize(("first_fails", "second_sees"), [(False, [LINE]), (True, None)])
def test_an_error_or_the_batch_end_forgets_the_view(
    clock: FakeClock, first_fails: bool, second_sees: object
) -> None:
    writes = InvoiceWrites(clock.monotonic)
    seen = asyncio.run(two_writes(writes, first_fails=first_fails))
    assert seen == [second_sees, None]  # kept for a queued write unless it failed; then gone
