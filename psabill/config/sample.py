"""The fully commented sample config written by ``psabill config init``."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from psabill.errors import UsageError


def sample_text() -> str:
    return files("psabill").joinpath("data/sample.toml").read_text(encoding="utf-8")


def write_sample(path: Path, *, force: bool) -> None:
    """Write the sample to ``path`` with mode 0600 (it will hold secrets).

    Refuses to replace an existing file unless ``force``; the write goes to a
    temporary file that is renamed into place, so a crash never leaves half a file.
    """
    if path.exists() and not force:
        raise UsageError(
            f"{path} already exists; not overwriting it", hint="use --force to replace it"
        )
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    temp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(sample_text())
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
