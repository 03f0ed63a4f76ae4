"""Building a PSA adapter's :class:`~psabill.psa.http.HttpClient` from its ``[psa]`` section
(timeouts, pacing, retries, TLS), and the gist of an error body an adapter may quote. One
place, so the three adapters cannot drift apart on any of them.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time

import httpx

from psabill.config.connection_models import PsaCommon
from psabill.errors import ConfigError
from psabill.psa.http import HttpClient, HttpSettings
from psabill.psa.pacing import Monotonic, RetryPolicy, Sleep, WallClock, utc_now

EXCERPT = 200
"""Characters of an error body kept in an :class:`~psabill.errors.UnknownOutcome` message."""


def psa_http(
    psa: PsaCommon,
    name: str,
    *,
    policy: RetryPolicy | None = None,
    timeout: float | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep = asyncio.sleep,
    monotonic: Monotonic = time.monotonic,
    wall: WallClock = utc_now,
    rng: random.Random | None = None,
) -> HttpClient:
    """The HTTP client for ``psa`` (its timeout, concurrency, pacing, retries and CA bundle),
    identifying itself as ``psabill (name)``. ``timeout`` overrides ``psa.timeout`` and the
    rest exist for tests (an ``httpx.MockTransport``, a fake clock)."""
    settings = HttpSettings(
        timeout=float(psa.timeout) if timeout is None else timeout,
        concurrency=psa.concurrency,
        rate_limit=psa.rate_ceiling,
        verify=tls_setting(psa),
        policy=policy or RetryPolicy(max_retries=psa.retries),
        user_agent=f"psabill ({name})",
    )
    return HttpClient(
        settings, transport=transport, sleep=sleep, monotonic=monotonic, wall=wall, rng=rng
    )


def tls_setting(psa: PsaCommon) -> ssl.SSLContext | bool:
    """Verify against the system's CAs, or ``psa.ca_bundle``'s; ConfigError if unusable."""
    if psa.ca_bundle is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(psa.ca_bundle))
    except (OSError, ssl.SSLError) as error:
        raise ConfigError(
            f"psa.ca_bundle {str(psa.ca_bundle)!r} cannot be used: {error}",
            hint="point psa.ca_bundle at a readable PEM file of CA certificates",
        ) from None


def body_excerpt(response: httpx.Response) -> str:
    """The gist of an error body, for a message: a JSON ``errors`` list (Autotask) or
    ``message``, or plain text; nothing for HTML pages or other content. At most
    :data:`EXCERPT` characters, on one line."""
    kind = response.headers.get("Content-Type", "").lower()
    text = ""
    if "json" in kind:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            errors, message = payload.get("errors"), payload.get("message")
            if isinstance(errors, list) and errors:
                text = "; ".join(str(e) for e in errors)
            elif isinstance(message, str):
                text = message
    elif kind.startswith("text/plain"):
        text = response.text
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"
