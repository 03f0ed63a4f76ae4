"""Run summaries to chat and alerting services (Slack, Teams, ntfy, ...) through Apprise URLs.

Same guarantees as mail: each message for each ``[notify] urls`` entry is an outbox row,
queued with the run's end and delivered (and retried) by the same flush. The ledger never
holds a URL: a row names its URL by a fingerprint (``apprise:`` and 16 hex digits of its
SHA-256), looked up in the configuration when it is sent. URLs carry tokens, so everything
psabill prints or logs shows them masked (:func:`mask_url`), and Apprise's own log lines
(which name full URLs) are kept out of psabill's log and scrubbed before use.

Apprise is imported only when a message for a URL is sent: without ``urls`` nothing here
costs anything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from psabill.errors import MailError
from psabill.notify.delivery import Delivery, Envelope

if TYPE_CHECKING:
    from datetime import datetime

    from psabill.config.models import Config
    from psabill.notify.compose import Composed
    from psabill.state import OutboxRecord

PREFIX = "apprise:"
SENDER = "psabill (apprise)"
MASK = "****"
_TYPES = {"good": "success", "warn": "warning", "bad": "failure", "info": "info"}
_QUIET = ("apprise", "urllib3", "requests", "requests_oauthlib", "markdown")
"""Loggers that would print a service URL (and its token) at psabill's -vv."""


def fingerprint(url: str) -> str:
    return PREFIX + hashlib.sha256(url.encode()).hexdigest()[:16]


def is_channel(record: OutboxRecord) -> bool:
    """Whether an outbox row goes to an Apprise URL rather than to mailboxes."""
    return bool(record.recipients) and record.recipients[0].startswith(PREFIX)


def mask_url(url: str) -> str:
    """The URL with everything that may be a secret replaced: ``ntfy://ntfy.sh/****``.

    The scheme stays, and the host when it looks like one (a name with a dot, ``localhost``
    or an address); users, passwords, paths and queries never show.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return f"{url.partition('://')[0]}://{MASK}"
    shown = host if ("." in host or host == "localhost" or ":" in host) else MASK
    if port is not None and shown != MASK:
        shown += f":{port}"
    who = f"{MASK}@" if parts.username or parts.password else ""
    rest = MASK if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{who}{shown}/{rest}"


def scrub(text: str, urls: Sequence[str]) -> str:
    """``text`` with every piece of ``urls`` their masks hide replaced by ``****``."""
    secrets: set[str] = set()
    for url in urls:
        shown = mask_url(url)
        secrets.add(url)
        secrets |= {p for p in re.split(r"[/:@?&=#,;]+", url) if len(p) >= 4 and p not in shown}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


@dataclass(frozen=True)
class ChannelMessage:
    """A summary for one Apprise URL, shaped like :class:`~psabill.notify.compose.Composed`
    for the outbox: the stored bytes are JSON (title, body, notification type)."""

    label: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    notify_type: str
    sender: str = SENDER

    def as_bytes(self) -> bytes:
        data = {"title": self.subject, "body": self.body, "type": self.notify_type}
        return json.dumps(data, ensure_ascii=False).encode()


def channel_messages(config: Config, composed: Sequence[Composed]) -> list[ChannelMessage]:
    """One message per team summary (run, plan, missed period) and ``[notify] urls`` entry;
    customers' own summaries stay mail only."""
    from psabill.notify.chat import chat_body

    found = []
    for item in composed:
        summary = item.summary
        if summary is None or summary.kind == "customer":
            continue
        tone = summary.banner.tone if summary.banner else "info"
        for secret in config.notify.urls:
            url = secret.get_secret_value()
            found.append(
                ChannelMessage(
                    "summary notification",
                    (fingerprint(url),),
                    item.subject,
                    chat_body(summary),
                    _TYPES[tone],
                )
            )
    return found


def test_envelope(config: Config, url: str, now: datetime) -> Envelope:
    """What ``psabill notify test`` sends to ``url``: a short message through the same path
    a summary takes."""
    account = config.account.name
    data = {
        "title": f"psabill: test notification for {account}",
        "body": f"psabill can reach this channel ({now:%Y-%m-%d %H:%M} UTC); run summaries "
        "for this account will arrive here.",
        "type": "info",
    }
    message = json.dumps(data, ensure_ascii=False).encode()
    return Envelope(SENDER, (fingerprint(url),), message, f"{now:%Y%m%dT%H%M%SZ}-test")


class AppriseSession:
    """Delivers outbox rows to the configured URLs, one row (one URL) at a time.

    A row whose URL left the configuration is dropped with a warning, the way a mail server's
    permanent refusal is: it could never be delivered.
    """

    def __init__(self, urls: Sequence[str], timeout: float = 30) -> None:
        self.urls = {fingerprint(url): url for url in urls}
        self.timeout = timeout
        self.description = f"Apprise ({len(self.urls)} {'URL' if len(urls) == 1 else 'URLs'})"

    def __enter__(self) -> AppriseSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def deliver(self, envelope: Envelope) -> Delivery:
        key = envelope.recipients[0]
        url = self.urls.get(key)
        if url is None:
            why = "its URL is no longer in [notify] urls"
            return Delivery(accepted=(), answer=why, refused={key: why})
        data = json.loads(envelope.message)
        with _quiet_logs() as captured:
            ok = _send(url, data, self.timeout)
        if not ok:
            reason = scrub(_last_warning(captured()), [url]) or "the service refused it"
            raise MailError(
                f"{mask_url(url)}: {reason}", hint="check the service and [notify] urls"
            )
        return Delivery(accepted=(mask_url(url),), answer="delivered")


def _send(url: str, data: dict[str, Any], timeout: float) -> bool:
    import apprise  # only here: a run without [notify] urls never loads it

    service = apprise.Apprise()
    if not service.add(url):
        return False
    result = service.notify(
        body=data["body"], title=data["title"], notify_type=data["type"], timeout=timeout
    )
    return bool(result)


@contextmanager
def _quiet_logs() -> Iterator[Any]:
    """Keep Apprise's and its HTTP stack's log lines (full URLs) out of psabill's log; yield
    a callable returning what Apprise logged at WARNING and above."""
    loggers = [logging.getLogger(name) for name in _QUIET]
    before = [logger.propagate for logger in loggers]
    level = loggers[0].level
    handler = _Collect()
    loggers[0].addHandler(handler)
    loggers[0].setLevel(logging.WARNING)
    for logger in loggers:
        logger.propagate = False
    try:
        yield lambda: handler.lines
    finally:
        loggers[0].removeHandler(handler)
        loggers[0].setLevel(level)
        for logger, old in zip(loggers, before, strict=True):
            logger.propagate = old


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _last_warning(lines: list[str]) -> str:
    return lines[-1].rstrip(".") if lines else ""
