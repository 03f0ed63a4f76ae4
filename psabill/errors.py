"""The one error family and the exit codes, defined in one place.

Exception tree (every class a user can meet; exit code in brackets)::

    PsabillError                   [1] base; carries a one-line message and a hint
    ├── ConfigError                [78] config file, schema, secrets (EX_CONFIG)
    ├── UsageError                 [2] bad command-line use
    │   ├── NotInPsa               the PSA has no such company / product / agreement
    │   └── EditRefused            a mapping edit the config cannot take
    ├── LockedError                [75] another run holds the lock (EX_TEMPFAIL)
    ├── StateError                 [1] the ledger cannot be read or written
    ├── SourceError                [1] a usage source failed (names file and line)
    ├── PsaError                   [1] the PSA refused or could not be reached
    │   └── UnknownOutcome         a write's answer was lost: it may or may not have landed
    ├── StalePlanError             [1] the PSA changed since a saved plan was made
    └── MailError                  [1] one message could not be delivered
        └── MailConnectionError    the mail transport itself is unusable

A guard holding customers back is not an error: it is an outcome of the run
(exit 4), reported line by line. The CLI prints ``message`` and ``hint`` and
exits with ``exit_code``; tracebacks are for bugs only.
"""

from __future__ import annotations

from enum import IntEnum, unique


@unique
class ExitCode(IntEnum):
    """Documented process exit codes (README "Exit codes"). No two share a number."""

    OK = 0
    """Success; for ``sync`` also "nothing was due"."""
    FAILURE = 1
    """The run failed: nothing (or nothing reliable) reached the PSA. ``psabill due``
    alone uses 1 for "not due", as test(1) uses 1 for false."""
    USAGE = 2
    """Bad command-line use (unknown option, missing argument)."""
    PARTIAL = 3
    """Some lines failed (or are paused) while others are in place."""
    GUARD = 4
    """A mass-change guard held customers back (``--allow-drop`` / ``--allow-rise``)."""
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

    @property
    def with_hint(self) -> str:
        """The message and, when there is one, its hint: how a run report states it."""
        return self.message + (f" (hint: {self.hint})" if self.hint else "")


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


class NotInPsa(UsageError):
    """The PSA has no such product, company, agreement type or agreement."""


class EditRefused(UsageError):
    """The edit would leave an invalid configuration; nothing was written."""


class LockedError(PsabillError):
    exit_code = ExitCode.LOCKED


class StateError(PsabillError):
    """The ledger (or another file in the state directory) cannot be used."""


class SourceError(PsabillError):
    """A usage source cannot be read; the message names the file and line."""


class PsaError(PsabillError):
    """The PSA refused a request, answered nonsense, or could not be reached."""


class UnknownOutcome(PsaError):
    """A write may or may not have been applied: it was sent, but no usable answer came back.

    The adapter must find out (re-read) before writing again; the default hint says so.
    """

    def __init__(self, method: str, target: str, reason: str) -> None:
        super().__init__(
            f"the outcome of {method} {target} is unknown ({reason})",
            hint="check in the PSA whether the change was made before running again",
        )
        self.method = method
        self.target = target
        self.reason = reason


class StalePlanError(PsabillError):
    """The PSA changed after the plan was computed; applying it could be wrong."""


class MailError(PsabillError):
    """One message could not be delivered; others on the same transport may still go."""


class MailConnectionError(MailError):
    """The transport cannot deliver anything right now."""
