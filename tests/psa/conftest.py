"""Fakes for the PSA client tests: a fake clock and a scripted ConnectWise over MockTransport."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest

from psabill.config.models import ConnectWisePsa
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.psa.pacing import RetryPolicy

PRIVATE_KEY = "pr1vate-K3y-do-not-leak"
PUBLIC_KEY = "publ1c-K3y"
CLIENT_ID = "6f1c2a9e-4b7d-4e58-9c3a-2d8e5b0f7a14"
SITE = "https://cw.example.com"
API = "https://cw.example.com/v2025_1/apis/3.0"


class FakeClock:
    """``monotonic`` and ``sleep`` that only move when slept on; every sleep is recorded."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Handler = Callable[[httpx.Request], httpx.Response]


def reply(
    status: int = 200, payload: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    """A JSON response like ConnectWise's."""
    body = json.dumps(payload).encode()
    return httpx.Response(
        status, content=body, headers={"Content-Type": "application/json", **(headers or {})}
    )


T = TypeVar("T")


def run(client: ConnectWiseClient, action: Callable[[ConnectWiseClient], Awaitable[T]]) -> T:
    """Run ``action(client)`` in a fresh event loop and close the client afterwards."""

    async def main() -> T:
        async with client:
            return await action(client)

    return asyncio.run(main())


@dataclass
class FakeCw:
    """A scripted ConnectWise: ``routes`` map ``"METHOD path-regex"`` to a handler or a list of
    handlers/responses used in turn (the last one repeats). Paths are relative to ``apis/3.0``.
    """

    routes: dict[str, Any] = field(default_factory=dict)
    seen: list[httpx.Request] = field(default_factory=list)
    codebase: str = "v2025_1/"

    def on(self, route: str, *answers: Any) -> None:
        self.routes[route] = list(answers)

    def calls(self, route: str) -> list[httpx.Request]:
        method, pattern = route.split(" ", 1)
        return [r for r in self.seen if r.method == method and re.fullmatch(pattern, _relative(r))]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if "/login/companyinfo/" in request.url.path:
            return self._answer("GET companyinfo", request, reply(200, {"Codebase": self.codebase}))
        for route, answers in self.routes.items():
            method, pattern = route.split(" ", 1)
            if request.method == method and re.fullmatch(pattern, _relative(request)):
                return self._next(answers, request)
        return reply(404, {"code": "NotFound", "message": "no route", "errors": None})

    def _answer(
        self, route: str, request: httpx.Request, default: httpx.Response
    ) -> httpx.Response:
        answers = self.routes.get(route)
        return default if answers is None else self._next(answers, request)

    @staticmethod
    def _next(answers: list[Any], request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            result: httpx.Response = answer(request)
            return result
        assert isinstance(answer, httpx.Response)
        return answer


def _relative(request: httpx.Request) -> str:
    path = request.url.path
    marker = "/apis/3.0/"
    return path.split(marker, 1)[1] if marker in path else path


def make_psa(**overrides: Any) -> ConnectWisePsa:
    settings: dict[str, Any] = {
        "site": SITE,
        "company": "acme",
        "public_key": PUBLIC_KEY,
        "private_key": PRIVATE_KEY,
        "client_id": CLIENT_ID,
    }
    settings.update(overrides)
    return ConnectWisePsa(**settings)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake() -> FakeCw:
    return FakeCw()


@pytest.fixture
def make_client(fake: FakeCw, clock: FakeClock) -> Callable[..., ConnectWiseClient]:
    """``make_client(**psa_overrides)``: a client wired to ``fake`` and ``clock``."""

    def build(*, policy: RetryPolicy | None = None, **overrides: Any) -> ConnectWiseClient:
        return ConnectWiseClient(
            make_psa(**overrides),
            policy=policy,
            transport=httpx.MockTransport(fake),
            sleep=clock.sleep,
            monotonic=clock.monotonic,
        )

    return build
