"""A live fake Autotask, an :class:`AutotaskSession` and :class:`AutotaskClient` over real HTTP
on loopback, and an in-memory :class:`~psabill.psa.base.DeltaJournal`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import httpx

from psabill.config.models import AutotaskPsa
from psabill.psa.autotask import AutotaskLogin, AutotaskSession
from psabill.psa.autotask.client import AutotaskClient
from psabill.psa.autotask.session import THREADS
from psabill.psa.base import Delta, DeltaJournal, DeltaState, JournalEntry
from psabill.psa.http import HttpClient, HttpSettings
from psabill.psa.pacing import RetryPolicy, Sleep
from psabill.sandbox.autotask import DEMO_CREDENTIALS, AutotaskSandbox, psa_section

LOGIN = AutotaskLogin(
    DEMO_CREDENTIALS.username, DEMO_CREDENTIALS.integration_code, DEMO_CREDENTIALS.secret
)
NO_RETRIES = HttpSettings(
    timeout=10, concurrency=8, rate_limit=None, policy=RetryPolicy(max_retries=0)
)


class CountingTransport(httpx.AsyncBaseTransport):
    """Real HTTP, counting the requests in flight on the client side and their peak."""

    def __init__(self) -> None:
        self._real = httpx.AsyncHTTPTransport()
        self.in_flight = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            response = await self._real.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        await self._real.aclose()


@asynccontextmanager
async def session_for(
    sandbox: AutotaskSandbox,
    login: AutotaskLogin = LOGIN,
    settings: HttpSettings = NO_RETRIES,
    transport: CountingTransport | None = None,
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[AutotaskSession]:
    """A session that discovers the zone like a real run (the HTTP client allows more than
    :data:`THREADS` at once, so the cap tested is the adapter's own)."""
    assert settings.concurrency > THREADS
    http = HttpClient(settings, transport=transport, sleep=sleep)
    try:
        yield AutotaskSession(http, login, zone_lookup=sandbox.zone_lookup_url)
    finally:
        await http.aclose()


DAY = date(2026, 6, 15)
"""The billing date of the client tests: inside every active demo contract."""
ACME = 1500
"""The demo's Acme Dental managed-services contract (the ConnectWise agreement id, kept)."""
ACME_SOPHOS = 9000
"""Its Sophos Intercept X Advanced contract service: 42 units."""
SOPHOS = 700
"""The Sophos Intercept X Advanced service."""


def psa_config(sandbox: AutotaskSandbox, **overrides: Any) -> AutotaskPsa:
    section = {**psa_section(sandbox), "rate_limit": "none", **overrides}
    return AutotaskPsa.model_validate(section)


def make_client(
    sandbox: AutotaskSandbox,
    journal: DeltaJournal | None = None,
    *,
    sleep: Sleep | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **overrides: Any,
) -> AutotaskClient:
    """A client of the demo API user, at the test's fixed billing day, without real waits."""
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    return AutotaskClient(
        psa_config(sandbox, **overrides),
        journal=journal,
        sleep=sleep or no_wait,
        transport=transport,
        wall=lambda: datetime(DAY.year, DAY.month, DAY.day, 12, tzinfo=UTC),
        timeout=5,
    )


class MemoryJournal:
    """A :class:`DeltaJournal` in memory, with a log of every call and an ``on_sending`` hook
    that runs after an entry is recorded (tests look at the sandbox then, or "kill" the run)."""

    keeps = True

    def __init__(self, on_sending: Callable[[Delta], None] | None = None) -> None:
        self.entries: dict[int, JournalEntry] = {}
        self.notes: dict[int, str | None] = {}
        self.log: list[tuple[int, str]] = []
        self.on_sending = on_sending

    def sending(self, delta: Delta) -> int:
        entry = len(self.entries) + 1
        self.entries[entry] = JournalEntry(entry, delta, "sending")
        self.log.append((entry, "sending"))
        if self.on_sending is not None:
            self.on_sending(delta)
        return entry

    def settle(self, entry: int, state: DeltaState, *, note: str | None = None) -> None:
        self.entries[entry] = replace(self.entries[entry], state=state)
        self.notes[entry] = note
        self.log.append((entry, state))

    def open_entries(self, agreement_id: int, product_id: int) -> list[JournalEntry]:
        return [
            e
            for _, e in sorted(self.entries.items())
            if e.state in ("sending", "unknown")
            and (e.delta.agreement_id, e.delta.product_id) == (agreement_id, product_id)
        ]

    def states(self) -> list[str]:
        return [e.state for _, e in sorted(self.entries.items())]


def units(sandbox: AutotaskSandbox, contract_service: int, day: date = DAY) -> int:
    return sandbox.world.units_on(contract_service, day)
