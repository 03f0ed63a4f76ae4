"""The run lock: an OS-level ``flock`` so two psabill runs never overlap.

Why ``flock`` and not a PID file: the kernel releases an ``flock`` when its
holder dies, however it dies (``kill -9``, OOM killer, power loss), so a
crashed run can never leave a lock behind that blocks the next billing run,
and there is no "is that PID still alive?" guessing. The file's *contents*
(pid, host, start time) are only for telling the user who holds it.

The lock file is never deleted: unlinking a file that another process has
just opened and is about to ``flock`` would let two processes each hold a
lock on a different inode of the "same" path.
"""

from __future__ import annotations

import fcntl
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from psabill.errors import LockedError, StateError
from psabill.state.paths import ensure_private_dir

LOCK_FILENAME = "psabill.lock"
LOCK_FILE_MODE = 0o600
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_MAX_HOLDER_BYTES = 4096
_LOCKED_HINT = (
    "wait for it to finish; a lock left by a killed process is released by the OS automatically"
)


def lock_path(state_dir: Path) -> Path:
    """Where the run lock lives in a state directory."""
    return state_dir / LOCK_FILENAME


@dataclass(frozen=True)
class LockHolder:
    """Who wrote the lock file last, as recorded in it.

    Informative only: if that process was killed, the file still names it
    while the lock itself is already free.
    """

    pid: int
    host: str
    started: datetime | None

    def describe(self) -> str:
        """``PID 1234 on host, started 2026-11-22T06:00:03Z``."""
        text = f"PID {self.pid} on {self.host}"
        if self.started is not None:
            text += f", started {self.started.strftime(_TIME_FORMAT)}"
        return text


def format_holder(pid: int, host: str, started: datetime) -> str:
    """The lock file's one line, in the format :func:`parse_holder` reads."""
    return f"pid={pid} host={host} started={started.astimezone(UTC).strftime(_TIME_FORMAT)}\n"


def parse_holder(text: str) -> LockHolder | None:
    """Parse a lock file's contents; ``None`` if empty or unreadable (never raises)."""
    fields: dict[str, str] = {}
    for token in text.split():
        key, _, value = token.partition("=")
        fields[key] = value
    try:
        pid = int(fields["pid"])
    except (KeyError, ValueError):
        return None
    try:
        started: datetime | None = datetime.strptime(fields.get("started", ""), _TIME_FORMAT)
    except ValueError:
        started = None
    return LockHolder(
        pid=pid,
        host=fields.get("host") or "unknown host",
        started=started.replace(tzinfo=UTC) if started is not None else None,
    )


class RunLock:
    """An exclusive, non-blocking lock on one file, held from ``acquire`` to ``release``.

    Not re-entrant: acquiring twice through the same object is a programming
    error. Two ``RunLock`` objects on the same path exclude each other even in
    one process, because ``flock`` belongs to the open file, not the process.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object currently holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock at once or raise :class:`LockedError` naming the holder.

        Never waits: a scheduled run that finds another one running should
        exit (EX_TEMPFAIL) and let the scheduler try again, not pile up.
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already locked by this RunLock")
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = parse_holder(_read_holder_line(fd))
            os.close(fd)
            who = f" ({holder.describe()})" if holder is not None else ""
            raise LockedError(
                f"another psabill run holds the lock {self.path}{who}", hint=_LOCKED_HINT
            ) from None
        except OSError as exc:
            os.close(fd)
            raise self._state_error("lock", exc) from exc
        self._fd = fd
        try:
            self._write_holder(fd)
        except OSError as exc:
            self.release()
            raise self._state_error("write", exc) from exc

    def release(self) -> None:
        """Give the lock up; a no-op if not held.

        The holder line is cleared while still locked, so a free lock reads
        as empty rather than naming the last holder.
        """
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass  # Cosmetic only; closing below is what releases the lock.
        finally:
            os.close(fd)

    def holder(self) -> LockHolder | None:
        """Who the lock file names, for display; ``None`` if it names no one.

        This reads the file without locking, so it can be stale (see
        :class:`LockHolder`); use :meth:`acquire` to find out if the lock is free.
        """
        try:
            return parse_holder(self.path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def _open(self) -> int:
        ensure_private_dir(self.path.parent)
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, LOCK_FILE_MODE)
        except OSError as exc:
            raise self._state_error("open", exc) from exc

    def _write_holder(self, fd: int) -> None:
        line = format_holder(os.getpid(), socket.gethostname(), datetime.now(UTC))
        os.ftruncate(fd, 0)
        os.pwrite(fd, line.encode("utf-8"), 0)
        os.fsync(fd)

    def _state_error(self, verb: str, exc: OSError) -> StateError:
        return StateError(
            f"cannot {verb} the lock file {self.path}: {exc.strerror or exc}",
            hint=f"check that {self.path.parent} is writable by this user and its disk is not full",
        )


def _read_holder_line(fd: int) -> str:
    """The holder line via our open descriptor; "" if unreadable (it is only for display)."""
    try:
        return os.pread(fd, _MAX_HOLDER_BYTES, 0).decode("utf-8", errors="replace")
    except OSError:
        return ""
