"""AutotaskClient's reads in bulk: what a run costs in requests, and that a write is never
answered from what was read before it."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import TypeVar

import pytest

from psabill.core.entities import Addition, NewAddition
from psabill.errors import PsaError
from psabill.psa.autotask.client import AutotaskClient
from psabill.psa.autotask.prefetch import ContractCache
from psabill.sandbox.autotask import AutotaskSandbox
from psabill.sandbox.seed import seed_large
from psabill.sandbox.store import Store
from psabill.sandbox.transport import RequestRecord
from tests.psa.autotask.support import (
    ACME,
    ACME_SOPHOS,
    DAY,
    SOPHOS,
    MemoryJournal,
    make_client,
)

T = TypeVar("T")


def run(
    sandbox: AutotaskSandbox,
    call: Callable[[AutotaskClient], Awaitable[T]],
    journal: MemoryJournal | None = None,
) -> T:
    async def main() -> T:
        async with make_client(sandbox, journal) as client:
            return await call(client)

    return asyncio.run(main())


def routes(records: list[RequestRecord]) -> Counter[str]:
    """Requests by entity (``ContractServices``, ``Services``, ...) and method."""
    counted: Counter[str] = Counter()
    for record in records:
        parts = record.path.split("/v1.0/", 1)[-1].split("/")
        counted[f"{record.method} {parts[0]}"] += 1
    return counted


async def read_all(client: AutotaskClient, log: Callable[[], int]) -> tuple[list[Addition], int]:
    """A sync's read (companies, their contracts, every contract's additions on ``DAY``) and
    the number of the sandbox's log entry where the additions began."""
    companies = await client.search_companies("Customer", limit=1000)
    agreements = await client.agreements([c.id for c in companies])
    billable = [a for a in agreements if a.status_on(DAY) == "Active"]
    start = log()
    found = await asyncio.gather(*(client.additions(a.id, on=DAY) for a in billable))
    return [addition for additions in found for addition in additions], start


@pytest.mark.parametrize("companies", [3, 60, 500])
def test_reading_every_contract_costs_the_same_few_requests_up_to_500(companies: int) -> None:
    store = Store()
    seed_large(store, companies=companies, products=1)
    with AutotaskSandbox(store) as sandbox:
        found, start = run(sandbox, lambda c: read_all(c, lambda: len(sandbox.requests())))
        spent = routes(sandbox.requests()[start:])
        billed = sorted(
            (line.agreement_id, line.product_identifier, line.quantity)
            for line in sandbox.billed(DAY)
            if not line.cancelled
        )
    assert spent == {
        "POST ContractServices": 1,
        "POST ContractServiceUnits": 1,
        "POST Services": 1,
    }
    assert len(found) == companies
    assert sorted((a.agreement_id, a.product_identifier, a.quantity) for a in found) == billed


def test_a_read_after_a_write_sees_the_new_units_and_the_others_stay_kept() -> None:
    with AutotaskSandbox() as sandbox:

        async def scenario(client: AutotaskClient) -> tuple[list[Addition], ...]:
            agreements = await client.agreements([250, 251, 252])
            before = await client.additions(ACME, DAY)
            others = [a.id for a in agreements if a.id != ACME and a.status_on(DAY) == "Active"]
            await client.update_addition_quantity(ACME, ACME_SOPHOS, Decimal(45), DAY)
            seen = len(sandbox.requests())
            kept = await client.additions(others[0], DAY)
            if len(sandbox.requests()) != seen:
                raise AssertionError("a contract not written was read again")
            return before, await client.additions(ACME, DAY), kept

        before, after, kept = run(sandbox, scenario, MemoryJournal())
        tail = routes(sandbox.requests()[-3:])
    sophos = {a.id: a.quantity for a in before}[ACME_SOPHOS]
    assert (sophos, {a.id: a.quantity for a in after}[ACME_SOPHOS]) == (42, 45)
    assert kept
    assert tail["POST ContractServiceUnits"] >= 1  # the read after the write went to Autotask


def test_writes_read_each_contract_once_and_only_the_units_each_time() -> None:
    """Two changed lines of one listed contract: no Contracts, ContractServices or Services
    query for either; each still reads its units fresh before and after its delta."""
    with AutotaskSandbox() as sandbox:
        journal = MemoryJournal()

        async def scenario(client: AutotaskClient) -> int:
            await client.agreements([250])
            additions = await client.additions(ACME, DAY)
            start = len(sandbox.requests())
            await asyncio.gather(
                *(
                    client.update_addition_quantity(ACME, a.id, a.quantity + 1, DAY)
                    for a in additions
                )
            )
            return start

        start = run(sandbox, scenario, journal)
        spent = routes(sandbox.requests()[start:])
    assert journal.states() == ["posted", "posted"]
    assert spent == {"POST ContractServiceUnits": 4, "POST ContractServiceAdjustments": 2}


def test_a_new_line_after_a_sync_read_costs_its_units_twice_its_delta_and_its_record() -> None:
    """Contract 1505 (Blue Harbor, company 254) has no Sophos yet: the catalog read found the
    service and the contract's read found no contract service, so neither is asked again."""
    with AutotaskSandbox() as sandbox:
        new = NewAddition(1505, SOPHOS, "Sophos Intercept X Advanced", Decimal(10), DAY)

        async def scenario(client: AutotaskClient) -> tuple[Addition, int]:
            await client.catalog_items(["Sophos Intercept X Advanced"])
            await client.agreements([254])
            await client.additions(1505, DAY)
            start = len(sandbox.requests())
            return await client.create_addition(new), start

        created, start = run(sandbox, scenario, MemoryJournal())
        spent = routes(sandbox.requests()[start:])
    assert (created.agreement_id, created.product_identifier, created.quantity) == (
        1505,
        "Sophos Intercept X Advanced",
        10,
    )
    assert spent == {
        "POST ContractServiceUnits": 2,
        "POST ContractServiceAdjustments": 1,
        "POST ContractServices": 1,
    }


def test_an_answer_read_while_its_contract_was_written_is_not_kept() -> None:
    cache = ContractCache()
    started = cache.generations([1, 2])
    cache.forget(1)  # a write of contract 1 began after the bulk read did
    cache.store(DAY, {1: ([{"id": 10}], []), 2: ([{"id": 20}], [])}, started)
    assert cache.get(1, DAY) is None
    assert cache.get(2, DAY) == ([{"id": 20}], [])
    assert cache.get(2, date(2026, 7, 1)) is None
    assert cache.batch(1, DAY) == [1]


def test_a_contract_service_removed_since_the_read_is_not_added_back() -> None:
    """The write finds the service in the client's earlier read; Autotask no longer has it."""
    with AutotaskSandbox() as sandbox:
        journal = MemoryJournal()

        async def scenario(client: AutotaskClient) -> str:
            await client.additions(ACME, DAY)
            with sandbox.world.lock:
                del sandbox.world.tables["ContractServices"][ACME_SOPHOS]
            with pytest.raises(PsaError) as refused:
                await client.update_addition_quantity(ACME, ACME_SOPHOS, Decimal(45), DAY)
            return refused.value.message

        message = run(sandbox, scenario, journal)
        posted = sandbox.adjustments()
    assert f"has no contract service {ACME_SOPHOS}" in message
    assert (posted, journal.entries) == ([], {})
