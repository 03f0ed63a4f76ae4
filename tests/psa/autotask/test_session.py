"""The Autotask session over the fake Autotask: zone, paging, the thread cap and errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

import pytest

from psabill.errors import PsaError
from psabill.psa.autotask import AutotaskLogin
from psabill.psa.pacing import RetryPolicy
from psabill.sandbox.autotask import DEMO_CREDENTIALS, THREAD_LIMIT_KIND, AutotaskSandbox
from tests.psa.autotask.support import LOGIN, NO_RETRIES, CountingTransport, session_for
from tests.sandbox.support import make_client

TODAY = date(2026, 6, 15)
EVERYTHING = [{"op": "gte", "field": "id", "value": 0}]


@pytest.fixture
def autotask() -> Iterator[AutotaskSandbox]:
    with AutotaskSandbox(today=TODAY) as running:
        yield running


def test_a_query_follows_next_page_url_by_posting_the_same_body(autotask: AutotaskSandbox) -> None:
    for number in range(5):
        autotask.world.add("Companies", {"companyName": f"Client {number}", "isActive": True})

    async def main() -> list[int]:
        async with session_for(autotask) as session:
            conditions = [{"op": "gte", "field": "id", "value": 0}]
            rows = await session.query("Companies", conditions, page=3)
            return [row["id"] for row in rows]

    ids = asyncio.run(main())
    queries = [r for r in autotask.requests() if "/Companies/query" in r.path]
    assert len(ids) == len(set(ids)) == 7
    assert [(r.method, r.path.endswith("/next")) for r in queries] == [
        ("POST", False),
        ("POST", True),
        ("POST", True),
    ]
    assert all(r.status == 200 for r in queries)
    zone = [r for r in autotask.requests() if r.path.endswith("zoneInformation")]
    assert [(r.method, r.status) for r in zone] == [("GET", 200)]


def test_the_session_never_has_more_than_three_requests_in_flight(
    autotask: AutotaskSandbox,
) -> None:
    # The first 3 requests are held until all 3 are inside: a 4th sent meanwhile would be refused.
    autotask.autotask.gate.hold(3, until_inside=3)

    transport = CountingTransport()

    async def main() -> int:
        async with session_for(autotask, transport=transport) as session:
            reads = [
                session.query("ContractServiceUnits", [{"op": "eq", "field": "id", "value": n}])
                for n in range(9)
            ]
            return len(await asyncio.gather(*reads))

    assert asyncio.run(main()) == 9
    assert transport.peak == 3
    assert autotask.autotask.threads.peak(LOGIN.integration_code) == 3
    assert THREAD_LIMIT_KIND not in autotask.faults.injected()


@pytest.mark.parametrize(
    ("login", "status"),
    [
        (AutotaskLogin(LOGIN.username, "WRONG", LOGIN.secret), 500),
        (AutotaskLogin(LOGIN.username, LOGIN.integration_code, "not-the-secret"), 401),
    ],
)
def test_errors_show_the_errors_text_and_never_the_secret(
    autotask: AutotaskSandbox, login: AutotaskLogin, status: int
) -> None:
    async def main() -> None:
        async with session_for(autotask, login) as session:
            await session.query("Companies", EVERYTHING)

    with pytest.raises(PsaError) as caught:
        asyncio.run(main())
    text = caught.value.with_hint
    assert f"Autotask answered {status} to POST Companies: " in text
    assert "check psa.username (the API-only user), psa.integration_code" in text
    assert login.secret not in text
    assert login.secret not in repr(login)


def test_an_unknown_user_fails_at_zone_lookup(autotask: AutotaskSandbox) -> None:
    async def main() -> None:
        async with session_for(autotask, AutotaskLogin("x@example.com", "c", "s")) as session:
            await session.root()

    with pytest.raises(PsaError, match="Autotask answered 500 to GET zoneInformation"):
        asyncio.run(main())


def test_a_thread_limit_refusal_of_a_query_is_retried_after_a_backoff(
    autotask: AutotaskSandbox,
) -> None:
    """Another integration holds the 3 threads; the backoff is where they finish."""
    gate = autotask.autotask.gate
    waits: list[float] = []
    others: list[asyncio.Task[list[int]]] = []
    gate.hold(3)

    async def backoff(seconds: float) -> None:
        waits.append(seconds)
        gate.open()
        await asyncio.wait(others)  # the other integration's requests end while we wait

    def hold_three() -> list[int]:
        headers = DEMO_CREDENTIALS.headers()
        body = {"filter": [{"op": "gte", "field": "id", "value": 0}]}
        with ThreadPoolExecutor(3) as pool, make_client(headers=headers) as http:
            url = autotask.api_url + "/v1.0/Services/query"
            held = [pool.submit(http.post, url, json=body) for _ in range(3)]
            return [future.result().status_code for future in held]

    async def main() -> int:
        others.append(asyncio.create_task(asyncio.to_thread(hold_three)))
        assert await asyncio.to_thread(gate.wait_held, 3)
        retrying = replace(NO_RETRIES, policy=RetryPolicy(max_retries=2))
        async with session_for(autotask, settings=retrying, sleep=backoff) as session:
            found = len(await session.query("Companies", EVERYTHING))
        assert await others[0] == [200, 200, 200]
        return found

    assert asyncio.run(main()) == 2
    assert len(waits) == 1
    assert autotask.faults.injected() == {THREAD_LIMIT_KIND: 1}
