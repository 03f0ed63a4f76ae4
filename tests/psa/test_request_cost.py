"""What keeps a request cheap in CPU must not change what goes on the wire.

The query string psabill encodes itself must be the one httpx would have built; the lanes
(one client of one connection per request in flight) must keep connections alive, never open
more than ``concurrency`` of them and share cookies like one client. A real HTTP/1.1 server on
loopback counts the connections; ``benchmarks/request_cost.py`` measures the CPU.
"""

from __future__ import annotations

import asyncio
import importlib.util
import tomllib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from psabill.psa.http import HttpClient, HttpSettings
from psabill.psa.pacing import RetryPolicy
from tests.psa.conftest import reply

URL = "https://cw.example.com/v2025_1/apis/3.0/company/companies"
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
FAST = HttpSettings(rate_limit=None, policy=RetryPolicy(max_retries=0))


def httpx_url(params: dict[str, str], url: str = URL) -> httpx.URL:
    """What an httpx client sends for ``url`` and ``params`` (psabill's old way)."""
    with httpx.Client() as client:
        return client.build_request("GET", url, params=params).url


def sent_urls(params: dict[str, str], url: str = URL) -> list[httpx.URL]:
    seen: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return reply(200, [])

    async def main() -> None:
        async with HttpClient(FAST, transport=httpx.MockTransport(answer)) as http:
            await http.request("GET", url, params=params)

    asyncio.run(main())
    return seen


@pytest.mark.parametrize(
    "conditions",
    [
        'identifier in ("A B", \'C"D\', "x/y", "a+b", "50%", "[x]", "a&b=c", "#1", "?q")',
        "company/id in (1, 2, 3) and date >= [2025-01-01T00:00:00Z] and date < [2025-02-01]",
        "identifier contains \"Müller & Söhne €\" or description contains ';,:@~*!$()'",
    ],
)
def test_the_query_is_the_one_httpx_would_build(conditions: str) -> None:
    params = {"pageSize": "1000", "page": "2", "fields": "id,name,type/name", "orderBy": "id asc"}
    params["conditions"] = conditions
    [url] = sent_urls(params)
    assert url.raw_path == httpx_url(params).raw_path
    assert dict(url.params) == params


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=30), max_size=4))
def test_any_params_are_sent_as_httpx_would_send_them(params: dict[str, str]) -> None:
    [url] = sent_urls(params)
    assert (url, url.raw_path) == (httpx_url(params), httpx_url(params).raw_path)


def test_params_for_a_url_with_a_query_are_left_to_httpx() -> None:
    url = f"{URL}?pageSize=10&page=1"
    assert sent_urls({"page": "2"}, url) == [httpx_url({"page": "2"}, url)]


def test_the_async_library_probe_of_httpcore_is_installed() -> None:
    """Without sniffio httpcore searches for it again at every lock and event (~8 times per
    request); it must be a declared dependency, since anyio no longer brings it."""
    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    assert any(d.split(">")[0].split("=")[0].strip() == "sniffio" for d in declared), declared
    assert importlib.util.find_spec("sniffio") is not None


# -- a real HTTP/1.1 server on loopback -------------------------------------------------------


@dataclass
class Server:
    """Answers ``[]`` with keep-alive; counts connections and what each request carried."""

    url: str = ""
    connections: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    cookies: list[str | None] = field(default_factory=list)
    set_cookie: str | None = None
    hold_until: int = 0
    """Hold every answer until this many requests are waiting at once (0: never wait)."""
    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                await self._answer(_headers(head), writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _answer(self, headers: dict[str, str], writer: asyncio.StreamWriter) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.cookies.append(headers.get("cookie"))
        if self.in_flight >= self.hold_until:
            self.released.set()
        await self.released.wait()
        self.in_flight -= 1
        extra = f"Set-Cookie: {self.set_cookie}\r\n" if self.set_cookie else ""
        self.set_cookie = None
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            + extra.encode()
            + b"\r\n[]"
        )
        await writer.drain()


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    pairs = (line.partition(":") for line in lines if line)
    return {name.strip().lower(): value.strip() for name, _, value in pairs}


@asynccontextmanager
async def loopback(server: Server) -> AsyncIterator[Server]:
    listening = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    server.url = f"http://127.0.0.1:{port}/v2025_1/apis/3.0/system/info"
    async with listening:
        yield server


def run_against(server: Server, body: Callable[[HttpClient, str], Any], concurrency: int) -> None:
    settings = HttpSettings(concurrency=concurrency, rate_limit=None)

    async def main() -> None:
        async with loopback(server), HttpClient(settings) as http:
            await body(http, server.url)

    asyncio.run(main())


def test_requests_in_flight_get_a_connection_each_and_keep_it() -> None:
    server = Server(hold_until=4)

    async def body(http: HttpClient, url: str) -> None:
        await asyncio.gather(*(http.request("GET", url) for _ in range(4)))  # 4 at once
        await asyncio.gather(*(http.request("GET", url) for _ in range(36)))

    run_against(server, body, concurrency=4)
    assert len(server.cookies) == 40
    assert server.most_in_flight == 4
    assert server.connections == 4  # kept alive, never more than the lanes


def test_one_request_at_a_time_reuses_one_connection() -> None:
    server = Server()

    async def body(http: HttpClient, url: str) -> None:
        for _ in range(10):
            await http.request("GET", url)

    run_against(server, body, concurrency=8)
    assert (len(server.cookies), server.connections) == (10, 1)


def test_a_cookie_set_on_one_connection_goes_out_on_all_of_them() -> None:
    server = Server(set_cookie="affinity=node7; Path=/")

    async def body(http: HttpClient, url: str) -> None:
        await http.request("GET", url)
        server.hold_until, server.released = 3, asyncio.Event()
        await asyncio.gather(*(http.request("GET", url) for _ in range(3)))

    run_against(server, body, concurrency=3)
    assert server.connections == 3
    assert server.cookies == [None] + ["affinity=node7"] * 3
