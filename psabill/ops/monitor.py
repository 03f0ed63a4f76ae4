"""Healthchecks-style monitoring pings: start, success, failure. A failed ping is a warning.

``[monitoring] ping_url`` is pinged with a GET: ``URL/start`` when a run
begins, ``URL`` when it succeeds (or finds nothing due: the hourly heartbeat)
and ``URL/fail`` when it fails. That is the Healthchecks.io protocol; any
service that takes a GET on those three URLs works.

A ping never fails a run, never raises and never waits longer than
``[monitoring] timeout`` per step (connect, send, read). Ping URLs carry a
secret token in their path, so what a warning (or an httpx log line at
``-v``) shows of the URL is only its scheme and host.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from psabill import __version__
from psabill.config.ops_models import Monitoring

_SUFFIX = {"start": "/start", "success": "", "fail": "/fail"}


def ping_target(url: str, state: str) -> str:
    """The URL to GET for ``state``: the Healthchecks ``/start`` and ``/fail`` suffixes."""
    return url.rstrip("/") + _SUFFIX[state]


def shown(url: str) -> str:
    """``url`` without its path, query or credentials: the part safe to print."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "the configured ping URL"
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    port = f":{parsed.port}" if parsed.port is not None else ""
    return f"{parsed.scheme}://{host}{port}"


def ping(monitoring: Monitoring, state: str) -> str | None:
    """Ping for ``state`` ("start", "success" or "fail"); return a warning, or None if fine."""
    if monitoring.ping_url is None:
        return None
    if state not in _SUFFIX:
        return f"monitoring: unknown ping state {state!r} (not sent)"
    url = ping_target(monitoring.ping_url, state)
    where = shown(monitoring.ping_url)
    try:
        with _redacted_logs(monitoring.ping_url, where):
            status = _get(url, float(monitoring.timeout))
    except httpx.TimeoutException:
        problem = f"no answer within {monitoring.timeout}s"
    except Exception as exc:  # a monitoring ping must never break a billing run
        problem = _describe(exc, monitoring.ping_url, where)
    else:
        if 200 <= status < 300:
            return None
        problem = f"HTTP {status}"
    return f"monitoring ping {state!r} to {where} failed: {problem} (the run itself is unaffected)"


def _get(url: str, timeout: float) -> int:
    headers = {"User-Agent": f"psabill/{__version__}"}
    with httpx.Client(timeout=timeout, follow_redirects=True, headers=headers) as client:
        return client.get(url).status_code


def _describe(exc: Exception, url: str, where: str) -> str:
    text = str(exc).replace(url.rstrip("/"), where + "/…")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Redact(logging.Filter):
    """Rewrites httpx's request log lines so the ping token never reaches a log."""

    def __init__(self, secret: str, shown: str) -> None:
        super().__init__()
        self._secret = secret.rstrip("/")
        self._shown = shown

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._secret in message:
            record.msg = message.replace(self._secret, self._shown + "/…")
            record.args = ()
        return True


@contextmanager
def _redacted_logs(secret: str, where: str) -> Iterator[None]:
    # httpx logs each request's full URL at INFO on its own logger; httpcore never logs paths.
    logger = logging.getLogger("httpx")
    redact = _Redact(secret, where)
    logger.addFilter(redact)
    try:
        yield
    finally:
        logger.removeFilter(redact)
