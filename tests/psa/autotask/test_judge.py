"""Which Autotask answers are retried, unit-tested over ``httpx.MockTransport``: the thread-limit
text on any status (even for a create), never the 500 of a wrong user, 5xx for queries only."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from psabill.errors import PsaError, UnknownOutcome
from psabill.psa.autotask import AutotaskLogin, AutotaskSession
from psabill.psa.http import HttpClient, HttpSettings
from psabill.psa.pacing import RetryPolicy
from psabill.sandbox.autotask import THREAD_LIMIT_MESSAGE

LOGIN = AutotaskLogin("api@example.com", "CODE", "s3cret-value")
THREADS = httpx.Response(500, json={"errors": [THREAD_LIMIT_MESSAGE]})
AUTH = httpx.Response(500, json={"errors": ["Unable to authenticate the user."]})
BUSY = httpx.Response(503, json={"errors": ["Service Unavailable"]})


def replay(*answers: httpx.Response) -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return seen, httpx.MockTransport(handler)


def call(transport: httpx.MockTransport, job: Callable[[AutotaskSession], object]) -> object:
    async def main() -> object:
        async def no_wait(seconds: float) -> None:
            return None

        settings = HttpSettings(rate_limit=None, policy=RetryPolicy(max_retries=3))
        http = HttpClient(settings, transport=transport, sleep=no_wait)
        session = AutotaskSession(http, LOGIN, base_url="https://zone.example/atservicesrest")
        try:
            return await job(session)  # type: ignore[misc]
        finally:
            await http.aclose()

    return asyncio.run(main())


def test_a_thread_limit_refusal_of_a_create_is_retried() -> None:
    seen, transport = replay(THREADS, httpx.Response(200, json={"itemId": 5}))
    assert call(transport, lambda s: s.create("ContractServiceAdjustments", {})) == 5
    assert len(seen) == 2


def test_a_thread_limit_text_on_a_4xx_is_retried_for_a_query() -> None:
    refused = httpx.Response(400, json={"errors": ["... (Itgenatr005)"]})
    seen, transport = replay(refused, BUSY, httpx.Response(200, json={"items": []}))
    assert call(transport, lambda s: s.query("Companies", [])) == []
    assert len(seen) == 3


def test_a_wrong_user_fails_at_once_with_a_hint() -> None:
    seen, transport = replay(AUTH, AUTH)
    with pytest.raises(PsaError, match="Unable to authenticate") as caught:
        call(transport, lambda s: s.query("Companies", []))
    assert len(seen) == 1
    assert "psa.integration_code" in (caught.value.hint or "")
    assert "s3cret-value" not in caught.value.with_hint


def test_a_5xx_to_a_create_is_an_unknown_outcome_with_autotasks_text() -> None:
    invalid = httpx.Response(500, json={"errors": ["unitChange: \r\n must not be 0."]})
    seen, transport = replay(invalid)
    with pytest.raises(UnknownOutcome, match=r"HTTP 500: unitChange: must not be 0\.\)"):
        call(transport, lambda s: s.create("ContractServiceAdjustments", {}))
    assert len(seen) == 1


def test_a_create_answered_without_an_item_id_is_an_unknown_outcome() -> None:
    seen, transport = replay(httpx.Response(200, json={"id": 5}))
    with pytest.raises(UnknownOutcome, match="no itemId"):
        call(transport, lambda s: s.create("ContractServiceAdjustments", {}))
    assert len(seen) == 1


def test_an_echoed_secret_is_scrubbed_from_the_unknown_outcome() -> None:
    echo = httpx.Response(500, json={"errors": ["bad Secret s3cret-value for CODE"]})
    seen, transport = replay(echo)
    with pytest.raises(UnknownOutcome) as caught:
        call(transport, lambda s: s.create("ContractServiceAdjustments", {}))
    assert "bad Secret [redacted] for [redacted]" in caught.value.message
    assert len(seen) == 1
