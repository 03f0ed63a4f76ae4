"""Where psabill keeps its state, and creating that place privately.

The state directory holds the ledger (billing history, the once-per-period
record) and the run lock, so it must be the *same* directory for every run
of one installation: the lookup order is fixed and documented here, and the
environment is a parameter so the order can be tested without touching the
real one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from psabill.errors import StateError

APP_NAME = "psabill"
PRIVATE_DIR_MODE = 0o700

_NO_STATE_DIR_HINT = "pass --state-dir or set PSABILL_STATE_DIR"


def resolve_state_dir(explicit: Path | None, env: Mapping[str, str]) -> Path:
    """Return the state directory, without creating it.

    Order, first match wins:

    1. ``explicit`` (the ``--state-dir`` option);
    2. ``$PSABILL_STATE_DIR``;
    3. ``$STATE_DIRECTORY``, set by systemd's ``StateDirectory=``; it may be a
       colon-separated list, and the first entry is ours;
    4. ``$XDG_STATE_HOME/psabill``, where a relative ``XDG_STATE_HOME`` is
       ignored as the XDG spec requires;
    5. ``$HOME/.local/state/psabill``.

    Empty variables count as unset. Raises :class:`StateError` when nothing
    applies (no ``HOME``), rather than guessing a directory that a later run
    might not guess the same way.
    """
    if explicit is not None:
        return explicit
    own = env.get("PSABILL_STATE_DIR", "")
    if own:
        return Path(own)
    systemd = env.get("STATE_DIRECTORY", "").split(":")[0]
    if systemd:
        return Path(systemd)
    xdg = env.get("XDG_STATE_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / APP_NAME
    home = env.get("HOME", "")
    if home:
        return Path(home) / ".local" / "state" / APP_NAME
    raise StateError(
        "cannot choose a state directory: none of --state-dir, PSABILL_STATE_DIR, "
        "STATE_DIRECTORY, XDG_STATE_HOME or HOME is set",
        hint=_NO_STATE_DIR_HINT,
    )


def ensure_private_dir(path: Path) -> Path:
    """Make sure ``path`` is a directory and return it.

    Directories this call creates (``path`` and any missing parents) get mode
    0700 exactly, whatever the umask: they hold billing data. A directory that
    already exists is left as it is, even if group or others can read it: it
    may be shared on purpose (a monitoring group, a systemd ``StateDirectory``
    with its own ``StateDirectoryMode=``), and changing permissions the user
    chose is not our call.

    Raises :class:`StateError` naming the path if it cannot be created or is
    not a directory.
    """
    missing: list[Path] = []
    probe = path
    while not probe.is_dir():
        if probe.exists() or probe.is_symlink():
            raise StateError(
                f"the state directory {path} cannot be created: {probe} is not a directory",
                hint=_NO_STATE_DIR_HINT + " to choose another place",
            )
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for directory in reversed(missing):
        _make_private(directory, wanted=path)
    return path


def _make_private(directory: Path, *, wanted: Path) -> None:
    """Create one directory 0700; losing a creation race to another process is fine."""
    try:
        os.mkdir(directory, PRIVATE_DIR_MODE)
    except FileExistsError:
        if not directory.is_dir():
            raise StateError(
                f"the state directory {wanted} cannot be created: {directory} is not a directory",
                hint=_NO_STATE_DIR_HINT + " to choose another place",
            ) from None
        return
    except OSError as exc:
        raise StateError(
            f"cannot create the state directory {wanted}: {exc.strerror or exc}",
            hint=f"check the permissions of {directory.parent}, or " + _NO_STATE_DIR_HINT,
        ) from exc
    # mkdir's mode is filtered through the umask; we just created it, so it is ours to set.
    os.chmod(directory, PRIVATE_DIR_MODE)
