"""How :class:`~psabill.psa.http.HttpClient` reads one attempt's answer or error: retry it,
return it, or call the outcome unknown (the table in :mod:`psabill.psa.http`), and how an
error is named in a message without the request (its headers hold credentials).
"""

from __future__ import annotations

import ssl
from typing import Literal

import httpx

NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
HOPELESS = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)
Action = Literal["return", "retry", "unknown"]


def classify_response(status: int, idempotent: bool) -> Action:
    if status == 429:
        return "retry"
    if status >= 500:
        return "retry" if idempotent else "unknown"
    return "return"


def classify_error(error: httpx.TransportError, idempotent: bool) -> Action:
    if isinstance(error, NOT_SENT):
        return "retry"
    return "retry" if idempotent else "unknown"


def describe_error(error: httpx.RequestError) -> str:
    """A short cause for a message; never the request (its headers hold credentials)."""
    text = str(error).strip()
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def tls_failure(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate-verification error behind ``error``, if that is what it is."""
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
