"""The ``psabill`` command line.

Exit codes (see README "Exit codes" and ``psabill.errors.ExitCode``):
0 success / not due, 1 failure (``due``: not due), 2 usage, 3 partial,
4 guard refused, 75 locked, 78 config.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from psabill import __version__
from psabill.cli.app import App, crash, echo_err, fail
from psabill.errors import ExitCode, PsabillError
from psabill.ops.logjson import configure_logging


class PsabillGroup(click.Group):
    """A click group that maps every PsabillError to its exit code, in one place, and loads
    each command's module only when it is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*_COMMANDS, *(name for name in self.commands if name not in _COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = _COMMANDS.get(cmd_name)
        if where is None:
            return super().get_command(ctx, cmd_name)
        module = importlib.import_module(f"psabill.cli.{where[0]}")
        command = getattr(module, where[1])
        assert isinstance(command, click.Command)
        return command

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The program's entry point (the ``psabill`` script, ``python -m psabill``)."""
        _degrade_unencodable_output()
        # pydantic otherwise scans every installed package for plugins on the first model
        # psabill builds (~20 ms of an hourly cron run); psabill uses none.
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
        return super().__call__(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.ClickException as error:
            error = _global_option_hint(ctx, error)
            if not ctx.params.get("log_json"):  # set even when no command was found
                raise error from None
            _click_error_as_json(error)
        except (click.exceptions.Exit, click.Abort):
            raise
        except PsabillError as error:
            fail(error)
        except BrokenPipeError:
            _reader_went_away()
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            crash(exc, _verbosity(ctx))


_FAILING_ERRORS = ("strict", "surrogateescape", "surrogatepass")
"""Encoding error handlers that raise on a character the stream's encoding lacks."""


def _degrade_unencodable_output() -> None:
    """Print a character the output cannot encode as ``?`` instead of failing on it.

    Under ``PYTHONIOENCODING=ascii`` or a Latin-1 locale, a customer called
    "Müller" in a table would otherwise raise UnicodeEncodeError after the
    run was recorded in the ledger, and a success would exit 1.
    """
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors in _FAILING_ERRORS:
            stream.reconfigure(errors="replace")


def _global_option_hint(
    ctx: click.Context, error: click.exceptions.ClickException
) -> click.exceptions.ClickException:
    """``psabill plan --config x.toml``: a global option after the command gets told where it
    goes, instead of only "No such option"."""
    if not isinstance(error, click.NoSuchOption):
        return error
    name = error.option_name.split("=", 1)[0]
    found = [p for p in ctx.command.params if name in (*p.opts, *p.secondary_opts)]
    if not found or error.ctx is None or error.ctx is ctx:
        return error
    option = found[0]
    takes = isinstance(option, click.Option) and not (option.is_flag or option.count)
    value = f" {name.lstrip('-').upper().replace('-', '_')}" if takes else ""
    command = error.ctx.command_path.removeprefix(ctx.command_path).strip()
    return click.UsageError(
        f"`{command}` has no option {name}: {name} is a global option, and global options "
        f"go before the command: `{ctx.command_path} {name}{value} {command} ...`",
        ctx=error.ctx,
    )


def _click_error_as_json(error: click.exceptions.ClickException) -> NoReturn:
    """A bad option or argument, as one JSON log record (--log-json) instead of click's text."""
    ctx = getattr(error, "ctx", None)
    hint = f"see `{ctx.command_path} --help`" if isinstance(ctx, click.Context) else None
    echo_err(error.format_message(), level="error", hint=hint, exit_code=error.exit_code)
    sys.exit(error.exit_code)


def _reader_went_away() -> NoReturn:
    """`psabill history | head`: the reader closed the pipe; stop quietly, as Unix tools do."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot fail too
    sys.exit(int(ExitCode.OK))


def _verbosity(ctx: click.Context) -> int:
    app = ctx.find_object(App)
    return app.verbosity if app else 0


@click.group(cls=PsabillGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="psabill")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file. Default: $PSABILL_CONFIG, ./psabill.toml, then ~/.config/psabill/.",
)
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the ledger and lock live. Default: $PSABILL_STATE_DIR, "
    "$STATE_DIRECTORY (systemd), then ~/.local/state/psabill.",
)
@click.option("-v", "--verbose", count=True, help="More output; -vv for debug logs.")
@click.option("-q", "--quiet", count=True, help="Less output: errors only.")
@click.option("--log-json", is_flag=True, help="Log to stderr as JSON lines (for log shippers).")
@click.option("--no-color", is_flag=True, help="No colour or styles (also: NO_COLOR=1).")
@click.pass_context
def main(
    ctx: click.Context,
    config_path: Path | None,
    state_dir: Path | None,
    verbose: int,
    quiet: int,
    log_json: bool,
    no_color: bool,
) -> None:
    """Sync vendor seat counts into your PSA's agreements, once per billing period.

    \b
    Examples:
      psabill demo                        a real sync against the built-in sandbox PSA
      psabill config init                 write a commented psabill.toml
      psabill config validate             check it (exit 78 lists every problem)
      psabill doctor                      can psabill reach the PSA and do its job?
      psabill plan                        what would change; writes nothing
      psabill sync --now                  sync every customer now
      psabill sync                        from cron/systemd hourly: syncs what is due
      psabill schedule --next 6           upcoming billing slots, local and UTC
      psabill history                     what earlier runs did

    Global options go before the command: psabill -v --config x.toml sync
    """
    verbosity = verbose - quiet
    configure_logging(verbosity, json_lines=log_json)
    ctx.obj = App(
        config_option=config_path,
        state_dir_option=state_dir,
        verbosity=verbosity,
        log_json=log_json,
        no_color=no_color,
    )


_COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo_cmd", "demo"),
    "config": ("config_cmd", "config"),
    "schedule": ("schedule_cmd", "schedule"),
    "due": ("schedule_cmd", "due"),
    "sync": ("sync_cmd", "sync"),
    "plan": ("sync_cmd", "plan"),
    "approve": ("approve_cmd", "approve"),
    "history": ("history_cmd", "history"),
    "adjustments": ("adjustments_cmd", "adjustments"),
    "report": ("report_cmd", "report"),
    "products": ("products_cmd", "products"),
    "customers": ("customers_cmd", "customers"),
    "contracts": ("contracts_cmd", "contracts"),
    "admins": ("admins_cmd", "admins"),
    "invoices": ("invoices_cmd", "invoices"),
    "doctor": ("doctor_cmd", "doctor"),
    "notify": ("notify_cmd", "notify"),
    "units": ("units_cmd", "units"),
    "sandbox": ("sandbox_cmd", "sandbox"),
}
"""Every command, by name: (module in psabill.cli, attribute). A command's module is
imported only when that command runs (or help lists it), so an hourly `psabill sync`
does not pay for the sandbox, rich tables or the mapping editor."""
