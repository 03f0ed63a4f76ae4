"""OAuth 2.0 client credentials: fetch an access token, reuse it until shortly before expiry.

Vendor-neutral: Sophos ID is the first user; any vendor issuing bearer tokens for a client id
and secret (form-encoded ``grant_type=client_credentials``) can use :func:`client_credentials`.

The token POST is retried like a PSA request (429 after ``Retry-After`` or backoff, 5xx and
failed connections with backoff, within the :class:`~psabill.psa.pacing.RetryPolicy` budget):
asking for a token twice changes nothing. It is sent here rather than through
:class:`~psabill.psa.http.HttpClient` because that client sends JSON bodies only. Neither the
secret nor the token appear in a message or a log line.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from psabill.psa.http import classify_error, classify_response, describe_error
from psabill.psa.pacing import RetryPolicy, Sleep, WallClock, backoff_delay, parse_retry_after

EXPIRY_MARGIN = timedelta(seconds=60)
"""A token this close to its expiry is renewed rather than used: a request must not carry a
token that expires while it travels or while a page is retried."""


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: datetime


class TokenCache:
    """Tokens by credential (a digest of where, who and the secret; the secret is not kept)."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(*parts: str) -> str:
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()

    async def get(
        self, key: str, now: datetime, fetch: Callable[[], Awaitable[tuple[str, float]]]
    ) -> str:
        """A cached token still valid past ``now`` + margin, else ``fetch()``'s (token,
        expires_in seconds), cached from ``now``."""
        with self._lock:
            cached = self._tokens.get(key)
        if cached is not None and now + EXPIRY_MARGIN < cached.expires_at:
            return cached.value
        value, expires_in = await fetch()
        with self._lock:
            self._tokens[key] = Token(value, now + timedelta(seconds=expires_in))
        return value

    def forget(self, key: str) -> None:
        """Drop a token the server refused, so the next request asks for a new one."""
        with self._lock:
            self._tokens.pop(key, None)


@dataclass(frozen=True)
class TokenRequest:
    url: str
    form: dict[str, str]
    timeout: float
    user_agent: str


async def post_form(
    request: TokenRequest, policy: RetryPolicy, sleep: Sleep, wall: WallClock
) -> httpx.Response:
    """POST the form with retries; the last response is returned, transport errors raise
    ``httpx.TransportError`` once the budget is spent."""
    rng = random.Random()  # noqa: S311 - jitter only
    retries, waited = 0, 0.0
    headers = {"User-Agent": request.user_agent, "Accept": "application/json"}
    async with httpx.AsyncClient(timeout=request.timeout, follow_redirects=False) as client:
        while True:
            delay = backoff_delay(retries, policy, rng)
            try:
                response = await client.post(request.url, data=request.form, headers=headers)
            except httpx.TransportError as error:
                if classify_error(error, idempotent=True) != "retry" or not _may(
                    policy, retries, waited, delay
                ):
                    raise
            else:
                if classify_response(response.status_code, idempotent=True) == "return":
                    return response
                if response.status_code == 429:
                    asked = parse_retry_after(response.headers.get("Retry-After"), wall())
                    delay = delay if asked is None else asked
                if delay > policy.max_retry_after or not _may(policy, retries, waited, delay):
                    return response
            retries, waited = retries + 1, waited + delay
            await sleep(delay)


def _may(policy: RetryPolicy, retries: int, waited: float, delay: float) -> bool:
    return retries < policy.max_retries and waited + delay <= policy.max_total_wait


def transport_reason(error: httpx.TransportError) -> str:
    return describe_error(error)
