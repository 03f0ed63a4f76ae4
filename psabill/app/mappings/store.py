"""The managed mappings file: read, check, and write it atomically, never touching psabill.toml.

An edit is a transaction (:meth:`MappingStore.edit`): under an advisory lock
both files are read, the edit changes a :class:`~psabill.app.mappings.edits.Draft`
of the managed data, and the result is checked with the real config loader.
Only a valid result is written, through a temporary file that is fsynced and
renamed into place, keeping the file's mode (0600 for a new file) and the
previous version as ``<name>.bak``. An edit that fails - refused, invalid, an
exception - writes nothing.
"""

from __future__ import annotations

import copy
import fcntl
import os
import stat
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from psabill.app.mappings import clashes
from psabill.app.mappings.edits import Draft
from psabill.config.loader import load_texts, managed_path
from psabill.config.merge import REMOVED, SECTIONS
from psabill.config.models import Config
from psabill.errors import ConfigError, EditRefused, StateError

HEADER = (
    "# Managed by psabill: edit with `psabill products|customers|contracts|admins ...`; "
    "hand edits may be overwritten\n"
    "# Entries here replace the entry with the same key in psabill.toml (which psabill never "
    "rewrites);\n# [[removed.*]] entries hide hand-written ones. See README "
    '"Editing mappings from the CLI".\n'
)
NEW_FILE_MODE = 0o600


@dataclass(frozen=True)
class Saved:
    """What an edit did on disk."""

    path: Path
    changed: bool
    backup: Path | None = None


class MappingStore:
    """The managed file that belongs to the config at ``config_path``."""

    def __init__(self, config_path: Path, env: Mapping[str, str]) -> None:
        self.config_path = config_path
        self.env = env
        self.path = managed_path(config_path, _parse(config_path, _read(config_path) or ""))
        self.saved: Saved | None = None

    @contextmanager
    def edit(self, *, write: bool = True) -> Iterator[Draft]:
        """Yield a draft of the managed data; on a clean exit, check and write it.

        What was written is then in :attr:`saved`. Raises :class:`EditRefused`
        (exit 2) with every problem when the edited configuration would not load.
        ``write=False`` only checks (to vet an edit before writing to the PSA).
        """
        with _locked(self.path):
            config_text = _read(self.config_path)
            if config_text is None:
                raise ConfigError(f"{self.config_path}: config file not found")
            managed_text = _read(self.path)
            before = _parse(self.path, managed_text or "")
            config = _parse(self.config_path, config_text)  # parsed once, checked below
            draft = Draft(config=copy.deepcopy(config), managed=copy.deepcopy(before))
            yield draft
            if _tidy(draft.managed) == _tidy(before):
                self.saved = Saved(self.path, changed=False)
                return
            text = render(draft.managed)
            after = self._check(config_text, config, text)
            self._refuse_clashes(config_text, config, managed_text, after)
            if write:
                self.saved = Saved(self.path, True, write_atomically(self.path, text))

    def _refuse_clashes(
        self, config_text: str, config: dict[str, Any], managed_text: str | None, after: Config
    ) -> None:
        """Refuse an edit after which two lines would bill one addition (see :mod:`.clashes`);
        clashes the configuration had before the edit are the sync's to report, not this edit's."""
        new = clashes.clashes(after)
        if not new:
            return
        try:
            old = load_texts(
                self.config_path, config_text, self.env, managed_text=managed_text, parsed=config
            )
            before: frozenset[clashes.Clash] | None = clashes.clashes(old.config)
        except ConfigError:
            before = None
        added = clashes.added(before, new)
        if added:
            raise EditRefused(
                f"refused, nothing was written: {added[0].sentence()}; the next sync would "
                "fail these lines (scope the product to one source with --source, map it to "
                "another PSA product, or give a customer its own contract)"
            )

    def _check(self, config_text: str, config: dict[str, Any], text: str) -> Config:
        try:
            return load_texts(
                self.config_path, config_text, self.env, managed_text=text, parsed=config
            ).config
        except ConfigError as exc:
            problems = "\n  ".join(exc.problems)
            raise EditRefused(
                "refused: the configuration would not be valid after this edit, so nothing "
                f"was written:\n  {problems}",
                hint=f"the {self.path.name} lines above are the refused version's; "
                "the file on disk is unchanged",
            ) from None


def _tidy(managed: Mapping[str, Any]) -> dict[str, Any]:
    """The managed data without empty lists, which render to nothing."""
    removed = {k: v for k, v in managed.get(REMOVED, {}).items() if v}
    tidy = {k: v for k, v in managed.items() if k != REMOVED and v}
    return tidy | ({REMOVED: removed} if removed else {})


def read_draft(config_path: Path) -> Draft:
    """Both files' data as they are now, for reading (no lock, nothing is written)."""
    config = _parse(config_path, _read(config_path) or "")
    managed = managed_path(config_path, config)
    return Draft(config=config, managed=_parse(managed, _read(managed) or ""))


def render(managed: Mapping[str, Any]) -> str:
    """The managed file's text: header, then one ``[[section]]`` table per entry.

    Entries are written as tables (not inline) so a problem in one is reported at
    its own line.
    """
    chunks = [HEADER]
    for section in SECTIONS:
        for entry in managed.get(section, []):
            chunks.append(_table(section, entry, array=True))
    removed = managed.get(REMOVED, {})
    for section in SECTIONS:
        for entry in removed.get(section, []):
            chunks.append(_table(f"{REMOVED}.{section}", entry, array=True))
    return "\n".join(chunks)


def _table(name: str, table: Mapping[str, Any], *, array: bool) -> str:
    lines = [f"[[{name}]]" if array else f"[{name}]"]
    nested = []
    for key, value in table.items():
        if isinstance(value, Mapping):
            nested.append(_table(f"{name}.{_key(key)}", value, array=False))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            nested.extend(_table(f"{name}.{_key(key)}", item, array=True) for item in value)
        elif value is not None:
            lines.append(tomli_w.dumps({key: value}).rstrip("\n"))
    return "\n".join(lines) + "\n" + "".join(f"\n{chunk}" for chunk in nested)


def _key(key: str) -> str:
    return tomli_w.dumps({key: 0}).split(" = ")[0]


def write_atomically(path: Path, text: str) -> Path | None:
    """Replace ``path`` with ``text`` (temp file, fsync, rename, fsync the directory).

    Keeps the mode of an existing file (a new one gets 0600) and copies the
    previous version to ``<name>.bak`` first; returns that backup's path, if any.
    """
    target = path.resolve() if path.is_symlink() else path
    old = _read_bytes(target)
    mode = stat.S_IMODE(target.stat().st_mode) if old is not None else NEW_FILE_MODE
    backup = None
    if old is not None:
        backup = target.with_name(target.name + ".bak")
        _replace(backup, old, mode)
    _replace(target, text.encode("utf-8"), mode)
    return backup


def _replace(path: Path, data: bytes, mode: int) -> None:
    temp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
        try:
            os.write(fd, data)
            os.fchmod(fd, mode)  # the umask may have narrowed it
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise StateError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint=f"check that {path.parent} is writable by this user and its disk is not full",
        ) from exc


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise edits of one managed file (two edits at once must not lose one)."""
    lock = path.with_name(f".{path.name}.lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, NEW_FILE_MODE)
    except OSError as exc:
        raise StateError(f"cannot lock {path} for editing: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read(path: Path) -> str | None:
    data = _read_bytes(path)
    if data is None:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the file is not valid UTF-8") from None


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from None


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: TOML syntax: {exc}", hint="fix the file, or restore its .bak copy"
        ) from None
