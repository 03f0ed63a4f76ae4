"""The ledger schema, as an ordered list of migrations.

``meta.schema_version`` is the number of migrations applied. Each migration
runs in its own transaction together with the version bump, so a crash
mid-upgrade leaves the previous, consistent version. Never edit a released
migration: append a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from psabill.errors import StateError
from psabill.state.db import transaction


@dataclass(frozen=True)
class Migration:
    """SQL statements taking the schema from ``version - 1`` to ``version``."""

    version: int
    description: str
    statements: tuple[str, ...]


_V1 = Migration(
    1,
    "initial schema: runs, run lines, completed slots, outbox",
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            trigger TEXT NOT NULL CHECK (trigger IN ('scheduled', 'manual', 'approval')),
            slot_key TEXT,
            period TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            outcome TEXT NOT NULL CHECK (outcome IN
                ('running', 'success', 'partial', 'failure', 'guard', 'interrupted', 'planned')),
            acting_admin TEXT,
            dry_run INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
            pid INTEGER NOT NULL,
            hostname TEXT NOT NULL,
            version TEXT NOT NULL,
            summary_json TEXT,
            CHECK ((outcome = 'running') = (finished_at IS NULL))
        )""",
        """CREATE TABLE run_lines (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES runs (id),
            customer TEXT NOT NULL,
            company TEXT,
            agreement_id INTEGER,
            agreement_name TEXT,
            product TEXT NOT NULL,
            psa_product TEXT,
            old_quantity TEXT,
            new_quantity TEXT,
            action TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN
                ('planned', 'sent', 'confirmed', 'failed', 'skipped')),
            addition_id INTEGER,
            why TEXT,
            error TEXT,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX run_lines_by_run ON run_lines (run_id)",
        "CREATE INDEX run_lines_by_customer ON run_lines (customer, status)",
        """CREATE TABLE completed_slots (
            customer TEXT NOT NULL,
            period TEXT NOT NULL,
            slot_key TEXT NOT NULL,
            slot_at TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs (id),
            completed_at TEXT NOT NULL,
            PRIMARY KEY (customer, period)
        )""",
        "CREATE INDEX completed_slots_latest ON completed_slots (customer, slot_at)",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER REFERENCES runs (id),
            created_at TEXT NOT NULL,
            sender TEXT NOT NULL,
            recipients_json TEXT NOT NULL,
            subject TEXT NOT NULL,
            message BLOB NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_attempt_at TEXT,
            sent_at TEXT
        )""",
        "CREATE INDEX outbox_pending ON outbox (created_at, id) WHERE sent_at IS NULL",
    ),
)

_V2 = Migration(
    2,
    "missed billing periods, each reported once",
    (
        """CREATE TABLE missed_periods (
            customer TEXT NOT NULL,
            slot_key TEXT NOT NULL,
            period TEXT NOT NULL,
            slot_at TEXT NOT NULL,
            reported_at TEXT NOT NULL,
            PRIMARY KEY (customer, slot_key)
        )""",
    ),
)

_V3 = Migration(
    3,
    "customer summaries queued, per PSA company and billing period",
    (
        # One row per customer summary put in the outbox, in the transaction that ends its
        # run. ``lines_json`` is what the summary told the customer, so a later run can tell
        # whether a correction is owed; a period has one first summary, then corrections.
        """CREATE TABLE customer_mail (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            company TEXT NOT NULL,
            period TEXT NOT NULL,
            correction INTEGER NOT NULL CHECK (correction IN (0, 1)),
            run_id INTEGER NOT NULL REFERENCES runs (id),
            outbox_id INTEGER NOT NULL REFERENCES outbox (id),
            queued_at TEXT NOT NULL,
            lines_json TEXT NOT NULL
        )""",
        "CREATE UNIQUE INDEX customer_mail_first ON customer_mail (company, period)"
        " WHERE correction = 0",
        "CREATE INDEX customer_mail_latest ON customer_mail (company, id)",
    ),
)

_V4 = Migration(
    4,
    "the delta journal: every unit adjustment posted to a PSA, before and after it is sent",
    (
        # A PSA that changes quantities only by deltas (Autotask) cannot be asked later what
        # it was sent: this table is the only record. A row is written, and synced, before
        # its request goes out; ``state`` then says what became of it. ``before`` and
        # ``change`` are exact Decimal text, like every quantity in the ledger.
        """CREATE TABLE adjustments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES runs (id),
            agreement_id INTEGER NOT NULL,
            product_id INTEGER NOT NULL,
            reference INTEGER,
            day TEXT NOT NULL,
            before TEXT NOT NULL,
            change TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN
                ('sending', 'posted', 'refused', 'unknown', 'landed', 'lost')),
            note TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX adjustments_open ON adjustments (agreement_id, product_id, id)"
        " WHERE state IN ('sending', 'unknown')",
    ),
)

MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _V3, _V4)
"""Every migration, in order; ``MIGRATIONS[n]`` has version ``n + 1``."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this code writes."""


def read_version(conn: sqlite3.Connection, path: Path) -> int:
    """The ledger's schema version; 0 for an empty database.

    Raises :class:`StateError` for a SQLite file that is some other program's
    database, rather than adding our tables to it.
    """
    if _has_table(conn, "meta"):
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        text = "" if row is None else str(row[0])
        if text.isdigit():
            return int(text)
        raise StateError(
            f"ledger {path}: the schema version is missing or unreadable ({text!r})",
            hint=f"restore {path} from a backup",
        )
    if conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None:
        raise StateError(
            f"{path} is an SQLite database but not a psabill ledger",
            hint="point --state-dir (or PSABILL_STATE_DIR) at psabill's own state directory",
        )
    return 0


def migrate(
    conn: sqlite3.Connection, path: Path, migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """Bring the ledger up to ``len(migrations)``; return the resulting version.

    The version is re-read inside each migration's write transaction, so two
    processes opening a new ledger at once cannot both apply the same step.
    Raises :class:`StateError` for a ledger newer than ``migrations`` knows (a
    newer psabill wrote it; an older one must not guess at its meaning).
    Other failures surface as ``sqlite3.Error`` with that step rolled back.
    """
    latest = len(migrations)
    if [step.version for step in migrations] != list(range(1, latest + 1)):
        raise ValueError("migrations must be numbered 1, 2, 3, ... in order")
    version = read_version(conn, path)
    if version > latest:
        raise _newer_error(path, version, latest)
    if version == latest:
        return latest
    while True:
        with transaction(conn):
            version = read_version(conn, path)
            if version > latest:
                raise _newer_error(path, version, latest)
            if version == latest:
                return version
            step = migrations[version]
            for statement in step.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(step.version),),
            )


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(query, (name,)).fetchone() is not None


def _newer_error(path: Path, version: int, latest: int) -> StateError:
    return StateError(
        f"ledger {path} has schema version {version}, newer than this psabill "
        f"understands (version {latest})",
        hint="upgrade psabill to the release that last wrote this ledger, or newer",
    )
