"""``psabill units systemd|cron``: scheduler files for the current config and paths."""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Literal

import click

from psabill.cli.app import App, echo_err, echo_json, pass_app, warn
from psabill.errors import ConfigError, UsageError
from psabill.ops.units import (
    DEFAULT_SYSTEM_STATE,
    Setup,
    UnitFile,
    cron_entry,
    notes,
    secret_references,
    systemd_units,
)

SCHEMA = "psabill.units/1"


@click.command()
@click.argument("kind", type=click.Choice(["systemd", "cron"]))
@click.option(
    "--user",
    "user_level",
    is_flag=True,
    help="Run as you: `systemctl --user` units or a `crontab -e` line, with your state dir.",
)
@click.option(
    "--executable",
    type=click.Path(dir_okay=False),
    help="The psabill program to run. Default: the one running now.",
)
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write the files into this directory instead of printing them.",
)
@click.option("--force", is_flag=True, help="With --out-dir: overwrite existing files.")
@click.option("--json", "as_json", is_flag=True, help="Print the files as JSON.")
@pass_app
def units(
    app: App,
    kind: Literal["systemd", "cron"],
    user_level: bool,
    executable: str | None,
    out_dir: Path | None,
    force: bool,
    as_json: bool,
) -> None:
    """Print a systemd service + hourly timer, or a cron entry, that run `psabill sync`.

    The files use this config (as an absolute path) and this psabill. System
    units run as a throwaway user with the ledger in /var/lib/psabill
    (StateDirectory=; --state-dir /var/lib/NAME picks another); secrets the
    config reads as "file:/run/credentials/psabill.service/ID" become
    LoadCredential=ID:<config dir>/ID lines. --user units and crontab lines
    run as you, with your current state directory.

    \b
    Examples:
      psabill --config /etc/psabill/psabill.toml units systemd --out-dir /etc/systemd/system
      psabill units systemd --user
      psabill --config /etc/psabill/psabill.toml units cron > /etc/cron.d/psabill
      psabill units cron --user            # a line for `crontab -e`
    """
    setup = _setup(app, user_level, executable)
    files = list(systemd_units(setup)) if kind == "systemd" else [cron_entry(setup)]
    for note in notes(setup, kind):
        warn(note)
    if out_dir is not None:
        _write(files, out_dir, force)
    elif as_json:
        echo_json({"schema": SCHEMA, "kind": kind, "user": user_level, "files": _json(files)})
    else:
        click.echo("\n".join(file.text for file in files), nl=False)


def _setup(app: App, user_level: bool, executable: str | None) -> Setup:
    config = _absolute(app.config_path())
    credentials, env_vars = secret_references(_raw_config(config))
    command = (_absolute(Path(executable)),) if executable else psabill_command()
    return Setup(
        command=tuple(str(part) for part in command),
        config=config,
        state_dir=_absolute(_state_dir(app, user_level)),
        user=user_level,
        credentials=tuple(credentials),
        env_vars=tuple(env_vars),
    )


def _state_dir(app: App, user_level: bool) -> Path:
    """Yours for --user; for system files, only a directory you named, else /var/lib/psabill.

    A system scheduler must not inherit the ledger location of whoever happens
    to generate its files (their $HOME, their $XDG_STATE_HOME).
    """
    if user_level:
        return app.state_dir()
    named = app.state_dir_option or app.env.get("PSABILL_STATE_DIR")
    return Path(named) if named else Path(DEFAULT_SYSTEM_STATE)


def psabill_command(
    argv0: str | None = None,
    which: str | None = None,
    python: str | None = None,
) -> tuple[PurePosixPath | str, ...]:
    """The running psabill: its script if we were started as one, else PATH, else ``-m``."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    if Path(argv0).name == "psabill" and Path(argv0).is_file():
        return (_absolute(Path(argv0)),)
    found = shutil.which("psabill") if which is None else which
    if found:
        return (_absolute(Path(found)),)
    return (_absolute(Path(python or sys.executable)), "-m", "psabill")


def _absolute(path: Path) -> PurePosixPath:
    # abspath, not resolve(): keep the symlinks people install (/usr/local/bin/psabill).
    return PurePosixPath(os.path.abspath(path.expanduser()))


def _raw_config(path: PurePosixPath) -> Mapping[str, object]:
    """The config as TOML, unvalidated: its secrets may only exist inside the service."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found",
            hint=f"create it first: psabill --config {path} config init",
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read the config: {exc}",
            hint="check it with `psabill config validate`",
        ) from None


def _write(files: list[UnitFile], out_dir: Path, force: bool) -> None:
    targets = [out_dir / file.name for file in files]
    existing = [str(target) for target in targets if target.exists()]
    if existing and not force:
        raise UsageError(f"{', '.join(existing)} already exists", hint="pass --force to replace")
    out_dir.mkdir(parents=True, exist_ok=True)
    for file, target in zip(files, targets, strict=True):
        target.write_text(file.text, encoding="utf-8")
        target.chmod(0o644)
        echo_err(f"wrote {target}")


def _json(files: list[UnitFile]) -> list[dict[str, str]]:
    return [{"name": f.name, "install_path": f.install_path, "text": f.text} for f in files]
