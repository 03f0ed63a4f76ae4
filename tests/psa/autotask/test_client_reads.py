"""AutotaskClient's reads over real HTTP to the fake Autotask serving the ConnectWise demo MSP."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from psabill.psa import open_client
from psabill.psa.autotask.client import AutotaskClient
from psabill.psa.autotask.session import THREADS
from psabill.sandbox.autotask import THREAD_LIMIT_KIND, AutotaskSandbox
from psabill.sandbox.seed import seed_large
from psabill.sandbox.store import Store
from tests.psa.autotask.support import ACME, DAY, CountingTransport, make_client, psa_config

T = TypeVar("T")


@pytest.fixture(scope="module")
def autotask() -> Iterator[AutotaskSandbox]:
    with AutotaskSandbox() as running:
        yield running


def run(sandbox: AutotaskSandbox, call: Callable[[AutotaskClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with make_client(sandbox) as client:
            return await call(client)

    return asyncio.run(main())


def test_open_client_gives_an_autotask_client_without_secrets_in_its_repr(
    autotask: AutotaskSandbox,
) -> None:
    client = open_client(psa_config(autotask))
    assert isinstance(client, AutotaskClient)
    assert "demo-autotask-secret" not in repr(client)
    assert "DEMO7TRACKING5CODE" not in repr(client)
    assert "DEMO7TRACKING5CODE" not in repr(client.session)


def test_companies_by_record_id_deleted_ones_flagged(autotask: AutotaskSandbox) -> None:
    found = run(autotask, lambda c: c.companies(["250", "253", "AcmeDental", "99999"]))
    assert [(c.identifier, c.name, c.deleted) for c in found] == [
        ("250", "Acme Dental Group", False),
        ("253", "Northwind Logistics", True),
    ]


def test_agreements_are_recurring_contracts_with_category_labels(
    autotask: AutotaskSandbox,
) -> None:
    found = {a.name: a for a in run(autotask, lambda c: c.agreements([250, 252, 254, 255]))}
    acme = found["Acme Dental - Managed Services"]
    assert (acme.id, acme.type_name, acme.company_identifier) == (ACME, "Managed Services", "250")
    assert acme.start_date == date(2024, 1, 1)
    assert found["Contoso - Security Services"].type_name == "Security Services"
    old = found["Blue Harbor - Managed Services (2022)"]
    assert (old.cancelled, old.status) == (True, "Cancelled")
    assert found["Contoso - Managed Services (2022-2024)"].status_on(DAY) == "Expired"
    assert found["Northwind - Managed Services (next term)"].status_on(DAY) == "Inactive"
    assert found["Northwind - Managed Services"].status_on(DAY) == "Active"
    assert run(autotask, lambda c: c.agreement_types()) == ["Managed Services", "Security Services"]


def test_additions_carry_the_units_of_the_billing_day(autotask: AutotaskSandbox) -> None:
    acme = run(autotask, lambda c: c.additions(ACME, DAY))
    assert [(a.id, a.product_identifier, a.quantity, a.unit_price) for a in acme] == [
        (9000, "Sophos Intercept X Advanced", Decimal(42), Decimal("4.5")),
        (9001, "LastPass Business", Decimal(38), Decimal(7)),
    ]
    # Northwind's LastPass was cancelled on 2024-06-30: 12 units before, none after.
    before = run(autotask, lambda c: c.additions(1503, date(2024, 6, 29)))
    after = run(autotask, lambda c: c.additions(1503, DAY))
    assert [a.quantity for a in before if a.product_id == 703] == [12]
    assert [a.quantity for a in after if a.product_id == 703] == [0]
    assert run(autotask, lambda c: c.additions(1505, DAY)) == []


def test_catalog_items_by_service_name_case_insensitively(autotask: AutotaskSandbox) -> None:
    names = ["SOPHOS INTERCEPT X ADVANCED", "Sophos Central Endpoint (legacy)", "SOPHOS-IX-ADV"]
    found = run(autotask, lambda c: c.catalog_items(names))
    assert [(i.id, i.identifier, i.inactive) for i in found] == [
        (700, "Sophos Intercept X Advanced", False),
        (706, "Sophos Central Endpoint (legacy)", True),
    ]
    assert found[0].price == Decimal("4.5")


def test_searches(autotask: AutotaskSandbox) -> None:
    sophos = run(autotask, lambda c: c.search_catalog("sophos", limit=2))
    assert [i.identifier for i in sophos] == [
        "Sophos Central Endpoint (legacy)",
        "Sophos Intercept X Advanced",
    ]
    north = run(autotask, lambda c: c.search_companies("NORTH"))
    assert [(c.identifier, c.deleted) for c in north] == [("252", False), ("253", True)]
    assert [c.name for c in run(autotask, lambda c: c.search_companies("250"))] == [
        "Acme Dental Group"
    ]
    with pytest.raises(ValueError, match="2 characters"):
        run(autotask, lambda c: c.search_companies("a"))


def test_invoices_by_company_and_date(autotask: AutotaskSandbox) -> None:
    found = run(autotask, lambda c: c.invoices([250, 251], date(2024, 11, 1), date(2024, 11, 1)))
    assert [(i.number, i.company_identifier, i.total) for i in found] == [
        ("INV-10231", "250", Decimal(455)),
        ("INV-10232", "251", Decimal("604.4")),
    ]
    assert run(autotask, lambda c: c.invoices([250], date(2024, 11, 2), date(2025, 1, 1))) == []


def test_check_access_passes_and_shows_the_hourly_usage(autotask: AutotaskSandbox) -> None:
    report = run(autotask, lambda c: c.check_access())
    assert report.ok
    checks = {check.name: check for check in report.checks}
    assert "of 10000 requests in the last 60 minutes" in checks["api usage"].detail
    assert checks["contract categories"].detail == "Managed Services, Security Services"
    assert checks["post unit adjustments"].ok is None


@pytest.mark.parametrize(
    ("overrides", "failed"),
    [
        ({"secret": "wrong"}, "credentials"),
        ({"integration_code": "WRONG"}, "credentials"),
        ({"username": "nobody@example.com"}, "zone"),
    ],
)
def test_check_access_reports_bad_credentials_without_raising(
    autotask: AutotaskSandbox, overrides: dict[str, Any], failed: str
) -> None:
    async def main() -> None:
        async with make_client(autotask, retries=5, **overrides) as client:
            report = await client.check_access()
        assert not report.ok
        (problem,) = report.problems
        assert problem.name == failed
        assert "psa.integration_code" in (problem.hint or "")
        assert overrides.get("secret", "demo-autotask-secret") not in problem.detail

    before = len(autotask.requests())
    asyncio.run(main())
    paths = [r.path for r in autotask.requests()[before:]]
    assert len(paths) == len(set(paths)) > 0  # a 500 for a wrong user is not retried


def test_reads_never_have_more_than_three_requests_in_flight(autotask: AutotaskSandbox) -> None:
    transport = CountingTransport()
    autotask.faults.reset_injected()

    async def main() -> int:
        async with make_client(autotask, transport=transport) as client:
            jobs = [client.additions(agreement, DAY) for agreement in range(1500, 1510)]
            return sum(len(found) for found in await asyncio.gather(*jobs))

    assert asyncio.run(main()) == 6
    assert 1 < transport.peak <= THREADS
    assert THREAD_LIMIT_KIND not in autotask.faults.injected()


def test_reads_page_across_more_than_500_records() -> None:
    store = Store()
    seed_large(store, companies=620, products=1)
    with AutotaskSandbox(store) as large:
        found = run(large, lambda c: c.search_companies("Customer", limit=1000))
        ids = [str(row["id"]) for row in store.rows("companies")]
        by_id = run(large, lambda c: c.companies(ids))
        contracts = run(large, lambda c: c.agreements([c.id for c in by_id]))
        pages = [r for r in large.requests() if "/Companies/query" in r.path]
    assert len(found) == len(by_id) == 620
    assert len([a for a in contracts if a.status_on(DAY) == "Active"]) == 620
    assert sum(r.path.endswith("/query/next") for r in pages) == 1  # the search's 2nd page
