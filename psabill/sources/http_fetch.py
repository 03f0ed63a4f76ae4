"""Fetch JSON usage with one HTTP GET.

Plain ``http://`` is refused before any connection unless the host is loopback,
because the bearer token would travel in clear text. Redirects are not
followed (a redirect could send the token elsewhere). The token only ever goes
into the ``Authorization`` header; messages show the URL without its query
string or user info, and are scrubbed of the token as a last safeguard.

Requests to a loopback host ignore proxy settings of the environment; others
honour them (``HTTPS_PROXY``, ``NO_PROXY``, ``SSL_CERT_FILE``) as curl would.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import SplitResult, urlsplit

import httpx

from psabill import __version__
from psabill.config.fields import is_loopback
from psabill.config.source_models import HttpSource
from psabill.errors import SourceError

_HTTP_LOGGERS = ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.proxy")
MAX_BODY = 64 * 1024 * 1024
"""A usage document larger than this is taken as a wrong endpoint, not read into memory."""


def fetch(source: HttpSource) -> tuple[bytes, str]:
    """GET the source URL; return the body and its Content-Type. Failures raise SourceError."""
    label = f"http {source.name}"
    try:
        parts = urlsplit(source.url)
    except ValueError as exc:  # e.g. "Invalid IPv6 URL"
        raise SourceError(f"{label}: the url is not valid: {exc}") from None
    shown = display_url(parts)
    loopback = is_loopback(parts.hostname or "")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise SourceError(
            f"{label}: {shown}: https:// is required (plain http only for a loopback host)",
            hint="change the url of this source to https://",
        )
    headers = {"Accept": "application/json", "User-Agent": f"psabill/{__version__}"}
    token = _token(source, label)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with _scrubbed_logs({token: "***", source.url: shown, str(httpx.URL(source.url)): shown}):
            return _get(source, headers, shown, label, trust_env=not loopback)
    except SourceError as exc:
        raise SourceError(_scrub(exc.message, token), hint=exc.hint) from None
    except httpx.TimeoutException:
        raise SourceError(f"{label}: {shown}: timed out after {source.timeout} s") from None
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        reason = _scrub(str(exc) or type(exc).__name__, token)
        raise SourceError(
            f"{label}: cannot get {shown}: {reason}",
            hint="check the url and that the service is reachable from this machine",
        ) from None


def _get(
    source: HttpSource, headers: dict[str, str], shown: str, label: str, *, trust_env: bool
) -> tuple[bytes, str]:
    with (
        httpx.Client(timeout=source.timeout, trust_env=trust_env, follow_redirects=False) as client,
        client.stream("GET", source.url, headers=headers) as response,
    ):
        if not response.is_success:
            raise SourceError(f"{label}: {shown}: {_refusal(response)}", hint=_hint(response))
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_BODY:
                raise SourceError(f"{label}: {shown}: response larger than {MAX_BODY:,} bytes")
        return bytes(body), response.headers.get("content-type", "")


def _token(source: HttpSource, label: str) -> str:
    if source.token is None:
        return ""
    token = source.token.get_secret_value()
    if not token.strip():
        raise SourceError(
            f"{label}: token is empty", hint="check the variable or file the token refers to"
        )
    if not (token.isascii() and token.isprintable()):
        raise SourceError(
            f"{label}: token has characters an HTTP header cannot carry",
            hint="check for a stray line break or non-ASCII character in the token",
        )
    return token.strip()


def _refusal(response: httpx.Response) -> str:
    text = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    if response.is_redirect and "location" in response.headers:
        where = display_url(urlsplit(response.headers["location"]))
        text += f" to {where} (redirects are not followed)"
    return text


def _hint(response: httpx.Response) -> str | None:
    if response.status_code in (401, 403):
        return "check the token of this source"
    if response.is_redirect:
        return "set the url of this source to the address it redirects to"
    return None


def display_url(parts: SplitResult) -> str:
    """The URL without user info, query or fragment: what a message may safely show."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    scheme = f"{parts.scheme}://" if parts.scheme else ""
    return f"{scheme}{host}{port}{parts.path}"


class _ScrubRecords(logging.Filter):
    """Rewrites log records that hold a secret: httpx logs each request's full URL (query
    included) at INFO, httpcore raw response headers at DEBUG, where a server may echo the token."""

    def __init__(self, replacements: dict[str, str]) -> None:
        super().__init__()
        self._pairs = sorted(
            ((k, v) for k, v in replacements.items() if k), key=lambda p: -len(p[0])
        )

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = message
        for secret, shown in self._pairs:
            cleaned = cleaned.replace(secret, shown)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


@contextmanager
def _scrubbed_logs(replacements: dict[str, str]) -> Iterator[None]:
    # A logger's filters see only its own records, not its children's: name each one.
    loggers = [logging.getLogger(name) for name in _HTTP_LOGGERS]
    scrub = _ScrubRecords(replacements)
    for logger in loggers:
        logger.addFilter(scrub)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(scrub)


def _scrub(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text
