"""Where the config file is, and the names psabill gives its files. Imports nothing heavy:
an hourly ``psabill sync`` that finds nothing due needs this much and no schema."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from psabill.errors import ConfigError

CONFIG_NAME = "psabill.toml"
MAPPINGS_NAME = "mappings.toml"


def find_config(explicit: Path | None, env: Mapping[str, str], cwd: Path) -> Path:
    """``--config``, then ``$PSABILL_CONFIG``, ``./psabill.toml``, the XDG config dir."""
    if explicit is not None:
        return explicit
    if env.get("PSABILL_CONFIG"):
        return Path(env["PSABILL_CONFIG"])
    local = cwd / CONFIG_NAME
    if local.exists():
        return local
    xdg = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")) / ".config")
    candidate = Path(xdg).expanduser() / "psabill" / CONFIG_NAME
    if candidate.exists():
        return candidate
    raise ConfigError(
        "no config file found (looked for --config, $PSABILL_CONFIG, "
        f"./{CONFIG_NAME} and {candidate})",
        hint="create one with `psabill config init`",
    )
