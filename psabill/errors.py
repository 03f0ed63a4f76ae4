"""The one error family and the exit codes, defined in one place.

Exception tree::

    PsabillError                 exit 1 unless a subclass says otherwise
    ├── ConfigError              exit 78 (EX_CONFIG): config file, schema, secrets
    ├── UsageError               exit 2: bad command-line use
    ├── LockedError              exit 75 (EX_TEMPFAIL): another run holds the lock
    ├── GuardError               exit 4: a plan trips a mass-change guard
    ├── StateError               exit 1: the ledger cannot be read or written
    ├── SourceError              exit 1: a usage source failed (names file/line)
    └── PsaError                 exit 1: the PSA refused or could not be reached

Every error carries a one-line message and an optional ``hint`` telling the
user what to do next. The CLI prints both and exits with ``exit_code``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented process exit codes (README "Exit codes")."""

    OK = 0
    """Success, or (for ``sync``/``due``) nothing was due."""
    NOT_DUE = 1
    """Only ``psabill due``: no run is due now."""
    FAILURE = 1
    """The run failed: nothing (or nothing reliable) reached the PSA."""
    USAGE = 2
    """Bad command-line use (unknown option, missing argument)."""
    PARTIAL = 3
    """Some lines failed (or are paused) while others are in place."""
    GUARD = 4
    """A mass-change guard refused the plan (rerun with ``--allow-drop``)."""
    LOCKED = 75
    """Another psabill run holds the lock (EX_TEMPFAIL)."""
    CONFIG = 78
    """The configuration is invalid (EX_CONFIG)."""


class PsabillError(Exception):
    """Base of every error psabill reports to a user."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(PsabillError):
    """The configuration cannot be used. ``problems`` lists every problem found."""

    exit_code = ExitCode.CONFIG

    def __init__(
        self, message: str, *, problems: list[str] | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems if problems is not None else [message]


class UsageError(PsabillError):
    exit_code = ExitCode.USAGE


class LockedError(PsabillError):
    exit_code = ExitCode.LOCKED


class GuardError(PsabillError):
    exit_code = ExitCode.GUARD


class StateError(PsabillError):
    exit_code = ExitCode.FAILURE


class SourceError(PsabillError):
    exit_code = ExitCode.FAILURE


class PsaError(PsabillError):
    exit_code = ExitCode.FAILURE
