"""The ConnectWise adapter reads what the agreement rule needs, over real HTTP to the sandbox:
each agreement's dates, so the planner can tell whether it bills on a billing date."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.sandbox import Sandbox, Store, seed_demo
from tests.psa.conftest import run
from tests.psa.support import sandbox_psa

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)


class Recording(httpx.AsyncBaseTransport):
    """A real HTTP transport that keeps every request's method, path, query and JSON body."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[tuple[str, str, httpx.QueryParams, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.seen.append((request.method, request.url.path, request.url.params, body))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    store = Store(clock=lambda: NOW)
    seed_demo(store)
    with Sandbox(store) as running:
        yield running


def _client(sandbox: Sandbox, transport: Recording) -> ConnectWiseClient:
    psa = sandbox_psa(sandbox)
    return ConnectWiseClient(psa, timeout=5.0, transport=transport)


def test_agreements_come_with_their_dates_and_the_psas_status(sandbox: Sandbox) -> None:
    recording = Recording()

    async def read(client: ConnectWiseClient) -> Any:
        companies = await client.companies(["Northwind", "Contoso"])
        return await client.agreements([c.id for c in companies if not c.deleted])

    found = {a.name: a for a in run(_client(sandbox, recording), read)}
    old = found["Northwind - Managed Services (2021-2023)"]
    assert (old.start_date, old.end_date, old.status) == (
        date(2021, 1, 1),
        date(2023, 12, 31),
        "Expired",
    )
    future = found["Northwind - Managed Services (next term)"]
    assert (future.start_date, future.end_date, future.status) == (
        date(2099, 1, 1),
        None,
        "Inactive",
    )
    current = found["Northwind - Managed Services"]
    assert (current.start_date, current.end_date, current.status) == (
        date(2024, 1, 1),
        None,
        "Active",
    )
    assert found["Contoso - Managed Services (2022-2024)"].status_on(date(2024, 6, 30)) == "Active"
    [fields] = [q["fields"] for m, p, q, _ in recording.seen if p.endswith("/finance/agreements")]
    assert {"startDate", "endDate", "agreementStatus", "cancelledFlag"} <= set(fields.split(","))
