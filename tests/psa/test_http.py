"""Retry decisions of the shared HTTP plumbing, on MockTransport and a fake clock."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from psabill.core.report import PacingStats
from psabill.errors import PsaError, UnknownOutcome
from psabill.psa.aimd import WINDOW
from psabill.psa.http import HttpClient, HttpSettings
from psabill.psa.pacing import RetryPolicy
from tests.psa.conftest import FakeClock, reply

URL = "https://cw.example.com/v2025_1/apis/3.0/company/companies"
Answer = httpx.Response | BaseException


class Script:
    """Answers in turn (the last repeats) and counts the requests."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def send(
    script: Script | Callable[[httpx.Request], Any],
    method: str = "GET",
    *,
    clock: FakeClock | None = None,
    policy: RetryPolicy | None = None,
    concurrency: int = 8,
    **options: Any,
) -> httpx.Response:
    clock = clock or FakeClock()
    settings = HttpSettings(concurrency=concurrency, policy=policy or RetryPolicy())
    http = HttpClient(
        settings,
        transport=httpx.MockTransport(script),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )

    async def main() -> httpx.Response:
        async with http:
            return await http.request(method, URL, **options)

    return asyncio.run(main())


def backoff_sleeps(clock: FakeClock) -> list[float]:
    return [s for s in clock.sleeps if s > 0]


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_a_read_is_retried_after_a_transient_status(status: int) -> None:
    script = Script(reply(status, {}), reply(status, {}), reply(200, []))
    clock = FakeClock()
    assert send(script, clock=clock).status_code == 200
    assert len(script.requests) == 3
    # After a 429 the pacer also spaces the requests that follow: more (short) sleeps.
    assert len(backoff_sleeps(clock)) == 2 if status != 429 else len(backoff_sleeps(clock)) >= 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 415])
def test_client_errors_are_never_retried(status: int) -> None:
    for method in ("GET", "POST", "PATCH"):
        script = Script(reply(status, {"code": "X", "message": "no"}), reply(200, []))
        assert send(script, method, idempotent=True).status_code == status
        assert len(script.requests) == 1


@pytest.mark.parametrize(
    "error",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ReadError("connection reset"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.WriteTimeout("timed out"),
    ],
)
def test_a_read_is_retried_after_a_transport_failure(error: Exception) -> None:
    script = Script(error, reply(200, []))
    assert send(script).status_code == 200
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    "answer",
    [
        reply(500, {}),
        reply(503, {}),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset by peer"),
    ],
)
def test_a_post_with_an_unknown_outcome_is_never_resent(answer: Answer) -> None:
    script = Script(answer, reply(201, {"id": 1}))
    with pytest.raises(UnknownOutcome) as caught:
        send(script, "POST", json={"a": 1}, target="finance/agreements/1/additions")
    assert len(script.requests) == 1
    assert "finance/agreements/1/additions" in caught.value.message
    assert caught.value.hint is not None


def test_a_patch_is_resent_only_when_declared_idempotent() -> None:
    script = Script(reply(503, {}), reply(200, {}))
    with pytest.raises(UnknownOutcome):
        send(script, "PATCH", json=[])
    script = Script(reply(503, {}), reply(200, {}))
    assert send(script, "PATCH", json=[], idempotent=True).status_code == 200


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("timed out"), httpx.PoolTimeout("pool")],
)
def test_a_post_that_was_never_sent_is_retried(error: Exception) -> None:
    script = Script(error, reply(201, {"id": 1}))
    assert send(script, "POST", json={}).status_code == 201
    assert len(script.requests) == 2


def test_a_throttled_post_is_retried_after_retry_after() -> None:
    script = Script(reply(429, {}, {"Retry-After": "7"}), reply(201, {}))
    clock = FakeClock()
    assert send(script, "POST", json={}, clock=clock).status_code == 201
    assert backoff_sleeps(clock) == [7.0]


def test_retry_after_as_an_http_date_is_honoured() -> None:
    clock = FakeClock()
    settings = HttpSettings(policy=RetryPolicy())
    script = Script(
        reply(429, {}, {"Retry-After": "Sat, 15 Mar 2025 12:00:12 GMT"}), reply(200, [])
    )
    http = HttpClient(
        settings,
        transport=httpx.MockTransport(script),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        wall=lambda: datetime(2025, 3, 15, 12, 0, 0, tzinfo=UTC),
    )

    async def main() -> int:
        async with http:
            return (await http.request("GET", URL)).status_code

    assert asyncio.run(main()) == 200
    assert backoff_sleeps(clock) == [12.0]


def test_a_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    script = Script(reply(429, {}, {"Retry-After": "3600"}), reply(200, []))
    clock = FakeClock()
    response = send(script, clock=clock, policy=RetryPolicy(max_retry_after=120))
    assert response.status_code == 429
    assert len(script.requests) == 1
    assert clock.sleeps == []


def test_429_without_retry_after_backs_off() -> None:
    script = Script(reply(429, {}), reply(200, []))
    clock = FakeClock()
    assert send(script, clock=clock, policy=RetryPolicy(base_delay=2)).status_code == 200
    assert 1.0 <= backoff_sleeps(clock)[0] <= 2.0


def test_retries_are_bounded_by_count() -> None:
    script = Script(reply(503, {}))
    response = send(script, policy=RetryPolicy(max_retries=3))
    assert response.status_code == 503
    assert len(script.requests) == 4


def test_retries_are_bounded_by_total_wait() -> None:
    script = Script(reply(429, {}, {"Retry-After": "50"}))
    clock = FakeClock()
    policy = RetryPolicy(max_retries=10, max_total_wait=120)
    assert send(script, clock=clock, policy=policy).status_code == 429
    assert len(script.requests) == 3
    assert sum(backoff_sleeps(clock)) <= 120


def test_transport_failures_that_persist_become_a_psa_error() -> None:
    script = Script(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(PsaError, match=r"could not reach the PSA.*after 3 attempts") as caught:
        send(script, policy=RetryPolicy(max_retries=2))
    assert caught.value.hint is not None
    assert "psa.site" in caught.value.hint


def test_an_untrusted_certificate_fails_at_once_with_a_ca_bundle_hint() -> None:
    error = httpx.ConnectError("certificate verify failed")
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cause.verify_message = "self-signed certificate"
    error.__cause__ = cause
    script = Script(error, reply(200, []))
    with pytest.raises(PsaError, match="not trusted") as caught:
        send(script)
    assert len(script.requests) == 1
    assert "psa.ca_bundle" in str(caught.value.hint)


def test_concurrency_is_bounded() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        in_flight -= 1
        return reply(200, [])

    clock = FakeClock()
    http = HttpClient(
        HttpSettings(concurrency=3, rate_limit=None),
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )

    async def main() -> None:
        async with http:
            await asyncio.gather(*(http.request("GET", URL) for _ in range(12)))

    asyncio.run(main())
    assert peak == 3


def test_the_rate_limit_lets_r_requests_start_in_any_window() -> None:
    clock = FakeClock()
    moments: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        moments.append(clock.now)
        return reply(200, [])

    http = HttpClient(
        HttpSettings(rate_limit=2),
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )

    async def main() -> None:
        async with http:
            for _ in range(4):
                await http.request("GET", URL)

    asyncio.run(main())
    assert moments == pytest.approx([1000.0, 1000.0, 1000.0 + WINDOW, 1000.0 + WINDOW])
    assert http.pacing_stats() == PacingStats(
        requests=4, waited=pytest.approx(WINDOW), ceiling=2, final_rate=2
    )


def test_a_429_pauses_every_request_not_just_the_throttled_one() -> None:
    frozen = FakeClock()

    async def record_only(seconds: float) -> None:  # time stands still: the pause stays on
        frozen.sleeps.append(seconds)

    http = HttpClient(
        HttpSettings(rate_limit=10000),
        transport=httpx.MockTransport(
            Script(reply(429, {}, {"Retry-After": "20"}), reply(200, []))
        ),
        sleep=record_only,
        monotonic=frozen.monotonic,
    )

    async def main() -> float:
        async with http:
            await http.request("GET", URL)
            return await http.pacer.acquire()  # any other request now

    assert asyncio.run(main()) >= 1020.0
    stats = http.pacing_stats()
    assert (stats.requests, stats.throttled) == (3, 1)
    assert stats.waited >= 20.0
    assert stats.final_rate is not None
    assert stats.final_rate < 10000


def _mangled(request: httpx.Request) -> httpx.Response:
    """A proxy that says gzip but sends something else: reading the body fails."""
    return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=b"not gzip at all")


def test_an_unreadable_answer_is_a_psa_error_not_a_traceback() -> None:
    with pytest.raises(PsaError, match="could not be read") as caught:
        send(_mangled)
    assert not isinstance(caught.value, UnknownOutcome)


def test_an_unreadable_answer_to_a_post_is_an_unknown_outcome() -> None:
    with pytest.raises(UnknownOutcome):
        send(_mangled, "POST", json={})


def test_the_client_closes_its_connections_when_its_block_ends() -> None:
    script = Script(reply(200, []))
    clock = FakeClock()
    http = HttpClient(
        HttpSettings(),
        transport=httpx.MockTransport(script),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )

    async def main() -> None:
        async with http as entered:
            assert entered is http
            await http.request("GET", URL)
        with pytest.raises(RuntimeError, match="closed"):
            await http.request("GET", URL)

    asyncio.run(main())
    assert len(script.requests) == 1
