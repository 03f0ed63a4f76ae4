"""HTTP for vendor connectors: the PSA clients' retrying client, with a vendor's name on errors.

A connector talks to its vendor through one :class:`VendorSession`. Requests go through
:class:`~psabill.psa.http.HttpClient` (pacing, 429 with or without ``Retry-After``, 5xx and
connection failures retried within :class:`~psabill.psa.pacing.RetryPolicy`'s budget), so a
vendor connector retries exactly as a PSA client does. What the client raises names "the PSA";
here it becomes a :class:`~psabill.errors.SourceError` naming the source and the vendor.

Sources are read synchronously (a run reads them inside its event loop), so :func:`run_sync`
runs a connector's coroutine on a loop of its own, in a worker thread when a loop is running.
The seams (sleep, clocks, token cache, retry policy) are a :class:`Runtime`; tests pass theirs.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from psabill import __version__
from psabill.errors import PsaError, SourceError
from psabill.psa.http import HttpClient, HttpSettings
from psabill.psa.pacing import Monotonic, RetryPolicy, Sleep, WallClock, utc_now
from psabill.sources.vendors.oauth import TokenCache

T = TypeVar("T")


@dataclass
class Runtime:
    """Everything a vendor read takes from its surroundings besides the config."""

    sleep: Sleep = asyncio.sleep
    wall: WallClock = utc_now
    monotonic: Monotonic = time.monotonic
    tokens: TokenCache = field(default_factory=TokenCache)
    """Access tokens by credential, reused until shortly before they expire."""
    policy: RetryPolicy = field(default_factory=RetryPolicy)


DEFAULT_RUNTIME = Runtime()
"""The process's runtime: one token cache for every read of a run (and of ``doctor``)."""


def run_sync(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``work()`` to completion on a fresh event loop, off the current one if any."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work())
    with ThreadPoolExecutor(1, thread_name_prefix="psabill-vendor") as pool:
        return pool.submit(lambda: asyncio.run(work())).result()


@dataclass(frozen=True)
class Answer:
    """One vendor response: status, the JSON body (``None`` when it was not JSON), headers."""

    status: int
    body: Any
    headers: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class VendorSession:
    """One source's connection to its vendor, open for one read."""

    def __init__(self, label: str, service: str, runtime: Runtime, timeout: float) -> None:
        self.label = label
        """How messages name the source, e.g. ``sophos "sophos"``."""
        self.service = service
        """How messages name the vendor's API, e.g. ``Sophos Central``."""
        self.runtime = runtime
        settings = HttpSettings(
            timeout=timeout,
            concurrency=1,
            rate_limit=None,  # one request at a time; after a 429 the client waits as told
            policy=runtime.policy,
            user_agent=f"psabill/{__version__}",
        )
        self.http = HttpClient(
            settings, sleep=runtime.sleep, monotonic=runtime.monotonic, wall=runtime.wall
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def get(
        self, url: str, *, params: Mapping[str, str], headers: Mapping[str, str], what: str
    ) -> Answer:
        """GET ``url``; ``what`` names the request in messages (never a header: they hold
        the token). Transport failures raise SourceError; every status is returned."""
        try:
            response = await self.http.request(
                "GET", url, params=params, headers=headers, target=what.removeprefix("GET ")
            )
        except PsaError as exc:
            raise self.unreachable(exc) from None
        return Answer(response.status_code, parse_body(response), response.headers)

    async def post_form(
        self, url: str, form: Mapping[str, str], *, what: str, service: str
    ) -> Answer:
        """POST ``form`` form-encoded (a token request: asking twice changes nothing, so it
        is retried like a read); ``service`` names the server in messages."""
        headers = {"Accept": "application/json"}
        try:
            response = await self.http.request(
                "POST", url, data=form, headers=headers, idempotent=True, target=what
            )
        except PsaError as exc:
            raise self.unreachable(exc, service) from None
        return Answer(response.status_code, parse_body(response), response.headers)

    def unreachable(self, exc: PsaError, service: str | None = None) -> SourceError:
        """The client's "could not reach the PSA" as this vendor's (or ``service``'s)."""
        service = service or self.service
        message = exc.message.replace("the PSA's", f"{service}'s").replace("the PSA", service)
        return SourceError(
            f"{self.label}: {message}",
            hint=f"check the network and that {service} is reachable from this machine",
        )

    def fail(self, text: str, hint: str | None = None) -> SourceError:
        return SourceError(f"{self.label}: {text}", hint=hint)


def parse_body(response: httpx.Response) -> Any:
    """The JSON body (numbers with a fraction as Decimal, as every source reads them), or
    ``None`` when there is none or it is not JSON."""
    try:
        return json.loads(response.content, parse_float=Decimal) if response.content else None
    except (ValueError, UnicodeDecodeError):
        return None
