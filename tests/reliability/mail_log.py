"""A folder mail transport that also logs every delivery, so a test can count them.

``transport = "folder"`` names each file after its outbox record, so a message
delivered twice overwrites its own file: the folder alone cannot show a
duplicate. The log can: one line per delivery, appended whole.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from types import TracebackType

from psabill.notify.delivery import Delivery, Envelope
from psabill.notify.folder import FolderSession


class LoggedFolder:
    """A mail :class:`~psabill.notify.delivery.Session`: files in ``folder``, a line in ``log``."""

    def __init__(self, folder: Path, log: Path) -> None:
        self._folder = FolderSession(folder)
        self._log = log
        self.description = f"{self._folder.description}, logged to {log}"

    def __enter__(self) -> LoggedFolder:
        self._folder.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._folder.__exit__(exc_type, exc, tb)

    def deliver(self, envelope: Envelope) -> Delivery:
        delivery = self._folder.deliver(envelope)
        fd = os.open(self._log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, f"{envelope.name}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return delivery


def deliveries(log: Path) -> Counter[str]:
    """How often each message (by file name) was delivered."""
    if not log.exists():
        return Counter()
    return Counter(log.read_text(encoding="utf-8").split())
