"""Secret indirection: ``"${VAR}"`` from the environment, ``"file:/path"`` from a file.

Any string value in the config may be written this way (the PSA keys, the
SMTP password and HTTP tokens should be). Resolution happens before schema
validation, so a missing variable is reported like any other config problem,
with the line it was referenced on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psabill.config.locate import PathKey

_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
FILE_PREFIX = "file:"


@dataclass
class Resolution:
    """What resolving a raw config tree found."""

    indirect: set[PathKey] = field(default_factory=set)
    problems: list[tuple[PathKey, str]] = field(default_factory=list)


def resolve_references(
    raw: Any, env: Mapping[str, str], base_dir: Path, path: PathKey = ()
) -> tuple[Any, Resolution]:
    """Return ``raw`` with every reference replaced by its value."""
    result = Resolution()
    return _walk(raw, env, base_dir, path, result), result


def _walk(value: Any, env: Mapping[str, str], base: Path, path: PathKey, out: Resolution) -> Any:
    if isinstance(value, dict):
        return {key: _walk(item, env, base, (*path, key), out) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, env, base, (*path, index), out) for index, item in enumerate(value)]
    if not isinstance(value, str):
        return value
    if match := _ENV_REF.match(value):
        out.indirect.add(path)
        name = match.group(1)
        if name not in env:
            out.problems.append((path, f"environment variable {name} is not set"))
            return ""
        return env[name]
    if value.startswith(FILE_PREFIX):
        out.indirect.add(path)
        return _read_secret_file(value[len(FILE_PREFIX) :], base, path, out)
    return value


def _read_secret_file(name: str, base: Path, path: PathKey, out: Resolution) -> str:
    try:
        file = Path(name).expanduser()
    except RuntimeError:  # "~someone/..." naming an unknown user
        out.problems.append((path, f"cannot read secret file {name}: unknown home directory"))
        return ""
    if not file.is_absolute():
        file = base / file
    try:
        return file.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8, or a NUL in the name
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        out.problems.append((path, f"cannot read secret file {file}: {reason}"))
        return ""
