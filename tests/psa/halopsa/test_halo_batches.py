"""A batch of new lines on one recurring invoice: one fresh read, then psabill's own confirmed
writes keep the view; anything doubtful reads the invoice again, and no line is ever doubled."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any

from psabill.core.entities import Addition, NewAddition
from psabill.psa.halopsa.client import HaloClient
from psabill.sandbox import lose_response, rate_limited
from psabill.sandbox.halopsa import HaloSandbox
from tests.psa.conftest import FakeClock
from tests.psa.halopsa.support import LASTPASS, M365, NEGATIVE, halo_client, paths, run

START = date(2025, 1, 1)
ITEMS = (700, 701, 702, LASTPASS, 704)
READ = f"/api/RecurringInvoice/{NEGATIVE}"


def new_line(item: int, quantity: int = 3) -> NewAddition:
    return NewAddition(NEGATIVE, item, f"item {item}", Decimal(quantity), START)


def create_all(news: list[NewAddition]) -> Any:
    async def action(client: HaloClient) -> list[Addition]:
        return list(await asyncio.gather(*(client.create_addition(n) for n in news)))

    return action


def items_on(halo: HaloSandbox) -> list[int]:
    return sorted(line["_itemid"] for line in halo.world.lines_of(NEGATIVE))


def test_a_batch_reads_its_invoice_once(halo: HaloSandbox, clock: FakeClock) -> None:
    made = run(halo_client(halo, clock), create_all([new_line(i) for i in ITEMS]))
    assert items_on(halo) == sorted(ITEMS)
    assert sorted(a.id for a in made) == [line["id"] for line in halo.world.lines_of(NEGATIVE)]
    assert paths(halo, "GET").count(READ) == 1
    assert paths(halo, "POST").count("/api/RecurringInvoice/Lines") == len(ITEMS)
    assert halo.halo.api.overlaps == 0


def test_the_same_item_twice_in_a_batch_is_created_once(
    halo: HaloSandbox, clock: FakeClock
) -> None:
    """The second finds the line the first created (in the view, not by a read) and sets it."""
    first, second = run(
        halo_client(halo, clock), create_all([new_line(LASTPASS, 4), new_line(LASTPASS, 6)])
    )
    assert first.id == second.id
    assert [(line["_itemid"], line["qty_order"]) for line in halo.world.lines_of(NEGATIVE)] == [
        (LASTPASS, 6)
    ]
    assert paths(halo, "POST").count("/api/RecurringInvoice/Lines") == 1
    assert paths(halo, "GET").count(READ) == 2  # the batch's read + the update's read-back


def test_the_next_batch_reads_again_and_sees_others_lines(
    halo: HaloSandbox, clock: FakeClock
) -> None:
    """A batch ends with its last write: a line someone adds in Halo afterwards is found by the
    next create, which sets it instead of adding a second one."""

    async def action(client: HaloClient) -> Addition:
        await client.create_addition(new_line(700))
        someone = {"ihid": NEGATIVE, "_itemid": M365, "qty_order": 2}
        halo.world.put("lines", {**someone, "id": halo.world.new_id("lines")})
        return await client.create_addition(new_line(M365, 9))

    found = run(halo_client(halo, clock), action)
    assert found.quantity == Decimal(9)
    assert items_on(halo) == [700, M365]
    assert paths(halo, "POST").count("/api/RecurringInvoice/Lines") == 1
    assert paths(halo, "GET").count(READ) == 3  # each batch's read + the update's read-back


def test_an_unknown_outcome_in_a_batch_forces_a_reread(halo: HaloSandbox, clock: FakeClock) -> None:
    halo.faults.add(lose_response(method="POST", path="/RecurringInvoice/Lines$", times=1))
    run(halo_client(halo, clock), create_all([new_line(i) for i in ITEMS]))
    assert halo.faults.injected() == {"lose_response:POST": 1}
    assert items_on(halo) == sorted(ITEMS)  # the lost one was not posted again
    assert paths(halo, "POST").count("/api/RecurringInvoice/Lines") == len(ITEMS)
    assert paths(halo, "GET").count(READ) == 2  # the batch's read + the re-read


def test_a_slow_batch_reads_again(halo: HaloSandbox, clock: FakeClock) -> None:
    """429s hold new lines back 120 s each: the second line is decided 240 s after the batch's
    read (still fresh: no read), the third 360 s after it (past 300 s: read again first)."""
    lines = "/RecurringInvoice/Lines$"
    halo.faults.add(rate_limited(120, method="POST", path=lines, times=2))  # the first line's
    halo.faults.add(rate_limited(120, method="POST", path=lines, times=1, after=1))  # the 2nd's
    run(halo_client(halo, clock), create_all([new_line(700), new_line(701), new_line(702)]))
    assert halo.faults.injected() == {"status:429": 3}
    assert clock.sleeps == [120.0, 120.0, 120.0]
    assert items_on(halo) == [700, 701, 702]
    invoice = [
        (r.method, r.status)
        for r in halo.requests()
        if r.path in (READ, "/api/RecurringInvoice/Lines")
    ]
    posted, refused, read = ("POST", 200), ("POST", 429), ("GET", 200)
    assert invoice == [read, refused, refused, posted, refused, posted, read, posted]
