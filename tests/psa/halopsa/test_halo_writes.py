"""The HaloPSA client's writes against the fake Halo: lines created once, absolute updates,
duplicates left alone, one write per invoice at a time, faults that fired."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from psabill.core.entities import Addition, NewAddition, NewCatalogItem
from psabill.errors import PsaError
from psabill.psa.halopsa.client import HaloClient
from psabill.sandbox import http_error, lose_response
from psabill.sandbox.halopsa import HaloSandbox
from tests.psa.conftest import FakeClock
from tests.psa.halopsa.support import LASTPASS, NEGATIVE, halo_client, paths, run

START = date(2025, 1, 1)


def new_lastpass(quantity: int = 7, header: int = NEGATIVE) -> NewAddition:
    return NewAddition(header, LASTPASS, "LastPass Business", Decimal(quantity), START)


def lines_for(halo: HaloSandbox, header: int, item: int = LASTPASS) -> list[dict[str, Any]]:
    return [line for line in halo.world.lines_of(header) if line["_itemid"] == item]


def test_create_on_a_negative_invoice_then_find_it(halo: HaloSandbox, clock: FakeClock) -> None:
    async def write(client: HaloClient) -> tuple[Addition, Addition]:
        first = await client.create_addition(new_lastpass(7))
        again = await client.create_addition(new_lastpass(9))  # already there: set, not added
        return first, again

    first, again = run(halo_client(halo, clock), write)
    assert (first.agreement_id, first.effective_date) == (NEGATIVE, START)
    assert first.quantity == Decimal(7)
    assert (again.id, again.quantity) == (first.id, Decimal(9))
    assert [line["qty_order"] for line in lines_for(halo, NEGATIVE)] == [9]
    assert paths(halo, "POST").count("/api/RecurringInvoice/Lines") == 1


def test_duplicate_lines_are_ambiguous_and_untouched(halo: HaloSandbox, clock: FakeClock) -> None:
    for quantity in (3, 4):
        line = {"ihid": NEGATIVE, "_itemid": LASTPASS, "qty_order": quantity}
        halo.world.put("lines", {**line, "id": halo.world.new_id("lines")})
    before = halo.world.dump()
    with pytest.raises(PsaError, match="ambiguous") as raised:
        run(halo_client(halo, clock), lambda c: c.create_addition(new_lastpass()))
    assert "remove the duplicate" in (raised.value.hint or "")
    assert halo.world.dump() == before
    assert "/api/RecurringInvoice/Lines" not in paths(halo, "POST")


def test_a_lost_answer_still_makes_exactly_one_line(halo: HaloSandbox, clock: FakeClock) -> None:
    halo.faults.add(lose_response(method="POST", path="/RecurringInvoice/Lines$", times=1))
    made = run(halo_client(halo, clock), lambda c: c.create_addition(new_lastpass(5)))
    assert halo.faults.injected() == {"lose_response:POST": 1}
    assert [line["id"] for line in lines_for(halo, NEGATIVE)] == [made.id]
    assert made.quantity == Decimal(5)
    assert paths(halo, "POST").count("/api/RecurringInvoice/Lines") == 1


def test_a_lost_refusal_is_posted_again_after_a_reread(halo: HaloSandbox, clock: FakeClock) -> None:
    """The first POST failed (5xx) and made nothing: the re-read shows no line, so it is sent
    once more, and one line exists."""
    halo.faults.add(http_error(503, method="POST", path="/RecurringInvoice/Lines$", times=1))
    made = run(halo_client(halo, clock), lambda c: c.create_addition(new_lastpass(5)))
    assert halo.faults.injected() == {"status:503": 1}
    assert [line["id"] for line in lines_for(halo, NEGATIVE)] == [made.id]


def test_update_and_cancel_are_absolute_and_read_back(halo: HaloSandbox, clock: FakeClock) -> None:
    halo.faults.add(http_error(502, method="POST", path="/updatelines$", times=1))

    async def write(client: HaloClient) -> tuple[Addition, Addition]:
        updated = await client.update_addition_quantity(1500, 9000, Decimal(44))
        cancelled = await client.cancel_addition(1500, 9001, date(2025, 3, 1))
        return updated, cancelled

    updated, cancelled = run(halo_client(halo, clock), write)
    assert halo.faults.injected() == {"status:502": 1}  # retried: the value is absolute
    assert updated.quantity == Decimal(44)
    assert halo.world.get("lines", 9000)["qty_order"] == 44  # type: ignore[index]
    assert cancelled.cancelled_date == date(2025, 3, 1)
    line = halo.world.get("lines", 9001)
    assert line is not None
    assert (line["enddate"], line["qty_order"]) == ("2025-02-28T00:00:00", 38)


def test_a_calculated_quantity_is_refused_by_halo(halo: HaloSandbox, clock: FakeClock) -> None:
    with pytest.raises(PsaError, match="calculated"):
        run(halo_client(halo, clock), lambda c: c.update_addition_quantity(1501, 9002, Decimal(1)))
    assert halo.world.get("lines", 9002)["qty_order"] == 25  # type: ignore[index]


def test_writes_to_one_invoice_never_overlap(halo: HaloSandbox, clock: FakeClock) -> None:
    """Each invoice write holds its invoice a while in the sandbox; a client sending two at
    once would meet Halo's "affected 0 row(s)" failure. The client's lock sends them in turn."""
    halo.halo.api.write_latency = 0.05

    async def write(client: HaloClient) -> list[Addition]:
        return list(
            await asyncio.gather(
                client.update_addition_quantity(1500, 9000, Decimal(50)),
                client.update_addition_quantity(1500, 9001, Decimal(51)),
                client.create_addition(new_lastpass(header=1502)),
            )
        )

    results = run(halo_client(halo, clock), write)
    assert [a.quantity for a in results] == [Decimal(50), Decimal(51), Decimal(7)]
    assert halo.halo.api.overlaps == 0
    assert halo.world.processed == []
    assert not [p for p in paths(halo) if p.lower().endswith("/process")]


def test_catalog_items_are_created_once(halo: HaloSandbox, clock: FakeClock) -> None:
    new = NewCatalogItem("SOPHOS-XDR-2025", "XDR", "Sophos XDR", Decimal("6.25"), Decimal("3.9"))

    async def write(client: HaloClient) -> Any:
        return await client.create_catalog_item(new), await client.create_catalog_item(new)

    made, again = run(halo_client(halo, clock), write)
    assert made == again
    assert (made.identifier, made.price) == ("SOPHOS-XDR-2025", Decimal("6.25"))
    assert halo.world.get("items", made.id)["isrecurringitem"] is True  # type: ignore[index]
    assert paths(halo, "POST").count("/api/Item") == 1
    legacy = NewCatalogItem("Sophos Central Endpoint (legacy)", "x", "x")
    with pytest.raises(PsaError, match="inactive"):
        run(halo_client(halo, clock), lambda c: c.create_catalog_item(legacy))
