"""The ConnectWise client against its sandbox over real loopback HTTP: what only ConnectWise does.

What every PSA client must do is ``test_contract.py``'s (one class over the three sandboxes);
this is ConnectWise's own surface (paging, the codebase, PATCH retries, its catalog writes, its
rate limit). Every test gets a freshly seeded sandbox (demo MSP, fixed store clock) and a
client whose sleeps run on a fake clock, so Retry-After and backoff cost no real time. The
sandbox's fault plan reads the same fake clock, so its server-side rate limit and the client's
token bucket agree on what "a minute" is. Request timeouts are real (a slow response must really
be slow) but short.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from psabill.core.entities import NewAddition, NewCatalogItem
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.psa.pacing import RetryPolicy
from psabill.sandbox import (
    FaultPlan,
    Sandbox,
    Store,
    drop,
    http_error,
    latency,
    lose_response,
    rate_limited,
    seed_demo,
)
from tests.psa.conftest import FakeClock, run
from tests.psa.support import sandbox_psa

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
ACME_AGREEMENT = 1500
M365 = 705  # catalog id of M365-BP in the demo seed


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    store = Store(clock=lambda: NOW)
    seed_demo(store)
    with Sandbox(store, faults=FaultPlan(clock=clock.monotonic)) as running:
        yield running


class TestConnectWiseSandbox:
    @staticmethod
    def client(sandbox: Sandbox, clock: FakeClock, **options: Any) -> ConnectWiseClient:
        psa = sandbox_psa(sandbox, rate_limit=options.pop("rate_limit", 600))
        options.setdefault("timeout", 5.0)
        return ConnectWiseClient(psa, sleep=clock.sleep, monotonic=clock.monotonic, **options)

    @staticmethod
    def additions_of(sandbox: Sandbox, agreement: int) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = sandbox.store.dump()["additions"]
        return [row for row in rows if row["agreementId"] == agreement]

    @staticmethod
    def statuses(sandbox: Sandbox) -> list[int | None]:
        return [record.status for record in sandbox.requests()]

    # -- reads ---------------------------------------------------------------------------------

    def test_reads_match_the_store(self, sandbox: Sandbox, clock: FakeClock) -> None:
        async def read(client: ConnectWiseClient) -> Any:
            companies = await client.companies(["acmedental", "Northwind", "Northwind1", "nope"])
            agreements = await client.agreements([c.id for c in companies])
            additions = await client.additions(ACME_AGREEMENT)
            types = await client.agreement_types()
            return companies, agreements, additions, types

        companies, agreements, additions, types = run(self.client(sandbox, clock), read)
        dump = sandbox.store.dump()
        assert {(c.identifier, c.deleted) for c in companies} == {
            ("AcmeDental", False),
            ("Northwind", False),
            ("Northwind1", True),
        }
        owners = {c.id for c in companies}
        assert sorted(a.id for a in agreements) == sorted(
            row["id"] for row in dump["agreements"] if row["company"]["id"] in owners
        )
        assert {(a.product_identifier, a.quantity) for a in additions} == {
            (row["product"]["identifier"], Decimal(str(row["quantity"])))
            for row in self.additions_of(sandbox, ACME_AGREEMENT)
        }
        assert types == ["Managed Services", "Security Services"]

    def test_conditions_cancelled_agreements_and_invoices(
        self, sandbox: Sandbox, clock: FakeClock
    ) -> None:
        async def read(client: ConnectWiseClient) -> Any:
            [harbor] = await client.companies(["BlueHarbor"])
            agreements = await client.agreements([harbor.id])
            [acme] = await client.companies(["AcmeDental"])
            invoices = await client.invoices([acme.id], date(2024, 11, 1), date(2024, 11, 1))
            none = await client.invoices([acme.id], date(2024, 11, 2), date(2024, 12, 31))
            return agreements, invoices, none

        agreements, invoices, none = run(self.client(sandbox, clock), read)
        assert sorted((a.cancelled, a.billable) for a in agreements) == [
            (False, True),
            (True, False),
        ]
        assert [(i.number, i.total) for i in invoices] == [("INV-10231", Decimal("455"))]
        assert none == []

    def test_search_catalog(self, sandbox: Sandbox, clock: FakeClock) -> None:
        found = run(self.client(sandbox, clock), lambda c: c.search_catalog("intercept"))
        assert [i.identifier for i in found] == ["SOPHOS-IX-ADV", "SOPHOS-IX-XDR"]

    def test_paging_across_several_pages(self, sandbox: Sandbox, clock: FakeClock) -> None:
        skus = [f"PAGED-{n:02d}" for n in range(23)]
        for sku in skus:
            sandbox.store.add_catalog_item(sku, f"Paged product {sku}")
            sandbox.store.add_addition(ACME_AGREEMENT, sku, 1)
        client = self.client(sandbox, clock)
        client.session.page_size = 5

        async def read(client: ConnectWiseClient) -> Any:
            return await client.catalog_items(skus), await client.additions(ACME_AGREEMENT)

        items, additions = run(client, read)
        assert sorted(i.identifier for i in items) == skus
        assert len(additions) == len(self.additions_of(sandbox, ACME_AGREEMENT)) == 25
        pages = [r.query for r in sandbox.requests() if r.path.endswith("/additions")]
        assert len(pages) == 5
        assert all("pageSize=5" in q for q in pages)

    # -- writes --------------------------------------------------------------------------------

    def test_create_update_cancel_round_trip(self, sandbox: Sandbox, clock: FakeClock) -> None:
        new = NewAddition(ACME_AGREEMENT, M365, "M365-BP", Decimal(12), date(2025, 3, 1))

        async def write(client: ConnectWiseClient) -> Any:
            created = await client.create_addition(new)
            updated = await client.update_addition_quantity(
                ACME_AGREEMENT, created.id, Decimal("12.5")
            )
            cancelled = await client.cancel_addition(ACME_AGREEMENT, created.id, date(2025, 3, 31))
            return created, updated, cancelled

        created, updated, cancelled = run(self.client(sandbox, clock), write)
        [row] = [r for r in self.additions_of(sandbox, ACME_AGREEMENT) if r["id"] == created.id]
        assert row["product"]["identifier"] == "M365-BP"
        assert row["billCustomer"] == "Billable"
        assert row["effectiveDate"] == "2025-03-01T00:00:00Z"
        assert row["quantity"] == 12.5
        assert updated.quantity == Decimal("12.5")
        assert row["cancelledDate"] == "2025-03-31T00:00:00Z"
        assert cancelled.cancelled_date == date(2025, 3, 31)
        assert created.quantity == 12
        assert created.unit_price == 0  # not sent: not the catalog's 22 (psabill sends it)

    def test_create_catalog_item(self, sandbox: Sandbox, clock: FakeClock) -> None:
        new = NewCatalogItem(
            "ACME-NEW", "New product", "New product for customers", Decimal("9.99")
        )
        item = run(self.client(sandbox, clock), lambda c: c.create_catalog_item(new))
        [row] = [r for r in sandbox.store.dump()["catalog"] if r["id"] == item.id]
        assert (row["identifier"], row["price"]) == ("ACME-NEW", 9.99)
        assert row["type"]["name"] == "Software"
        assert row["subcategory"]["name"] == "Security Software"

    def test_check_access(self, sandbox: Sandbox, clock: FakeClock) -> None:
        before = sandbox.store.dump()
        report = run(self.client(sandbox, clock), lambda c: c.check_access())
        assert report.ok, report.problems
        assert report.codebase == "v4_6_release/"
        assert sandbox.store.dump() == before

    # -- faults --------------------------------------------------------------------------------

    def test_429_with_retry_after_is_honoured(self, sandbox: Sandbox, clock: FakeClock) -> None:
        sandbox.faults.add(rate_limited(retry_after=17, path="/company/companies", times=2))
        found = run(self.client(sandbox, clock), lambda c: c.companies(["AcmeDental"]))
        assert [c.identifier for c in found] == ["AcmeDental"]
        assert self.statuses(sandbox)[-3:] == [429, 429, 200]
        assert clock.sleeps.count(17.0) == 2

    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    def test_server_errors_on_reads_and_patches_are_retried(
        self, sandbox: Sandbox, clock: FakeClock, status: int
    ) -> None:
        sandbox.faults.add(http_error(status, path="/additions", times=2))

        async def work(client: ConnectWiseClient) -> Any:
            [first, *_] = await client.additions(ACME_AGREEMENT)
            return await client.update_addition_quantity(ACME_AGREEMENT, first.id, Decimal(50))

        updated = run(self.client(sandbox, clock), work)
        assert updated.quantity == 50
        assert self.statuses(sandbox).count(status) == 2

    def test_a_dropped_connection_is_retried(self, sandbox: Sandbox, clock: FakeClock) -> None:
        sandbox.faults.add(drop(method="GET", path="/finance/agreements$", times=2))
        found = run(self.client(sandbox, clock), lambda c: c.agreements([250]))
        assert [a.id for a in found] == [ACME_AGREEMENT]
        assert self.statuses(sandbox).count(None) == 2

    def test_a_slow_response_times_out_and_is_retried(
        self, sandbox: Sandbox, clock: FakeClock
    ) -> None:
        slow = sandbox.faults.add(latency(0.5, method="GET", path="/additions", times=1))
        client = self.client(sandbox, clock, timeout=0.1)
        found = run(client, lambda c: c.additions(ACME_AGREEMENT))
        assert len(found) == 2
        assert slow.fired == 1
        answered = [r for r in sandbox.requests() if r.path.endswith("/additions")]
        assert [r.fault for r in answered][:1] == [None]  # the retry, answered at once

    @pytest.mark.parametrize(
        "fault",
        [
            lose_response(method="POST", path="/additions$", times=1),  # committed, answer lost
            drop(method="POST", path="/additions$", times=1),  # never processed
            http_error(503, method="POST", path="/additions$", times=1),  # proxy said no
            http_error(500, method="POST", path="/additions$", times=2),
        ],
        ids=["lost-response", "dropped", "503", "500-twice"],
    )
    def test_a_post_with_an_unknown_outcome_creates_exactly_one(
        self, sandbox: Sandbox, clock: FakeClock, fault: Any
    ) -> None:
        sandbox.faults.add(fault)
        before = {row["id"] for row in self.additions_of(sandbox, ACME_AGREEMENT)}
        new = NewAddition(ACME_AGREEMENT, M365, "M365-BP", Decimal(7), date(2025, 3, 1))
        created = run(self.client(sandbox, clock), lambda c: c.create_addition(new))
        fresh = [r for r in self.additions_of(sandbox, ACME_AGREEMENT) if r["id"] not in before]
        assert [(r["id"], r["quantity"]) for r in fresh] == [(created.id, 7.0)]

    # -- rate limit ----------------------------------------------------------------------------

    def test_the_client_limit_keeps_the_server_limit_from_firing(
        self, sandbox: Sandbox, clock: FakeClock
    ) -> None:
        sandbox.faults.set_rate_limit(30)
        client = self.client(sandbox, clock, rate_limit=20)

        async def many(client: ConnectWiseClient) -> int:
            for _ in range(45):
                await client.additions(ACME_AGREEMENT)
            return 45

        run(client, many)
        statuses = self.statuses(sandbox)
        assert len(statuses) == 46  # companyinfo + 45 lists
        assert 429 not in statuses
        assert clock.now - 1000.0 >= 2 * 60.0  # 20, then 20 a minute later, then 6

    def test_without_the_client_limit_the_server_throttles_and_we_recover(
        self, sandbox: Sandbox, clock: FakeClock
    ) -> None:
        sandbox.faults.set_rate_limit(30)
        client = self.client(sandbox, clock, rate_limit=10000, policy=RetryPolicy(max_retries=8))

        async def many(client: ConnectWiseClient) -> int:
            results = [await client.additions(ACME_AGREEMENT) for _ in range(45)]
            return len(results)

        assert run(client, many) == 45
        statuses = self.statuses(sandbox)
        assert statuses.count(200) == 46
        # One 429, then it paced itself below the server's limit: no 429 after 429, and none
        # later either (a fixed limit would draw one every other request once it is reached).
        assert statuses.count(429) == 1
        assert client.pacing_stats().throttled == 1
