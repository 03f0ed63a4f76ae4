"""What every transport shares: the envelope in, the delivery out.

Errors are :class:`~psabill.errors.MailError` (this message was not delivered;
try the next) and :class:`~psabill.errors.MailConnectionError` (the transport
itself is unusable: stop trying).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol


@dataclass(frozen=True)
class Envelope:
    """One message to deliver: envelope addresses, the RFC 5322 bytes, a file-safe name."""

    sender: str
    recipients: tuple[str, ...]
    message: bytes
    name: str


@dataclass(frozen=True)
class Delivery:
    """What the transport did with one message.

    ``refused`` recipients got a permanent (5xx) answer and will not get it;
    ``deferred`` ones a temporary (4xx) answer, worth trying again later.
    ``answer`` is the server's final reply, or the file written.
    """

    accepted: tuple[str, ...]
    answer: str
    refused: Mapping[str, str] = field(default_factory=dict)
    deferred: Mapping[str, str] = field(default_factory=dict)


class Session(Protocol):
    """An open transport: deliver messages one at a time, then close."""

    description: str

    def __enter__(self) -> Session: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def deliver(self, envelope: Envelope) -> Delivery: ...
