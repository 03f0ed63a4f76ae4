"""The :class:`~psabill.psa.base.PsaClient` contract, run the same way against all three sandboxes.

One class, parametrised by the ``psa`` fixture over ConnectWise Manage, Autotask and HaloPSA: each
test gets a freshly started sandbox serving the demo MSP and a client whose sleeps run on a fake
clock (the fault plan reads the same clock, so Retry-After costs no real time). Tests speak the
ConnectWise demo's words; :class:`~tests.psa.contract_support.ContractPsa` translates them and
reads back what the sandbox bills. Only what every PSA must do is here; each PSA's own behaviour
(ConnectWise's paging, Autotask's journal under kills, Halo's token expiry) is in its own tests.
Every injected fault is asserted fired through the sandbox's injected counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from psabill.core.entities import NewAddition
from psabill.errors import PsaError
from psabill.sandbox import FaultPlan, Store, drop, http_error, lose_response, rate_limited
from psabill.sandbox.kinds import PSA_KINDS, psa_sandbox
from psabill.sandbox.seed import seed_demo
from tests.psa.conftest import FakeClock
from tests.psa.contract_support import DAY, NOW, WRONG, ContractPsa

ACME, MUELLER_SEC, HARBOR, HARBOR_OLD = 1500, 1502, 1505, 1504
LASTPASS = 703  # catalog id of LASTPASS-BUS in the demo seed
HARBOR_NAME = "Blue Harbor - Managed Services"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=PSA_KINDS)
def psa(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[ContractPsa]:
    store = Store(clock=lambda: NOW)
    seed_demo(store)
    sandbox = psa_sandbox(request.param, store, faults=FaultPlan(clock=clock.monotonic))
    with sandbox:
        yield ContractPsa.of(sandbox, clock)


def new_lastpass(psa: ContractPsa, quantity: int = 7) -> NewAddition:
    """LastPass seats for Blue Harbor's current agreement, which has no lines yet."""
    return NewAddition(
        psa.agreement(HARBOR), LASTPASS, psa.catalog("LASTPASS-BUS"), Decimal(quantity), DAY
    )


class TestPsaContract:
    # -- reads -----------------------------------------------------------------------------

    def test_companies_by_identifier_with_deleted_flagged(self, psa: ContractPsa) -> None:
        wanted = [psa.company(c) for c in ("AcmeDental", "Northwind", "Northwind1")]
        found = psa.run(lambda c: c.companies([*wanted, "nope", "99999"]))
        assert sorted((c.identifier, c.name, c.deleted) for c in found) == sorted(
            [
                (wanted[0], "Acme Dental Group", False),
                (wanted[1], "Northwind Logistics", False),
                (wanted[2], "Northwind Logistics", True),
            ]
        )
        upper = psa.run(lambda c: c.companies([wanted[0].upper()]))
        assert [c.identifier for c in upper] == [wanted[0]]

    def test_agreements_with_dates_status_and_type(self, psa: ContractPsa) -> None:
        async def read(client: Any) -> Any:
            companies = await client.companies(
                [psa.company("Northwind"), psa.company("BlueHarbor")]
            )
            return await client.agreements([c.id for c in companies])

        found = {a.name: a for a in psa.run(read)}
        current = found["Northwind - Managed Services"]
        assert (current.type_name, current.status_on(DAY)) == ("Managed Services", "Active")
        assert current.start_date == date(2024, 1, 1)
        assert found["Northwind - Managed Services (2021-2023)"].status_on(DAY) == "Expired"
        assert found["Northwind - Managed Services (2021-2023)"].end_date == date(2023, 12, 31)
        assert found["Northwind - Managed Services (next term)"].status_on(DAY) == "Inactive"
        old, new = found["Blue Harbor - Managed Services (2022)"], found[HARBOR_NAME]
        assert (old.cancelled, old.billable, old.status_on(DAY)) == (True, False, "Cancelled")
        assert (new.cancelled, new.billable, new.id) == (False, True, psa.agreement(HARBOR))
        assert len(found) == 5

    def test_agreement_types(self, psa: ContractPsa) -> None:
        types = psa.run(lambda c: c.agreement_types())
        assert types == ["Managed Services", "Security Services"]

    def test_additions_on_a_date_match_what_the_psa_bills(self, psa: ContractPsa) -> None:
        found = psa.run(lambda c: c.additions(psa.agreement(ACME), DAY))
        assert {a.product_identifier: a.quantity for a in found} == psa.billed(ACME)
        assert psa.billed(ACME) == psa.expect({"SOPHOS-IX-ADV": 42, "LASTPASS-BUS": 38})
        assert {a.agreement_id for a in found} == {psa.agreement(ACME)}
        assert psa.run(lambda c: c.additions(psa.agreement(HARBOR), DAY)) == []

    def test_catalog_items_by_identifier_with_inactive_flagged(self, psa: ContractPsa) -> None:
        names = [psa.catalog(sku) for sku in ("SOPHOS-IX-ADV", "SOPHOS-CE-LEGACY")]
        found = psa.run(lambda c: c.catalog_items([*names, "NOPE-404"]))
        assert {(i.identifier, i.inactive) for i in found} == {(names[0], False), (names[1], True)}
        [sophos] = [i for i in found if i.identifier == names[0]]
        assert sophos.price == Decimal("4.50")

    def test_search_catalog_and_companies(self, psa: ContractPsa) -> None:
        async def search(client: Any) -> Any:
            return await client.search_catalog("intercept"), await client.search_companies("north")

        items, companies = psa.run(search)
        assert [i.identifier for i in items] == [
            psa.catalog("SOPHOS-IX-ADV"),
            psa.catalog("SOPHOS-IX-XDR"),
        ]
        assert [(c.identifier, c.deleted) for c in companies] == [
            (psa.company("Northwind"), False),
            (psa.company("Northwind1"), True),
        ]
        with pytest.raises(ValueError, match="2 characters"):
            psa.run(lambda c: c.search_catalog("x"))

    def test_invoices(self, psa: ContractPsa) -> None:
        async def read(client: Any) -> Any:
            [acme] = await client.companies([psa.company("AcmeDental")])
            day = date(2024, 11, 1)
            return (
                await client.invoices([acme.id], day, day),
                await client.invoices([acme.id], date(2024, 11, 2), date(2024, 12, 31)),
            )

        invoices, none = psa.run(read)
        assert [(i.number, i.total, i.date) for i in invoices] == [
            ("INV-10231", Decimal("455"), date(2024, 11, 1))
        ]
        assert none == []

    # -- writes ----------------------------------------------------------------------------

    def test_create_addition_then_set_an_absolute_quantity(self, psa: ContractPsa) -> None:
        async def write(client: Any) -> Any:
            created = await client.create_addition(new_lastpass(psa))
            updated = await client.update_addition_quantity(
                created.agreement_id, created.id, Decimal(12), DAY
            )
            again = await client.update_addition_quantity(
                created.agreement_id, created.id, Decimal(12), DAY
            )
            return created, updated, again

        created, updated, again = psa.run(write)
        assert (created.agreement_id, created.quantity) == (psa.agreement(HARBOR), 7)
        assert created.product_identifier == psa.catalog("LASTPASS-BUS")
        assert (updated.id, updated.quantity) == (created.id, 12)
        assert (again.id, again.quantity) == (created.id, 12)  # absolute: no 24
        assert psa.billed(HARBOR) == psa.expect({"LASTPASS-BUS": 12})
        assert psa.billed(ACME) == psa.expect({"SOPHOS-IX-ADV": 42, "LASTPASS-BUS": 38})
        if psa.kind == "autotask":  # deltas: each one journalled, and they sum to the target
            assert psa.unit_changes() == [7, 5]
            assert psa.journal.states() == ["posted", "posted"]

    @pytest.mark.parametrize(
        "fault",
        [
            lambda path: lose_response(method="POST", path=path, times=1),
            lambda path: drop(method="POST", path=path, times=1),
            lambda path: http_error(503, method="POST", path=path, times=1),
        ],
        ids=["answer-lost", "dropped", "503"],
    )
    def test_a_create_with_an_unknown_outcome_makes_exactly_one(
        self, psa: ContractPsa, fault: Any
    ) -> None:
        """Whether it landed or not, the line exists once: settled in this run, or (where the
        PSA posts deltas and cannot tell yet) refused now and settled by the next run."""
        rule = psa.sandbox.faults.add(fault(psa.paths.create))
        try:
            psa.run(lambda c: c.create_addition(new_lastpass(psa)))
        except PsaError:
            assert psa.kind == "autotask", "only a delta PSA may leave it to the next run"
            psa.run(lambda c: c.create_addition(new_lastpass(psa)))
        assert rule.fired == 1
        assert sum(psa.sandbox.faults.injected().values()) == 1
        assert psa.billed(HARBOR) == psa.expect({"LASTPASS-BUS": 7})

    def test_stopping_a_line(self, psa: ContractPsa) -> None:
        """Cancelling (and 0 units) where psabill may stop a line; Autotask refuses both
        before sending anything."""
        [sophos] = [
            a
            for a in psa.run(lambda c: c.additions(psa.agreement(ACME), DAY))
            if a.product_identifier == psa.catalog("SOPHOS-IX-ADV")
        ]
        end = date(2025, 3, 31)
        if not psa.stops_lines:
            before = psa.state()
            for stop in (
                lambda c: c.cancel_addition(sophos.agreement_id, sophos.id, end),
                lambda c: c.update_addition_quantity(
                    sophos.agreement_id, sophos.id, Decimal(0), DAY
                ),
            ):
                with pytest.raises(PsaError, match="0 units") as refused:
                    psa.run(stop)
                assert refused.value.hint
            assert psa.state() == before
            return
        zero = psa.run(
            lambda c: c.update_addition_quantity(sophos.agreement_id, sophos.id, Decimal(0), DAY)
        )
        assert zero.quantity == 0
        cancelled = psa.run(lambda c: c.cancel_addition(sophos.agreement_id, sophos.id, end))
        assert (cancelled.id, cancelled.cancelled_date) == (sophos.id, end)
        assert psa.catalog("SOPHOS-IX-ADV") in psa.billed(ACME, on=date(2025, 3, 30))
        assert psa.billed(ACME, on=end) == psa.expect({"LASTPASS-BUS": 38})

    # -- access ----------------------------------------------------------------------------

    def test_check_access_passes_and_changes_nothing(self, psa: ContractPsa) -> None:
        before = psa.billed(ACME)
        report = psa.run(lambda c: c.check_access())
        assert report.ok, report.problems
        assert report.problems == ()
        assert psa.billed(ACME) == before

    def test_check_access_with_a_wrong_secret_fails_with_a_hint(self, psa: ContractPsa) -> None:
        report = psa.run(lambda c: c.check_access(), bad_secret=True)
        assert not report.ok
        assert report.problems
        assert any(problem.hint for problem in report.problems)
        assert WRONG not in repr(report)

    # -- faults ----------------------------------------------------------------------------

    def test_429_with_retry_after_is_honoured(self, psa: ContractPsa) -> None:
        rule = psa.sandbox.faults.add(
            rate_limited(retry_after=17, path=psa.paths.companies, times=2)
        )
        found = psa.run(lambda c: c.companies([psa.company("AcmeDental")]))
        assert [c.name for c in found] == ["Acme Dental Group"]
        assert rule.fired == 2
        assert psa.sandbox.faults.injected() == {"status:429": 2}
        assert psa.clock.sleeps.count(17.0) == 2

    def test_a_503_on_a_read_is_retried(self, psa: ContractPsa) -> None:
        rule = psa.sandbox.faults.add(http_error(503, path=psa.paths.additions, times=2))
        found = psa.run(lambda c: c.additions(psa.agreement(ACME), DAY))
        assert {a.product_identifier: a.quantity for a in found} == psa.billed(ACME)
        assert rule.fired == 2
        assert psa.sandbox.faults.injected() == {"status:503": 2}
