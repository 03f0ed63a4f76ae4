"""The HaloPSA client's reads against the fake Halo over loopback HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from psabill.psa.halopsa.client import HaloClient
from psabill.sandbox.halopsa import HaloSandbox
from tests.psa.conftest import FakeClock
from tests.psa.halopsa.support import (
    ACME,
    BLUE_HARBOR,
    MUELLER,
    NEGATIVE,
    NORTHWIND_DELETED,
    halo_client,
    paths,
    run,
)


def test_companies_agreements_and_additions_in_few_requests(
    halo: HaloSandbox, clock: FakeClock
) -> None:
    async def read(client: HaloClient) -> Any:
        wanted = [str(ACME), str(BLUE_HARBOR), str(NORTHWIND_DELETED), "nope", "9999"]
        companies = await client.companies(wanted)
        agreements = await client.agreements([c.id for c in companies])
        additions = {a.id: await client.additions(a.id) for a in agreements}
        return companies, agreements, additions

    companies, agreements, additions = run(halo_client(halo, clock), read)
    assert {(c.identifier, c.name, c.deleted) for c in companies} == {
        ("250", "Acme Dental Group", False),
        ("253", "Northwind Logistics", True),
        ("254", "Blue Harbor Legal LLP", False),
    }
    by_id = {a.id: a for a in agreements}
    assert by_id[NEGATIVE].name == "Blue Harbor - Managed Services"
    assert by_id[NEGATIVE].type_name == "Managed Services"
    assert (by_id[1504].cancelled, by_id[1504].status) == (True, "Cancelled")
    assert by_id[1504].end_date == date(2023, 12, 31)
    assert additions[NEGATIVE] == []
    assert {(a.product_identifier, a.quantity) for a in additions[1500]} == {
        ("Sophos Intercept X Advanced", Decimal(42)),
        ("LastPass Business", Decimal(38)),
    }
    # One list each, lines from the header list: no request per agreement.
    assert paths(halo, "GET") == [
        "/api/authinfo",
        "/api/Client",
        "/api/ClientContract",
        "/api/RecurringInvoice",
        "/api/Item",
    ]


def test_lines_kept_from_a_list_are_used_once(halo: HaloSandbox, clock: FakeClock) -> None:
    async def read(client: HaloClient) -> Any:
        await client.agreements([ACME])
        first = await client.additions(1500)
        halo.world.tables["lines"][9000]["qty_order"] = 60  # changed in Halo meanwhile
        return first, await client.additions(1500)

    first, second = run(halo_client(halo, clock), read)
    assert {a.quantity for a in first if a.id == 9000} == {Decimal(42)}
    assert {a.quantity for a in second if a.id == 9000} == {Decimal(60)}


def test_calculated_lines_are_locked(halo: HaloSandbox, clock: FakeClock) -> None:
    additions = run(halo_client(halo, clock), lambda c: c.additions(1501))
    [m365] = additions
    assert m365.locked is not None
    assert "calculates" in m365.locked
    assert "licences" in m365.locked
    tm = run(halo_client(halo, clock), lambda c: c.additions(1502))
    assert [a.locked for a in tm] == [None]


def test_cancelled_lines_and_expired_agreements(halo: HaloSandbox, clock: FakeClock) -> None:
    async def read(client: HaloClient) -> Any:
        return await client.agreements([252]), await client.additions(1503)

    agreements, additions = run(halo_client(halo, clock), read)
    lastpass = next(a for a in additions if a.product_identifier == "LastPass Business")
    assert lastpass.cancelled_date == date(2024, 6, 30)  # Halo's enddate is the day before
    assert lastpass.is_cancelled(date(2024, 6, 30))
    statuses = {a.name: a.status_on(date(2025, 6, 1)) for a in agreements}
    assert statuses["Northwind - Managed Services (2021-2023)"] == "Expired"
    assert statuses["Northwind - Managed Services (next term)"] == "Inactive"
    assert statuses["Northwind - Managed Services"] == "Active"


def test_types_catalog_searches_and_invoices(halo: HaloSandbox, clock: FakeClock) -> None:
    async def read(client: HaloClient) -> Any:
        return (
            await client.agreement_types(),
            await client.catalog_items(["lastpass business", "Sophos Central Endpoint (legacy)"]),
            await client.search_catalog("intercept"),
            await client.search_companies("north"),
            await client.search_companies(str(MUELLER)),
            await client.invoices([ACME, MUELLER], date(2024, 11, 1), date(2024, 11, 30)),
            await client.invoices([ACME], date(2024, 12, 1), date(2024, 12, 31)),
        )

    types, items, found, north, by_id, invoices, none = run(halo_client(halo, clock), read)
    assert types == ["Managed Services", "Security Services"]
    assert [(i.identifier, i.inactive) for i in items] == [
        ("LastPass Business", False),
        ("Sophos Central Endpoint (legacy)", True),
    ]
    assert [i.identifier for i in found] == [
        "Sophos Intercept X Advanced",
        "Sophos Intercept X Advanced with XDR",
    ]
    assert [(c.identifier, c.deleted) for c in north] == [("252", False), ("253", True)]
    assert [c.name for c in by_id] == ["Müller & Söhne GmbH"]
    assert [(i.number, i.total, i.agreement_id) for i in invoices] == [
        ("INV-10231", Decimal(455), 1500),
        ("INV-10232", Decimal("604.4"), 1501),
    ]
    assert none == []


def test_short_search_text_is_refused(halo: HaloSandbox, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="2 characters"):
        run(halo_client(halo, clock), lambda c: c.search_catalog("x"))


def test_check_access_passes_and_changes_nothing(halo: HaloSandbox, clock: FakeClock) -> None:
    before = halo.world.dump()
    report = run(halo_client(halo, clock), lambda c: c.check_access())
    assert report.ok
    assert [(c.name, c.ok) for c in report.checks][-1] == ("edit recurring invoices", None)
    assert halo.world.dump() == before
    assert paths(halo, "POST") == ["/auth/token"]
