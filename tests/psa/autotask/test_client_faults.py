"""The delta journal's rules under faults, kills and a previous run's open entries, over real
HTTP; each injected fault or kill is counted and the count asserted."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal

import pytest

from psabill.errors import PsaError
from psabill.psa.base import Delta
from psabill.sandbox.autotask import AutotaskSandbox
from psabill.sandbox.faults import FaultPlan, http_error, lose_response, rate_limited
from tests.psa.autotask.support import (
    ACME,
    ACME_SOPHOS,
    DAY,
    SOPHOS,
    MemoryJournal,
    make_client,
    units,
)

ADJUSTMENTS = "/ContractServiceAdjustments$"


class Killed(BaseException):
    """The process dying between the journal and the POST."""


@pytest.fixture
def autotask() -> Iterator[AutotaskSandbox]:
    with AutotaskSandbox() as running:
        yield running


def set_units(sandbox: AutotaskSandbox, journal: MemoryJournal, target: int) -> Decimal:
    """One run: a new client (as a new process would have) setting Acme's Sophos seats."""

    async def main() -> Decimal:
        async with make_client(sandbox, journal, retries=3) as client:
            addition = await client.update_addition_quantity(
                ACME, ACME_SOPHOS, Decimal(target), DAY
            )
            return addition.quantity

    return asyncio.run(main())


def changes(sandbox: AutotaskSandbox) -> list[int]:
    return [a.unit_change for a in sandbox.adjustments()]


def posts(sandbox: AutotaskSandbox) -> int:
    return len([r for r in sandbox.requests() if r.method == "POST" and "Adjust" in r.path])


def test_a_lost_answer_that_landed_is_settled_by_one_re_read(autotask: AutotaskSandbox) -> None:
    autotask.faults.replace(FaultPlan([lose_response(method="POST", path=ADJUSTMENTS, times=1)]))
    journal = MemoryJournal()
    assert set_units(autotask, journal, 50) == 50
    assert autotask.faults.injected() == {"lose_response:POST": 1}
    assert journal.log == [(1, "sending"), (1, "unknown"), (1, "landed")]
    assert changes(autotask) == [8]
    assert posts(autotask) == 1  # never sent again


def test_an_unknown_outcome_that_did_not_land_is_left_for_the_next_run(
    autotask: AutotaskSandbox,
) -> None:
    autotask.faults.replace(FaultPlan([http_error(503, path=ADJUSTMENTS, times=1)]))
    journal = MemoryJournal()

    async def this_run() -> None:
        async with make_client(autotask, journal, retries=3) as client:
            with pytest.raises(PsaError, match="does not show in Autotask yet") as caught:
                await client.update_addition_quantity(ACME, ACME_SOPHOS, Decimal(50), DAY)
            assert "next run re-reads" in (caught.value.hint or "")
            with pytest.raises(PsaError, match="unknown outcome"):  # not again in this run
                await client.update_addition_quantity(ACME, ACME_SOPHOS, Decimal(50), DAY)

    asyncio.run(this_run())
    assert autotask.faults.injected() == {"status:503": 1}
    assert (journal.states(), changes(autotask), posts(autotask)) == (["unknown"], [], 1)
    assert set_units(autotask, journal, 50) == 50  # the next run
    assert journal.log[-3:] == [(1, "lost"), (2, "sending"), (2, "posted")]
    assert (changes(autotask), posts(autotask)) == ([8], 2)


def test_a_500_keeps_autotasks_text_in_the_message(autotask: AutotaskSandbox) -> None:
    autotask.faults.replace(FaultPlan([http_error(500, path=ADJUSTMENTS, times=1)]))
    journal = MemoryJournal()
    with pytest.raises(PsaError, match="HTTP 500: An unexpected error has occurred"):
        set_units(autotask, journal, 50)
    assert autotask.faults.injected() == {"status:500": 1}
    assert journal.states() == ["unknown"]


def test_a_refusal_is_settled_refused(autotask: AutotaskSandbox) -> None:
    autotask.faults.replace(FaultPlan([http_error(403, path=ADJUSTMENTS, times=1)]))
    journal = MemoryJournal()
    with pytest.raises(PsaError, match="adequate permissions"):
        set_units(autotask, journal, 50)
    assert autotask.faults.injected() == {"status:403": 1}
    assert (journal.states(), changes(autotask)) == (["refused"], [])


def test_a_kill_between_journal_and_post_leaves_sending_and_the_next_run_settles_it(
    autotask: AutotaskSandbox,
) -> None:
    kills: list[Delta] = []

    def die(delta: Delta) -> None:
        kills.append(delta)
        raise Killed

    journal = MemoryJournal(die)
    with pytest.raises(Killed):
        set_units(autotask, journal, 50)
    assert len(kills) == 1
    assert (journal.states(), posts(autotask)) == (["sending"], 0)
    journal.on_sending = None
    assert set_units(autotask, journal, 50) == 50
    assert journal.log[1:] == [(1, "lost"), (2, "sending"), (2, "posted")]
    assert changes(autotask) == [8]


def test_a_previous_runs_delta_that_landed_is_never_posted_twice(
    autotask: AutotaskSandbox,
) -> None:
    journal = MemoryJournal()
    entry = journal.sending(Delta(ACME, SOPHOS, ACME_SOPHOS, DAY, Decimal(42), Decimal(3)))
    autotask.world.adjust(ACME, SOPHOS, ACME_SOPHOS, DAY, 3, seeded=False)  # it did land
    assert set_units(autotask, journal, 50) == 50
    assert journal.entries[entry].state == "landed"
    assert changes(autotask) == [3, 5]  # the second delta starts from the landed one
    assert units(autotask, ACME_SOPHOS) == 50


def test_a_read_settles_an_open_entry_when_no_write_comes_for_its_service(
    autotask: AutotaskSandbox,
) -> None:
    """A run killed after its adjustment landed: the next run finds the units right, writes
    nothing, and must still settle the entry (else it alarms run after run)."""
    journal = MemoryJournal()
    landed = journal.sending(Delta(ACME, SOPHOS, ACME_SOPHOS, DAY, Decimal(42), Decimal(3)))
    autotask.world.adjust(ACME, SOPHOS, ACME_SOPHOS, DAY, 3, seeded=False)
    unclear = journal.sending(Delta(ACME, SOPHOS + 1, None, DAY, Decimal(7), Decimal(1)))

    async def read() -> None:
        async with make_client(autotask, journal, retries=3) as client:
            await client.additions(ACME, DAY)

    asyncio.run(read())
    assert journal.entries[landed].state == "landed"
    assert journal.entries[unclear].state == "sending"  # no such service: left for a person
    assert posts(autotask) == 0


def test_an_open_entry_that_fits_neither_way_stops_the_write(autotask: AutotaskSandbox) -> None:
    journal = MemoryJournal()
    journal.sending(Delta(ACME, SOPHOS, ACME_SOPHOS, DAY, Decimal(10), Decimal(2)))
    journal.settle(1, "unknown")
    with pytest.raises(PsaError, match=r"journal entry 1 .* cannot be settled") as caught:
        set_units(autotask, journal, 50)
    assert "psabill adjustments resolve 1 landed" in (caught.value.hint or "")
    assert (journal.states(), posts(autotask)) == (["unknown"], 0)


def test_a_429_is_waited_out_for_its_retry_after(autotask: AutotaskSandbox) -> None:
    autotask.faults.replace(FaultPlan([rate_limited(7, path="/Companies/query$", times=1)]))
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def main() -> int:
        async with make_client(autotask, sleep=record) as client:
            return len(await client.companies(["250"]))

    assert asyncio.run(main()) == 1
    assert autotask.faults.injected() == {"status:429": 1}
    assert waits[0] == 7.0  # then the pacer holds the next request for what is left of it
    assert all(wait <= 7.0 for wait in waits)
