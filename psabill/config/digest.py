"""What a config's validation depended on, as one digest: the key of the fast path's cache.

See :mod:`psabill.config.validated`. The digest covers psabill's version and the schema's own
source files; the config file's absolute path, text and permission bits; the mappings file's
path and text (or that there is none); ``$HOME``; and every ``${VAR}`` / ``file:`` reference
of the merged config, resolved: its value, or for a secret (which the schema takes as any
string) only whether it resolved and whether it is empty. No secret enters the digest.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psabill

if TYPE_CHECKING:
    from psabill.config.locate import PathKey

FORMAT = 1
"""The cache's format; another one is a miss."""
SECRETS: frozenset[tuple[str, str]] = frozenset(
    {
        ("psa", "public_key"),
        ("psa", "private_key"),
        ("psa", "client_id"),
        ("psa", "integration_code"),
        ("psa", "secret"),
        ("psa", "client_secret"),
        ("smtp", "password"),
        ("sources", "token"),
        ("sources", "client_secret"),
    }
)
"""(section, key) of the values the digest only notes as resolved or not, empty or not."""
Reference = tuple["PathKey", str]
"""Where a reference is in the merged config, and the reference as written."""


@dataclass(frozen=True)
class Inputs:
    """What one full validation depended on (:func:`digest` of it), kept with the loaded config.

    Holds no secret: ``digest`` is a hash in which secrets appear only as "resolved, empty"."""

    digest: str
    references: tuple[Reference, ...]
    managed: Path


def references(raw: Any, path: PathKey = ()) -> list[Reference]:
    """Every ``${VAR}`` / ``file:`` string in a raw config tree, with where it is."""
    if isinstance(raw, dict):
        return [ref for key, item in raw.items() for ref in references(item, (*path, key))]
    if isinstance(raw, list):
        return [ref for index, item in enumerate(raw) for ref in references(item, (*path, index))]
    if isinstance(raw, str) and raw.startswith(("file:", "${")):  # secrets.py's two forms
        return [(path, raw)]
    return []


def value_at(tree: Any, location: PathKey) -> Any:
    """The value at ``location`` of a config tree (dicts and lists), None where there is none."""
    for part in location:
        listed = isinstance(tree, list) and isinstance(part, int) and 0 <= part < len(tree)
        if not (listed or (isinstance(tree, dict) and part in tree)):
            return None
        tree = tree[part]
    return tree


def resolved_state(location: PathKey, value: str, problems: Sequence[object]) -> list[object]:
    """What the digest notes of one reference resolved to ``value``."""
    named = (str(location[0]), str(location[-1])) if location else ("", "")
    if named in SECRETS:
        return ["secret", bool(problems), value == ""]
    return ["value", value, [str(p) for p in problems]]


def digest(
    path: Path,
    text: str,
    managed: Path,
    managed_text: str | None,
    env: Mapping[str, str],
    states: Sequence[tuple[Reference, list[object]]],
) -> str:
    """The digest of one validation's inputs (see the module's docstring)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = -1
    parts = [
        FORMAT,
        psabill.__version__,
        _schema_stamp(),
        str(path.absolute()),
        mode,
        text,
        str(managed.absolute()),
        managed_text,
        env.get("HOME"),
        [[list(location), ref, state] for (location, ref), state in states],
    ]
    encoded = json.dumps(parts, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(encoded, digest_size=32).hexdigest()


def _schema_stamp() -> list[object]:
    """Name, size and modification time of the modules that validate a config."""
    root = Path(psabill.__file__).parent
    found: list[object] = []
    for folder in (root / "config", root / "core" / "schedule"):
        for file in sorted(folder.glob("*.py")):
            info = file.stat()
            found.append([file.name, info.st_size, info.st_mtime_ns])
    return found
