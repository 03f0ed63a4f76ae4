"""Shared CLI plumbing: the context object, error-to-exit-code mapping, output.

Commands call one service function and render its result; this module is the
one place where a ``PsabillError`` becomes a message on stderr and an exit code.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar

import click

from psabill.errors import ConfigError, ExitCode, PsabillError, UsageError

if TYPE_CHECKING:  # imported where used: `psabill --version` and `due` stay fast
    from rich.console import Console

    from psabill.config.loader import LoadedConfig
    from psabill.config.validated import Validated

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("psabill")


@dataclass
class App:
    """Per-invocation context: global options, environment and lazily loaded config."""

    config_option: Path | None
    state_dir_option: Path | None
    verbosity: int
    log_json: bool = False
    no_color: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    _loaded: LoadedConfig | None = None

    def config_path(self) -> Path:
        from psabill.config.files import find_config

        return find_config(self.config_option, self.env, Path.cwd())

    def loaded(self) -> LoadedConfig:
        if self._loaded is None:
            from psabill.config.loader import load_config

            self._loaded = load_config(self.config_path(), self.env)
            for warning in self._loaded.warnings:
                warn(warning)
        return self._loaded

    def validated(self) -> Validated | None:
        """What the due decision reads of the config, without the schema, when the config is
        unchanged since a full validation (:mod:`psabill.config.validated`); None: load it."""
        from psabill.config.validated import recall

        try:
            return recall(self.config_path(), self.env, self.state_dir())
        except PsabillError:  # no config file, no state directory: the full path says so
            return None

    def remember_validated(self) -> None:
        """Note the loaded config for :meth:`validated` (only in an existing state directory)."""
        from psabill.config.validated import remember

        loaded = self.loaded()
        try:
            state_dir = self.state_dir()
        except PsabillError:  # no state directory can be chosen: nowhere to remember it
            return
        remember(loaded, state_dir)

    def state_dir(self) -> Path:
        from psabill.state.paths import resolve_state_dir

        return resolve_state_dir(self.state_dir_option, self.env)

    def now(self) -> datetime:
        """The current instant; ``PSABILL_NOW`` (ISO 8601) pins it for tests and what-ifs."""
        pinned = self.env.get("PSABILL_NOW")
        return parse_instant(pinned, "PSABILL_NOW") if pinned else datetime.now(UTC)


def parse_instant(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{what}: {text!r} is not an ISO 8601 time like 2026-12-01T06:00+00:00"
        ) from None
    if value.tzinfo is None:
        raise UsageError(f"{what}: {text!r} needs a UTC offset, e.g. 2026-12-01T06:00+00:00")
    return value.astimezone(UTC)


pass_app = click.make_pass_decorator(App)
JSON_VERSION = 1
"""Version of every ``--json`` document; fields are only added within a version."""


def current_app() -> App | None:
    ctx = click.get_current_context(silent=True)
    return ctx.find_object(App) if ctx else None


def stdout_console() -> Console:
    """Rich console for tables; plain when not a terminal, with NO_COLOR or --no-color.

    "Plain" means no escape codes at all, bold included. Off a terminal (cron
    mail, CI logs) lines are not wrapped at 80 columns.
    """
    from rich.console import Console

    app = current_app()
    plain = bool(os.environ.get("NO_COLOR")) or (app is not None and app.no_color)
    width = None if sys.stdout.isatty() else 200
    return Console(
        color_system=None if plain else "auto", no_color=plain, highlight=False, width=width
    )


def echo_json(data: Any) -> None:
    """Print one JSON document; dicts get a versioned ``schema`` named after the command.

    ``psabill history --json`` carries ``"schema": "psabill.history/1"``; a
    document that names its own schema keeps it. ``config show`` prints the
    effective config itself, so it carries none.
    """
    if isinstance(data, dict) and "schema" not in data:
        path = click.get_current_context(silent=True)
        name = path.command_path.split(" ", 1)[-1].replace(" ", "-") if path else ""
        if name and name != "config-show":
            data = {"schema": f"psabill.{name}/{JSON_VERSION}", **data}
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


ErrLevel = Literal["info", "warning", "error"]
_LEVELS: dict[ErrLevel, int] = {
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def log_json() -> bool:
    """Whether this invocation logs to stderr as JSON lines (``--log-json``)."""
    app = current_app()
    return app is not None and app.log_json


def echo_err(message: str, *, level: ErrLevel = "info", prefix: str = "", **fields: Any) -> None:
    """Say something on stderr: a line for people, or with --log-json one JSON log record.

    Every line the CLI writes to stderr goes through here (or through logging),
    so ``--log-json`` leaves nothing but JSON lines there. The caller decides
    whether to speak (``warn`` is silent under ``-q``): the record is emitted
    whatever the log level, as it stands for a line text mode would print.
    ``prefix`` ("warning: ") is for people only; ``fields`` (``hint``,
    ``exit_code``, ...) go into the JSON record only.
    """
    if log_json():
        record = log.makeRecord(
            log.name, _LEVELS[level], __file__, 0, message, (), None, extra=fields
        )
        log.handle(record)  # not log.log(): that would drop it below the verbosity's level
    else:
        click.echo(prefix + message, err=True)


def warn(message: str) -> None:
    """A warning on stderr (or the JSON log); ``-q`` means errors only, so none then."""
    app = current_app()
    if app is None or app.verbosity >= 0:
        echo_err(message, level="warning", prefix="warning: ")


def fail(error: PsabillError) -> NoReturn:
    """Report ``error`` for a person (or as one JSON record) and exit with its documented code.

    Never with a traceback, at any verbosity: a PsabillError is a problem the
    user can act on (config, input, lock, network, PSA), and its message and
    hint say how. Tracebacks are for bugs (:func:`crash`).
    """
    problems = error.problems if isinstance(error, ConfigError) else [error.message]
    code = int(error.exit_code)
    if log_json():
        echo_err(error.message, level="error", hint=error.hint, problems=problems, exit_code=code)
        sys.exit(code)
    if problems != [error.message]:
        for problem in problems:
            echo_err(problem)
    echo_err(f"error: {error.message}")
    if error.hint:
        echo_err(f"hint: {error.hint}")
    sys.exit(code)


def crash(exc: BaseException, verbosity: int) -> NoReturn:
    """An unexpected exception is a psabill bug: say so, show the traceback with -v."""
    message = f"internal error: {type(exc).__name__}: {exc}"
    code = int(ExitCode.FAILURE)
    if log_json():
        exc_info = exc if verbosity > 0 else None
        log.error(message, exc_info=exc_info, extra={"exit_code": code})
        sys.exit(code)
    echo_err(f"error: {message}")
    if verbosity > 0:
        traceback.print_exception(exc, file=sys.stderr)
    else:
        echo_err("hint: run again with -v to see the traceback, and report it")
    sys.exit(code)
