"""What happened to each summary message, as data the CLI renders (never strings to parse).

``text`` is the sentence a person reads; ``problem`` says whether it belongs on
stderr as a warning. ``str(event)`` is the one-line form with a ``warning:``
prefix for problems, as logs and tests see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from psabill.errors import MailError
from psabill.notify.apprise_channel import is_channel
from psabill.notify.dispatch import Attempt, FlushResult

MailStatus = Literal["sent", "written", "queued", "not_queued"]
"""``sent`` over SMTP; ``written`` as a file (folder transport); ``queued``: delivery
failed and the message waits in the outbox; ``not_queued``: no message was made at all."""


@dataclass(frozen=True)
class MailEvent:
    label: str
    status: MailStatus
    recipients: tuple[str, ...] = ()
    """Who accepted it (``sent``)."""
    file: str = ""
    """The file written (``written``)."""
    reason: str = ""
    """Why it is ``queued`` or ``not_queued``."""
    hint: str | None = None
    via: str = "SMTP"
    """What failed for a ``queued`` message: ``SMTP``, ``writing the file`` or ``Apprise``."""
    refused: Mapping[str, str] = field(default_factory=dict)
    deferred: Mapping[str, str] = field(default_factory=dict)

    @property
    def problem(self) -> bool:
        return self.status in ("queued", "not_queued")

    @property
    def failure(self) -> str:
        """What went wrong with a ``queued`` message, with the hint."""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.via} failed: {self.reason}{hint}"

    @property
    def text(self) -> str:
        if self.status == "not_queued":
            return f"{self.label}: {self.reason}"
        if self.status == "queued":
            return (
                f"{self.label} queued in the outbox ({self.failure}); "
                "`psabill notify flush` resends it"
            )
        if self.status == "written":
            return f"{self.label} written to {self.file} (transport = folder)"
        text = f"{self.label} sent to {', '.join(self.recipients)}"
        if not self.recipients:
            text = f"{self.label} not sent"
        for rcpt, answer in self.refused.items():
            text += f"; refused for {rcpt} ({answer}), who will not get it"
        for rcpt, answer in self.deferred.items():
            text += f"; deferred for {rcpt} ({answer}), kept in the outbox to retry"
        return text

    def __str__(self) -> str:
        return f"warning: {self.text}" if self.problem else self.text


def not_queued(reason: str) -> MailEvent:
    """No summary was made or stored (a config or ledger problem, or a bug)."""
    return MailEvent("no summary email", "not_queued", reason=reason)


def events_of(result: FlushResult, labels: Mapping[int, str] | None = None) -> list[MailEvent]:
    """One event per message a flush tried; ``labels`` name this run's messages, others go by
    outbox id."""
    labels = labels or {}
    folder = result.transport.startswith("folder")
    return [_event(attempt, labels, folder=folder) for attempt in result.attempts]


def _event(attempt: Attempt, labels: Mapping[int, str], *, folder: bool) -> MailEvent:
    record = attempt.record
    label = labels.get(record.id) or f"outbox message #{record.id} ({record.subject})"
    channel = is_channel(record)
    if attempt.error is not None:
        return _queued(label, attempt.error, via="Apprise" if channel else None, folder=folder)
    delivery = attempt.delivery
    assert delivery is not None
    if folder and not channel:
        return MailEvent(label, "written", file=delivery.answer)
    return MailEvent(
        label,
        "sent",
        recipients=delivery.accepted,
        refused=dict(delivery.refused),
        deferred=dict(delivery.deferred),
    )


def _queued(label: str, error: MailError, *, via: str | None, folder: bool) -> MailEvent:
    via = via or ("writing the file" if folder else "SMTP")
    return MailEvent(label, "queued", reason=error.message, hint=error.hint, via=via)
