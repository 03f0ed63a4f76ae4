"""HTTP plumbing shared by every PSA adapter: bounded concurrency, adaptive pacing
(:class:`~psabill.psa.pacing.Pacer`) and retries that never repeat a write whose outcome is unknown.

What happens after one attempt (``idempotent``: GET, HEAD, PUT, DELETE, and PATCH when the
caller says its values are absolute)::

    response 429 ................................ retry, any method (a throttled request was not
                                                  processed), after Retry-After or backoff; the
                                                  whole client pauses and slows down
    response 5xx ................................ idempotent: retry with backoff
                                                  otherwise: UnknownOutcome (may be committed)
    any other response (2xx, 3xx, 4xx) .......... returned; the adapter maps the status
    httpx.ConnectError, ConnectTimeout,
      PoolTimeout (nothing was sent) ............ retry, any method
    TLS certificate not trusted, unsupported
      protocol, local protocol error ............ PsaError at once (retrying cannot help)
    other httpx.TransportError (ReadTimeout,
      ReadError, RemoteProtocolError, ...) ...... idempotent: retry; otherwise UnknownOutcome

An adapter may pass ``classify`` (a response to ``"retry"``, ``"return"`` or ``None`` for the
table above): Autotask's thread-limit refusal proves a request was not processed whatever its
status, and its 500 for a wrong user is final. It may pass ``describe`` too, to keep the gist
of a 5xx body (:func:`~psabill.psa.http_setup.body_excerpt`, its own secrets scrubbed) in the
``UnknownOutcome``: Autotask's validation text comes as a 500. Else the message names the
status only.

Retries are bounded by :class:`~psabill.psa.pacing.RetryPolicy`: a count, a cap per wait and a
cap on all waits together. When retries run out the last response is returned (the adapter
reports it) or, after transport errors, a :class:`~psabill.errors.PsaError` is raised.
Request headers (``Authorization``) never reach a message or a log line.

A sync sends thousands of requests, so the CPU each one costs here counts (see
``benchmarks/request_cost.py``): each request in flight has a client of its own, of one kept-alive
connection (:class:`~psabill.psa.tasks.Lanes`), and its query string is encoded once, as httpx
would encode it, rather than merged into an already parsed URL.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from typing import Any, Literal
from urllib.parse import urlencode

import httpx

from psabill.config.connection_models import ADAPTIVE_CEILING
from psabill.core.report import PacingStats
from psabill.errors import PsaError, UnknownOutcome
from psabill.psa.http_answers import (
    HOPELESS,
    classify_error,
    classify_response,
    describe_error,
    tls_failure,
)
from psabill.psa.pacing import (
    Monotonic,
    Pacer,
    RetryPolicy,
    Sleep,
    WallClock,
    backoff_delay,
    parse_retry_after,
    utc_now,
)
from psabill.psa.tasks import AsyncClosing, Lanes

logger = logging.getLogger("psabill.psa")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
Classify = Callable[[httpx.Response], Literal["return", "retry"] | None]
"""An adapter's say on an answer: ``None`` leaves it to :func:`classify_response`."""


@dataclass(frozen=True)
class HttpSettings:
    """Everything :class:`HttpClient` needs besides the clock; built from a PSA config."""

    timeout: float = 30.0
    concurrency: int = 8
    rate_limit: int | None = ADAPTIVE_CEILING
    """Requests a minute at most, adapting below; ``None``: no limit."""
    verify: ssl.SSLContext | bool = True
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    user_agent: str = "psabill"


class HttpClient(AsyncClosing):
    """Up to ``concurrency`` requests at once, paced, with the retry rules above."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
        wall: WallClock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.policy = settings.policy
        self._sleep = sleep
        self._wall = wall
        self._rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter only
        self._slots = asyncio.Semaphore(settings.concurrency)
        self.pacer = Pacer(settings.rate_limit, monotonic=monotonic, sleep=sleep)
        # The lanes share one SSL context and one cookie jar, as one client's connections do.
        self._transport = transport
        self._verify = settings.verify
        self._cookies = CookieJar()
        if transport is None:
            self._verify = httpx.create_ssl_context(verify=settings.verify)
            self._lanes = Lanes(self._open)
        else:  # a test's transport does its own pooling: every lane shares one client
            shared = self._open()
            self._lanes = Lanes(lambda: shared)

    def _open(self) -> httpx.AsyncClient:
        """A lane's client: one connection, or all of them over a transport passed in."""
        size = 1 if self._transport is None else self.settings.concurrency
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self.settings.timeout),
            limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
            verify=self._verify,
            cookies=self._cookies,
            transport=self._transport,
            headers={"User-Agent": self.settings.user_agent},
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        """Close every connection; the client cannot be used afterwards."""
        await self._lanes.aclose()

    def pacing_stats(self) -> PacingStats:
        """Requests sent so far, 429s received, seconds held back, and the rate now."""
        return self.pacer.stats()

    async def settle(self, retry: int) -> None:
        """Wait before re-reading after :class:`UnknownOutcome`: a backoff delay, and at least
        one request timeout, so a write the server was still working on has time to land."""
        backoff = backoff_delay(retry, self.policy, self._rng)
        await self._sleep(max(backoff, self.settings.timeout))

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        target: str | None = None,
        classify: Classify | None = None,
        describe: Callable[[httpx.Response], str] | None = None,
    ) -> httpx.Response:
        """Send with retries; ``target`` names the request in messages (default: the path).
        The body is ``json`` or, form-encoded, ``data`` (an OAuth token request)."""
        method = method.upper()
        if params and "?" not in url and "#" not in url:
            # What httpx would send, without parsing the URL twice and merging QueryParams.
            url, params = f"{url}?{urlencode(params)}", None
        call = _Call(
            method=method,
            label=target or httpx.URL(url).path,
            idempotent=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
            classify=classify,
            describe=describe,
        )
        while True:
            try:
                response = await self._send(method, url, params, json, data, headers)
            except httpx.TransportError as error:
                delay = self._after_error(call, error)
            except httpx.RequestError as error:  # e.g. DecodingError: a body we cannot read
                if not call.idempotent:
                    raise UnknownOutcome(call.method, call.label, describe_error(error)) from None
                raise PsaError(
                    f"the PSA's answer to {call.method} {call.label} could not be read: "
                    f"{describe_error(error)}",
                    hint="a proxy in front of the PSA may be mangling responses",
                ) from None
            else:
                wait = self._after_response(call, response)
                if wait is None:
                    return response
                delay = wait
            call.retries, call.waited = call.retries + 1, call.waited + delay
            await self._sleep(delay)

    async def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        json: Any,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        async with self._slots:
            started = await self.pacer.acquire()
            with self._lanes.lane() as client:
                response = await client.request(
                    method, url, params=params, json=json, data=data, headers=headers
                )
            if response.status_code == 429:
                self.pacer.refused(started)
            else:
                self.pacer.answered(started)
            return response

    def _after_error(self, call: _Call, error: httpx.TransportError) -> float:
        """The wait before retrying after ``error``; raise when it must not be retried."""
        failure = tls_failure(error)
        if failure is not None:
            raise PsaError(
                f"the PSA's TLS certificate is not trusted ({failure.verify_message})",
                hint="set psa.ca_bundle to the CA that signed the server's certificate",
            ) from None
        if isinstance(error, HOPELESS):
            raise _unreachable(call, error) from None
        if classify_error(error, call.idempotent) == "unknown":
            raise UnknownOutcome(call.method, call.label, describe_error(error)) from None
        delay = backoff_delay(call.retries, self.policy, self._rng)
        if not self._may_retry(call, delay):
            raise _unreachable(call, error) from None
        logger.warning(
            "%s %s failed (%s); retrying", call.method, call.label, describe_error(error)
        )
        return delay

    def _after_response(self, call: _Call, response: httpx.Response) -> float | None:
        """The wait before retrying after ``response``; ``None`` to return it as it is."""
        status = response.status_code
        said = call.classify(response) if call.classify is not None else None
        action = said or classify_response(status, call.idempotent)
        if action == "unknown":
            excerpt = call.describe(response) if call.describe is not None else ""
            reason = f"HTTP {status}" + (f": {excerpt}" if excerpt else "")
            raise UnknownOutcome(call.method, call.label, reason)
        if action == "return":
            return None
        delay = backoff_delay(call.retries, self.policy, self._rng)
        if status == 429:
            asked = parse_retry_after(response.headers.get("Retry-After"), self._wall())
            delay = delay if asked is None else asked
            if delay > self.policy.max_retry_after:
                return None
        if not self._may_retry(call, delay):
            return None
        if status == 429:
            self.pacer.pause(delay)  # the server is throttling all of us, not one request
        logger.warning(
            "%s %s answered %s; retrying in %.1fs", call.method, call.label, status, delay
        )
        return delay

    def _may_retry(self, call: _Call, delay: float) -> bool:
        policy = self.policy
        return call.retries < policy.max_retries and call.waited + delay <= policy.max_total_wait


@dataclass
class _Call:
    """One logical request across its attempts."""

    method: str
    label: str
    idempotent: bool
    classify: Classify | None = None
    describe: Callable[[httpx.Response], str] | None = None
    retries: int = 0
    waited: float = 0.0


def _unreachable(call: _Call, error: httpx.TransportError) -> PsaError:
    attempts = f" after {call.retries + 1} attempts" if call.retries else ""
    return PsaError(
        f"could not reach the PSA for {call.method} {call.label}{attempts}: "
        f"{describe_error(error)}",
        hint="check the network and psa.site; raise psa.timeout if the PSA is just slow",
    )
