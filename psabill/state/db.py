"""SQLite plumbing for the ledger: connection settings, transactions, codecs, errors.

Kept apart from :mod:`psabill.state.ledger` so the migrations and the tests
can open a connection configured exactly like the ledger's.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from psabill.errors import StateError

DB_FILE_MODE = 0o600
BUSY_TIMEOUT_MS = 15_000
"""How long a write waits for another process's transaction. Ours last milliseconds,
so hitting this means something is stuck, and the user should hear about it."""


_NOT_A_LEDGER_HINT = (
    "if {path} is psabill's ledger, restore it from a backup; otherwise point --state-dir "
    "(or PSABILL_STATE_DIR) at psabill's own state directory"
)
_CORRUPT_HINT = (
    "restore {path} from a backup; moving it aside starts an empty ledger, which forgets "
    "which billing periods were already synced"
)
_WRITABLE_HINT = "check that {dir} and the files in it are writable by this user"
_HINTS: tuple[tuple[str, str], ...] = (
    ("SQLITE_BUSY", "another psabill process is using the ledger; try again when it is done"),
    ("SQLITE_LOCKED", "another psabill process is using the ledger; try again when it is done"),
    ("SQLITE_NOTADB", "{path} is not a psabill ledger or is damaged: " + _CORRUPT_HINT),
    ("SQLITE_CORRUPT", "the ledger is damaged: " + _CORRUPT_HINT),
    ("SQLITE_FULL", "the disk holding {dir} is full; free some space and run again"),
    ("SQLITE_READONLY", _WRITABLE_HINT),
    ("SQLITE_CANTOPEN", _WRITABLE_HINT),
    ("SQLITE_PERM", _WRITABLE_HINT),
    ("SQLITE_IOERR", "the disk holding {dir} reported an I/O error; check it before running again"),
)


def create_ledger_file(path: Path) -> None:
    """Create an empty SQLite database at ``path`` (mode 0600), unless something is there.

    The file is built under a temporary name and linked into place, so the
    ledger's name never holds a 0-byte file, not even for an instant or after
    a crash: :func:`check_sqlite_header` can then refuse an empty file as a
    lost history instead of starting over. When another process creates the
    ledger first, its file is kept and ours dropped.
    """
    if path.exists():
        return
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
        os.fchmod(handle, DB_FILE_MODE)  # SQLite gives its -wal and -shm files the same mode
        os.close(handle)
        try:
            with translate_errors(path, "create it"):
                connect(Path(name)).close()  # switching to WAL writes the header page
            _link_unless_exists(Path(name), path)
        finally:
            for leftover in (name, name + "-wal", name + "-shm"):
                Path(leftover).unlink(missing_ok=True)
    except OSError as exc:
        raise StateError(
            f"cannot create the ledger {path}: {exc.strerror or exc}",
            hint=_WRITABLE_HINT.format(dir=path.parent),
        ) from exc


def _link_unless_exists(temp: Path, path: Path) -> None:
    try:
        os.link(temp, path)
    except FileExistsError:
        pass  # another process created it first: theirs is the ledger
    except OSError:
        if not path.exists():  # a filesystem without hard links (some network and FUSE ones)
            os.rename(temp, path)


SQLITE_HEADER = b"SQLite format 3\x00"


def check_sqlite_header(path: Path) -> None:
    """Refuse an empty file, or one that does not start like an SQLite database.

    SQLite itself treats a file shorter than one page as a new, empty database
    and would overwrite it; a stray file under the ledger's name must be
    reported instead. psabill never leaves the ledger empty
    (:func:`create_ledger_file`), so a 0-byte ledger lost its history: it is
    refused like a damaged one, and only a *missing* ledger starts afresh. A
    main file that does not start like SQLite is accepted while a ``-wal``
    file holds data.
    """
    wal = path.with_name(path.name + "-wal")
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
        wal_size = wal.stat().st_size if wal.exists() else 0
    except OSError as exc:
        raise StateError(
            f"cannot read the ledger {path}: {exc.strerror or exc}",
            hint=f"check that {path} is readable by this user",
        ) from exc
    if not head:
        raise StateError(
            f"ledger {path} is empty (0 bytes): the record of earlier runs is gone",
            hint=_CORRUPT_HINT.format(path=path),
        )
    if head != SQLITE_HEADER and wal_size == 0:
        raise StateError(
            f"{path} is not an SQLite database, so not a psabill ledger",
            hint=_NOT_A_LEDGER_HINT.format(path=path),
        )


def connect(path: Path) -> sqlite3.Connection:
    """Open ``path`` in autocommit mode with the ledger's pragmas.

    WAL so readers (``psabill history``) never block a run; ``synchronous=FULL``
    because a committed billing record must survive a power cut; transactions
    are explicit (:func:`transaction`). Raises ``sqlite3.Error`` (for example on
    a file that is not SQLite); callers translate it with :func:`translate_errors`.
    """
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    conn.row_factory = sqlite3.Row
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: all of the block's statements commit, or none do.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so a concurrent writer
    waits (busy timeout) instead of failing halfway when a read upgrades to a
    write. A crash at any point leaves the ledger as it was before the block.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


def state_error(path: Path, doing: str, exc: sqlite3.Error) -> StateError:
    """A user-facing error for a failed SQLite call, with a hint chosen by SQLite's error code."""
    name = getattr(exc, "sqlite_errorname", "")
    hint = next(
        (text for prefix, text in _HINTS if name.startswith(prefix)),
        "check the ledger file {path} and the disk it is on",
    )
    return StateError(
        f"ledger {path}: cannot {doing}: {exc}",
        hint=hint.format(path=path, dir=path.parent),
    )


@contextmanager
def translate_errors(path: Path, doing: str) -> Iterator[None]:
    """Turn any ``sqlite3.Error`` raised in the block into :class:`StateError`."""
    try:
        yield
    except sqlite3.Error as exc:
        raise state_error(path, doing, exc) from exc


TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def encode_time(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC, truncated to whole seconds (sorts as text).

    Raises ValueError for a naive datetime: its meaning depends on the
    machine's zone, which is how billing lands in the wrong period.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: the ledger takes aware datetimes only")
    return value.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def decode_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def decode_optional_time(text: str | None) -> datetime | None:
    return None if text is None else decode_time(text)


def encode_decimal(value: Decimal | None) -> str | None:
    """Exact text for a quantity (``Decimal('12.50')`` stays ``'12.50'``); floats are refused."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        raise TypeError(f"quantity {value!r} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"quantity {value!r} is not a finite number")
    return str(value)


def decode_decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def encode_json(value: Mapping[str, object]) -> str:
    """JSON for a run summary; Decimals become exact strings, aware datetimes UTC text."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=_json_default)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return encode_time(value)
    raise TypeError(f"cannot store {type(value).__name__} {value!r} in a run summary")
