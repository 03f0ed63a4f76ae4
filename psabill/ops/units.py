"""Scheduler files for psabill: a systemd service + timer, or a cron entry.

Pure text generation from a :class:`Setup` (the psabill command, config
path, state directory and the secrets the config references); reading the
config and finding the executable is the CLI's job. The fixed wording of
each file lives in :mod:`psabill.ops.unit_templates`. The files in
``examples/systemd`` and ``examples/cron.d`` are exactly this module's output
for the paths below, and a test keeps it that way.

Every file runs ``psabill sync`` hourly: the timer is a heartbeat and psabill
decides from its ledger whether a billing run is due.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from psabill.errors import UsageError
from psabill.ops import unit_templates as templates

NAME = "psabill"
DEFAULT_EXECUTABLE = "/usr/local/bin/psabill"
DEFAULT_CONFIG = PurePosixPath("/etc/psabill/psabill.toml")
SYSTEM_STATE_ROOT = PurePosixPath("/var/lib")
DEFAULT_SYSTEM_STATE = SYSTEM_STATE_ROOT / NAME
CREDENTIALS_ROOT = PurePosixPath("/run/credentials")
HOME_ROOTS = (PurePosixPath("/home"), PurePosixPath("/root"), PurePosixPath("/run/user"))
# Compared against, never written to: PrivateTmp= hides them from the service.
TMP_ROOTS = (PurePosixPath("/tmp"), PurePosixPath("/var/tmp"))  # noqa: S108
_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_CREDENTIAL_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Setup:
    """What the scheduler should run, and with which secrets."""

    command: tuple[str, ...]
    """The psabill program: ``("/usr/local/bin/psabill",)`` or ``(python, "-m", "psabill")``."""
    config: PurePosixPath
    state_dir: PurePosixPath
    user: bool = False
    """User-level files (``systemctl --user``, ``crontab -e``) rather than system-wide ones."""
    credentials: tuple[str, ...] = ()
    """Credential ids the config reads as ``file:/run/credentials/psabill.service/ID``."""
    env_vars: tuple[str, ...] = ()
    """Variables the config reads as ``"${NAME}"``."""


@dataclass(frozen=True)
class UnitFile:
    name: str
    install_path: str
    text: str


def secret_references(raw: Any, unit: str = f"{NAME}.service") -> tuple[list[str], list[str]]:
    """(credential ids, environment variable names) that a raw config tree references."""
    credentials: list[str] = []
    env_vars: list[str] = []
    prefix = f"file:{CREDENTIALS_ROOT / unit}/"
    for value in _strings(raw):
        if match := _ENV_REF.match(value):
            env_vars.append(match.group(1))
        elif value.startswith(prefix) and _CREDENTIAL_ID.match(value[len(prefix) :]):
            credentials.append(value[len(prefix) :])
    return sorted(set(credentials)), sorted(set(env_vars))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def state_directory_name(state_dir: PurePosixPath) -> str:
    """``StateDirectory=`` for ``state_dir``; system units keep state under /var/lib."""
    if state_dir.is_relative_to(SYSTEM_STATE_ROOT) and state_dir != SYSTEM_STATE_ROOT:
        return str(state_dir.relative_to(SYSTEM_STATE_ROOT))
    raise UsageError(
        f"a system service keeps its state under {SYSTEM_STATE_ROOT} (StateDirectory=), "
        f"not in {state_dir}",
        hint=f"pass --state-dir {DEFAULT_SYSTEM_STATE}, or use --user for user units",
    )


def notes(setup: Setup, kind: Literal["systemd", "cron"]) -> list[str]:
    """What will not work as generated, in words a user can act on."""
    found: list[str] = []
    if not setup.user:
        for what, path in (("config", setup.config), ("psabill", PurePosixPath(setup.command[0]))):
            if any(path.is_relative_to(home) for home in HOME_ROOTS):
                found.append(
                    f"the {what} {path} is in a home directory, which the scheduled run "
                    "cannot read; install it elsewhere (e.g. /etc/psabill, /usr/local/bin), "
                    "or use --user"
                )
    private_tmp = kind == "systemd" and not setup.user
    for what, path in (("config", setup.config), ("state directory", setup.state_dir)):
        if private_tmp and any(path.is_relative_to(tmp) for tmp in TMP_ROOTS):
            found.append(
                f"the {what} {path} is in a temporary directory, which the service does not "
                "see (PrivateTmp=yes); move it (e.g. to /etc/psabill)"
            )
    secret_file = f'"file:{setup.config.parent / "cw_private_key"}"'
    if setup.credentials and (setup.user or kind == "cron"):
        found.append(
            f"the config reads secrets from {CREDENTIALS_ROOT}, which only a system service "
            f"gets; reference the secret files directly, e.g. {secret_file}"
        )
    if setup.env_vars and kind == "cron":
        found.append(
            f"the config reads {', '.join(setup.env_vars)} from the environment, which cron "
            f"does not set; reference secret files instead, e.g. {secret_file}"
        )
    return found


def systemd_units(setup: Setup) -> tuple[UnitFile, UnitFile]:
    """``psabill.service`` (oneshot) and ``psabill.timer`` (hourly)."""
    where = "~/.config/systemd/user" if setup.user else "/etc/systemd/system"
    service = _user_service(setup) if setup.user else _system_service(setup)
    ctl = "systemctl --user" if setup.user else "systemctl"
    how = "psabill units systemd --user" if setup.user else "psabill units systemd"
    timer = templates.TIMER.format(where=where, ctl=ctl, how=how)
    return (
        UnitFile(f"{NAME}.service", f"{where}/{NAME}.service", service),
        UnitFile(f"{NAME}.timer", f"{where}/{NAME}.timer", timer),
    )


def cron_entry(setup: Setup) -> UnitFile:
    """An ``/etc/cron.d`` file (run as the user psabill), or with ``user`` a crontab line."""
    argv = [*setup.command, "--config", str(setup.config)]
    argv += ["--state-dir", str(setup.state_dir), "-q", "sync"]
    line = " ".join(_cron_quote(arg) for arg in argv)
    if setup.user:
        return UnitFile(f"{NAME}.crontab", "crontab -e", templates.USER_CRON.format(line=line))
    state, config = (shlex.quote(str(path)) for path in (setup.state_dir, setup.config))
    text = templates.SYSTEM_CRON.format(line=line, state=state, config=config)
    return UnitFile(NAME, f"/etc/cron.d/{NAME}", text)


def _system_service(setup: Setup) -> str:
    args = [*setup.command, "--config", str(setup.config), "sync"]
    lines = [
        f"StateDirectory={state_directory_name(setup.state_dir)}",
        "StateDirectoryMode=0700",
        "UMask=0077",
    ]
    if setup.credentials:
        lines.append("# Secrets: root-only files, handed to this service alone.")
    else:
        example = setup.config.parent / "cw_private_key"
        lines.append(f"# LoadCredential=cw_private_key:{_escape(str(example))}")
    for credential in setup.credentials:
        source = setup.config.parent / credential
        lines.append(f"LoadCredential={credential}:{_escape(str(source))}")
    if setup.env_vars:
        names = ", ".join(setup.env_vars)
        env_file = setup.config.parent / f"{NAME}.env"
        lines.append(f"# NAME=value lines for {names} (mode 0600, root); prefer LoadCredential=.")
        lines.append(f"EnvironmentFile={_escape(str(env_file))}")
    return templates.SYSTEM_SERVICE.format(
        exec_start=_exec_line(args),
        state_and_secrets="\n".join(lines),
        # systemd's fixed place for a system service's credentials: the config can name it.
        credential_dir=CREDENTIALS_ROOT / f"{NAME}.service",
    )


def _user_service(setup: Setup) -> str:
    args = [*setup.command, "--config", str(setup.config)]
    args += ["--state-dir", str(setup.state_dir), "sync"]
    extra = ""
    if setup.env_vars:
        env_file = setup.config.parent / f"{NAME}.env"
        extra = (
            f"# NAME=value lines for {', '.join(setup.env_vars)} (mode 0600).\n"
            f"EnvironmentFile={_escape(str(env_file))}\n"
        )
    return templates.USER_SERVICE.format(exec_start=_exec_line(args), extra=extra)


def _exec_line(args: list[str]) -> str:
    return " ".join(_exec_quote(arg) for arg in args)


def _escape(text: str) -> str:
    """Escape systemd specifiers (%) and variable references ($) in a unit value."""
    return text.replace("%", "%%").replace("$", "$$")


def _exec_quote(arg: str) -> str:
    escaped = _escape(arg)
    if arg and not re.search(r"[\s\"'\\;]", arg):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _cron_quote(arg: str) -> str:
    # cron turns an unescaped % into a newline before the shell sees the line.
    return shlex.quote(arg).replace("%", "\\%")
