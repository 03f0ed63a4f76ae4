"""Queue every message in the ledger's outbox first, then deliver whatever is pending.

Why the outbox: a run's summary must survive an SMTP outage, a refused
login or a crash right after the sync. So a message is stored (as its final
bytes) before any delivery is tried; a failed delivery leaves it pending for
the next invocation or `psabill notify flush`.

Why a message is never sent twice: it is marked sent in the ledger right
after the server accepts it, before the next one is tried, and flushes hold
an exclusive ``flock`` on ``outbox.lock`` in the state directory, so two
processes never deliver the same pending message. (A crash in the instant
between the server's "250" and that mark would resend it; the stored bytes
keep their Message-ID, so mail systems can still tell it is the same.)
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from psabill.config.loader import LoadedConfig
from psabill.errors import MailConnectionError, MailError, StateError
from psabill.notify.apprise_channel import ChannelMessage, is_channel
from psabill.notify.compose import Composed
from psabill.notify.delivery import Delivery, Envelope, Session
from psabill.notify.folder import FolderSession
from psabill.notify.smtp import SmtpSession
from psabill.state import Ledger, OutboxRecord, ensure_private_dir

OUTBOX_LOCK = "outbox.lock"
log = logging.getLogger("psabill.notify")


def open_session(loaded: LoadedConfig) -> Session:
    """The configured transport, not yet opened (use it with ``with``)."""
    notify = loaded.config.notify
    if notify.transport == "folder":
        if notify.folder is None:
            raise MailConnectionError(
                'transport = "folder" but [notify] folder is not set',
                hint='add e.g. folder = "mail" under [notify] (relative to the config file)',
            )
        return FolderSession(loaded.base_dir / notify.folder)
    return SmtpSession(loaded.config.smtp, loaded.base_dir)


@dataclass(frozen=True)
class Attempt:
    """What one flush did with one pending message."""

    record: OutboxRecord
    delivery: Delivery | None = None
    error: MailError | None = None
    retry_id: int | None = None
    """Outbox id of the copy queued for recipients that answered "try later" (4xx)."""


@dataclass
class FlushResult:
    transport: str = ""
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def sent(self) -> list[Attempt]:
        return [a for a in self.attempts if a.delivery is not None]

    @property
    def failed(self) -> list[Attempt]:
        return [a for a in self.attempts if a.error is not None]


def enqueue(
    ledger: Ledger,
    messages: Sequence[Composed | ChannelMessage],
    run_id: int | None,
    now: datetime,
) -> dict[int, Composed | ChannelMessage]:
    """Store each message in the outbox; return them by outbox id."""
    queued = {}
    for composed in messages:
        outbox_id = ledger.outbox_add(
            run_id=run_id,
            sender=composed.sender,
            recipients=composed.recipients,
            subject=composed.subject,
            message=composed.as_bytes(),
            created_at=now,
        )
        queued[outbox_id] = composed
    return queued


def flush(
    ledger: Ledger,
    session: Callable[[], Session],
    state_dir: Path,
    now: datetime,
    channels: Callable[[], Session] | None = None,
) -> FlushResult:
    """Deliver every pending message, oldest first, marking each sent or failed at once.

    A transport that cannot be opened (server down, login refused) marks every
    pending message failed with that reason; they stay pending. Rows for Apprise URLs
    go through ``channels`` (left pending without it), so a mail outage never holds
    back a chat message nor the other way round.
    """
    result = FlushResult()
    with _outbox_lock(state_dir):
        pending = ledger.outbox_pending()
        chat = [r for r in pending if is_channel(r)]
        if chat and channels is not None:
            result.attempts += _send_all(ledger, channels, chat, now)[1]
        mail = [r for r in pending if not is_channel(r)]
        if mail:
            result.transport, attempts = _send_all(ledger, session, mail, now)
            result.attempts += attempts
    return result


def _send_all(
    ledger: Ledger, session: Callable[[], Session], pending: list[OutboxRecord], now: datetime
) -> tuple[str, list[Attempt]]:
    """Deliver ``pending`` over one session; a broken transport fails the rest at once."""
    attempts: list[Attempt] = []
    description = ""
    try:
        with session() as opened:
            description = opened.description
            for record in pending:
                attempts.append(_deliver(ledger, opened, record, now))
                if isinstance(attempts[-1].error, MailConnectionError):
                    break
    except MailConnectionError as exc:
        if not attempts:
            attempts.append(_failed(ledger, pending[0], exc, now))
    tried = {a.record.id for a in attempts}
    broken = attempts[-1].error if attempts else None
    if isinstance(broken, MailConnectionError):
        attempts += [_failed(ledger, r, broken, now) for r in pending if r.id not in tried]
    return description, attempts


def _deliver(ledger: Ledger, session: Session, record: OutboxRecord, now: datetime) -> Attempt:
    envelope = Envelope(record.sender, record.recipients, record.message, file_name(record))
    try:
        delivery = session.deliver(envelope)
    except MailError as exc:
        return _failed(ledger, record, exc, now)
    ledger.outbox_mark_sent(record.id, at=now)
    log.debug("outbox message %d delivered: %s", record.id, delivery.answer)
    for rcpt, answer in delivery.refused.items():
        log.warning("outbox message %d: %s refused it for good: %s", record.id, rcpt, answer)
    retry_id = None
    if delivery.deferred:
        retry_id = ledger.outbox_add(
            run_id=record.run_id,
            sender=record.sender,
            recipients=list(delivery.deferred),
            subject=record.subject,
            message=record.message,
            created_at=now,
        )
    return Attempt(record, delivery=delivery, retry_id=retry_id)


def _failed(ledger: Ledger, record: OutboxRecord, error: MailError, now: datetime) -> Attempt:
    ledger.outbox_mark_failed(record.id, error=error.message, at=now)
    log.info("outbox message %d (%s) not delivered: %s", record.id, record.subject, error)
    return Attempt(record, error=error)


def file_name(record: OutboxRecord) -> str:
    """``<created, UTC>-run<run>-<outbox id>``: unique, sortable, the same on every retry."""
    return f"{record.created_at:%Y%m%dT%H%M%SZ}-run{record.run_id or 0}-{record.id}"


@contextmanager
def _outbox_lock(state_dir: Path) -> Iterator[None]:
    """Exclusive while flushing; waits for another flush (bounded by its SMTP timeouts)."""
    path = ensure_private_dir(state_dir) / OUTBOX_LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise StateError(
            f"cannot open the outbox lock {path}: {exc.strerror or exc}",
            hint=f"check that {state_dir} is writable by this user",
        ) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
