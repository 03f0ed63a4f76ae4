"""OAuth 2.0 client credentials: fetch an access token, reuse it until shortly before expiry.

Vendor-neutral: Sophos ID is the first user; any vendor issuing bearer tokens for a client id
and secret (form-encoded ``grant_type=client_credentials``) can use :func:`client_credentials`.

The token POST goes through :meth:`~psabill.sources.vendors.session.VendorSession.post_form`,
so it is retried like a PSA request (asking for a token twice changes nothing). Neither the
secret nor the token appear in a message or a log line.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

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
