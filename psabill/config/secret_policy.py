"""Where the config holds secrets, and what psabill says about one written in literally.

A PSA key or the SMTP password written into the file is allowed (a file of mode 0600
is as private as an environment variable) but warned about when group or others can
read the file; a vendor API's client secret must be a reference. The built-in
sandboxes' demo keys are public, so holding them is neither.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from psabill.config.checks import Problem
from psabill.config.locate import PathKey, dotted
from psabill.config.secrets import Resolution

SECRET_PATHS: tuple[PathKey, ...] = (
    ("psa", "public_key"),  # ConnectWise
    ("psa", "private_key"),
    ("psa", "integration_code"),  # Autotask
    ("psa", "secret"),
    ("psa", "client_secret"),  # HaloPSA
    ("smtp", "password"),
)
# The built-in sandboxes' documented demo keys are public; holding them is no leak.
PUBLIC_SANDBOX_KEYS = frozenset(
    {
        "sandbox-public",
        "sandbox-private",
        "sandbox-sophos-secret",
        "DEMO7TRACKING5CODE",
        "demo-autotask-secret",
        "sandbox-halo-secret",
    }
)


def literal_secret_warnings(path: Path, raw: Any, indirect: set[PathKey]) -> list[str]:
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    if not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return []
    literal = [
        loc
        for loc in _secret_locations(raw)
        if loc not in indirect and _get(raw, loc) not in PUBLIC_SANDBOX_KEYS
    ]
    if not literal:
        return []
    keys = ", ".join(dotted(loc) for loc in literal)
    return [
        f"{path} is readable by group/others and holds a literal secret ({keys}); "
        f'run `chmod 600 {path}` or use "${{VAR}}" / "file:/path" references'
    ]


def _secret_locations(raw: Any) -> list[PathKey]:
    found = [loc for loc in SECRET_PATHS if _get(raw, loc) is not None]
    sources = raw.get("sources") if isinstance(raw, dict) else None
    for index, source in enumerate(sources if isinstance(sources, list) else []):
        for key in ("token", "client_secret"):
            if isinstance(source, dict) and source.get(key) is not None:
                found.append(("sources", index, key))
    urls = _get(raw, ("notify", "urls"))  # Apprise URLs carry tokens in them
    found += [
        ("notify", "urls", index) for index in range(len(urls) if isinstance(urls, list) else 0)
    ]
    return found


def literal_vendor_secrets(resolved: Any, resolution: Resolution) -> list[Problem]:
    """A vendor API's client secret must be a reference: it opens every tenant's usage. (The
    PSA's keys, HaloPSA's client secret among them, get the literal-secret warning instead.)"""
    return [
        (loc, 'must be a "${VAR}" or "file:/path" reference, never the secret itself')
        for loc in _secret_locations(resolved)
        if loc[0] == "sources"
        and loc[-1] == "client_secret"
        and loc not in resolution.indirect
        and _get(resolved, loc) not in PUBLIC_SANDBOX_KEYS
    ]


def _get(raw: Any, loc: PathKey) -> Any:
    for part in loc:
        in_list = isinstance(raw, list) and isinstance(part, int) and 0 <= part < len(raw)
        if not in_list and not (isinstance(raw, dict) and part in raw):
            return None
        raw = raw[part]
    return raw
