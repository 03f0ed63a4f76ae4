"""``transport = "folder"``: write each message as an ``.eml`` file instead of sending it.

For the demo and for anyone without a mail server: any mail client opens the
files. A file appears whole or not at all (written beside it, then renamed),
mode 0600 in a 0700 folder, since summaries name customers and quantities.
Its name comes from the outbox record, so writing the same message again
replaces the file rather than adding a second one.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from psabill.errors import MailConnectionError
from psabill.notify.delivery import Delivery, Envelope

FILE_MODE = 0o600
DIR_MODE = 0o700


class FolderSession:
    """Writes into ``folder``; MailConnectionError if it cannot be created or written."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.description = f"folder {folder}"

    def __enter__(self) -> FolderSession:
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        except OSError as exc:
            raise self._error("create", exc) from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def deliver(self, envelope: Envelope) -> Delivery:
        target = self.folder / f"{envelope.name}.eml"
        temporary = self.folder / f".{envelope.name}.eml.{os.getpid()}.tmp"
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
            with os.fdopen(os.open(temporary, flags, FILE_MODE), "wb") as file:
                file.write(envelope.message)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise self._error("write to", exc) from exc
        return Delivery(envelope.recipients, str(target))

    def _error(self, verb: str, exc: OSError) -> MailConnectionError:
        return MailConnectionError(
            f"cannot {verb} the mail folder {self.folder}: {exc.strerror or exc}",
            hint="check [notify] folder and that this user may write there",
        )
