"""What can still be read of a configuration that does not load: the monitoring settings.

A run that cannot load its config is a failed run, and monitoring must hear of it.
The ping URL is read from the raw TOML on its own, so a typo anywhere else (or
a missing secret for the PSA) does not also silence the ``/fail`` ping.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from psabill.config.ops_models import Monitoring
from psabill.config.secrets import resolve_references


def salvage_monitoring(path: Path, env: Mapping[str, str]) -> Monitoring | None:
    """``[monitoring]`` of the config at ``path`` when it can be read, else None.

    None when the file is unreadable or not TOML, has no ping URL, or the
    section itself is invalid (its own references unresolved included).
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    section = raw.get("monitoring")
    if not isinstance(section, dict):
        return None
    resolved, resolution = resolve_references(section, env, path.parent)
    if resolution.problems:
        return None
    try:
        monitoring = Monitoring.model_validate(resolved)
    except ValidationError:
        return None
    return monitoring if monitoring.ping_url else None
