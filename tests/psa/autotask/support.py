"""A live fake Autotask and an :class:`AutotaskSeats` over real HTTP on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from psabill.psa.autotask import AutotaskLogin, AutotaskSeats, AutotaskSession, discover_zone
from psabill.psa.autotask.session import THREADS
from psabill.psa.http import HttpClient, HttpSettings
from psabill.psa.pacing import RetryPolicy, Sleep
from psabill.sandbox.autotask import DEMO_CREDENTIALS, AutotaskSandbox

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
async def seats_for(
    sandbox: AutotaskSandbox,
    login: AutotaskLogin = LOGIN,
    settings: HttpSettings = NO_RETRIES,
    transport: CountingTransport | None = None,
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[AutotaskSeats]:
    """Discovers the zone like a real run, then yields the seats API (the HTTP client allows
    more than :data:`THREADS` at once, so the cap tested is the adapter's own)."""
    assert settings.concurrency > THREADS
    http = HttpClient(settings, transport=transport, sleep=sleep)
    try:
        base = await discover_zone(http, login.username, sandbox.zone_lookup_url)
        yield AutotaskSeats(AutotaskSession(http, base, login))
    finally:
        await http.aclose()
